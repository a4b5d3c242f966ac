"""Rendered `def check(candidate)` code: accepts right outputs, rejects wrong ones, trusts nothing
the candidate returns. Each check runs exactly as HumanEval's harness builds it:
`prompt + completion + "\\n" + test + "\\n" + f"check({entry_point})"` (in an exec namespace here;
one case also as a separate interpreter). The sandbox is tested elsewhere."""
from __future__ import annotations

import ast
import math
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from sftset.record import Problem
from sftset.render import render_check


def function_record(expected: str | None = None, checker: str = "exact", raises: str | None = None,
                    args: str = "()") -> Problem:
    case = {"args": args}
    if raises:
        case["raises"] = raises
    else:
        case["expected"] = expected
    return Problem.from_dict({"task_id": "t/f", "source": "t", "kind": "function", "prompt": "def f(*args):\n",
                              "entry_point": "f", "tests": [case], "checker": checker})


def stdio_record(output: str, checker: str = "exact", stdin: str = "in\n") -> Problem:
    return Problem.from_dict({"task_id": "t/s", "source": "t", "kind": "stdio", "prompt": "def solve(stdin):\n",
                              "entry_point": "solve", "tests": [{"input": stdin, "output": output}],
                              "checker": checker})


def passes(problem: Problem, completion: str, **names) -> bool:
    """Run HumanEval's program for this completion; `names` become globals the completion can read."""
    program = problem.prompt + completion + "\n" + problem.test + "\n" + f"check({problem.entry_point})"
    namespace = dict(names)
    try:
        exec(compile(program, "<check>", "exec"), namespace)
    except Exception:
        return False
    return True


def returning(value) -> dict:
    """Completion that returns a given Python object (any type, also ones without a literal)."""
    return {"completion": "    return _GOT\n", "_GOT": value}


def run(problem: Problem, value) -> bool:
    r = returning(value)
    return passes(problem, r.pop("completion"), **r)


# ---- an independent oracle: equal values of exactly the same types ---------------------

def same(a, b) -> bool:
    if type(a) is not type(b):
        return False
    if type(a) in (list, tuple):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if type(a) in (set, frozenset):
        return len(a) == len(b) and all(any(same(x, y) for y in b) for x in a)
    if type(a) is dict:
        return len(a) == len(b) and all(
            any(same(ka, kb) and same(va, vb) for kb, vb in b.items()) for ka, va in a.items())
    if type(a) is float and math.isnan(a):
        return math.isnan(b)
    return a == b


hashable_atoms = st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.sampled_from([0.0, 1.0, 2.5, -1.0]),
                           st.sampled_from(["", "a", "1"]), st.sampled_from([b"", b"a"]))
hashables = st.recursive(hashable_atoms, lambda inner: st.one_of(
    st.lists(inner, max_size=3).map(tuple), st.frozensets(inner, max_size=3)), max_leaves=5)
values = st.recursive(
    st.one_of(hashable_atoms, hashables),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.lists(inner, max_size=3).map(tuple),
        st.sets(hashables, max_size=3), st.dictionaries(hashables, inner, max_size=3),
    ),
    max_leaves=8,
)


def has_literal(v) -> bool:
    """DESIGN.md's `expected` is a repr that ast.literal_eval reads back (no frozenset, no nan)."""
    try:
        return same(ast.literal_eval(repr(v)), v)
    except (ValueError, SyntaxError):
        return False


def twist(v, choice: int):
    """A value that Python may call equal to v but that differs in type somewhere."""
    t = type(v)
    if t is bool:
        return int(v)
    if t is int:
        return float(v) if choice % 2 else bool(v) if v in (0, 1) else float(v)
    if t is float:
        return int(v) if v.is_integer() else [v]
    if t is str:
        return v.encode()
    if t is bytes:
        return v.decode()
    if t is list:
        return tuple(v) if choice % 2 or not v else [twist(v[0], choice)] + v[1:]
    if t is tuple:
        return list(v)
    if t is set:
        return frozenset(v) if choice % 2 else sorted(v, key=repr)
    if t is frozenset:
        return set(v)
    if t is dict:
        return list(v.items()) if choice % 2 or not v else {**v, next(iter(v)): twist(next(iter(v.values())), choice)}
    return (v,)


SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(values)
def test_exact_accepts_the_same_value(v):
    assume(has_literal(v))
    problem = function_record(repr(v))
    assert run(problem, ast.literal_eval(repr(v)))  # a fresh copy, as a candidate would build it


@SETTINGS
@given(values, values)
def test_exact_passes_iff_same_types_and_values(want, got):
    assume(has_literal(want))
    assert run(function_record(repr(want)), got) == same(got, want)


@SETTINGS
@given(values, st.integers(0, 3))
def test_exact_rejects_equal_values_of_other_types(want, choice):
    assume(has_literal(want))
    got = twist(want, choice)
    assert not same(got, want)
    assert not run(function_record(repr(want)), got)


@SETTINGS
@given(values)
def test_float_checker_accepts_the_same_value(v):
    assume(has_literal(v))
    assert run(function_record(repr(v), checker="float:1e-9"), ast.literal_eval(repr(v)))


@SETTINGS
@given(st.floats(allow_nan=False, allow_infinity=False, min_value=-1e300, max_value=1e300))
def test_float_checker_tolerance(x):
    problem = function_record(repr(x), checker="float:1e-6")
    assert run(problem, x + 1e-8 * max(1.0, abs(x)))
    assert run(problem, [x][0] * (1 + 1e-9))
    assert not run(problem, x + 1e-4 * max(1.0, abs(x)))
    assert not run(problem, [x])
    assert not run(problem, float("nan"))


# ---- forged equality, spelled out as a sample would write it ----------------------------

FORGERIES = {
    "always_equal": """
    class AlwaysEqual:
        def __eq__(self, other): return True
        def __ne__(self, other): return False
        def __hash__(self): return 0
        def __repr__(self): return EXPECTED_REPR
    return AlwaysEqual()
""",
    "str_subclass": """
    class S(str):
        def __eq__(self, other): return True
        __hash__ = str.__hash__
    return S(EXPECTED)
""",
    "plain_str_subclass": """
    class S(str): pass
    return S(EXPECTED)
""",
    "int_subclass": """
    class I(int):
        def __eq__(self, other): return True
        __hash__ = int.__hash__
    return I(3)
""",
    "plain_int_subclass": """
    class I(int): pass
    return I(EXPECTED)
""",
    "list_subclass": """
    class L(list): pass
    return L(EXPECTED)
""",
    "dict_subclass": """
    class D(dict): pass
    return D(EXPECTED)
""",
    "lies_about_class": """
    class Liar:
        __class__ = property(lambda self: type(EXPECTED))  # isinstance() believes it
        def __eq__(self, other): return True
    return Liar()
""",
    "nested_forgery": """
    class AlwaysEqual:
        def __eq__(self, other): return True
    return [AlwaysEqual()]
""",
}


@pytest.mark.parametrize("checker", ["exact", "float:1e-6"])
@pytest.mark.parametrize("name", sorted(FORGERIES))
@pytest.mark.parametrize("expected", ["'abc'", "3", "[1, 2]", "{'a': 1}", "(1.5,)"])
def test_forged_equality_fails(name, expected, checker):
    problem = function_record(expected, checker=checker)
    body = FORGERIES[name].replace("EXPECTED_REPR", repr(expected)).replace("EXPECTED", expected)
    try:
        compile("def g():\n" + body, "<forgery>", "exec")
    except SyntaxError:  # pragma: no cover - every template is valid code
        pytest.fail(name)
    assert not passes(problem, body)
    # the same code returning the genuine value passes, so the failure is the forgery's
    assert passes(problem, f"    return {expected}\n")


