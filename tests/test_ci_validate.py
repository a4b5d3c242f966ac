"""Validation in the sandbox: determinism, agreement with the trace, test choice, coverage, mutants."""
from __future__ import annotations

import ast
import textwrap

import pytest

from sftset.ci_mining.build import Target, build_candidates
from sftset.ci_mining.generate import generate_calls
from sftset.ci_mining.mutation import mutants
from sftset.ci_mining.validate import ValidationSettings, body_coverage, medians, validate

MODULE = '''
import random
import time

TABLE = {"a": 1}


def grade(score):
    """A letter for a score out of 100."""
    if score >= 90:
        return "A"
    if score >= 75:
        return "B"
    if score >= 50:
        return "C"
    return "F"


def lookup(key):
    """TABLE's value for key."""
    return TABLE.get(key, 0)


def noisy(n):
    """n plus noise."""
    return n + random.random()


def clock(n):
    """Seconds since the epoch, plus n."""
    return int(time.time()) * 0 + n + (time.time() > 0) * 0 + (1 if time.time() < 0 else 0)


def reads(path):
    """The first line of a file."""
    with open(path) as fh:
        return fh.readline()


def same(x):
    """Always zero."""
    return 0


def slow(n):
    """Slowly, n."""
    total = 0
    for i in range(2_000_000):
        total += i % 2
    return n


def safe_div(a, b):
    """a // b; ValueError when b is 0."""
    if b == 0:
        raise ValueError("division by zero")
    return a // b
'''


def _rec(a, r):
    return {"a": a, "k": "{}", "r": r, "n": 1}


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory):
    root = tmp_path_factory.mktemp("proj")
    (root / "m.py").write_text(textwrap.dedent(MODULE))
    data = root / "data.txt"
    data.write_text("first\nsecond\n")
    grade = [_rec(f"({s},)", repr(g)) for s, g in [(95, "A"), (90, "A"), (80, "B"), (75, "B"), (60, "C"), (50, "C"),
                                                    (10, "F"), (0, "F"), (89, "B"), (74, "C"), (49, "F")]]
    lookup = [_rec("('a',)", "1"), _rec("('b',)", "0"), _rec("('c',)", "0"), _rec("('d',)", "0"),
              _rec("('a ',)", "7")]  # the last was traced while a test had patched TABLE
    fns = {
        "grade": grade, "lookup": lookup,
        "noisy": [_rec("(1,)", "1.5"), _rec("(2,)", "2.5"), _rec("(3,)", "3.5")],
        "reads": [_rec(f"({str(data)!r},)", "'first\\n'"), _rec("('/etc/hostname',)", "'h\\n'"),
                  _rec("('/etc/os-release',)", "'x\\n'")],
        "same": [_rec("(1,)", "0"), _rec("(2,)", "0"), _rec("(3,)", "0")],
        "slow": [_rec("(1,)", "1"), _rec("(2,)", "2"), _rec("(3,)", "3")],
        "safe_div": [_rec("(7, 2)", "3"), _rec("(9, 3)", "3"), {"a": "(1, 0)", "k": "{}", "x": None, "n": 1},
                     _rec("(-7, 2)", "-4")],
    }
    trace = {"functions": [{"module": "m", "qualname": name, "kind": "function", "lineno": None, "calls": len(r),
                            "skipped": {}, "records": r} for name, r in fns.items()]}
    target = Target("proj", "1", None, "u", None, "MIT", root, [root], ["m"], "3.11")
    built = build_candidates(trace, target)
    assert not built.drops
    settings = ValidationSettings(workers=2, max_mutants=20, generate=15, max_generated=5)
    return {o.candidate.entry_point: o for o in validate(built.candidates, settings)}


def test_kept_problem_is_complete(outcomes):
    o = outcomes["grade"]
    assert o.kept, o.reason
    p = o.problem
    assert p.task_id == "ci/proj/m.grade" and p.source == "ci" and p.entry_point == "grade"
    assert 3 <= sum(t["split"] != "generated" for t in p.tests) <= 20
    assert [t["split"] for t in p.tests[:3]] == ["public"] * 3
    assert "def check(candidate):" in p.test
    assert p.meta["coverage"] == {"lines": 1.0, "branches": 1.0}
    assert p.meta["kill_rate"] >= 0.9 and p.meta["mutants"] >= 5
    # the boundary calls are what kill the flipped comparisons: they must be among the kept tests
    kept_args = {t["args"] for t in p.tests}
    assert {"(90,)", "(75,)", "(50,)"} <= kept_args
    namespace: dict = {}
    exec(p.prompt + p.canonical_solution + "\n" + p.test, namespace)  # our own code: safe to run here
    namespace["check"](namespace["grade"])


def test_stale_call_dropped_not_the_function(outcomes):
    o = outcomes["lookup"]
    assert o.kept and o.problem.meta["stale_calls_dropped"] == 1
    assert all(t["args"] != "('a ',)" for t in o.problem.tests)


def test_exception_names_filled_in(outcomes):
    o = outcomes["safe_div"]
    assert o.kept
    assert {"args": "(1, 0)", "raises": "ValueError"}.items() <= next(
        t for t in o.problem.tests if t["args"] == "(1, 0)").items()


@pytest.mark.parametrize("name, reason", [("noisy", "non-deterministic"), ("reads", "depends on time/env/files"),
                                          ("same", "constant output"), ("slow", "too slow")])
def test_dropped_with_reason(outcomes, name, reason):
    assert not outcomes[name].kept
    assert outcomes[name].reason == reason, outcomes[name].detail


def test_medians(outcomes):
    m = medians(list(outcomes.values()))
    assert m["coverage_lines"] == 1.0 and m["kill_rate"] >= 0.75


def test_mutants_are_valid_and_distinct():
    program = textwrap.dedent(MODULE)
    found = mutants(program, "grade", limit=50, seed="x")
    kinds = {d.split("@")[0] for d, _ in found}
    assert {"compare", "constant", "drop"} <= kinds
    texts = [src for _, src in found]
    assert len(set(texts)) == len(texts)
    for src in texts:
        tree = ast.parse(src)
        grade = next(s for s in tree.body if isinstance(s, ast.FunctionDef) and s.name == "grade")
        assert ast.get_docstring(grade) == "A letter for a score out of 100."  # the docstring is never mutated
    assert mutants(program, "grade", limit=50, seed="x") == found  # deterministic


def test_generated_calls_follow_the_shapes():
    tests = [{"args": "([1, 2], 'ab')"}, {"args": "([], 'c')", "kwargs": "{}"}, {"args": "([5], 'zz')"}]
    calls = generate_calls(tests, 10)
    assert 0 < len(calls) <= 10 and len(set(calls)) == len(calls)
    for args, kwargs in calls:
        value = ast.literal_eval(args)
        assert isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], list)
        assert isinstance(value[1], str) and kwargs == "{}"
    assert generate_calls(tests, 10) == calls  # derandomised


def test_body_coverage_counts_only_the_body():
    report = {"executed_lines": [1, 2, 5, 6], "missing_lines": [7], "executed_branches": [[5, 6], [1, 2]],
              "missing_branches": [[5, 7]]}
    assert body_coverage(report, (5, 7)) == {"lines": 0.6667, "branches": 0.5,
                                              "missing_lines": [3]}
