"""Docstrings written by a model for mined functions without one (ci_mining/docstrings.py), against a
local OpenAI-compatible server on 127.0.0.1 (tests/completions_server.py) answering hand-written texts."""
from __future__ import annotations

import argparse
import ast

from completions_server import CompletionsServer

from sftset.ci_mining.docstrings import (GENERATED_FLAG, DocstringSettings, request_text, settings_from_context,
                                         write_docstrings)
from sftset.ci_mining.miner import MineSettings
from sftset.config import Config
from sftset.context import Context
from sftset.record import Problem

SOLUTION = (
    "    parts = [p for p in text.split(' ') if p]\n"
    "    joined = ' '.join(parts)\n"
    "    return joined[:limit]\n"
)


def _problem() -> Problem:
    return Problem.from_dict({
        "task_id": "ci/demo/demo.text.squeeze_spaces", "source": "ci", "kind": "function",
        "prompt": "import re\n\n\ndef squeeze_spaces(text, limit):\n", "entry_point": "squeeze_spaces",
        "canonical_solution": SOLUTION, "flags": ["no_docstring"], "meta": {"module": "demo.text"},
        "tests": [
            {"args": "('a  b   c', 10)", "expected": "'a b c'", "split": "public"},
            {"args": "('', 3)", "expected": "''", "split": "public"},
            {"args": "('  x ',)", "kwargs": "{'limit': 5}", "expected": "'x'", "split": "public"},
            {"args": "('hello    wonderful   world', 15)", "expected": "'hello wonderful'", "split": "hidden"},
            {"args": "('one two', 3)", "expected": "'one'", "split": "hidden"},
        ],
    })


GOOD = ("Collapse every run of spaces in `text` into one space and drop leading and trailing ones.\n\n"
        "    The result is cut to at most `limit` characters.\n    ")
PASTES = "Returns joined[:limit] after computing joined = ' '.join(parts) from the words."
LEAKS = "Squeeze the spaces, e.g. squeeze_spaces('hello    wonderful   world', 15) gives 'hello wonderful'."


def _write(tmp_path, answer: str):
    with CompletionsServer(answer=lambda body, seq, i: answer) as server:
        settings = DocstringSettings(urls=(server.url,), model="test-model")
        result = write_docstrings([_problem()], settings, tmp_path / "_docstrings.jsonl")
    assert server.errors == []
    return result, server


def test_a_good_docstring_is_used_and_marked_and_not_asked_for_again(tmp_path):
    result, server = _write(tmp_path, GOOD)
    assert len(server.requests) == 1 and result.asked == 1 and result.generated == 1 and result.refused == {}
    body = server.requests[0]["body"]
    assert body["n"] == 1 and body["temperature"] == 0.0 and '"""' in body["stop"]
    assert body["prompt"] == request_text(_problem())
    assert "squeeze_spaces('a  b   c', 10) == 'a b c'" in body["prompt"]  # public calls shown ...
    assert "hello    wonderful" not in body["prompt"]  # ... hidden ones not
    (p,) = result.problems
    assert GENERATED_FLAG in p.flags and "no_docstring" not in p.flags
    assert p.meta["docstring"] == {"generated": True, "model": "test-model"} and p.meta["module"] == "demo.text"
    fn = ast.parse(p.prompt + p.canonical_solution).body[-1]
    doc = ast.get_docstring(fn)
    assert doc.startswith("Collapse every run of spaces") and "limit` characters." in doc
    assert p.prompt.startswith(_problem().prompt) and p.content_hash != _problem().content_hash
    assert p.test == _problem().test  # the tests are the same ones
    namespace: dict = {}
    exec(p.prompt + p.canonical_solution + "\n" + p.test + f"\ncheck({p.entry_point})", namespace)  # still runs

    # A rerun (same model, same function) takes the stored answer: nothing is asked.
    with CompletionsServer(answer=lambda body, seq, i: "something else entirely, in words") as again:
        settings = DocstringSettings(urls=(again.url,), model="test-model")
        rerun = write_docstrings([_problem()], settings, tmp_path / "_docstrings.jsonl")
    assert again.requests == [] and rerun.asked == 0 and rerun.problems[0].prompt == p.prompt


def test_a_docstring_that_pastes_a_body_line_is_refused(tmp_path):
    result, _ = _write(tmp_path, PASTES)
    (p,) = result.problems
    assert p == _problem() and "no_docstring" in p.flags and GENERATED_FLAG not in p.flags
    assert result.generated == 0 and "pastes a line of the body" in result.refused[p.task_id]


def test_a_docstring_that_holds_a_hidden_expected_value_is_refused(tmp_path):
    result, _ = _write(tmp_path, LEAKS)
    (p,) = result.problems
    assert "no_docstring" in p.flags and "hidden test's expected value" in result.refused[p.task_id]


def test_an_overlong_or_wordless_docstring_is_refused(tmp_path):
    result, _ = _write(tmp_path, "Squeeze spaces. " * 60)
    assert "too long" in result.refused[_problem().task_id]
    result, _ = _write(tmp_path / "b", "x = 1")
    assert "too few words" in result.refused[_problem().task_id]


