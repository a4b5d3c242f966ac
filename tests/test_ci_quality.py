"""Issue 13: every exported CI problem worth training on.

Small real functions, validated in the real sandbox: test values that carry the machine's state,
outcomes that change on another machine, shortcut programs that pass weak tests, dominated test
sets, trivial bodies and borrowed docstrings; and one function's error never sinks the others.
"""
from __future__ import annotations

import textwrap

import pytest

from sftset.ci_mining import validate as validate_module
from sftset.ci_mining.build import Target, build_candidates
from sftset.ci_mining.environment import MachineState, elsewhere, machine_state_in
from sftset.ci_mining.report import TargetReport
from sftset.ci_mining.miner import SUITE_VARIABLES, screen
from sftset.ci_mining.shortcuts import shortcut_of
from sftset.ci_mining.validate import ValidationSettings, validate
from sftset.ci_mining.worth import WorthSettings, trivial_rule, worth_drop

MODULE = '''
import os
from datetime import timedelta


def identity(x):
    """Return x."""
    return x


def first_dir(prefix):
    """prefix followed by the first folder of the search path."""
    return prefix + os.environ.get("PATH", "").split(":")[0]


def repair(version):
    """Drop a trailing '+' from a version string."""
    if version.endswith("+"):
        return version[:-1]
    return version


def is_sorted(seq):
    """Whether seq is in ascending order."""
    return all(a <= b for a, b in zip(seq, seq[1:]))


def short_label(label):
    """Whether a label has 1 to 63 characters."""
    return 0 < len(label) < 64


def later(days):
    """A week after the given number of days, as a timedelta."""
    return timedelta(days=days) + timedelta(days=7)


def grade(score):
    """A letter for a score out of 100."""
    if score >= 90:
        return "A"
    if score >= 75:
        return "B"
    if score >= 50:
        return "C"
    return "F"
'''


def _rec(a, r):
    return {"a": a, "k": "{}", "r": r, "n": 1}


@pytest.fixture(scope="module")
def judged(tmp_path_factory):
    root = tmp_path_factory.mktemp("proj")
    (root / "m.py").write_text(textwrap.dedent(MODULE))
    home = "/home/miner-on-build-host-7"
    fns = {
        # toolz.identity was traced with the build machine's PATH and the tracer's variable names
        "identity": [_rec(f"({home + '/bin:/usr/bin'!r},)", repr(home + "/bin:/usr/bin")),
                     _rec("('SFTSET_TRACE_OUT',)", "'SFTSET_TRACE_OUT'"), _rec("(1,)", "1"), _rec("(2,)", "2")],
        "first_dir": [_rec("('a',)", "'a/usr/local/bin'"), _rec("('b',)", "'b/usr/local/bin'"),
                      _rec("('',)", "'/usr/local/bin'")],
        # every traced call returns its input unchanged: `return version` passes all of them
        "repair": [_rec("('1.0',)", "'1.0'"), _rec("('2.1.3',)", "'2.1.3'"), _rec("('3.12.0rc1',)", "'3.12.0rc1'"),
                   _rec("('0.9',)", "'0.9'")],
        # all sorted: `return True` passes until a boundary input (the reversed list) fails it
        "is_sorted": [_rec("([1, 2, 3],)", "True"), _rec("([0, 5, 9, 12],)", "True"), _rec("([4, 4, 7],)", "True"),
                      _rec("([2, 3],)", "True")],
        # 10 of 11 expect True: rebalanced with other outcomes, or dropped as degenerate
        "short_label": [_rec(f"({'x' * n!r},)", "True") for n in range(1, 11)] + [_rec(f"({'y' * 70!r},)", "False")],
        "later": [_rec("(1,)", "datetime.timedelta(days=8)"), _rec("(2,)", "datetime.timedelta(days=9)"),
                  _rec("(999999990,)", "datetime.timedelta(days=999999997)")],
        "grade": [_rec(f"({s},)", repr(g)) for s, g in [(95, "A"), (90, "A"), (80, "B"), (75, "B"), (60, "C"),
                                                          (50, "C"), (10, "F"), (0, "F"), (89, "B"), (74, "C"),
                                                          (49, "F")]],
    }
    trace = {"functions": [{"module": "m", "qualname": name, "kind": "function", "lineno": None, "calls": len(r),
                            "skipped": {}, "records": r} for name, r in fns.items()]}
    target = Target("proj", "1", None, "u", None, "MIT", root, [root], ["m"], "3.11")
    built = build_candidates(trace, target)
    assert not built.drops
    machine = MachineState.here(root, suite_env={name: "" for name in SUITE_VARIABLES})
    machine.add(home)
    # a lower bar than the default: these tests are about shortcuts and environments, not mutants
    settings = ValidationSettings(workers=2, max_mutants=15, generate=15, max_generated=5, min_kill_rate=0.5)
    return {o.candidate.entry_point: o for o in validate(built.candidates, settings, machine=machine)}


