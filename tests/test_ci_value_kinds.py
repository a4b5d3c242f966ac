"""Test values of more kinds (issue 14): bytearray, enum members (the project's and re.RegexFlag),
namedtuples, dataclasses, simple objects that rebuild from their constructor call, and callables
named by import path, end to end on tests/projects/valuekinds: traced, carried, rendered checks
that pass with the reference and fail with a wrong body, in our sandbox and in a plain interpreter
(HumanEval's harness, standard library only). Simple objects whose equality is identity are values
compared by their fields; objects that are not values are arguments by their traced constructor call
(test_ci_object_args.py); lambdas of the tests are values since test_functions.py (see
test_ci_test_functions.py)."""
from __future__ import annotations

import dataclasses
import enum
import operator
import re
import subprocess
import sys
import types
from collections import namedtuple
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from mining_support import mine_project

from sftset.ci_mining.literals import canon, parse, roundtrips
from sftset.ci_mining.tracer import Tracer
from sftset.evaluation import sample_job
from sftset.sandbox import Executor
from sftset.sandbox.wire import WireError, decode, encode
from sftset.values import ObjectValue, read_value

PROJECTS = Path(__file__).parent / "projects"
KINDS = {  # entry point -> what its recorded arguments or results must show
    "masked": "bytearray(b'", "shift_color": "Color.", "flag_letters": "re.RegexFlag", "midpoint": "Point(x=",
    "add_money": "Money(amount=", "overlap": "Interval(lo=", "fold": "operator.add", "map_words": "str.upper",
    "apply_twice": "_sftset_fn_",
    # no value equality (Box), an address in the repr (Tag): as arguments, their traced constructor call
    "unbox": "Box(", "tag_length": "Tag(",
}
# A body of the right shape that gives a wrong answer (or the right fields in the wrong type).
WRONG = {
    "masked": "    return bytearray(data)\n", "shift_color": "    return color\n",
    "flag_letters": "    return 'imsx'\n", "midpoint": "    return (a.x + b.x) // 2, (a.y + b.y) // 2\n",
    "add_money": "    return Money(a.amount, a.currency)\n", "overlap": "    return a\n",
    "fold": "    return start\n", "map_words": "    return text\n", "apply_twice": "    return func(value)\n",
    "unbox": "    return default\n", "tag_length": "    return extra\n",
    "join_words": "    return left + right\n",
}


@pytest.fixture(scope="module")
def mined(tmp_path_factory):
    """Mine tests/projects/valuekinds once (sandboxed suite, validation in the executor)."""
    work = tmp_path_factory.mktemp("mine")
    rc, report, records = mine_project(work, "valuekinds")
    return {"rc": rc, "report": report, "problems": {p.entry_point: p for p in records}}


def test_each_value_kind_is_traced_and_kept(mined):
    assert mined["rc"] == 0
    # join_words, which the suite calls only twice (through fold), is mined with generated tests (issue 14)
    assert set(mined["problems"]) == set(KINDS) | {"join_words"}
    assert mined["problems"]["join_words"].meta["recorded_tests"] == 2
    for name, marker in KINDS.items():
        texts = [t.get(k, "") for t in mined["problems"][name].tests for k in ("args", "kwargs", "expected")]
        assert any(marker in t for t in texts), name
    # the project's types and functions that values name are defined in the prompt
    assert "class Color(Enum):" in mined["problems"]["shift_color"].prompt
    assert "def join_words(" in mined["problems"]["fold"].prompt
    assert "Point = namedtuple(" in mined["problems"]["midpoint"].prompt


def test_objects_without_value_equality_are_arguments_by_their_constructor_call(mined):
    # Box's equality is identity and Tag's repr is object's while it has an __eq__: as arguments, both are
    # the constructor calls that built them (a Box result would be a simple object compared by its fields)
    assert {t["args"] for t in mined["problems"]["unbox"].tests} >= {"(Box(3), 0)", "(Box(None), 7)"}
    assert {t["args"] for t in mined["problems"]["tag_length"].tests} >= {"(Tag('ab'), 1)", "(Tag(''), 5)"}
    assert "class Box:" in mined["problems"]["unbox"].prompt


