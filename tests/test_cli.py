"""The command line: help with examples, exit codes, one-line errors for bad input with nothing
written, configuration precedence (flags > sftset.toml > defaults), the pipeline entry point."""
from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import pytest

from sftset import cli, orchestrator as pipeline
from sftset.errors import WorkFailed
from sftset.record import Problem
from sftset.store import StateStore


def tree(root: Path) -> dict[str, str]:
    """Every file under root (hidden ones too) with its sha256, and every folder."""
    out = {}
    if root.exists():
        for path in sorted(root.rglob("*")):
            rel = str(path.relative_to(root))
            out[rel] = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "<dir>"
    return out


# ---- help -------------------------------------------------------------------------------

def command_names() -> list[str]:
    return [mod.NAME for mod in cli._commands()]


def test_commands_are_discovered():
    assert {"export", "import"} <= set(command_names())
    for mod in cli._commands():
        for attr in ("NAME", "HELP", "DESCRIPTION", "EXAMPLE", "add_arguments", "run"):
            assert hasattr(mod, attr), (mod.__name__, attr)


@pytest.mark.parametrize("name", command_names())
def test_every_command_help_has_an_example(run_cli, name):
    result = run_cli(name, "--help")
    assert result.rc == 0
    assert "example" in result.out.lower()
    assert f"build-sft-set {name}" in result.out  # the example is a real invocation of this command
    assert "usage: build-sft-set " + name in result.out


def test_top_level_help(run_cli):
    result = run_cli("--help")
    assert result.rc == 0
    assert "examples:" in result.out and "build-sft-set --source ci" in result.out
    for name in command_names():
        assert name in result.out
    for flag in ("--source", "-v", "-q", "--config", "--state", "--curated"):
        assert flag in result.out


def test_console_script_and_module_entry_point(run_cli_subprocess):
    result = run_cli_subprocess("--version")
    assert result.rc == 0 and "build-sft-set" in result.out
    script = Path(sys.executable).parent / "build-sft-set"
    if script.exists():  # installed with pip as the README says
        import subprocess

        proc = subprocess.run([str(script), "--help"], capture_output=True, text=True, timeout=60)
        assert proc.returncode == 0 and "examples:" in proc.stdout


# ---- exit codes ---------------------------------------------------------------------------

def test_exit_0_on_success(run_cli, jsonl_file, handwritten_records):
    records = jsonl_file("ok.jsonl", handwritten_records)
    result = run_cli("import", records)
    assert result.rc == 0, result.err
    assert "stored 3 problems" in result.err
    assert run_cli("export", "-q").rc == 0
    assert (Path("curated") / "latest" / "manifest.json").exists()


@pytest.mark.parametrize("argv", [
    [],                                   # nothing to do
    ["--no-such-flag"],
    ["frobnicate"],
    ["--source", "everything"],
    ["export", "--version", "../escape"],
    ["export", "--version", "latest"],
    ["import"],                           # neither files nor --humaneval
    ["import", "missing.jsonl"],
    ["--config", "missing.toml", "export"],
])
def test_exit_2_on_bad_usage(run_cli, argv):
    result = run_cli(*argv)
    assert result.rc == 2, result
    assert "Traceback" not in result.err
    assert not Path("curated").exists() and not Path("escape").exists()


def test_exit_1_when_the_work_has_failures(run_cli, monkeypatch):
    monkeypatch.setattr(pipeline, "collect_stages", lambda source: [])
    monkeypatch.setattr(pipeline, "later_stages", lambda: [("filter", lambda ctx, src: {"failures": 2})])
    assert run_cli("--source", "ci", "-q").rc == 1


def test_exit_1_on_work_failed(run_cli, monkeypatch):
    def stage(ctx, source):
        raise WorkFailed("3 of 10 repositories failed to build")

    monkeypatch.setattr(pipeline, "collect_stages", lambda source: [("mine", stage)])
    monkeypatch.setattr(pipeline, "later_stages", lambda: [])
    result = run_cli("--source", "ci", "-q")
    assert result.rc == 1 and "3 of 10 repositories failed" in result.err
    with StateStore(Path("curated") / "state.sqlite") as store:
        assert store.runs()[-1]["status"] == "failed"


def test_pipeline_runs_stages_then_exports(run_cli, monkeypatch, handwritten_records):
    seen = []

    def collect(ctx, source):
        seen.append(("mine", source))
        counts = ctx.store.put_problems(Problem.from_dict(d) for d in handwritten_records)
        return {"added": counts["added"]}

    def filter_(ctx, source):
        seen.append(("filter", source))
        first = handwritten_records[0]["task_id"]
        ctx.store.set_verdict(first, "filter", "dropped", "no sample passed")
        return {"dropped": 1}

    monkeypatch.setattr(pipeline, "collect_stages", lambda source: [("mine", collect)])
    monkeypatch.setattr(pipeline, "later_stages", lambda: [("filter", filter_)])
    result = run_cli("--source", "all", "-q")
    assert result.rc == 0, result.err
    assert seen == [("mine", "all"), ("filter", "all")]
    manifest = json.loads((Path("curated") / "latest" / "manifest.json").read_text())
    assert manifest["counts"]["problems"] == 2
    assert manifest["drops"] == {"filter: no sample passed": 1}
    assert manifest["per_stage"] == {"mine": {"added": 3}, "filter": {"dropped": 1}}
    with StateStore(Path("curated") / "state.sqlite") as store:
        assert store.runs()[-1]["status"] == "ok" and store.runs()[-1]["command"] == "--source all"