def test_machine_state_is_not_a_test_value(judged):
    o = judged["identity"]
    assert not o.kept and o.reason == "machine state in tests", (o.reason, o.detail)
    assert "miner-on-build-host-7" in o.detail or "SFTSET_TRACE_OUT" in o.detail


def test_machine_state_markers():
    state = MachineState(strings={"/srv/work/ci_work", "buildhost42", "6.8.0-1015-aws"}, now=1_764_500_000)
    assert state.found("('/srv/work/ci_work/venv/lib',)") == "/srv/work/ci_work"
    assert state.found("'Linux-6.8.0-1015-aws-x86_64'") == "6.8.0-1015-aws"
    assert state.found("'buildhost42'") == "buildhost42" and state.found("'buildhost421'") is None
    assert state.found("(1764499000,)").startswith("time stamp") and state.found("(1500000000,)") is None
    assert state.found("datetime.date(2025, 11, 30)") is not None or state.found("(1764500000123,)")
    assert machine_state_in({"args": "(1, 2)", "expected": "3"}, state) is None


def test_outcomes_that_change_on_another_machine_are_dropped(judged):
    o = judged["first_dir"]
    assert not o.kept and o.reason == "depends on the machine's environment", (o.reason, o.detail)
    # the prologue goes after `from __future__` imports, which must stay first
    program = elsewhere('"""Doc."""\nfrom __future__ import annotations\nimport os\n')
    assert program.startswith('"""Doc."""\nfrom __future__ import annotations\nimport os as _sftset_os')
    compile(program, "<p>", "exec")


def test_a_shortcut_that_passes_is_named(judged):
    o = judged["repair"]
    assert not o.kept and o.reason == "a shortcut passes the tests", (o.reason, o.detail)
    assert o.detail == "return the argument version unchanged"


def test_boundary_inputs_fail_the_shortcut(judged):
    o = judged["is_sorted"]
    assert o.kept, (o.reason, o.detail)
    assert any(t.get("expected") == "False" for t in o.problem.tests)  # `return True` fails now


def test_dominated_tests_are_rebalanced_or_dropped(judged):
    o = judged["short_label"]
    if o.kept:
        expected = [t.get("expected") for t in o.problem.tests]
        assert max(expected.count(v) for v in set(expected)) <= 0.75 * len(expected)
    else:
        assert o.reason in ("degenerate tests", "weak tests"), (o.reason, o.detail)


def test_strong_problem_is_kept_with_the_default_minimum(judged):
    o = judged["grade"]
    assert ValidationSettings().min_kill_rate == 0.8
    assert o.kept and o.problem.meta["kill_rate"] >= 0.8
    assert o.problem.meta["shortcuts_failed"] > 10


def test_one_function_never_sinks_the_others(judged, tmp_path, monkeypatch):
    # humanize 4.17.0 died whole on `OverflowError: days=1999999998` from a generated timedelta
    assert judged["later"].kept or judged["later"].reason != "internal error" or "Overflow" in judged["later"].detail
    real = validate_module.generate_calls

    def overflowing(tests, count):
        if any("999999990" in t["args"] for t in tests):
            raise OverflowError("days=1999999998; must have magnitude <= 999999999")
        return real(tests, count)

    monkeypatch.setattr(validate_module, "generate_calls", overflowing)
    root = tmp_path / "p"
    root.mkdir()
    (root / "m.py").write_text(textwrap.dedent(MODULE))
    fns = {"later": [_rec("(1,)", "datetime.timedelta(days=8)"), _rec("(2,)", "datetime.timedelta(days=9)"),
                     _rec("(999999990,)", "datetime.timedelta(days=999999997)")],
           "grade": [_rec(f"({s},)", repr(g)) for s, g in [(95, "A"), (90, "A"), (80, "B"), (75, "B"), (60, "C"),
                                                             (50, "C"), (10, "F"), (0, "F")]]}
    trace = {"functions": [{"module": "m", "qualname": n, "kind": "function", "lineno": None, "calls": len(r),
                            "skipped": {}, "records": r} for n, r in fns.items()]}
    built = build_candidates(trace, Target("proj", "1", None, "u", None, "MIT", root, [root], ["m"], "3.11"))
    out = {o.candidate.entry_point: o for o in validate(built.candidates, ValidationSettings(workers=2, max_mutants=10))}
    assert not out["later"].kept and out["later"].reason == "internal error"
    assert "OverflowError" in out["later"].detail
    assert out["grade"].kept


