"""`refresh`: only new and changed work, a changelog with reasons, `latest` moved atomically, one
refresh at a time (a stale lock is taken over), and SIGKILL at any point never shows a partial
version; the rerun completes and its version equals an uninterrupted run's byte for byte, apart
from the version name and the creation time (both timestamps)."""
from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sftset.dataset.export import is_complete
from sftset.dataset.lock import LOCK_NAME, CuratedLock as RefreshLock, pid_alive
from sftset.store import StateStore

WORDS = ("array tree graph string query sum prime grid path cost minimum maximum count number integer pair "
         "segment robot coin color edge vertex order swap digit word bit heap stack queue").split()


def synthetic(i: int, *, words: int = 40, tests: int = 3) -> dict:
    rng = random.Random(i)
    text = " ".join(rng.choice(WORDS) + str(rng.randrange(100)) for _ in range(words))
    return {"task_id": f"synth/p{i}", "source": "synth", "kind": "function", "entry_point": f"f{i}",
            "prompt": f'def f{i}(x: int) -> int:\n    """{text}\n    """\n',
            "canonical_solution": f"    return x + {i}\n",
            "tests": [{"args": f"({k},)", "expected": str(k + i), "split": "hidden" if k else "public"}
                      for k in range(tests)],
            "provenance": {"url": f"https://example.invalid/p{i}", "license": "MIT" if i % 4 else "Apache-2.0"}}


def cli(root: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sftset", *args], cwd=root, capture_output=True, text=True,
                          timeout=timeout, env={k: v for k, v in os.environ.items() if k != "SFTSET_CONFIG"})


def visible_versions(curated: Path) -> list[Path]:
    return sorted(p for p in curated.iterdir()
                  if not p.name.startswith(".") and p.is_dir() and not p.is_symlink())


def assert_nothing_partial_visible(curated: Path) -> None:
    for folder in visible_versions(curated):
        assert is_complete(folder), f"{folder.name} is visible but incomplete"
    latest = curated / "latest"
    if latest.is_symlink():
        assert is_complete(curated / os.readlink(latest)), "latest points at an incomplete version"


def latest_name(curated: Path) -> str:
    return os.readlink(curated / "latest")


