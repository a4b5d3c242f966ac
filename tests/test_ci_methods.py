"""Instance methods as problems (issue 14): traced with their instance's constructor call, replayed from a
fresh instance, rendered as `Cls(*init_args, **init_kwargs).method(...)`; stateful ones dropped."""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest
from mining_support import mine_project, run_driver, traced_driver

from sftset.dataset.formats import messages_row, prompt_completion_row
from sftset.humaneval import humaneval_row
from sftset.methods import combined_args, split_args
from sftset.record import Problem, RecordError

PROJECTS = Path(__file__).parent / "projects"
PYENV = Path.home() / ".pyenv" / "versions"

MODULE = '''
from dataclasses import dataclass


class Acc:
    def __init__(self, base, scale=1):
        self.base = base
        self.scale = scale
        self.items = []

    def value(self, x):
        return (self.base + x) * self.scale

    def add(self, x):
        self.items.append(x)

    def total(self):
        return sum(self.items) + self.base

    def bump(self):
        self.base += 1
        return self.base


class Sub(Acc):
    def __init__(self, base):
        super().__init__(base, 2)


class Bare:
    def twice(self, x):
        return 2 * x


class Slotted:
    __slots__ = ("v",)

    def __init__(self, v):
        self.v = v

    def plus(self, x):
        return self.v + x


@dataclass
class Point:
    x: int
    y: int = 0

    def moved(self, dx):
        return (self.x + dx, self.y)


class Holder:
    def __init__(self, thing):
        self.thing = thing

    def echo(self, x):
        return x


class Log:
    def __init__(self):
        self.sink = None

    def attach(self, n):
        self.sink = object()  # what it leaves is not a value
'''

DRIVER = '''
import sys
sys.path.insert(0, sys.argv[1]); sys.path.insert(0, sys.argv[2])
from sftset_trace.tracer import Tracer
t = Tracer(["objs"], engine=sys.argv[4] or None); t.start()
import objs
for b in range(3):
    a = objs.Acc(b, scale=3)
    a.value(1)
    a.add(5)              # mutates the instance, returns None
    a.total()             # after add: not the state the constructor left
    a.value(2)            # likewise
    objs.Sub(b).value(1)  # Acc.value on a Sub: Acc(...) would not rebuild it
    objs.Acc(10 + b).bump()
objs.Bare().twice(4)
for i in range(4):        # no weakrefs: a dead instance's id, reused, must not hide the new one's constructor
    objs.Slotted(object())
    objs.Slotted(i).plus(1)
objs.Point(1, 2).moved(3)  # a dataclass's generated __init__
kept = [objs.Slotted(i) for i in range(25000)]  # more instances than the tracer remembers: the oldest go
objs.Slotted(100).plus(1)
objs.Holder(object()).echo(1)
for n in range(3):
    objs.Log().attach(n)
t.stop(); t.write(sys.argv[3])
'''


def _pythons():
    found = [(sys.executable, ""), (sys.executable, "setprofile")]
    for version in ("3.10", "3.12", "3.13"):
        for exe in sorted(PYENV.glob(f"{version}.*/bin/python{version}")):
            found.append((str(exe), ""))
            break
    return found


@pytest.fixture(scope="module")
def runtime(tmp_path_factory):
    return traced_driver(tmp_path_factory.mktemp("trace"), "objs.py", MODULE, DRIVER)


