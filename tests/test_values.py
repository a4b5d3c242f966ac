"""Test values beyond literals (dates, Decimal, Fraction, frozenset): read back exactly, never
evaluated, compared by exact type in rendered checks, carried across the sandbox boundary, and
recorded by the tracer."""
from __future__ import annotations

import datetime as dt
import time
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sftset.ci_mining.literals import canon, roundtrips
from sftset.ci_mining.tracer import literal_repr
from sftset.evaluation import sample_job
from sftset.record import Problem, RecordError
from sftset.sandbox import Executor
from sftset.sandbox.wire import WireError, decode, encode, to_literal
from sftset.values import is_value_type, read_value

UTC = dt.timezone.utc
VALUES = [
    dt.date(2024, 2, 29), dt.datetime(2024, 2, 29, 12, 30, tzinfo=UTC),
    dt.datetime(2020, 1, 1, 5, tzinfo=dt.timezone(dt.timedelta(hours=-5), "EST")), dt.datetime(1999, 12, 31, 23, 59, 59, 1),
    dt.time(1, 2, 3, 4), dt.time(12, tzinfo=UTC), dt.timedelta(days=-1, seconds=5), dt.timedelta(0),
    dt.timezone(dt.timedelta(minutes=90)), UTC, Decimal("1.50"), Decimal("-0"), Decimal("1E+5"), Fraction(-1, 3),
    frozenset({1, frozenset()}), frozenset(), set(), {"due": (dt.date(1, 1, 1), [Decimal("0.01")])},
    [Fraction(1, 2), {frozenset({"a"}): dt.timedelta(hours=1)}],
]


class MyTZ(dt.tzinfo):
    def utcoffset(self, d):
        return dt.timedelta(0)

    def __repr__(self):
        raise RuntimeError("user code ran")


class MyDate(dt.date):
    pass


@pytest.mark.parametrize("value", VALUES, ids=repr)
def test_repr_reads_back_as_the_same_value_and_type(value):
    text = repr(value)
    again = read_value(text)
    assert type(again) is type(value) and repr(again) == text
    assert roundtrips(text) and canon(again) == canon(value)
    assert literal_repr(value) == text  # the tracer records it
    assert decode(encode(value)) == value and to_literal(value) == text


@given(st.one_of(st.dates(), st.datetimes(), st.timedeltas(), st.times(), st.fractions(),
                 st.decimals(allow_nan=False, allow_infinity=False)))
def test_generated_values_round_trip(value):
    again = read_value(repr(value))
    assert type(again) is type(value) and repr(again) == repr(value)


@pytest.mark.parametrize("text", [
    "__import__('os').system('true')", "datetime.date.today()", "open('/etc/passwd')", "(lambda: 1)()",
    "datetime.date(*[2020, 1, 1])", "Decimal(**{'value': '1'})", "().__class__", "datetime", "print",
    "Fraction('1e99999999')", "Fraction(Decimal('1e999999'))", "Decimal(1.5)", "datetime.timedelta(days=10**9)",
    "datetime.date(2020, 13, 1)", "os.system('x')", "[x for x in ()]",
])
def test_anything_but_values_is_refused_without_running_it(text):
    t0 = time.monotonic()
    with pytest.raises((ValueError, SyntaxError, TypeError, ArithmeticError)):
        read_value(text)
    assert time.monotonic() - t0 < 1


def test_only_exact_types_with_readable_reprs_count():
    assert not is_value_type(MyDate(2020, 1, 1))
    assert not is_value_type(dt.datetime(2020, 1, 1, tzinfo=MyTZ()))
    assert not is_value_type(Decimal("NaN")) and not is_value_type(Decimal("Infinity"))
    assert literal_repr(MyDate(2020, 1, 1)) is None
    assert literal_repr([dt.datetime(2020, 1, 1, tzinfo=MyTZ())]) is None  # and MyTZ.__repr__ never ran
    assert literal_repr(Decimal("NaN")) is None


@pytest.mark.parametrize("node", [
    ["v", "__import__('os').getcwd()"], ["v", "Fraction('1e99999999')"], ["v", "[1, 2]"], ["v", "1"],
    ["v", "Decimal('1')" + " " * 2000], ["v", 5],
])
def test_wire_refuses_crafted_value_texts(node):
    t0 = time.monotonic()
    with pytest.raises(WireError):
        decode(node)
    assert time.monotonic() - t0 < 1


def test_a_record_with_value_tests_is_valid_and_a_bad_one_names_the_field():
    Problem.from_dict(_record_dict("Decimal('2.50')"))
    with pytest.raises(RecordError, match=r"tests\[0\]\.expected"):
        Problem.from_dict(_record_dict("Decimal(2.5)"))


def _record_dict(expected: str) -> dict:
    return {"task_id": "t/price", "source": "t", "kind": "function",
            "prompt": "from decimal import Decimal\nimport datetime\n\n\ndef price(day, amount):\n",
            "entry_point": "price",
            "tests": [{"args": "(datetime.date(2024, 2, 29), Decimal('1.25'))", "expected": expected},
                      {"args": "(datetime.date(2024, 3, 1), Decimal('1.25'))", "expected": "Decimal('1.25')"}]}


RIGHT = "    return amount * 2 if day.day == 29 else amount\n"
WRONG = {
    "float": "    return float(amount * 2 if day.day == 29 else amount)\n",
    "str": "    return str(amount * 2 if day.day == 29 else amount)\n",
    "other digits": "    return (amount * 2 if day.day == 29 else amount).quantize(Decimal('0.001'))\n",
    "subclass": "    class D(Decimal):\n        pass\n    return D(amount * 2 if day.day == 29 else amount)\n",
}


def _passes_in_process(problem: Problem, completion: str) -> bool:
    """HumanEval's harness: prompt + completion + test + check(entry_point), in one namespace."""
    program = problem.prompt + completion + "\n" + problem.test + "\n" + f"check({problem.entry_point})"
    try:
        exec(compile(program, "<check>", "exec"), {})
    except Exception:
        return False
    return True


def test_rendered_check_compares_values_by_exact_type_in_process():
    problem = Problem.from_dict(_record_dict("Decimal('2.50')"))
    assert _passes_in_process(problem, RIGHT)
    for name, completion in WRONG.items():
        assert not _passes_in_process(problem, completion), name


def test_rendered_check_compares_values_by_exact_type_in_the_sandbox():
    problem = Problem.from_dict(_record_dict("Decimal('2.50')"))
    completions = {"right": RIGHT, **WRONG,
                   "user tzinfo": "    import datetime\n    class Z(datetime.tzinfo):\n"
                                  "        def utcoffset(self, d):\n            return None\n"
                                  "    return datetime.datetime(2020, 1, 1, tzinfo=Z())\n"}
    with Executor(workers=1) as ex:
        verdicts = {name: v for name, v in zip(completions, ex.run(
            [sample_job(problem, c, name) for name, c in completions.items()]))}
    assert verdicts["right"].passed, verdicts["right"].detail
    for name in completions:
        if name != "right":
            assert not verdicts[name].passed, name
