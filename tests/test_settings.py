"""The settings file is validated on load by every command: unknown tables and keys named with the
closest known one, every known key type-checked, one line naming file, line and key; and the
reviewed TOML files ship inside the package."""
from __future__ import annotations

from pathlib import Path

import pytest

from sftset import cli
from sftset.config import SCHEMA, packaged_file

REPO = Path(__file__).resolve().parents[1]

# argv that reaches each command's run (the settings file is read before any of them works)
EVERY_COMMAND = {
    "evaluate": ["evaluate", "--problems", "p.jsonl", "--samples", "s.jsonl"],
    "export": ["export"],
    "filter": ["filter"],
    "import": ["import", "x.jsonl"],
    "mine": ["mine"],
    "refresh": ["refresh"],
    "report": ["report"],
    "scrape": ["scrape", "codeforces"],
    "--source": ["--source", "ci"],
}


def test_every_command_is_covered():
    assert {m.NAME for m in cli._commands()} | {"--source"} == set(EVERY_COMMAND)


@pytest.mark.parametrize("command", sorted(EVERY_COMMAND))
@pytest.mark.parametrize("text, expected", [
    ('[paths]\ncurated = "c"\n\n[exprot]\nformats = ["humaneval"]\n',
     "sftset.toml:4: exprot: unknown table [exprot]; did you mean [export]?"),
    ('[mine]\nsute_time_s = 60\n', "sftset.toml:2: mine.sute_time_s: unknown key; did you mean mine.suite_time_s?"),
    ('[export]\nreport = true\n[mine]\nsuite_time_s = "long"\n',
     "sftset.toml:4: mine.suite_time_s: must be a number, got 'long'"),
])
def test_a_config_typo_is_one_line_from_every_command(run_cli, workdir, command, text, expected):
    (workdir / "sftset.toml").write_text(text)
    result = run_cli(*EVERY_COMMAND[command])
    assert result.rc == 2
    assert result.err_lines == [f"build-sft-set: error: {expected}"]
    assert [p.name for p in workdir.iterdir()] == ["sftset.toml"]  # nothing written


def test_known_keys_pass_and_ints_count_as_floats(run_cli, workdir, jsonl_file, handwritten_records):
    (workdir / "sftset.toml").write_text('[mine]\nsuite_time_s = 60\n[quality]\nmean_line_length = 100\n[evaluate]\nk = "1"\n')
    records = jsonl_file("ok.jsonl", handwritten_records)
    assert run_cli("export", "--problems", records, "-q", "--version", "v").rc == 0


def test_evaluate_timeout_has_a_distinct_name_and_the_old_one_still_works(run_cli, workdir):
    (workdir / "sftset.toml").write_text('[evaluate]\ntimeout = 2\n')
    result = run_cli("evaluate", "--problems", "missing.jsonl", "--samples", "s.jsonl")
    assert "evaluate.timeout is deprecated; call it evaluate.sample_time_s" in result.err
    assert result.rc == 2 and "missing.jsonl" in result.err  # it went on to the command


def test_schema_names_each_table_once():
    assert all(isinstance(keys, dict) and keys for keys in SCHEMA.values())


@pytest.mark.parametrize("relpath", ["scrapers/sources.toml", "ci_mining/targets.toml"])
def test_packaged_reviewed_files_equal_the_top_level_ones(relpath):
    # The top-level file is the one reviewed; the package ships a byte-equal copy so that a wheel
    # or a non-editable install finds it too. Copy it after editing: cp RELPATH src/sftset/data/RELPATH
    assert packaged_file(relpath).read_bytes() == (REPO / relpath).read_bytes()


def test_reviewed_files_found_outside_a_checkout(run_cli, workdir):
    # From a directory with no scrapers/ or ci_mining/ folder, the packaged copies are used.
    from sftset.ci_mining.stage import configured_targets
    from sftset.config import Config
    from sftset.context import Context

    ctx = Context(cli.build_parser().parse_args(["mine"]), Config())
    targets = configured_targets(ctx)
    assert targets and all(t.spec for t, _ in targets)


def test_every_key_the_code_reads_is_in_the_schema():
    # A key read with cfg.resolve(..., "table", "key", ...) or cfg.get("table", "key") but missing from
    # SCHEMA would be refused as unknown when a user sets it: the schema and the readers stay in step.
    import ast

    read: set[tuple[str, str]] = set()
    for path in (REPO / "src" / "sftset").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            args = node.args[1:3] if node.func.attr == "resolve" else node.args[0:2] if node.func.attr == "get" else []
            if (len(args) == 2 and all(isinstance(a, ast.Constant) and isinstance(a.value, str) for a in args)
                    and args[0].value in SCHEMA):
                read.add((args[0].value, args[1].value))
    assert read, "the scan found no settings reads"
    missing = sorted(f"{t}.{k}" for t, k in read if k not in SCHEMA[t])
    assert not missing
