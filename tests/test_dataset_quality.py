"""Quality filters (Codex paper) on reference solutions, and the SPDX licence allow-list at export."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from sftset.dataset.quality import QualitySettings, check_quality, license_allowed, parse_allow_list
from sftset.errors import InputError
from sftset.humaneval import load_humaneval
from sftset.record import Problem


def problem(solution: str, prompt: str = 'def f(x):\n    """Doc."""\n', **extra) -> Problem:
    return Problem.from_dict({"task_id": "t/1", "source": "t", "kind": "function", "prompt": prompt,
                              "entry_point": "f", "canonical_solution": solution,
                              "tests": [{"args": "(1,)", "expected": "1"}], **extra})


@pytest.mark.parametrize("solution, category", [
    ("    return x\n", None),
    ("    return " + "x + " * 300 + "x\n", "line too long"),  # 1211 characters on one line
    ("".join(f"    y{i} = {'x + ' * 27}x\n" for i in range(5)), "mean line length too high"),
    ("    " + "[" * 40 + "]" * 40 + "\n    return x\n", "too few alphanumeric characters"),
    ("    # This file is auto-generated. Do not edit.\n    return x\n", "auto-generated code"),
])
def test_codex_code_filters(solution, category):
    issue = check_quality(problem(solution))
    assert (issue.category if issue else None) == category
    if issue:
        assert issue.reason.startswith(category + " (")


def test_generated_paths_and_prose_prompts():
    assert check_quality(problem("    return x\n", provenance={"path": "pkg/api_pb2.py"})).category == "auto-generated code"
    # long statement lines are prose, not code: not held to line limits
    long_prompt = 'def solve(stdin):\n    """' + "word " * 400 + '"""\n'
    assert check_quality(problem("    return stdin\n", prompt=long_prompt)) is None


def test_thresholds_are_settings():
    p = problem("    return " + "x + " * 30 + "x\n")  # one line of 135 characters
    assert check_quality(p) is not None
    assert check_quality(p, QualitySettings(mean_line_length=200)) is None


def test_humaneval_passes_the_filters():
    assert [p.task_id for p in load_humaneval() if check_quality(p)] == []


@pytest.mark.parametrize("expression, allowed", [
    ("MIT", True), ("mit", True), ("GPL-3.0-only", False), ("MIT OR GPL-3.0-only", True),
    ("MIT AND GPL-3.0-only", False), ("(GPL-3.0-only OR Apache-2.0) AND MIT", True),
    ("Apache-2.0 WITH LLVM-exception", True), ("unknown", False), ("MIT OR", False),
])
def test_spdx_expressions(expression, allowed):
    assert license_allowed(expression, parse_allow_list(["MIT,Apache-2.0"])) is allowed
    assert license_allowed(expression, None) is True  # no allow-list: everything goes


def test_bad_allow_lists():
    with pytest.raises(InputError, match="not an SPDX licence id"):
        parse_allow_list(["MIT; rm -rf"])
    with pytest.raises(InputError, match="empty licence allow-list"):
        parse_allow_list([" , "])


def test_license_allow_list_at_export(run_cli, jsonl_file, handwritten_records):
    # handwritten records: two MIT, one CC-BY-4.0; add one without a licence
    rows = handwritten_records + [dict(handwritten_records[1], task_id="handwritten/nolicence", provenance={},
                                       prompt='def mean(xs):\n    """Mean of the numbers in xs."""\n')]
    assert run_cli("import", jsonl_file("in.jsonl", rows), "-q").rc == 0
    assert run_cli("export", "--version", "all", "-q").rc == 0
    assert run_cli("export", "--version", "mit", "--license", "MIT", "-q").rc == 0
    Path("sftset.toml").write_text('[export]\nlicenses = ["MIT", "unknown"]\n')
    assert run_cli("export", "--version", "cfg", "-q").rc == 0

    def manifest(v):
        return json.loads((Path("curated") / v / "manifest.json").read_text())

    assert manifest("all")["counts"]["problems"] == 4
    assert manifest("mit")["counts"]["problems"] == 2
    assert manifest("mit")["drops"] == {"license: not in the allow-list": 2}
    assert manifest("mit")["config"]["licenses"] == ["mit"]
    assert manifest("cfg")["counts"]["problems"] == 3
    bad = run_cli("export", "--license", "MIT;x")
    assert bad.rc == 2 and "--license: not an SPDX licence id" in bad.err