def test_rendered_checks_pass_the_reference_and_fail_wrong_bodies_in_the_sandbox(mined):
    problems = mined["problems"]
    jobs = [sample_job(p, p.canonical_solution, (name, "right")) for name, p in problems.items()]
    jobs += [sample_job(problems[name], body, (name, "wrong")) for name, body in WRONG.items()]
    with Executor(workers=2) as ex:
        verdicts = {v.key: v for v in ex.run(jobs)}
    for (name, kind), v in verdicts.items():
        assert v.passed == (kind == "right"), (name, kind, v.status, v.detail)


def test_humaneval_format_runs_in_a_plain_interpreter(mined, tmp_path):
    """prompt + completion + test + check(entry_point), run by `python -I -S` (no site-packages)."""
    for name, p in mined["problems"].items():
        for kind, completion in (("right", p.canonical_solution), ("wrong", WRONG[name])):
            program = p.prompt + completion + "\n" + p.test + "\n" + f"check({p.entry_point})\n"
            path = tmp_path / f"{name}_{kind}.py"
            path.write_text(program)
            proc = subprocess.run([sys.executable, "-I", "-S", str(path)], capture_output=True, text=True,
                                  timeout=30, cwd=tmp_path)
            assert (proc.returncode == 0) == (kind == "right"), (name, kind, proc.stderr[-500:])


# ---- the rules, one by one (no mining) -----------------------------------------------------------
class Shade(enum.Enum):
    DARK = 1


Pair = namedtuple("Pair", "a b")


@dataclasses.dataclass
class Cell:
    row: int
    col: int = 0


@dataclasses.dataclass
class Counter:  # __post_init__ changes the state: its constructor call does not rebuild it
    n: int

    def __post_init__(self):
        self.n += 1


class Same:
    def __init__(self, v):
        self.v = v


class Handle:  # equal by name, but its own repr shows an address
    def __init__(self, name):
        self.name = name

    def __eq__(self, other):
        return type(other) is Handle and other.name == self.name

    def __repr__(self):
        return f"<Handle {self.name} at {hex(id(self))}>"


# The tracer names only the project's non-test modules: these types live in a module "vkmodel".
_MODEL = types.ModuleType("vkmodel")
for _cls in (Shade, Pair, Cell, Counter, Same, Handle):
    _cls.__module__ = "vkmodel"
    setattr(_MODEL, _cls.__name__, _cls)
sys.modules["vkmodel"] = _MODEL


@pytest.mark.parametrize("value, text", [
    (bytearray(b"a\x00"), "bytearray(b'a\\x00')"), (Shade.DARK, "Shade.DARK"), (re.I | re.M, "re.RegexFlag(10)"),
    (re.I, "re.RegexFlag.IGNORECASE"), (Pair(1, [2]), "Pair(a=1, b=[2])"), (Cell(3), "Cell(row=3, col=0)"),
    (operator.add, "operator.add"), (len, "len"), (str.upper, "str.upper"), (dict.fromkeys, "dict.fromkeys"),
    ([Shade.DARK, {Pair(1, 2): operator.mul}], "[Shade.DARK, {Pair(a=1, b=2): operator.mul}]"),
    (urlsplit("http://a.b/c?d"), "urllib.parse.SplitResult(scheme='http', netloc='a.b', path='/c', query='d', "
                                 "fragment='')"),
])
def test_the_tracer_names_values_and_they_read_back(value, text):
    tracer = Tracer(["vkmodel"])
    assert tracer.value_text(value, verify=True) == text
    assert roundtrips(text)
    assert read_value(text, {"Shade": Shade, "Pair": Pair, "Cell": Cell}) == value


@pytest.mark.parametrize("value", [
    Handle("h"),  # its repr carries an address
    Counter(1),  # does not rebuild equal
    "ab".upper, [].append, Cell(1).__eq__,  # bound to an instance
    lambda x: x, print, open,  # a lambda; builtins that act on the process
    (lambda: (lambda: 0))(),  # nested
    subprocess.Popen,  # a standard-library class is named, but...
])
def test_the_tracer_refuses_what_is_not_a_value(value):
    tracer = Tracer(["vkmodel"])
    text = tracer.value_text(value, verify=True)
    if value is subprocess.Popen:  # ... it can only be passed, never called by a value text
        assert text == "subprocess.Popen"
        with pytest.raises(ValueError):
            read_value("subprocess.Popen(['true'])")
        return
    assert text is None


