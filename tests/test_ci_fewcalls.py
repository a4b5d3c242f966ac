"""Functions traced with fewer than 3 calls (issue 14, yield per package): with at least
build.MIN_RECORDED recorded calls they go to validation, and are kept only when the generated tests
bring the kept tests to 3 distinct ones that kill the mutants; the others keep their "fewer than 3"
drop reason. End to end on tests/projects/fewcalls, then the build and validation rules one by one."""
from __future__ import annotations

import pytest
from mining_support import mine_project

from sftset.ci_mining import build
from sftset.ci_mining.context import Drop
from sftset.evaluation import sample_job
from sftset.sandbox import Executor


@pytest.fixture(scope="module")
def mined(tmp_path_factory):
    """Mine tests/projects/fewcalls once (sandboxed suite, validation in the executor)."""
    work = tmp_path_factory.mktemp("mine")
    rc, report, records = mine_project(work, "fewcalls")
    return {"rc": rc, "report": report, "problems": {p.entry_point: p for p in records}}


def test_two_calls_mined_with_generated_tests(mined):
    assert mined["rc"] == 0
    assert set(mined["problems"]) == {"run_lengths"}
    p = mined["problems"]["run_lengths"]
    recorded = [t for t in p.tests if t["split"] != "generated"]
    generated = [t for t in p.tests if t["split"] == "generated"]
    assert {t["args"] for t in recorded} == {"('aabccc',)", "('xyyy',)"}
    assert len(generated) >= 1 and len({t["args"] for t in p.tests}) >= 3
    assert p.meta["recorded_tests"] == 2 and p.meta["generated_tests"] == len(generated)
    assert p.meta["kill_rate"] >= 0.8


def test_weak_or_single_calls_stay_dropped_with_their_reason(mined):
    dropped = {d["function"].rsplit(".", 1)[1]: d for d in mined["report"]["dropped"]}
    assert dropped["bucket"]["reason"] == "fewer than 3 distinct calls"
    assert "; then " in dropped["bucket"]["detail"], dropped["bucket"]  # what the generated tests fell short of
    # dropped by a rule before validation, it keeps its reason too, the rule in the detail
    assert dropped["tidy"]["reason"] == "fewer than 3 distinct calls"
    assert "; then trivial body: one call on the arguments" in dropped["tidy"]["detail"]
    assert dropped["checksum"]["reason"] == "fewer than 3 distinct calls"
    assert dropped["checksum"]["detail"].endswith("1 of 1 recorded calls are literal")  # below the floor


def test_check_fails_a_wrong_body_the_recorded_calls_alone_pass(mined):
    p = mined["problems"]["run_lengths"]
    # right on both recorded calls ("aabccc", "xyyy"), wrong on a run at the start of the text
    wrong = "    return [2, 1, 3] if text == 'aabccc' else [1, 3]\n"
    jobs = [sample_job(p, p.canonical_solution, "right"), sample_job(p, wrong, "wrong")]
    with Executor(workers=2) as ex:
        verdicts = {v.key: v for v in ex.run(jobs)}
    assert verdicts["right"].passed, verdicts["right"].detail
    assert not verdicts["wrong"].passed


def _record(args: str, result: str) -> dict:
    return {"a": args, "k": "{}", "r": result}


def test_select_tests_floor():
    two = [_record("(1,)", "2"), _record("(2,)", "3")]
    with pytest.raises(Drop):
        build.select_tests(two)  # today's bar: MIN_TESTS
    tests, _ = build.select_tests(two, build.MIN_RECORDED)
    assert [t["args"] for t in tests] == ["(1,)", "(2,)"]
    with pytest.raises(Drop):
        build.select_tests(two[:1], 2)


def test_two_calls_of_a_function_that_mutates_its_arguments_stay_dropped():
    # pydash.pull_at: two calls that left the list alone, the others mutated it; generated inputs
    # would be the calls the tracer refused
    fn = {"module": "m", "qualname": "pull_at", "records": [_record("([], 0)", "[]"), _record("([1], 5)", "[1]")],
          "skipped": {"mutates_args": 3}}
    with pytest.raises(Drop) as drop:
        build.build_one(fn, None, None)
    assert drop.value.reason == "mutates its arguments"