# ---- worth a problem --------------------------------------------------------------------------------
CONTEXT = '''import re

_HEX = {"red": "#ff0000", "lime": "#00ff00"}
_WORD = re.compile(r"\\w+")


def rgb_to_hex(rgb):
    """The hex code of an (r, g, b) triplet."""
    return "#%02x%02x%02x" % rgb


def hex_to_name(value, spec="css3"):
    """The name of a colour given as a hex code."""
    return {v: k for k, v in _HEX.items()}[value]
'''


@pytest.mark.parametrize("header, body, rule", [
    ("def identity(x):\n    \"\"\"x.\"\"\"\n", "    return x\n", "trivial body: identity"),
    ("def zero(x):\n    \"\"\"0.\"\"\"\n", "    return 0\n", "trivial body: constant"),
    ("def rgb_to_name(rgb, spec='css3'):\n    \"\"\"The name of an (r, g, b) colour.\"\"\"\n",
     "    return hex_to_name(rgb_to_hex(rgb), spec=spec)\n", "trivial body: delegation to a function in the prompt"),
    ("def name_to_hex(name):\n    \"\"\"The hex code of a colour name.\"\"\"\n", "    return _HEX[name.lower()]\n",
     "trivial body: lookup in a table in the prompt"),
    ("def words(text):\n    \"\"\"The words of a text.\"\"\"\n", "    return _WORD.findall(text)\n",
     "trivial body: lookup in a table in the prompt"),
    ("def first(seq):\n    \"\"\"The first element.\"\"\"\n", "    return next(iter(seq))\n",
     "trivial body: one call on the arguments"),
    ("def isdistinct(seq):\n    \"\"\"All different?\"\"\"\n", "    return len(seq) == len(set(seq))\n", None),
    # packaging: the regex is in the prompt; the validator is the prompt's predicate plus a raise
    ("def is_normalized(name):\n    \"\"\"Normalized?\"\"\"\n", "    return _WORD.fullmatch(name) is not None\n",
     "trivial body: lookup in a table in the prompt"),
    ("def validate(rgb):\n    \"\"\"A hex code, checked.\"\"\"\n",
     "    if not rgb_to_hex(rgb):\n        raise ValueError(rgb)\n    return str(rgb)\n",
     "trivial body: delegation to a function in the prompt"),
    ("def checked(x):\n    \"\"\"x, if positive.\"\"\"\n", "    if x <= 0:\n        raise ValueError(x)\n    return x\n", None),
    ("def last(seq):\n    \"\"\"The last element.\"\"\"\n", "    return seq[-1]\n", None),
    ("def grade(score):\n    \"\"\"A letter.\"\"\"\n", "    if score >= 90:\n        return 'A'\n    return 'F'\n", None),
    ("def total(xs):\n    \"\"\"Sum of squares.\"\"\"\n", "    return sum(x * x for x in xs)\n", None),
])
def test_trivial_bodies_are_named(header, body, rule):
    program = CONTEXT + "\n\n" + header + body
    entry = header.split("(")[0][4:]
    assert trivial_rule(program, entry, CONTEXT) == rule


def test_docstring_copied_from_the_helper_and_long_prompts():
    header = 'def to_hex(rgb):\n    """The hex code of an (r, g, b) triplet."""\n'
    body = "    r, g, b = rgb\n    return rgb_to_hex((r % 256, g % 256, b % 256))\n"
    why = worth_drop(CONTEXT + "\n\n" + header + body, "to_hex", CONTEXT)
    assert why == ("docstring copied from a helper", "the docstring is rgb_to_hex's")
    own = 'def to_hex(rgb):\n    """The hex code of a triplet whose parts wrap around 256."""\n'
    assert worth_drop(CONTEXT + "\n\n" + own + body, "to_hex", CONTEXT) is None
    big = CONTEXT + "".join(f"C{i} = {i}\n" for i in range(200))
    reason, detail = worth_drop(big + "\n\n" + own + body, "to_hex", big)
    assert reason == "prompt too long" and "limits 120 lines" in detail
    assert worth_drop(big + "\n\n" + own + body, "to_hex", big, WorthSettings(max_prompt_lines=500,
                                                                              max_prompt_chars=10**6)) is None