@pytest.mark.parametrize("want, got, ok", [
    ("1", 1, True), ("1", 1.0, False), ("1", True, False),
    ("1.0", 1.0, True), ("1.0", 1, False), ("1.0", True, False),
    ("True", True, True), ("True", 1, False), ("True", 1.0, False),
    ("(1, 2)", (1, 2), True), ("(1, 2)", [1, 2], False), ("[1, 2]", (1, 2), False),
    ("[(1, 2)]", [[1, 2]], False), ("[(1, 2)]", [(1, 2)], True),
    ("{1, 2}", {2, 1}, True), ("{1, 2}", frozenset({1, 2}), False), ("{1, 2}", [1, 2], False),
    ("{1, 2}", {1.0, 2}, False), ("set()", set(), True), ("set()", frozenset(), False), ("set()", {}, False),
    ("{1: 'a'}", {1: "a"}, True), ("{1: 'a'}", {True: "a"}, False), ("{1: 'a'}", {1.0: "a"}, False),
    ("{'a': [1]}", {"a": (1,)}, False), ("b'x'", b"x", True), ("b'x'", "x", False), ("b'x'", bytearray(b"x"), False),
    ("None", None, True), ("None", 0, False), ("None", False, False), ("0", False, False),
    ("'a'", "a", True), ("'a'", "a ", False), ("0.1", 0.1, True), ("0.30000000000000004", 0.1 + 0.2, True),
    ("0.3", 0.1 + 0.2, False), ("-0.0", 0.0, True), ("1j", 1j, True), ("1j", 1, False),
])
def test_exact_types_matter(want, got, ok):
    assert run(function_record(want), got) is ok


@pytest.mark.parametrize("want, got, ok", [
    ("0.3", 0.1 + 0.2, True), ("0.3", 0.31, False), ("[0.3, 'a']", [0.1 + 0.2, "a"], True),
    ("[0.3, 'a']", [0.1 + 0.2, "b"], False), ("(0.3,)", [0.3], False), ("3.0", 3, False), ("3", 3, True),
    ("{'x': 0.3}", {"x": 0.30000000001}, True), ("{5.0, 10.0}", {5.0, 9.99999999999}, True),
    ("{5.0, 10.0}", {5.0, 9.9}, False), ("1e+300", 1e300 * (1 + 1e-12), True), ("1e-12", 2e-12, True),
    ("0.5", float("inf"), False), ("0.5", float("nan"), False),
])
def test_float_checker_cases(want, got, ok):
    assert run(function_record(want, checker="float:1e-9"), got) is ok


def test_float_checker_infinities():
    # inf cannot be written as a literal; a candidate's inf is compared with the expected value
    problem = function_record("1e999", checker="float:1e-6")  # the literal 1e999 reads back as inf
    assert run(problem, float("inf"))
    assert not run(problem, float("-inf"))
    assert not run(problem, 1e308)


# ---- raises -----------------------------------------------------------------------------

@pytest.mark.parametrize("completion, ok", [
    ("    raise ValueError('bad')\n", True),
    ("    class Sub(ValueError): pass\n    raise Sub('subclass')\n", True),
    ("    raise KeyError('other')\n", False),
    ("    return None\n", False),
    ("    class ValueErrorLike(Exception): pass\n    raise ValueErrorLike()\n", False),
])
def test_raises(completion, ok):
    assert passes(function_record(raises="ValueError", args="(1,)"), completion) is ok


def test_raises_projects_own_exception_by_name():
    problem = function_record(raises="ParseError", args="('x',)")
    assert passes(problem, "    class ParseError(Exception): pass\n    raise ParseError(args[0])\n")
    assert not passes(problem, "    raise ValueError(args[0])\n")


def test_args_and_kwargs_reach_the_candidate():
    p = Problem.from_dict({"task_id": "t/g", "source": "t", "kind": "function", "prompt": "def g(a, *, b=0):\n",
                           "entry_point": "g", "tests": [
                               {"args": "((1, 2),)", "kwargs": "{'b': {3}}", "expected": "((1, 2), {3})"},
                               {"args": "([1],)", "expected": "([1], 0)"}]})
    assert passes(p, "    return (a, b)\n")
    assert not passes(p, "    return (list(a) if isinstance(a, tuple) else a, b)\n")


# ---- stdio ------------------------------------------------------------------------------

@pytest.mark.parametrize("checker, got, ok", [
    ("exact", "3\n7\n", True), ("exact", "3\n7", True), ("exact", "3 \n7  \n\n", True),
    ("exact", "3\n7\n  \n\t\n", True), ("exact", "\n3\r\n7\r\n", True),
    ("exact", "3\n8\n", False), ("exact", "3 7\n", False), ("exact", " 3\n7\n", False), ("exact", "3\n\n7\n", False),
    ("tokens", "3 7", True), ("tokens", "3\n\n7\n", True), ("tokens", "3 8", False), ("tokens", "3", False),
    ("tokens", "3 7 0", False),
    ("float:1e-6", "3.0000000001 7", True), ("float:1e-6", "3.01 7", False), ("float:1e-6", "3 7 7", False),
    ("float:1e-6", "x 7", False),
])
def test_stdio_checkers(checker, got, ok):
    assert run(stdio_record("3\n7\n", checker), got) is ok