def test_source_ci_runs_with_the_stages_that_exist(run_cli, monkeypatch):
    # Without network stages (none may be built yet) the run still completes and writes a version.
    monkeypatch.setattr(pipeline, "collect_stages", lambda source: [])
    monkeypatch.setattr(pipeline, "later_stages", lambda: [])
    assert run_cli("--source", "ci", "-q").rc == 0
    assert (Path("curated") / "latest" / "manifest.json").exists()


def test_quiet_and_verbose(run_cli, jsonl_file, handwritten_records):
    records = jsonl_file("ok.jsonl", handwritten_records)
    assert run_cli("import", records, "-q").err == ""
    verbose = run_cli("-v", "export")
    assert verbose.rc == 0 and "INFO" in verbose.err


# ---- malformed input: exit 2, file:line (and field), one line, nothing written --------------

MALFORMED = [
    # (lines, expected "file:line: field" fragment)
    (lambda ok: [ok[0], ok[1], '{"task_id": "x/1", "source": ', ok[2]], ":3: invalid JSON"),
    (lambda ok: [ok[0], dict(ok[1], kind="lambda"), ok[2]], ":2: kind: must be one of function, stdio"),
    (lambda ok: [ok[0], dict(ok[1], tests=[{"args": "(1,", "expected": "1"}])], ":2: tests[0].args: not a Python literal"),
    (lambda ok: [ok[0], "[1, 2]"], ":2: expected a JSON object"),
    (lambda ok: [ok[0], {"task_id": "HumanEval/9", "prompt": "def f():\n", "test": "def check(c): pass"}],
     ":2: entry_point: missing required field"),
]


@pytest.fixture
def populated(run_cli, jsonl_file, handwritten_records):
    """A store with three problems and one exported version; returns the workdir's file tree."""
    assert run_cli("import", jsonl_file("ok.jsonl", handwritten_records), "-q").rc == 0
    assert run_cli("export", "-q", "--version", "v1").rc == 0
    return tree(Path("curated"))


@pytest.mark.parametrize("command", ["import", "export"])
@pytest.mark.parametrize("make, fragment", MALFORMED)
def test_malformed_file_exit_2_with_file_line_nothing_written(run_cli, jsonl_file, handwritten_records, populated,
                                                              command, make, fragment):
    bad = jsonl_file("bad.jsonl", make(handwritten_records))
    argv = ["import", bad] if command == "import" else ["export", "--problems", bad]
    result = run_cli(*argv)
    assert result.rc == 2
    assert len(result.err_lines) == 1, result.err
    line = result.err_lines[0]
    assert line.startswith(f"build-sft-set: error: {bad}{fragment}"), line
    assert "Traceback" not in result.err
    assert tree(Path("curated")) == populated  # store, versions and `latest` untouched


def test_malformed_gzip_and_directory_are_one_line(run_cli, workdir, populated):
    (workdir / "bad.jsonl.gz").write_bytes(b"\x1f\x8b\x08\x00" + b"garbage" * 20)
    (workdir / "adir.jsonl").mkdir()
    for path in ("bad.jsonl.gz", "adir.jsonl"):
        result = run_cli("import", path)
        assert result.rc == 2 and len(result.err_lines) == 1 and path in result.err_lines[0], result.err
    assert tree(Path("curated")) == populated


def test_traceback_only_with_verbose(run_cli_subprocess, jsonl_file, handwritten_records):
    bad = jsonl_file("bad.jsonl", [handwritten_records[0], dict(handwritten_records[1], checker="approx")])
    quiet = run_cli_subprocess("import", bad)
    assert quiet.rc == 2 and quiet.err_lines == [f"build-sft-set: error: {bad}:2: checker: must be exact, tokens or "
                                                 "float:<tol>, got 'approx'"]
    loud = run_cli_subprocess("import", bad, "-v")
    assert loud.rc == 2 and "Traceback" in loud.err and f"{bad}:2: checker" in loud.err_lines[-1]
    assert not Path("curated").exists()


# ---- configuration ------------------------------------------------------------------------