def write_records(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    """A working directory whose store holds HumanEval and 220 synthetic problems (with an exact copy,
    a near-duplicate and a HumanEval copy among them), published once as a first version; then
    the store changed: 3 problems removed, 2 edited, 6 added."""
    root = tmp_path_factory.mktemp("refresh-base")
    rows = [synthetic(i) for i in range(220)]
    rows.append(dict(synthetic(5), task_id="synth/copy-of-p5"))
    near = synthetic(7)
    near["task_id"], near["prompt"] = "other/p7", near["prompt"].replace(" ", "  ", 1) + "    # note\n"
    rows.append(near)
    assert cli(root, "import", "--humaneval", str(write_records(root / "in.jsonl", rows)), "-q").returncode == 0
    first = cli(root, "refresh", "--from-store", "-q")
    assert first.returncode == 0, first.stderr
    with StateStore(root / "curated" / "state.sqlite") as store:
        for i in (10, 11, 12):
            store.delete_problem(f"synth/p{i}")
    edited = [synthetic(20, tests=5), dict(synthetic(21), canonical_solution="    return 21 + x\n")]
    added = [synthetic(i) for i in range(300, 305)]
    added.append(dict(synthetic(400), prompt=rows[0]["prompt"].replace("x: int", "y: int")))  # near-dup of p0
    assert cli(root, "import", str(write_records(root / "more.jsonl", edited + added)), "-q").returncode == 0
    return root


def copy_of(base: Path, dest: Path) -> Path:
    shutil.copytree(base, dest, symlinks=True)
    return dest


def normalised(version: Path) -> dict[str, object]:
    """The version's files with its own name (a timestamp) and the creation time taken out."""
    name = version.name.encode()
    raw = {path.name: path.read_bytes() for path in sorted(version.iterdir())}
    stamped = {n for n, data in raw.items() if name in data and n != "manifest.json"}
    # the card lists checksums of the files, so those of stamped files (report.html) differ too
    digests = [hashlib.sha256(raw[n]).hexdigest()[:16].encode() for n in sorted(stamped)]
    out: dict[str, object] = {}
    for n, data in raw.items():
        data = data.replace(name, b"<version>")
        for digest in digests:
            data = data.replace(digest, b"<sha256 of a file naming the version>")
        out[n] = data
    manifest = json.loads(version.joinpath("manifest.json").read_text())
    manifest.pop("created_at")
    manifest["version"] = "<version>"
    for file in stamped:  # their bytes were compared above, with the name replaced
        manifest["files"][file].pop("sha256")
        manifest["files"][file].pop("bytes")
    out["manifest.json"] = manifest
    return out


@pytest.fixture(scope="module")
def clean_run(base, tmp_path_factory):
    root = copy_of(base, tmp_path_factory.mktemp("clean") / "w")
    started = time.monotonic()
    result = cli(root, "refresh", "--from-store", "-q")
    seconds = time.monotonic() - started
    assert result.returncode == 0, result.stderr
    return root / "curated" / latest_name(root / "curated"), seconds


def test_changelog_names_added_removed_and_changed_with_reasons(base, clean_run):
    version, _ = clean_run
    log = json.loads((version / "changelog.json").read_text())
    first = sorted(p.name for p in visible_versions(base / "curated"))
    assert log["previous"] == first[0]
    assert [e["task_id"] for e in log["added"]] == [f"synth/p{i}" for i in range(300, 305)]
    removed = {e["task_id"]: e["reason"] for e in log["removed"]}
    assert removed == {f"synth/p{i}": "no longer in the state store" for i in (10, 11, 12)}
    changed = {e["task_id"]: e["fields"] for e in log["changed"]}
    assert changed == {"synth/p20": ["tests"], "synth/p21": ["solution"]}
    manifest = json.loads((version / "manifest.json").read_text())
    assert manifest["changelog"] == {"previous": first[0], "added": 5, "removed": 3, "changed": 2,
                                     "unchanged": manifest["counts"]["problems"] - 7}
    md = (version / "CHANGELOG.md").read_text()
    assert "- `synth/p10`: no longer in the state store" in md and "- `synth/p21`: solution" in md
    # the near-duplicate added (synth/p400) is not in the version, and drops.jsonl says why
    drops = {r["task_id"]: r for r in map(json.loads, (version / "drops.jsonl").read_text().splitlines())}
    assert drops["synth/p400"]["reason"].startswith("near-duplicate of synth/p0")
    # equal tests: the lower task id (in natural order) is the one kept
    assert drops["synth/p5"]["reason"] == "exact duplicate of synth/copy-of-p5"
    assert drops["synth/p7"]["stage"] == "dedup" and drops["synth/p7"]["detail"]["duplicate_of"] == "other/p7"
    assert manifest["counts"]["per_source"]["humaneval"] == 164  # imported on purpose: kept as itself


def test_unchanged_store_writes_no_new_version(clean_run):
    version, _ = clean_run
    root = version.parent.parent
    before = sorted(p.name for p in visible_versions(root / "curated"))
    result = cli(root, "refresh", "--from-store")
    assert result.returncode == 0 and "nothing changed since" in result.stderr
    assert sorted(p.name for p in visible_versions(root / "curated")) == before
    forced = cli(root, "refresh", "--from-store", "--force", "-q")
    assert forced.returncode == 0
    assert len(visible_versions(root / "curated")) == len(before) + 1
    # the verdicts of the unchanged problems were reused, not recomputed
    assert "verdicts reused, 0 written" in result.stderr


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_sigkill_at_random_points_never_shows_a_partial_version(base, clean_run, tmp_path, seed):
    clean, seconds = clean_run
    root = copy_of(base, tmp_path / "w")
    curated = root / "curated"
    delay = random.Random(seed).uniform(0.05, max(seconds, 1.0))
    proc = subprocess.Popen([sys.executable, "-m", "sftset", "refresh", "--from-store", "-q"], cwd=root,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + delay
    while time.monotonic() < deadline and proc.poll() is None:
        assert_nothing_partial_visible(curated)  # watched while it runs
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    proc.stderr.close()
    assert_nothing_partial_visible(curated)
    rerun = cli(root, "refresh", "--from-store", "-q")
    assert rerun.returncode == 0, rerun.stderr
    assert_nothing_partial_visible(curated)
    assert not [p.name for p in curated.iterdir() if p.name.startswith((".partial-", ".latest-", ".refresh-pending"))]
    final = curated / latest_name(curated)
    assert normalised(final) == normalised(clean)
    # exactly one new version beyond the first, however the run was interrupted
    assert len(visible_versions(curated)) == len(visible_versions(base / "curated")) + 1


KILL_AT = r"""
import os, signal, sys
from sftset import orchestrator as refresh
point = sys.argv[1]
if point == "before-latest":  # the version folder is in place, `latest` not yet moved
    refresh.point_latest = lambda *a: os.kill(os.getpid(), signal.SIGKILL)
elif point == "mid-write":  # some files of the version written
    from sftset.dataset import export
    real, calls = export._write, []
    def write(path, data):
        calls.append(path)
        if len(calls) == 4:
            os.kill(os.getpid(), signal.SIGKILL)
        real(path, data)
    export._write = write
from sftset.cli import main
sys.exit(main(["refresh", "--from-store", "-q"]))
"""


@pytest.mark.parametrize("point", ["before-latest", "mid-write"])
def test_sigkill_at_the_critical_points(base, clean_run, tmp_path, point):
    clean, _ = clean_run
    root = copy_of(base, tmp_path / "w")
    curated = root / "curated"
    before = latest_name(curated)
    proc = subprocess.run([sys.executable, "-c", KILL_AT, point], cwd=root, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    assert_nothing_partial_visible(curated)
    assert latest_name(curated) == before  # not moved yet
    leftovers = [p.name for p in curated.iterdir() if p.name.startswith(".")]
    assert ".refresh-pending" in leftovers
    if point == "mid-write":
        assert any(n.startswith(".partial-") for n in leftovers)
    rerun = cli(root, "refresh", "--from-store")
    assert rerun.returncode == 0, rerun.stderr
    assert "taking over a stale refresh lock" in rerun.stderr
    if point == "before-latest":
        assert "finished publishing" in rerun.stderr and "nothing changed since" in rerun.stderr
    final = curated / latest_name(curated)
    assert final.name != before and normalised(final) == normalised(clean)
    assert not [p.name for p in curated.iterdir() if p.name.startswith((".partial-", ".latest-", ".refresh-pending"))]


def test_one_refresh_at_a_time(run_cli, jsonl_file, workdir):
    assert run_cli("import", jsonl_file("in.jsonl", [synthetic(1), synthetic(2)]), "-q").rc == 0
    with RefreshLock(workdir / "curated", "test holder"):
        busy = run_cli("refresh", "--from-store")
        assert busy.rc == 1
        assert f"is running (pid {os.getpid()}" in busy.err and LOCK_NAME in busy.err  # names the holder's command
        assert run_cli("export").rc == 1  # exports wait their turn too
    assert not visible_versions(workdir / "curated")
    assert run_cli("refresh", "--from-store", "-q").rc == 0
    assert len(visible_versions(workdir / "curated")) == 1


def test_stale_lock_of_a_dead_process_is_taken_over(run_cli, jsonl_file, workdir):
    assert run_cli("import", jsonl_file("in.jsonl", [synthetic(1)]), "-q").rc == 0
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    assert not pid_alive(dead.pid)
    (workdir / "curated" / LOCK_NAME).write_text(json.dumps(
        {"pid": dead.pid, "host": "h", "started_at": "2020-01-01T00:00:00Z", "command": "refresh"}))
    result = run_cli("refresh", "--from-store")
    assert result.rc == 0, result.err
    assert f"taking over a stale refresh lock: pid {dead.pid} (no longer running)" in result.err
    assert (workdir / "curated" / LOCK_NAME).read_text() == ""  # released cleanly


def test_refresh_runs_the_collect_stages(run_cli, monkeypatch, workdir):
    from sftset import orchestrator as pipeline
    from sftset.record import Problem

    seen = []

    def scrape(ctx, source):
        seen.append(("scrape", source))
        return ctx.store.put_problems([Problem.from_dict(synthetic(len(seen)))])

    monkeypatch.setattr(pipeline, "collect_stages", lambda source: [("scrape", scrape)])
    monkeypatch.setattr(pipeline, "later_stages", lambda: [])
    assert run_cli("refresh", "--source", "contests", "-q").rc == 0
    assert run_cli("refresh", "--source", "contests", "-q").rc == 0
    assert seen == [("scrape", "contests")] * 2
    manifest = json.loads((workdir / "curated" / "latest" / "manifest.json").read_text())
    assert manifest["per_stage"] == {"scrape": {"added": 1, "changed": 0, "unchanged": 0}}
    assert manifest["changelog"]["added"] == 1 and manifest["counts"]["problems"] == 2
    with StateStore(workdir / "curated" / "state.sqlite") as store:
        assert [r["status"] for r in store.runs()] == ["ok", "ok"]


@pytest.mark.parametrize("holder, says", [("export", "another export is running"),
                                          ("--source ci", "another run is running")])
def test_the_busy_message_names_what_holds_the_lock(tmp_path, holder, says):
    from sftset.dataset.lock import CuratedBusy

    with RefreshLock(tmp_path, holder):
        with pytest.raises(CuratedBusy, match=says):
            RefreshLock(tmp_path, "refresh").acquire()