@pytest.mark.parametrize("python, engine", _pythons(), ids=lambda v: Path(v).name if "/" in str(v) else v or "auto")
def test_tracer_records_methods_only_from_the_constructed_state(runtime, python, engine, tmp_path):
    trace = run_driver(runtime, python, engine, tmp_path / "trace.json")
    fns = {f["qualname"]: f for f in trace["functions"]}
    assert "Acc.__init__" not in fns and "Sub.__init__" not in fns  # constructors are origins, not problems
    value = fns["Acc.value"]
    assert value["kind"] == "method"
    # the calls after add() are marked "s" (made on a changed instance: validation keeps them only where a fresh
    # instance gives the same outcome); Sub's instances are skipped (their constructor is Sub's)
    assert sorted((r["c"], r["ck"], r["a"], r["r"], r.get("s")) for r in value["records"]) == [
        ("(0, 3)", "{}", "(1,)", "3", None), ("(0, 3)", "{}", "(2,)", "6", 1), ("(1, 3)", "{}", "(1,)", "6", None),
        ("(1, 3)", "{}", "(2,)", "9", 1), ("(2, 3)", "{}", "(1,)", "9", None), ("(2, 3)", "{}", "(2,)", "12", 1)]
    assert value["skipped"] == {"state_changed": 3, "subclass_instance": 3}
    # a procedure (returns None, changes its instance): recorded with the state it leaves ("t"), marked "u"
    assert sorted((r["c"], r["a"], r["r"], r["t"], r["u"]) for r in fns["Acc.add"]["records"]) == [
        ("(0, 3)", "(5,)", "None", "{'base': 0, 'items': [5], 'scale': 3}", 1),
        ("(1, 3)", "(5,)", "None", "{'base': 1, 'items': [5], 'scale': 3}", 1),
        ("(2, 3)", "(5,)", "None", "{'base': 2, 'items': [5], 'scale': 3}", 1)]
    assert not fns["Acc.add"]["skipped"]
    assert fns["Log.attach"]["records"] == [] and fns["Log.attach"]["skipped"] == {"mutates_self": 3}
    assert sorted((r["c"], r["r"], r["s"]) for r in fns["Acc.total"]["records"]) == [
        ("(0, 3)", "5", 1), ("(1, 3)", "6", 1), ("(2, 3)", "7", 1)]
    assert fns["Acc.total"]["skipped"] == {"state_changed": 3}
    # a method that changes its instance but returns a value replays from a fresh one
    assert sorted((r["c"], r["r"]) for r in fns["Acc.bump"]["records"]) == [("(10, 1)", "11"), ("(11, 1)", "12"),
                                                                            ("(12, 1)", "13")]
    assert [(r["c"], r["a"], r["r"]) for r in fns["Bare.twice"]["records"]] == [("()", "(4,)", "8")]
    assert fns["Holder.echo"]["skipped"] == {"nonliteral_constructor": 1}
    assert sorted((r["c"], r["r"]) for r in fns["Slotted.plus"]["records"]) == [
        ("(0,)", "1"), ("(1,)", "2"), ("(100,)", "101"), ("(2,)", "3"), ("(3,)", "4")]
    assert not fns["Slotted.plus"]["skipped"]
    assert [(r["c"], r["a"], r["r"]) for r in fns["Point.moved"]["records"]] == [("(1, 2)", "(3,)", "(4, 2)")]


def test_adapter_arguments_round_trip():
    for init, kw, args in [("(1, 'a')", "{}", "(2,)"), ("()", "{'x': [1]}", "()"), ("(0,)", "{}", "(1, (2, 3))")]:
        assert split_args(combined_args(init, kw, args)) == (init, kw, args)


def test_record_checks_method_cases():
    base = {"task_id": "ci/x/m.C.f", "source": "ci", "kind": "function", "prompt": "class C:\n    def f(self):\n",
            "entry_point": "C", "canonical_solution": "        return 1\n"}
    ok = {"method": "f", "init_args": "(1,)", "args": "()", "expected": "1"}
    Problem.from_dict({**base, "tests": [ok]})
    Problem.from_dict({**base, "tests": [{**ok, "init_args": "None"}]})  # called on the class
    Problem.from_dict({**base, "tests": [{**ok, "state": True, "expected": "{'n': 1}"}]})  # judged by its state
    for bad, field in [({"init_args": "[1]"}, "init_args"), ({"method": "not a name"}, "method"),
                       ({"init_args": "None", "init_kwargs": "{}"}, "init_args"),
                       ({"init_kwargs": "{1: 2}"}, "init_kwargs"), ({"state": 1}, "state"),
                       ({"state": True, "init_args": "None"}, "state")]:
        with pytest.raises(RecordError) as err:
            Problem.from_dict({**base, "tests": [{**ok, **bad}]})
        assert err.value.args[0].endswith(field) or field in str(err.value)
    with pytest.raises(RecordError, match="state"):
        Problem.from_dict({**base, "entry_point": "f", "tests": [{"args": "()", "expected": "1", "state": True}]})


@pytest.fixture(scope="module")
def mined(tmp_path_factory):
    """Mine tests/projects/methods once (sandboxed suite, validation in the executor)."""
    work = tmp_path_factory.mktemp("mine")
    rc, report, records = mine_project(work, "methods", "--state", str(work / "state.sqlite"))
    return {"rc": rc, "report": report, "problems": {p.task_id.rsplit(".", 1)[1]: p for p in records}}


