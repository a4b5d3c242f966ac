"""`build-sft-set mine` end to end: the hard-case project, bad targets, a unittest suite, and (slow) a real sdist."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from sftset.store import StateStore

PROJECTS = Path(__file__).parent / "projects"


@pytest.fixture(scope="module")
def hardcases(tmp_path_factory):
    """Mine tests/projects/hardcases once (sandboxed suite, validation in the executor)."""
    import os

    from sftset.cli import main

    work = tmp_path_factory.mktemp("mine")
    old = os.getcwd()
    os.chdir(work)
    try:
        rc = main(["-q", "mine", str(PROJECTS / "hardcases"), "--out", "out.jsonl", "--report", "report.json",
                   "--workers", "2", "--max-mutants", "15"])
    finally:
        os.chdir(old)
    report = json.loads((work / "report.json").read_text())
    problems = [json.loads(line) for line in (work / "out.jsonl").read_text().splitlines()]
    return {"rc": rc, "work": work, "report": report["targets"][0], "summary": report["summary"],
            "problems": {p["entry_point"]: p for p in problems}}


def test_hardcases_kept(hardcases):
    assert hardcases["rc"] == 0
    kept = set(hardcases["problems"])
    # issue 13 left out: words and normalise_space (one call of a regex the prompt gives), parse_int
    # (`return int(text)` passes its tests), add_suffix (kill rate 0.75 under the default 0.8)
    assert {"clamp", "count_vowels", "fib", "no_doc", "outer", "square", "is_balanced", "describe"} == kept
    r = hardcases["report"]
    assert r["status"] == "ok" and r["isolation"] == "full" and r["runner"] == "pytest"
    assert r["tests_run"] == 37 and r["problems_kept"] == len(kept) and r["no_docstring"] == 1
    assert r["median_coverage_lines"] == 1.0 and r["median_kill_rate"] >= 0.9
    fib = hardcases["problems"]["fib"]
    assert fib["provenance"]["package"] == "hardcases" and fib["provenance"]["license"] == "MIT"
    assert fib["provenance"]["path"] == "hardcases/core.py"
    clamp = hardcases["problems"]["clamp"]
    assert any(t["split"] == "generated" for t in clamp["tests"])


def test_hardcases_dropped_with_reasons(hardcases):
    r = hardcases["report"]
    # stamp's time stamps and read_setting's paths under the work folder are the machine's state (issue 13)
    assert r["drops"] == {"mutates its arguments": 1, "arguments not literals": 1, "non-deterministic": 1,
                          # Stack.from_list (uses cls) is a method problem called on the class now, but
                          # the class cut does not show push/__len__, which it reaches through a local
                          # instance: the replay fails, and the function is dropped
                          "differs from the traced run": 1, "too slow": 1, "machine state in tests": 2,
                          "trivial body: lookup in a table in the prompt": 2, "weak tests": 1,
                          "a shortcut passes the tests": 1,
                          # Stack.push, now traced as an instance method (issue 14): only its first push on
                          # each fresh stack replays, too few calls
                          "instance changed between calls": 1}
    assert "append_item" in r["drop_examples"]["mutates its arguments"]
    assert "return int(text)" in r["drop_examples"]["a shortcut passes the tests"]
    skipped = r["skipped_functions"]
    # no "method" any more: Stack.push, the project's one instance method, is traced (issue 14)
    for reason in ("generator", "coroutine", "lambda", "nested", "dunder"):
        assert skipped.get(reason), reason
    assert "method" not in skipped


def test_hardcases_network_and_writes_contained(hardcases):
    events = {e["event"] for e in hardcases["report"]["contained"]}
    assert events == {"network connection", "write outside the work directory"}
    assert not (hardcases["work"] / "curated" / "ci_work" / "hardcases" / "escaped-by-hardcases.txt").exists()
    assert not Path("/tmp/escaped-by-hardcases.txt").exists()


def test_hardcases_in_store_and_rerun_skips(hardcases):
    import os

    from sftset.cli import main

    with StateStore(hardcases["work"] / "curated" / "state.sqlite") as store:
        stored = {p.entry_point for p in store.problems("ci")}
        assert stored == set(hardcases["problems"])
        assert store.verdict("ci/hardcases/hardcases.core.fib", "mine")["status"] == "kept"
    old = os.getcwd()
    os.chdir(hardcases["work"])
    try:  # a local path is mined again, but the unchanged source is recognised after fetching
        assert main(["-q", "mine", str(PROJECTS / "hardcases"), "--report", "again.json", "--workers", "2",
                     "--max-mutants", "15"]) == 0
    finally:
        os.chdir(old)
    again = json.loads((hardcases["work"] / "again.json").read_text())["targets"][0]
    assert again["status"] == "skipped"


def test_bad_targets_and_unittest(tmp_path, run_cli):
    rc = run_cli("mine", PROJECTS / "bad_build", PROJECTS / "no_tests", PROJECTS / "syntax_error",
                 PROJECTS / "hangs", PROJECTS / "unittest_only", "--suite-time", "6", "--report", "r.json",
                 "--workers", "2", "--max-mutants", "10").rc
    assert rc == 1  # bad targets are reported, and the run says some work failed (issue 14: cron sees it)
    reports = {Path(t["target"]).name: t for t in json.loads((tmp_path / "r.json").read_text())["targets"]}
    assert {k: (v["status"], v["reason"]) for k, v in reports.items()} == {
        "bad_build": ("dropped", "does not build"), "no_tests": ("dropped", "no tests"),
        "syntax_error": ("dropped", "syntax errors"), "hangs": ("dropped", "suite timed out"),
        "unittest_only": ("ok", ""),
    }
    ok = reports["unittest_only"]
    assert ok["runner"] == "unittest" and ok["tests_run"] == 3 and ok["problems_kept"] == 2
    assert ok["ci_sources"] == [".github/workflows/tests.yml"]


@pytest.mark.network_pypi
def test_missing_package(run_cli, tmp_path):
    assert run_cli("mine", "pypi:this-package-does-not-exist-sftset==1.0", "--report", "r.json").rc == 1
    (report,) = json.loads((tmp_path / "r.json").read_text())["targets"]
    assert (report["status"], report["reason"]) == ("dropped", "missing package")


@pytest.mark.slow
@pytest.mark.network_pypi
def test_inflection_from_pypi(run_cli, tmp_path):
    result = run_cli("mine", "pypi:inflection==0.5.1", "--out", "p.jsonl", "--report", "r.json", "--workers", "2")
    assert result.rc == 0, result.err
    (report,) = json.loads((tmp_path / "r.json").read_text())["targets"]
    assert report["status"] == "ok" and report["version"] == "0.5.1" and report["license"] == "MIT"
    # issue 13's rules leave 5 of 12 (trivial bodies 3, prompts over 120 lines 2, kill rate under 0.8: 2)
    assert report["tests_run"] == 455 and report["problems_kept"] >= 5
    assert report["median_kill_rate"] >= 0.9
    problems = [json.loads(line) for line in (tmp_path / "p.jsonl").read_text().splitlines()]
    underscore = next(p for p in problems if p["entry_point"] == "underscore")
    assert underscore["provenance"]["url"] == "https://pypi.org/project/inflection/0.5.1/"
    assert "import re" in underscore["prompt"]


def test_hardcases_drops_reach_the_exported_drops_file(hardcases):
    # Functions the miner traced but did not keep never become records; the version's drops.jsonl
    # still names each, with the miner's reason (issue 13), and the manifest counts them.
    import os

    from sftset.cli import main

    old = os.getcwd()
    os.chdir(hardcases["work"])
    try:
        assert main(["-q", "export", "--version", "drops"]) == 0
    finally:
        os.chdir(old)
    version = hardcases["work"] / "curated" / "drops"
    rows = [json.loads(line) for line in (version / "drops.jsonl").read_text().splitlines()]
    mined = {r["task_id"]: r["reason"] for r in rows if r["stage"] == "mine"}
    assert mined["ci/hardcases/hardcases.core.append_item"].startswith("mutates its arguments")
    assert sum(hardcases["report"]["drops"].values()) == len(mined)
    assert not set(mined) & set(f"ci/hardcases/hardcases.core.{name}" for name in hardcases["problems"])
    counts = json.loads((version / "manifest.json").read_text())["drops"]
    assert counts["mine: mutates its arguments"] == 1