def test_without_a_model_nothing_changes(tmp_path):
    ctx = Context(argparse.Namespace(), Config())
    settings = settings_from_context(ctx)
    assert not settings.enabled
    result = write_docstrings([_problem()], settings, tmp_path / "_docstrings.jsonl")
    assert result.problems == [_problem()] and result.asked == 0 and not (tmp_path / "_docstrings.jsonl").exists()
    assert MineSettings(docstrings=settings).key() == MineSettings().key()  # targets mined before stay mined


def test_the_server_named_in_sampling_is_used_unless_turned_off(tmp_path):
    cfg = tmp_path / "sftset.toml"
    cfg.write_text('[sampling]\nurl = "http://127.0.0.1:9"\nmodel = "m"\n[mine]\ndocstring_max_chars = 300\n')
    s = settings_from_context(Context(argparse.Namespace(), Config.load(cfg)))
    assert s.enabled and s.urls == ("http://127.0.0.1:9",) and s.model == "m" and s.max_chars == 300
    assert MineSettings(docstrings=s).key() != MineSettings().key()
    cfg.write_text('[sampling]\nurl = "http://127.0.0.1:9"\n[mine]\ndocstrings = false\n')
    assert not settings_from_context(Context(argparse.Namespace(), Config.load(cfg))).enabled


def test_a_server_that_is_down_leaves_the_functions_flagged(tmp_path):
    settings = DocstringSettings(urls=("http://127.0.0.1:9",), model="m", max_retries=0, timeout_s=2)
    result = write_docstrings([_problem()], settings, tmp_path / "_docstrings.jsonl")
    assert result.problems == [_problem()] and result.generated == 0


def test_the_mine_stage_writes_them_through_the_sampling_server(tmp_path, run_cli):
    """A project whose functions have no docstrings, mined with [sampling] url set: the good answer is
    used and marked, the one that pastes a body line is refused (the function stays flagged); the
    answers are stored where a rerun finds them (the unit test above shows a rerun asks nothing)."""
    import json
    import shutil
    from pathlib import Path

    project = tmp_path / "numtools_project"
    shutil.copytree(Path(__file__).parent / "projects" / "unittest_only", project)
    init = project / "numtools" / "__init__.py"
    init.write_text("\n".join(line for line in init.read_text().splitlines()
                              if not line.startswith('    """')) + "\n")

    def answer(body, seq, i):
        if "def digits(n):" in body["prompt"]:
            return "The decimal digits of a non-negative integer, most significant first; negative numbers are refused."
        return "Loops with a, b = b, a % b until b is zero."  # gcd: pastes a body line

    with CompletionsServer(answer=answer) as server:
        (tmp_path / "sftset.toml").write_text(f'[sampling]\nurl = "{server.url}"\nmodel = "test-model"\n')
        argv = ["mine", project, "--out", "out.jsonl", "--report", "r.json", "--workers", "2", "--max-mutants", "10",
                "--max-generated", "3"]
        assert run_cli(*argv).rc == 0
    assert server.errors == [] and len(server.requests) == 2  # one request per function
    assert (tmp_path / "curated" / "ci_work" / "_docstrings.jsonl").read_text().count("\n") == 2  # stored for a rerun
    rows = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    problems = {p["entry_point"]: p for p in rows}
    assert problems["digits"]["flags"] == [GENERATED_FLAG]
    assert problems["digits"]["meta"]["docstring"]["model"] == "test-model"
    assert '"""The decimal digits of a non-negative integer' in problems["digits"]["prompt"]
    assert problems["gcd"]["flags"] == ["no_docstring"] and "docstring" not in problems["gcd"]["meta"]
    (report,) = json.loads((tmp_path / "r.json").read_text())["targets"]
    assert report["docstrings_generated"] == 1 and report["no_docstring"] == 1
    refused = report["docstrings_refused"]
    assert [why[:25] for why in refused.values()] == ["pastes a line of the body"], refused


def test_a_docstring_that_reads_like_a_benchmark_item_is_refused(tmp_path):
    from sftset.humaneval import load_humaneval

    he = load_humaneval()[0]  # HumanEval/0: has_close_elements
    doc = he.prompt.split('"""')[1].split(">>>")[0].strip()
    result, _ = _write(tmp_path, doc)
    assert "decontamination" in result.refused[_problem().task_id] and "no_docstring" in result.problems[0].flags


def test_exports_keep_and_count_generated_docstrings(tmp_path):
    """A problem with a generated docstring is exported (only `no_docstring` is left out by default),
    and the assembly's stats and the card say how many there are."""
    from sftset.dataset.assemble import AssemblySettings, assemble
    from sftset.dataset.publish import card_notes

    result, _ = _write(tmp_path, GOOD)
    generated = result.problems[0]
    flagged = _problem()
    flagged = Problem.from_dict(dict(flagged.to_dict(), task_id="ci/demo/demo.text.other", content_hash=""))
    settings = AssemblySettings(near_dedup=False)
    a = assemble([generated, flagged], settings, verdicts={})
    assert [p.task_id for p in a.problems] == [generated.task_id]
    assert a.stats["flags"] == {GENERATED_FLAG: 1} and a.counts["flagged no_docstring"] == 1
    assert any("1 problems have a docstring written by a model" in line for line in card_notes(a, settings))
