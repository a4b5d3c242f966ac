"""Render a record's structured `tests` into HumanEval's `def check(candidate): ...` form.

The rendered code must run unchanged in HumanEval's harness
(`prompt + completion + "\\n" + test + "\\n" + f"check({entry_point})"`), so it is
plain Python with no imports beyond the standard library; test values are read with
the reader of values.py, embedded (literals, dates, Decimal, Fraction; never eval). Values of
named types (`Color.RED`, `Point(x=1, y=2)`, `operator.add`) resolve in the check's own
namespace, which is the program's in HumanEval's harness; they compare by path and arguments.

It does not trust what the candidate returns: results are reduced to a canonical tree
of exact builtin types (`type(x) is int`, never `isinstance`) before comparing, so an
object whose `__eq__` always says True, a subclass of the expected type, or another
type that compares equal (`1 == 1.0 == True`) fails an `exact` check, and tuples stay
tuples, sets stay sets. Our executor goes further (see sftset.sandbox): it runs the
check outside the sample's process, so the sample cannot patch these helpers either.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from .methods import CHECK_HELPER, checks_state, combined_args, method_of
from .values import READER

if TYPE_CHECKING:  # pragma: no cover
    from .record import Problem

# Helpers shared by every rendered check. Names carry a prefix so that they never
# clash with a solution's own names.
HELPERS = READER + r'''

def _sftset_canon(x, depth=0):
    """Reduce x to a tree of (type name, value) pairs over exact builtin types."""
    if depth > 100:
        raise AssertionError("result nested too deeply")
    t = type(x)
    if x is None or t is bool or t is int or t is str or t is bytes or t is complex:
        return (t.__name__, x)
    if t in _SFTSET_VALUE_TYPES:  # dates, Decimal, Fraction: exact type, then repr
        tz = getattr(x, "tzinfo", None)
        if tz is not None and type(tz) is not _sftset_datetime.timezone:
            raise AssertionError("result has an unsupported tzinfo " + type(tz).__qualname__)
        return (t.__name__, repr(x))
    if t is float:
        return ("float", "nan" if x != x else x)
    if t is list or t is tuple:
        return (t.__name__, tuple(_sftset_canon(e, depth + 1) for e in x))
    if t is set or t is frozenset:
        items = [_sftset_canon(e, depth + 1) for e in x]
        return (t.__name__, tuple(sorted(items, key=_sftset_order)))
    if t is dict:
        items = [(_sftset_canon(k, depth + 1), _sftset_canon(v, depth + 1)) for k, v in x.items()]
        return ("dict", tuple(sorted(items, key=lambda kv: _sftset_order(kv[0]))))
    parts = _sftset_describe(x)  # enum members, namedtuples, dataclasses, simple objects, named callables
    if parts is not None:
        if parts[1] is None:
            return ("named", parts[0])
        return ("object", parts[0], tuple(_sftset_canon(a, depth + 1) for a in parts[1]),
                tuple(sorted((k, _sftset_canon(v, depth + 1)) for k, v in parts[2])))
    raise AssertionError("result of unsupported type " + t.__qualname__)


def _sftset_order(c):
    # Numbers sort by value so that, under float:<tol>, nearly equal members of two
    # sets line up; everything else by repr. Set members and dict keys are distinct,
    # so ties cannot depend on iteration order.
    if c[0] in ("int", "float", "bool") and c[1] != "nan":
        return (0, c[1], "")
    return (1, 0, repr(c))


def _sftset_close(a, b, tol):
    """Compare two canonical trees, floats within tol (absolute or relative)."""
    if a[0] != b[0]:
        return False
    if a[0] == "float":
        if a[1] == b[1]:  # also nan == nan and inf == inf
            return True
        if "nan" in (a[1], b[1]) or float("inf") in (abs(a[1]), abs(b[1])):
            return False
        return abs(a[1] - b[1]) <= tol * max(1.0, abs(b[1]))
    if a[0] == "object":
        return a[1] == b[1] and len(a[2]) == len(b[2]) and len(a[3]) == len(b[3]) and all(
            _sftset_close(x, y, tol) for x, y in zip(a[2], b[2])) and all(
            x[0] == y[0] and _sftset_close(x[1], y[1], tol) for x, y in zip(a[3], b[3]))
    if a[0] in ("list", "tuple", "set", "frozenset", "dict"):
        if len(a[1]) != len(b[1]):
            return False
        for x, y in zip(a[1], b[1]):
            if a[0] == "dict":
                if not (_sftset_close(x[0], y[0], tol) and _sftset_close(x[1], y[1], tol)):
                    return False
            elif not _sftset_close(x, y, tol):
                return False
        return True
    return a == b


def _sftset_same(got, want, checker):
    g, w = _sftset_canon(got), _sftset_canon(want)
    if checker.startswith("float:"):
        return _sftset_close(g, w, float(checker[6:]))
    return g == w


def _sftset_arg_names(candidate):
    # Arguments are built where the candidate runs: here in HumanEval's harness; in the sample's process
    # when the candidate is a trusted checker's proxy, which sends them there as their value texts.
    return None if getattr(type(candidate), "_sftset_remote", False) else globals()


def _sftset_call(candidate, args, kwargs, expected, checker):
    names = _sftset_arg_names(candidate)
    a, k, want = _sftset_read(args, names), _sftset_read(kwargs, names), _sftset_read(expected, globals())
    got = candidate(*a, **k)
    assert _sftset_same(got, want, checker), "candidate" + args + " returned " + repr(got)[:200] + ", expected " + expected[:200]


def _sftset_raises(candidate, args, kwargs, name):
    names = _sftset_arg_names(candidate)
    a, k = _sftset_read(args, names), _sftset_read(kwargs, names)
    try:
        candidate(*a, **k)
    except Exception as exc:  # compared by name (the class may be the project's own); subclasses count, as in pytest.raises
        assert name in [c.__name__ for c in type(exc).__mro__], "candidate" + args + " raised " + type(exc).__name__ + ", expected " + name
    else:
        raise AssertionError("candidate" + args + " did not raise " + name)
'''

STDIO_HELPERS = r'''
def _sftset_out_same(got, want, checker):
    if type(got) is not str:
        raise AssertionError("output must be a str, got " + type(got).__qualname__)
    if checker == "exact":
        norm = lambda s: "\n".join(line.rstrip() for line in s.split("\n")).strip("\n")
        return norm(got) == norm(want)
    g, w = got.split(), want.split()
    if checker == "tokens":
        return g == w
    tol = float(checker[6:])
    if len(g) != len(w):
        return False
    for x, y in zip(g, w):
        if x == y:
            continue
        try:
            fx, fy = float(x), float(y)
        except ValueError:
            return False
        if fx == fy:
            continue
        if float("inf") in (abs(fx), abs(fy)) or not abs(fx - fy) <= tol * max(1.0, abs(fy)):
            return False
    return True


def _sftset_stdio(candidate, stdin, stdout, checker):
    got = candidate(stdin)
    assert _sftset_out_same(got, stdout, checker), "wrong output for input " + repr(stdin[:100]) + ": " + repr(got)[:200]
'''


# The real definitions of helpers a prompt shows as stubs (ci_mining/stubs.py) sit between these
# lines in `test`, ahead of `check`: in HumanEval's harness (one module) they rebind the stubs; an
# executor that runs the check in another process appends them to the program (hidden_part).
HIDDEN_BEGIN = "# sftset: helpers the prompt shows as stubs, in full"
HIDDEN_END = "# sftset: end of helpers"


def hidden_part(test: str) -> str:
    """The hidden helper definitions a rendered `test` holds, or ""."""
    start = test.find(HIDDEN_BEGIN + "\n")
    end = test.find("\n" + HIDDEN_END, start)
    if start < 0 or end < 0:
        return ""
    return test[start + len(HIDDEN_BEGIN) + 1:end + 1]


def render_check(problem: "Problem") -> str:
    """Return the `test` code for a record with structured tests."""
    checker = problem.checker
    lines: list[str] = []
    if problem.kind == "function":
        method = method_of(problem.tests)
        lines.append(HELPERS.strip("\n") + (CHECK_HELPER.rstrip("\n") if method else ""))
        hidden = problem.meta.get("hidden_context")
        if isinstance(hidden, str) and hidden.strip():  # helpers the prompt shows as stubs: the real ones
            lines += ["", "", HIDDEN_BEGIN, hidden.strip("\n"), HIDDEN_END]
        lines += ["", "", "def check(candidate):"]
        if method:  # each case: one call that builds a fresh instance, then calls the method (see sftset.methods)
            state = ", state=True" if checks_state(problem.tests) else ""  # a None result: the state it leaves
            lines.append(f"    candidate = _sftset_method_caller(candidate, {method!r}{state})")
        for case in problem.tests:
            args, kwargs = case.get("args", "()"), case.get("kwargs", "{}")
            if method:
                args = combined_args(case.get("init_args", "()"), case.get("init_kwargs", "{}"), args)
            if "raises" in case:
                lines.append(f"    _sftset_raises(candidate, {args!r}, {kwargs!r}, {case['raises']!r})")
            else:
                lines.append(f"    _sftset_call(candidate, {args!r}, {kwargs!r}, {case['expected']!r}, {checker!r})")
    else:
        lines.append(STDIO_HELPERS.strip("\n"))
        lines += ["", "", "def check(candidate):"]
        for case in problem.tests:
            lines.append(f"    _sftset_stdio(candidate, {case['input']!r}, {case['output']!r}, {checker!r})")
    if not problem.tests:
        lines.append("    pass")
    return "\n".join(lines) + "\n"