def test_methods_mined_with_the_class_they_need(mined):
    assert mined["rc"] == 0
    problems = mined["problems"]
    assert {"format", "split", "apply"} <= set(problems)
    fmt, split = problems["format"], problems["split"]
    for p, name in ((fmt, "format"), (split, "split")):
        assert p.entry_point == "Money" and p.meta["kind"] == "method"
        assert all(t["method"] == name and "init_args" in t for t in p.tests)
        assert p.prompt.rstrip().endswith('"""') and f"    def {name}(self" in p.prompt
        assert "class Money:" in p.prompt and "def __init__(self, cents" in p.prompt
        assert "def unrelated" not in p.prompt  # methods the answer does not use stay out
        assert p.canonical_solution.startswith("        ")  # the body as in the class
        assert p.meta["kill_rate"] >= 0.8
    assert "def _symbol(self)" in fmt.prompt and "SYMBOLS = " in fmt.prompt  # what format uses, and what that uses
    assert "_symbol" not in split.prompt and "SYMBOLS" not in split.prompt
    rate = problems["apply"]  # a frozen dataclass: its decorator, import and fields are the constructor
    assert rate.entry_point == "Rate" and "from dataclasses import dataclass" in rate.prompt
    assert "@dataclass(frozen=True)\nclass Rate:" in rate.prompt and "    bps: int\n" in rate.prompt


def test_stateful_methods_dropped(mined):
    drops = mined["report"]["drops"]
    examples = mined["report"]["drop_examples"]
    assert "mutates its instance, returns None" not in drops  # Tally.add is judged by the state it leaves
    assert drops.get("instance changed between calls") == 1  # report is only called after add
    assert "Tally.report" in examples["instance changed between calls"]
    assert not any("Tally.report" in p.task_id for p in mined["problems"].values())
    # a cache that fills as the suite calls it changes the instance, not the outcome: replayed from fresh
    # instances, the calls all give what was traced, and the tests state what a fresh instance does
    rank = mined["problems"]["rank"]
    assert {(t["init_args"], t["args"], t["expected"]) for t in rank.tests} >= {
        ("(['pear', 'apple', 'fig'],)", "('pear',)", "2"), ("(['pear', 'apple', 'fig'],)", "('fig',)", "1"),
        ("(['pear', 'apple', 'fig'],)", "('kiwi',)", "-1")}
    assert not any("_changed" in key for t in rank.tests for key in t)  # the mining mark stays out of the record


def test_a_procedure_is_judged_by_the_state_it_leaves(mined, tmp_path):
    add = mined["problems"]["add"]
    assert add.entry_point == "Tally" and all(t["method"] == "add" and t["state"] is True for t in add.tests)
    cases = {(t["init_args"], t["args"], t["expected"]) for t in add.tests}
    assert ("(1,)", "('a b',)", "{'total': 3}") in cases and ("(1,)", "('x y z',)", "{'total': 4}") in cases
    # every expected state is what a fresh instance leaves: the second add of each test ran on a changed
    # instance (traced total 5 for 'a b' then 'more words'), and only a fresh Tally's outcome is a test
    for init, args, expected in cases:
        assert ast.literal_eval(expected) == {"total": ast.literal_eval(init)[0] + len(ast.literal_eval(args)[0].split())}
    row = humaneval_row(add)
    assert _humaneval(row, row["canonical_solution"], tmp_path) == 0
    indent = "        "
    for wrong in ("pass\n", "self.total += len(text)\n", "return self.total + len(text.split())\n"):
        assert _humaneval(row, indent + wrong, tmp_path) != 0, wrong
    from sftset.evaluation import sample_job
    from sftset.sandbox import Executor

    # an attacker's state: an attribute equal to anything, or a __dict__ that claims to be the answer
    forged = {"equal": indent + "self.total = type('E', (), {'__eq__': lambda s, o: True, '__hash__': None})()\n",
              "dict": indent + "self.__dict__ = type('D', (dict,), {'__eq__': lambda s, o: True})(total=0)\n"}
    jobs = [sample_job(add, add.canonical_solution, "ref"), sample_job(add, indent + "pass\n", "wrong")]
    jobs += [sample_job(add, body, name) for name, body in forged.items()]
    with Executor(workers=2) as ex:
        verdicts = {v.key: v for v in ex.run(jobs)}
    assert verdicts["ref"].status == "passed", verdicts["ref"].detail
    assert verdicts["wrong"].status == "failed"
    assert verdicts["equal"].status != "passed" and verdicts["dict"].status != "passed"