def test_screen_drops_with_the_rule_named(tmp_path):
    root = tmp_path / "p"
    root.mkdir()
    (root / "m.py").write_text(textwrap.dedent(MODULE))
    (root / "gen.py").write_text("# Code generated by a tool. DO NOT EDIT.\n\ndef twice(x):\n    \"\"\"2x.\"\"\"\n"
                                 "    y = x\n    return y + x\n")
    recs = [_rec("(1,)", "2"), _rec("(2,)", "4"), _rec("(3,)", "6")]
    trace = {"functions": [{"module": m, "qualname": q, "kind": "function", "lineno": None, "calls": 3, "skipped": {},
                            "records": recs} for m, q in [("m", "identity"), ("gen", "twice"), ("m", "grade")]]}
    built = build_candidates(trace, Target("proj", "1", None, "u", None, "MIT", root, [root], ["m", "gen"], "3.11"))
    report = TargetReport(target="t")
    kept = screen(built.candidates, WorthSettings(), root, report)
    assert [c.entry_point for c in kept] == ["grade"]
    assert report.drops == {"trivial body: identity": 1, "generated file": 1}


def test_shortcut_samples_are_recognised():
    prompt = 'def repair(version):\n    """Drop a trailing +."""\n'
    assert shortcut_of(prompt, "repair", "    return version\n") == "return the argument version unchanged"
    assert shortcut_of(prompt, "repair", "    return None\n") == "return None"
    assert shortcut_of(prompt, "repair", "    return len(version)\n") == "return len(version)"
    assert shortcut_of(prompt, "repair", "    return version.rstrip('+')\n") is None


def test_a_passing_shortcut_is_not_an_extra_solution(run_cli, workdir):
    # weak tests (from before issue 13): `return version` passes every one of them
    import json

    from sftset.store import StateStore

    row = {"task_id": "ci/pkg/m.repair", "source": "ci", "kind": "function", "entry_point": "repair",
           "prompt": 'def repair(version):\n    """Drop a trailing \'+\' from a version string."""\n',
           "canonical_solution": "    if version.endswith('+'):\n        return version[:-1]\n    return version\n",
           "tests": [{"args": "('1.0',)", "expected": "'1.0'"}, {"args": "('2.1',)", "expected": "'2.1'"}],
           "provenance": {"license": "MIT"}}
    real = "    return version[:-1] if version[-1:] == '+' else version\n"
    samples = [{"task_id": row["task_id"], "completion": c} for c in ("    return version\n", real, "    return 1\n")]
    (workdir / "problems.jsonl").write_text(json.dumps(row) + "\n")
    (workdir / "samples.jsonl").write_text("".join(json.dumps(s) + "\n" for s in samples))
    assert run_cli("import", "problems.jsonl").rc == 0
    res = run_cli("filter", "--samples", "samples.jsonl", "--workers", "1", "--keep-solutions", "3")
    assert res.rc == 0, res.err
    with StateStore(workdir / "curated" / "state.sqlite") as store:
        (p,) = list(store.problems())
    assert p.filter["passed"] == 2  # the shortcut passed the weak tests ...
    assert p.meta["extra_solutions"] == [real]  # ... but is not kept as a solution


def test_generated_timedeltas_near_the_limits():
    # humanize 4.17.0: recorded timedeltas 999999999 days apart overflowed while widening their range
    from sftset.ci_mining.generate import generate_calls

    calls = generate_calls([{"args": "(datetime.timedelta(days=999999999),)"},
                            {"args": "(datetime.timedelta(days=-999999999),)"}, {"args": "(datetime.timedelta(days=1),)"}], 5)
    assert len(calls) == 5 and all(c[0].startswith("(datetime.timedelta(") for c in calls)


def test_sets_of_strings_are_not_test_inputs():
    # more_itertools.unique_to_each({'A', 'B'}, ...) -> [['B', 'A'], ...]: the order follows the hash seed
    from sftset.ci_mining.environment import hash_order_dependent

    assert hash_order_dependent({"args": "({'A', 'B'}, [3, 4])"})
    assert hash_order_dependent({"args": "([frozenset({('a', 1), ('b', 2)})],)"})
    assert not hash_order_dependent({"args": "({1, 2, 3}, 'ab')"})  # ints hash the same under any seed
    assert not hash_order_dependent({"args": "({'A'}, ['B', 'A'])"})  # one element: one order
    assert not hash_order_dependent({"args": "()", "kwargs": "{'a': 'x', 'b': 'y'}"})  # dicts keep insertion order