def test_simple_objects_whose_equality_is_identity_are_values_by_their_whole_state():
    """Compared by their fields, never by __eq__; the tracer takes one only when rebuilding it from its
    constructor call gives the same value texts for every attribute (not only the parameters)."""
    tracer = Tracer(["vkmodel"])
    assert tracer.value_text(Same(1), verify=True) == "Same(v=1)"
    assert tracer.value_text([Same({"a": (1, 2)})], verify=True) == "[Same(v={'a': (1, 2)})]"
    changed = Same(1)
    changed.extra = 2  # state its constructor call does not give back
    assert tracer.value_text(changed, verify=True) is None
    assert tracer.value_text(Same(object()), verify=True) is None  # an attribute that is not a value
    assert canon(parse("Same(v=1)")) == canon(read_value("Same(v=1)")) != canon(parse("Same(v=2)"))


def test_the_tracer_leaves_out_third_party_types():
    assert Tracer(["someotherpackage"]).value_text(Shade.DARK) is None


def test_reading_without_names_resolves_nothing_and_compares_by_path_and_fields():
    v = read_value("Point(x=1.5, y=[Color.RED])")
    assert type(v) is ObjectValue and repr(v) == "Point(x=1.5, y=[Color.RED])"
    assert canon(v) == canon(parse("Point(x=1.5, y=[Color.RED])")) != canon(parse("Point(x=1.5, y=[Color.BLUE])"))
    assert canon(parse("Point(x=1, y=2)")) != canon(parse("(1, 2)"))
    for text in ("print", "open('x')", "os.system('x')", "subprocess.Popen(['true'])", "getattr(1, 'x')",
                 "Point.__class__", "Point(**{'x': 1})", "nan", "datetime"):
        with pytest.raises((ValueError, SyntaxError, TypeError)):
            read_value(text)


def test_the_wire_carries_named_values_as_text_and_the_sample_resolves_them():
    sample = {"Shade": Shade, "Pair": Pair}
    node = encode([Shade.DARK, Pair(1, 2), operator.add])
    assert decode(node, names=sample) == [Shade.DARK, Pair(1, 2), operator.add]
    trusted = decode(node)  # our side: nothing of the sample's resolved
    assert all(type(v) is ObjectValue for v in trusted) and repr(trusted) == "[Shade.DARK, Pair(a=1, b=2), operator.add]"
    assert encode(trusted) == node
    with pytest.raises(WireError):
        decode(["o", "Unknown.NAME"], names=sample)
    with pytest.raises(WireError):
        decode(["o", "1"])


def test_the_tracer_leaves_out_what_the_projects_tests_define():
    tests_module = types.ModuleType("vkmodel.tests.test_model")
    tests_module.Shade = enum.Enum("Shade", "DARK", module="vkmodel.tests.test_model")
    sys.modules["vkmodel.tests.test_model"] = tests_module
    assert Tracer(["vkmodel"]).value_text(tests_module.Shade.DARK) is None
    assert Tracer(["vkmodel"]).value_text(Shade.DARK) == "Shade.DARK"


def test_humaneval_harness_exec_with_empty_globals(mined):
    """HumanEval's execution.py runs exec(program, {}): no __name__, so the program's classes say
    __module__ == 'builtins' and its functions None; values of named types still compare."""
    for name, p in mined["problems"].items():
        for kind, completion in (("right", p.canonical_solution), ("wrong", WRONG[name])):
            program = p.prompt + completion + "\n" + p.test + "\n" + f"check({p.entry_point})\n"
            try:
                exec(compile(program, "<check>", "exec"), {})
                passed = True
            except AssertionError:
                passed = False
            assert passed == (kind == "right"), (name, kind)


def test_generation_reuses_named_values_and_does_not_crash():
    """generate.py draws no new values of named types; it recombines the observed ones."""
    from sftset.ci_mining.generate import boundary_calls, generate_calls

    tests = [{"args": "(Color.RED, bytearray(b'ab'), Point(x=1, y=2.5), operator.add)", "expected": "1"},
             {"args": "(Color.BLUE, bytearray(b''), Point(x=3, y=0.5), str.upper)", "expected": "2"}]
    calls = generate_calls(tests, 5)
    assert calls and all(roundtrips(a) for a, _ in calls)
    seen = {"Color.RED", "Color.BLUE", "operator.add", "str.upper"}
    for args, _ in calls:
        value = parse(args)
        assert repr(value[0]) in seen and repr(value[3]) in seen
    assert boundary_calls(tests, 5) == []