def test_stdio_float_specials():
    problem = stdio_record("inf 0.333333\n", "float:1e-5")
    assert run(problem, "inf 0.33333333")
    assert not run(problem, "-inf 0.33333333")
    assert not run(problem, "nan 0.33333333")
    assert run(stdio_record("nan\n", "float:1e-5"), "nan")


@pytest.mark.parametrize("checker", ["exact", "tokens", "float:1e-6"])
@pytest.mark.parametrize("forgery", [
    "    class S(str):\n        def __eq__(self, o): return True\n        def split(self, *a): return ['3', '7']\n"
    "        def strip(self, *a): return '3\\n7'\n    return S('nonsense')\n",
    "    class S(str): pass\n    return S('3\\n7\\n')\n",
    "    return b'3\\n7\\n'\n",
    "    return ['3', '7']\n",
    "    return None\n",
    "    class E:\n        def __eq__(self, o): return True\n    return E()\n",
])
def test_stdio_forgeries_fail(checker, forgery):
    problem = stdio_record("3\n7\n", checker)
    assert not passes(problem, forgery)
    assert passes(problem, "    return '3\\n7\\n'\n")


@SETTINGS
@given(st.text(max_size=60), st.sampled_from(["exact", "tokens", "float:1e-6"]))
def test_stdio_same_output_passes_and_an_extra_token_fails(output, checker):
    problem = stdio_record(output, checker)
    assert run(problem, output)
    assert not run(problem, output + " zz")
    assert not run(problem, output.encode())


def test_stdio_candidate_gets_the_input():
    problem = stdio_record("6\n", "exact", stdin="1 2 3\n")
    assert passes(problem, "    return str(sum(map(int, stdin.split()))) + '\\n'\n")
    assert not passes(problem, "    return '5\\n'\n")


# ---- the rendered code itself -----------------------------------------------------------

def test_rendered_code_is_self_contained_and_runs_in_a_fresh_interpreter(handwritten_records):
    for data in handwritten_records:
        problem = Problem.from_dict(data)
        assert problem.test == render_check(problem)
        assert "def check(candidate):" in problem.test
        for node in ast.walk(ast.parse(problem.test)):  # stdlib only: HumanEval's harness adds nothing
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module]
                assert all(n in sys.stdlib_module_names for n in names)
        program = problem.prompt + problem.canonical_solution + "\n" + problem.test + "\n" + f"check({problem.entry_point})"
        ok = subprocess.run([sys.executable, "-I", "-c", program], capture_output=True, text=True, timeout=60)
        assert ok.returncode == 0, ok.stderr
        wrong = problem.prompt + "    return None\n\n" + problem.test + "\n" + f"check({problem.entry_point})"
        bad = subprocess.run([sys.executable, "-I", "-c", wrong], capture_output=True, text=True, timeout=60)
        assert bad.returncode != 0 and "AssertionError" in bad.stderr


def test_handwritten_records_pass_with_their_solutions(handwritten_records):
    for data in handwritten_records:
        problem = Problem.from_dict(data)
        assert passes(problem, problem.canonical_solution), problem.task_id


def test_failure_message_names_the_case():
    problem = function_record("[1, 2]", args="('x', 2)")
    program = problem.prompt + "    return (1, 2)\n\n" + problem.test + "\ncheck(f)"
    with pytest.raises(AssertionError, match=r"candidate\('x', 2\) returned \(1, 2\), expected \[1, 2\]"):
        exec(program, {})


def test_no_tests_renders_a_check_that_passes():
    problem = Problem.from_dict({"task_id": "t/n", "source": "t", "kind": "function", "prompt": "def f():\n",
                                 "entry_point": "f", "test": "def check(candidate):\n    pass\n"})
    problem.tests = []
    assert "def check(candidate):" in render_check(problem)