def _wrong(p: Problem) -> str:
    indent = p.canonical_solution[:len(p.canonical_solution) - len(p.canonical_solution.lstrip())]
    return f"{indent}return []\n"


def _humaneval(row: dict, completion: str, tmp_path: Path) -> int:
    """HumanEval's harness, as it runs a row: prompt + completion + test + check(entry_point), plain Python."""
    program = row["prompt"] + completion + "\n" + row["test"] + "\n" + f"check({row['entry_point']})\n"
    path = tmp_path / "program.py"
    path.write_text(program)
    return subprocess.run([sys.executable, "-I", str(path)], capture_output=True, timeout=60).returncode


def test_humaneval_export_runs_in_a_plain_interpreter(mined, tmp_path):
    for p in (mined["problems"]["format"], mined["problems"]["split"]):
        row = humaneval_row(p)
        assert row["entry_point"] == "Money"
        assert _humaneval(row, row["canonical_solution"], tmp_path) == 0
        assert _humaneval(row, _wrong(p), tmp_path) != 0


def test_sandbox_check_passes_the_reference_and_fails_a_wrong_body(mined):
    from sftset.evaluation import sample_job
    from sftset.sandbox import Executor

    p = mined["problems"]["split"]
    jobs = [sample_job(p, p.canonical_solution, "ref"), sample_job(p, _wrong(p), "wrong")]
    with Executor(workers=2) as ex:
        verdicts = {v.key: v for v in ex.run(jobs)}
    assert verdicts["ref"].status == "passed", verdicts["ref"].detail
    assert verdicts["wrong"].status == "failed"


def test_sft_formats_keep_the_method_whole(mined):
    p = mined["problems"]["format"]
    row = prompt_completion_row(p)
    ast.parse(row["prompt"] + row["completion"])  # the body's indentation continues the class
    answer = messages_row(p)["messages"][1]["content"]
    code = answer.split("python\n", 1)[1].rsplit("```", 1)[0]
    assert code.startswith("def format(self, symbol=True") and "class Money" not in code
    ast.parse(code)


def test_sibling_methods_are_not_near_duplicates_by_their_shared_class(mined):
    from sftset.dataset.dedup import near_dup_text

    fmt, split = mined["problems"]["format"], mined["problems"]["split"]
    for p in (fmt, split):
        text = near_dup_text(p)
        assert text.startswith("def (self") and "class Money" not in text and "__init__" not in text


CLASS_MODULE = '''
import re
from typing import ClassVar

LIMIT = 10


class Word:
    """A word and its language."""

    PATTERN: ClassVar[str] = "[a-z]+"
    VOWELS = "aeiou"
    UNUSED = "not shown"
    __slots__ = ("text", "lang")

    def __init__(self, text, lang="en"):
        self.text = text
        self.lang = lang

    @property
    def size(self):
        return len(self.text)

    @size.setter
    def size(self, value):
        raise AttributeError("read-only")

    def __len__(self):
        return len(self.text)

    def unrelated(self):
        import numpy
        return numpy.zeros(1)

    def vowels(self, limit):
        """How many vowels the word has, counting at most `limit` and LIMIT."""
        n = sum(1 for c in self.text if c in self.VOWELS)
        return min(n, limit, LIMIT, self.size)

    def longer(self, other):
        """Whether the word is longer than `other` characters."""
        return len(self) > other
'''


def _method_candidate(tmp_path, qualname):
    from sftset.ci_mining.build import Target, build_candidates

    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "words.py").write_text(CLASS_MODULE)
    records = [{"c": f"('{w}',)", "ck": "{}", "a": "(3,)", "k": "{}", "r": str(n), "n": 1}
               for w, n in (("tree", 2), ("sky", 0), ("aeiou", 3))]
    fn = {"module": "pkg.words", "qualname": qualname, "kind": "method", "lineno": None, "calls": 3, "skipped": {},
          "records": records}
    target = Target(name="proj", version="1.0", commit=None, url="u", repo=None, license="MIT", root=tmp_path,
                    roots=[tmp_path], packages=["pkg"], python="3.12")
    result = build_candidates({"functions": [fn]}, target)
    assert not result.drops, result.drops
    return result.candidates[0]