def test_config_precedence_flags_over_file_over_defaults(run_cli, workdir, jsonl_file, handwritten_records):
    records = jsonl_file("ok.jsonl", handwritten_records)
    # defaults: ./curated
    assert run_cli("export", "--problems", records, "-q", "--version", "d").rc == 0
    assert (workdir / "curated" / "d" / "manifest.json").exists()
    # sftset.toml overrides the default
    (workdir / "sftset.toml").write_text('[paths]\ncurated = "from_config"\n\n[export]\nexclude_flags = []\n')
    assert run_cli("export", "--problems", records, "-q", "--version", "c").rc == 0
    assert (workdir / "from_config" / "c" / "manifest.json").exists()
    # a flag overrides the file (before or after the command name)
    assert run_cli("export", "--problems", records, "-q", "--version", "f", "--curated", "from_flag").rc == 0
    assert run_cli("--curated", "from_flag2", "export", "--problems", records, "-q", "--version", "f").rc == 0
    assert (workdir / "from_flag" / "f").is_dir() and (workdir / "from_flag2" / "f").is_dir()
    assert not (workdir / "from_config" / "f").exists()
    # --config FILE and $SFTSET_CONFIG pick another file
    (workdir / "other.toml").write_text('[paths]\ncurated = "from_other"\n')
    assert run_cli("--config", "other.toml", "export", "--problems", records, "-q", "--version", "o").rc == 0
    assert (workdir / "from_other" / "o").is_dir()


def test_config_reaches_the_commands(run_cli, workdir, jsonl_file, handwritten_records):
    flagged = [dict(r, flags=["no_docstring"]) if i == 0 else r for i, r in enumerate(handwritten_records)]
    records = jsonl_file("flagged.jsonl", flagged)
    assert run_cli("export", "--problems", records, "-q", "--version", "a").rc == 0
    assert json.loads((workdir / "curated" / "a" / "manifest.json").read_text())["counts"]["problems"] == 2
    (workdir / "sftset.toml").write_text("[export]\nexclude_flags = []\n")
    assert run_cli("export", "--problems", records, "-q", "--version", "b").rc == 0
    assert json.loads((workdir / "curated" / "b" / "manifest.json").read_text())["counts"]["problems"] == 3


@pytest.mark.parametrize("text, fragment", [
    ('[paths]\ncurated = "x"\nstate = \n', "sftset.toml:3: invalid TOML"),
    ('[paths]\n\n[paths]\n', "sftset.toml:3: invalid TOML"),
    ('# settings\n[paths]\ncurated = 5\n', "sftset.toml:3: paths.curated: must be a str"),
    ('paths = "curated"\n', "sftset.toml:1: paths: must be a table"),
    ('[export]\nexclude_flags = "no_docstring"\n', "sftset.toml:2: export.exclude_flags: must be a list"),
])
def test_bad_config_exit_2_with_file_line(run_cli, workdir, text, fragment, jsonl_file, handwritten_records):
    (workdir / "sftset.toml").write_text(text)
    records = jsonl_file("ok.jsonl", handwritten_records)
    result = run_cli("export", "--problems", records)
    assert result.rc == 2
    assert len(result.err_lines) == 1 and result.err_lines[0].startswith("build-sft-set: error: " + fragment), result.err
    assert not (workdir / "curated").exists()


# ---- README and CI agree ---------------------------------------------------------------------

REPO = Path(__file__).resolve().parents[1]


def readme_blocks(lang: str) -> list[str]:
    import re

    text = (REPO / "README.md").read_text(encoding="utf-8")
    return [b.strip() for b in re.findall(rf"```{lang}\n(.*?)```", text, re.S)]


def test_readme_quick_start_is_two_one_line_commands_and_ci_runs_the_second():
    quick = readme_blocks("sh")[:2]
    assert quick == [
        "python3 -m venv .venv && . .venv/bin/activate && pip install -e . && build-sft-set --source ci",
        "python3 -m venv .venv && . .venv/bin/activate && pip install -e '.[test,ray]' && python -m pytest -q",
    ]
    ci = (REPO / ".ci" / "run").read_text()
    assert "set -euo pipefail" in ci and "-m venv" in ci
    assert "\npip install -e '.[test,ray]'\n" in ci and "\npython -m pytest -q\n" in ci
    assert '"$status" -eq 5' in ci
    assert "ci" in pipeline.SOURCES


def test_readme_config_example_is_valid(run_cli, workdir, jsonl_file, handwritten_records):
    (workdir / "sftset.toml").write_text(readme_blocks("toml")[0] + "\n")
    records = jsonl_file("ok.jsonl", handwritten_records)
    assert run_cli("export", "--problems", records, "-q", "--version", "r").rc == 0
    assert (workdir / "curated" / "r" / "manifest.json").exists()


def test_a_stage_that_fails_to_import_is_not_silently_skipped(monkeypatch):
    # every stage exists: one that cannot be imported (a bug, a missing dependency) stops the run
    import sys

    monkeypatch.setitem(sys.modules, "sftset.scrapers.stage", None)
    with pytest.raises(ImportError):
        pipeline.collect_stages("contests")
