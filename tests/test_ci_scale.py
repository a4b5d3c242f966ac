"""CI mining at scale (issue 14): a suite that stops making progress is ended early and what it
traced is mined; a target's venv and build folders are removed after mining unless kept."""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from sftset.sandbox import run_isolated
from sftset.sandbox.stall import StallWatch

PROJECTS = Path(__file__).parent / "projects"


def test_stall_watch_needs_a_whole_window_of_idle_cpu():
    watch = StallWatch(10)
    assert watch.min_cpu_s == 0.1
    assert not any(watch.stalled(t, 0.5 * t) for t in range(0, 30))  # busy: half a core
    idle = StallWatch(10)
    assert not any(idle.stalled(t, 5.0) for t in range(0, 10))  # idle, but not for a whole window yet
    assert idle.stalled(10, 5.05)


def test_run_isolated_ends_a_command_that_waits_forever(tmp_path):
    script = "import time; sum(range(3_000_000)); print('started', flush=True); time.sleep(10_000)"
    t0 = time.monotonic()
    res = run_isolated([sys.executable, "-c", script], cwd=tmp_path, time_s=120, stall_s=2)
    assert res.stalled and not res.timed_out
    assert time.monotonic() - t0 < 30
    assert "started" in res.stdout


def test_run_isolated_leaves_a_busy_command_alone(tmp_path):
    script = "import time\nt = time.monotonic()\nwhile time.monotonic() - t < 3: pass\nprint('done')"
    res = run_isolated([sys.executable, "-c", script], cwd=tmp_path, time_s=60, stall_s=1)
    assert not res.stalled and res.returncode == 0 and "done" in res.stdout


def test_stalled_suite_is_mined_and_envs_are_removed_unless_kept(tmp_path, run_cli):
    (tmp_path / "sftset.toml").write_text("[mine]\nstall_s = 5\n")
    args = ("mine", PROJECTS / "stalls", "--suite-time", "300", "--report", "r.json", "--out", "p.jsonl",
            "--workers", "2", "--max-mutants", "10")
    t0 = time.monotonic()
    assert run_cli(*args).rc == 0
    assert time.monotonic() - t0 < 150  # the suite limit alone is 300 s
    (report,) = json.loads((tmp_path / "r.json").read_text())["targets"]
    assert report["status"] == "ok" and report["stalled"]
    assert "the suite made no progress for 5s; ended; mined what it recorded" in report["notes"]
    assert report["suite_s"] < 60 and report["tests_run"] == 2
    kept = {json.loads(line)["entry_point"] for line in (tmp_path / "p.jsonl").read_text().splitlines()}
    assert kept == {"snake", "vowels"}
    work = tmp_path / "curated" / "ci_work" / "stalls"
    assert not (work / "venv").exists() and not (work / "run").exists()
    assert (work / "src").is_dir() and (work / "report.json").is_file()
    assert report["peak_disk_mb"] > report["disk_after_mb"] > 0
    assert report["peak_disk_mb"] >= 5  # the venv (pytest and its dependencies) was counted before it went

    # a rerun rebuilds the removed venv; with --keep-envs it stays
    assert run_cli(*args, "--force", "--keep-envs").rc == 0
    (again,) = json.loads((tmp_path / "r.json").read_text())["targets"]
    assert again["status"] == "ok" and again["problems_kept"] == 2
    assert (work / "venv" / "bin" / "python").exists()
    assert again["disk_after_mb"] >= 5


def test_a_suite_at_its_time_limit_writes_what_it_traced_and_is_mined(tmp_path, run_cli):
    # The stall watch is off: the suite's blocked test holds it until the time limit, where SIGTERM
    # (not SIGKILL) lets the tracer write the calls recorded before.
    (tmp_path / "sftset.toml").write_text("[mine]\nstall_s = 0\n")
    args = ("mine", PROJECTS / "stalls", "--suite-time", "20", "--report", "r.json", "--out", "p.jsonl",
            "--workers", "2", "--max-mutants", "10")
    assert run_cli(*args).rc == 0
    (report,) = json.loads((tmp_path / "r.json").read_text())["targets"]
    assert report["status"] == "ok" and not report["stalled"], report
    assert "the suite hit its time limit of 20s; mined what it recorded" in report["notes"]
    kept = {json.loads(line)["entry_point"] for line in (tmp_path / "p.jsonl").read_text().splitlines()}
    assert kept == {"snake", "vowels"}