def test_prompt_shows_what_the_method_uses(tmp_path):
    c = _method_candidate(tmp_path, "Word.vowels")
    assert c.entry_point == "Word" and c.method == "vowels" and c.function_path == "Word.vowels"
    assert c.tests[0]["args"] == "(('tree',), {}, 3,)"  # the adapter's arguments while validating
    p = c.prompt
    assert p.startswith("LIMIT = 10\n") and '    """A word and its language."""' in p
    assert 'VOWELS = "aeiou"' in p and "__slots__" in p and "def __init__" in p
    assert "def size(self)" in p and "@size.setter" in p  # a property, with its setter
    assert "PATTERN" not in p and "UNUSED" not in p and "import re" not in p  # nothing unused
    assert "def __len__" not in p  # the instance is never used as a value here
    assert "unrelated" not in p  # and its third-party import does not sink the method
    assert p.endswith('        """How many vowels the word has, counting at most `limit` and LIMIT."""\n')
    compile(c.program, "<program>", "exec")


def test_dunders_shown_when_an_operator_reaches_the_instance(tmp_path):
    c = _method_candidate(tmp_path, "Word.longer")
    assert "def __len__(self)" in c.prompt and "def size" not in c.prompt


def test_a_class_method_that_uses_its_class_is_called_on_the_class(mined, tmp_path):
    from sftset.evaluation import sample_job
    from sftset.sandbox import Executor

    p = mined["problems"]["parse_cents"]
    assert p.entry_point == "Money" and p.meta["kind"] == "classmethod"
    assert all(t["method"] == "parse_cents" and t["init_args"] == "None" for t in p.tests)
    assert "    places = 2\n" in p.prompt and p.prompt.rstrip().endswith('"""')
    assert "    @classmethod\n    def parse_cents(cls, text):" in p.prompt
    row = humaneval_row(p)
    assert _humaneval(row, row["canonical_solution"], tmp_path) == 0
    assert _humaneval(row, "        return 0\n", tmp_path) != 0
    with Executor(workers=2) as ex:
        verdicts = {v.key: v for v in ex.run([sample_job(p, p.canonical_solution, "right"),
                                                sample_job(p, "        return 0\n", "wrong")])}
    assert verdicts["right"].passed and not verdicts["wrong"].passed, verdicts


def test_objects_of_another_module_as_arguments(mined, tmp_path):
    """ledger.invoice never imports Money: tests name each argument (and Line's constructor argument) by the
    constructor call that built it, and the prompt carries the class from ledger.money; a result is a simple
    object, compared by its fields."""
    from sftset.evaluation import sample_job
    from sftset.sandbox import Executor

    total, line, shares = (mined["problems"][n] for n in ("line_total", "describe", "shares"))
    assert {t["args"] for t in total.tests} >= {"(Money(250, 'USD'), 1)", "(Money(199, 'USD'), 10)"}
    assert any(t["init_args"] == "(Money(250, 'USD'), 2)" for t in line.tests)
    # results too: Money's equality is identity, so a result is compared by its fields
    assert any(t["expected"] == "[Money(cents=750, currency='EUR'), Money(cents=250, currency='EUR')]"
               for t in shares.tests)
    for p in (total, line, shares):
        assert "class Money:" in p.prompt and "SYMBOLS = " in p.prompt
        row = humaneval_row(p)
        assert _humaneval(row, row["canonical_solution"], tmp_path) == 0
        assert _humaneval(row, _wrong(p), tmp_path) != 0
    jobs = [sample_job(p, body, (p.entry_point, kind)) for p in (total, line, shares)
            for kind, body in (("right", p.canonical_solution), ("wrong", _wrong(p)))]
    with Executor(workers=2) as ex:
        for v in ex.run(jobs):
            assert v.passed == (v.key[1] == "right"), (v.key, v.status, v.detail)
    # an argument the function changes is not a value to test
    assert mined["report"]["drop_examples"]["mutates its arguments"].startswith("ledger.invoice.add_fee")


def test_no_test_is_made_twice(mined):
    # generated inputs are drawn from the recorded ones too: one the tests already make is not added again
    for name, p in mined["problems"].items():
        calls = [(t.get("init_args"), t.get("init_kwargs"), t["args"], t.get("kwargs")) for t in p.tests]
        assert len(calls) == len(set(calls)), name
