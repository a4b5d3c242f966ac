"""Generated tests for samples-only contest problems (issue 15): bounds parsed from statements,
inputs kept or refused by a validator program, outputs by agreement (reached, refused, with a
float tolerance), a statement without bounds left samples-only and flagged, and the solve
filter choosing a canonical solution that passes every test. Programs run in the real sandbox."""
from __future__ import annotations

import json
import os

import pytest

from sftset.contests.constraints import Bound, parse_bounds
from sftset.contests.generate import GenCaps, Generator, shape_of, validate_inputs
from sftset.contests.outputs import AgreementRule, by_agreement, run_programs
from sftset.contests.verify import SAMPLES_ONLY, VerifyOptions, apply, verify
from sftset.record import Problem
from sftset.sandbox import Executor
from sftset.store import StateStore

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="the sandbox runs code as other uids (needs root)")

SUM_PROMPT = '''def solve(stdin: str) -> str:
    """Sum

    The first line contains n (1 ≤ n ≤ 50). The second line contains n integers a_i
    (-1000 ≤ a_i ≤ 1000). Print their sum.
    """
'''
SUM_OK = "    n, *a = map(int, stdin.split())\n    return str(sum(a[:n])) + '\\n'\n"
SUM_OK_2 = "    lines = stdin.split('\\n')\n    total = 0\n    for x in lines[1].split():\n        total += int(x)\n    return f'{total}\\n'\n"
SUM_OK_3 = "    import functools\n    nums = [int(t) for t in stdin.split()[1:]]\n    return str(functools.reduce(lambda a, b: a + b, nums, 0))\n"
SUM_SKIPS_NEGATIVE = "    n, *a = map(int, stdin.split())\n    return str(sum(x for x in a if x > 0))\n"  # passes the sample only
SUM_SAMPLE = ("3\n1 2 3\n", "6\n")


@pytest.fixture(scope="module")
def executor():
    if os.geteuid() != 0:
        pytest.skip("the sandbox runs code as other uids (needs root)")
    with Executor(workers=2) as ex:
        yield ex


def test_bounds_from_real_statement_forms():
    assert parse_bounds("integer n (3 ≤ n ≤ 100) — amount") == [Bound(("n",), 3, 100)]
    assert parse_bounds("($1 \\le n_i, m_i, k_i \\le 10^{18}$)") == [Bound(("n_i", "m_i", "k_i"), 1, 10 ** 18)]
    assert parse_bounds("- 1 ≤ H_2 ≤ H_1 ≤ 10\n- 1 ≤ A_{i, j} ≤ 10^9")[1] == Bound(("A_{i, j}",), 1, 10 ** 9)
    assert parse_bounds("(2 ≤ n, m ≤ 2 500)") == [Bound(("n", "m"), 2, 2500)]
    assert parse_bounds("1 \\leq N \\leq 2 \\times 10^5") == [Bound(("N",), 1, 200000)]
    assert parse_bounds("0 < x < 10, and 2·10^5") == [Bound(("x",), 1, 9)]
    assert parse_bounds("Print the answer modulo 998244353.") == []


def test_generated_inputs_keep_the_shape_and_the_bounds():
    bounds = parse_bounds(SUM_PROMPT)
    nodes = shape_of(SUM_SAMPLE[0])
    assert [n.kind for n in nodes] == ["line", "array"]
    made = Generator([SUM_SAMPLE[0]], bounds, GenCaps(max_inputs=12, max_size=20), seed=3).inputs([SUM_SAMPLE[0]])
    assert len(made) == 12 and {how for _, how in made} >= {"values", "sizes", "boundary"}
    for text, _ in made:
        n, *a = map(int, text.split())
        assert 1 <= n <= 20 and len(a) == n and all(-1000 <= x <= 1000 for x in a), text
    assert "1\n-1000\n" in [t for t, _ in made] and any(t.startswith("20\n") for t, _ in made)  # both ends


@needs_root
def test_validator_keeps_and_refuses_inputs(executor):
    validator = ("def validate(stdin):\n    n, *a = map(int, stdin.split())\n"
                 "    return len(a) == n and len(set(a)) == n  # the statement says: distinct\n")
    kept, refused = validate_inputs(["3\n1 2 3\n", "3\n1 1 2\n", "2\n5\n", "not numbers\n"], validator, executor)
    assert kept == ["3\n1 2 3\n"] and refused == ["3\n1 1 2\n", "2\n5\n", "not numbers\n"]


@needs_root
def test_agreement_reached_and_refused(executor):
    inputs = ["2\n-5 3\n", "1\n7\n"]
    programs = {"ok": SUM_OK, "ok2": SUM_OK_2, "skips": SUM_SKIPS_NEGATIVE}
    answers = run_programs(SUM_PROMPT, "solve", programs, inputs, executor, time_s=2)
    assert answers["ok"] == ["-2\n", "7\n"] and answers["skips"] == ["3", "7"]
    unanimous = by_agreement(answers, 2, "tokens")  # the default: all must agree
    assert unanimous.outputs == {1: "7\n"} and "1 of 3 programs disagree" in unanimous.dropped[0]
    majority = by_agreement(answers, 2, "tokens", AgreementRule(min_programs=2, max_dissent=0.5))
    assert majority.outputs == {0: "-2\n", 1: "7\n"} and not majority.dropped  # two of three
    two = by_agreement({k: answers[k] for k in ("ok", "skips")}, 2, "tokens", AgreementRule(2, 0.5))
    assert 0 in two.dropped and "no agreement" in two.dropped[0] and two.outputs == {1: "7\n"}


@needs_root
def test_float_tolerance_applies_to_agreement(executor):
    prompt = 'def solve(stdin: str) -> str:\n    """Print 1/n (1 ≤ n ≤ 10) with absolute or relative error 1e-6."""\n'
    programs = {"a": "    return '%.9f' % (1 / int(stdin))\n", "b": "    return str(1 / int(stdin))\n",
                "c": "    return '%.3f' % (1 / int(stdin))\n"}
    answers = run_programs(prompt, "solve", programs, ["3\n"], executor, time_s=2)
    loose = by_agreement(answers, 1, "float:1e-6", AgreementRule(min_programs=2, max_dissent=0.0))
    assert 0 in loose.dropped  # 0.333 is not within 1e-6
    est = by_agreement({k: answers[k] for k in ("a", "b")}, 1, "float:1e-6", AgreementRule(2, 0.0))
    assert est.outputs == {0: "0.333333333"}
    strict = by_agreement({k: answers[k] for k in ("a", "b")}, 1, "tokens", AgreementRule(2, 0.0))
    assert strict.outputs == {}  # 0.333333333 vs 0.3333333333333333: only equal within the tolerance


def _stdio(prompt: str, sample: tuple[str, str], task_id: str = "codeforces/9999/A") -> Problem:
    return Problem.from_dict({"task_id": task_id, "source": "codeforces", "kind": "stdio", "prompt": prompt,
                              "entry_point": "solve", "checker": "tokens",
                              "tests": [{"input": sample[0], "output": sample[1], "split": "public"}],
                              "limits": {"time_s": 2, "memory_mb": 256}})


@needs_root
def test_statement_without_bounds_stays_samples_only_and_is_flagged(executor):
    prompt = 'def solve(stdin: str) -> str:\n    """Read some numbers; print their sum. Numbers are small."""\n'
    p = _stdio(prompt, SUM_SAMPLE)
    before = p.content_hash
    v = verify(p, {0: SUM_OK, 1: SUM_OK_2}, executor)
    apply(p, v)
    assert v.tests == [] and p.meta["generated_tests"]["why"] == "constraints not parsed"
    assert SAMPLES_ONLY in p.flags and p.content_hash == before


@needs_root
def test_verify_adds_generated_tests_that_expose_a_wrong_sample(executor):
    p = _stdio(SUM_PROMPT, SUM_SAMPLE)
    programs = {0: SUM_SKIPS_NEGATIVE, 1: SUM_OK, 2: SUM_OK_2, 3: SUM_OK_3}
    unanimous = verify(p, programs, executor)  # the default never rejects a program of the pool
    assert all(unanimous.passing.values()) and all(t["input"].count("-") == 0 for t in unanimous.tests)
    v = verify(p, programs, executor, VerifyOptions(agreement=AgreementRule(2, 0.3)))
    assert v.passing == {0: False, 1: True, 2: True, 3: True}
    apply(p, v)
    generated = [t for t in p.tests if t["split"] == "generated"]
    assert len(generated) >= 10 and p.meta["generated_tests"]["outputs_from"] == "agreement of 4 programs"
    assert p.meta["tests"] == {"public": 1, "hidden": 0, "generated": len(generated)}
    for t in generated:  # every expected output is the true sum
        n, *a = map(int, t["input"].split())
        assert int(t["output"]) == sum(a)
    assert SAMPLES_ONLY not in p.flags and "_sftset_stdio(candidate" in p.test


@needs_root
def test_filter_chooses_a_canonical_solution_that_passes_everything(workdir, run_cli):
    p = _stdio(SUM_PROMPT, SUM_SAMPLE)
    (workdir / "problems.jsonl").write_text(json.dumps(p.to_dict()) + "\n")
    # the first passing sample is wrong (it ignores negative numbers): the sample test can't tell
    samples = [SUM_SKIPS_NEGATIVE, "    return '7'\n", SUM_OK, SUM_SKIPS_NEGATIVE + "    # again\n", SUM_OK_2, SUM_OK_3]
    (workdir / "samples.jsonl").write_text("".join(json.dumps({"task_id": p.task_id, "completion": c}) + "\n"
                                                   for c in samples))
    (workdir / "sftset.toml").write_text("[filter]\nagreement_max_dissent = 0.4\n")  # 3 of 5 passing agree
    assert run_cli("import", "problems.jsonl").rc == 0
    res = run_cli("filter", "--samples", "samples.jsonl", "--workers", "2")
    assert res.rc == 0, res.err
    with StateStore(workdir / "curated" / "state.sqlite") as store:
        record = store.get_problem(p.task_id)
        verdict = store.verdict(p.task_id, "filter")
    assert verdict["status"] == "kept" and verdict["content_hash"] == record.content_hash
    assert record.canonical_solution == SUM_OK  # not the first sample that passed the public test
    assert record.meta["extra_solutions"] == [SUM_OK_2, SUM_OK_3]
    assert record.filter["passed"] == 3  # the two that skip negatives fail a generated test
    assert record.meta["tests"]["generated"] >= 10
    assert record.meta["generated_tests"]["outputs_from"].startswith("agreement of")
    again = run_cli("filter", "--samples", "samples.jsonl", "--workers", "2")
    assert again.rc == 0 and "(1 judged before)" in again.err


GENERATOR_BODY = ("    n = rng.randint(1, 8)\n"
                  "    return f'{n}\\n' + ' '.join(str(rng.randint(-1000, 1000)) for _ in range(n)) + '\\n'\n")
VALIDATOR_BODY = ("    try:\n        n, *a = map(int, stdin.split())\n    except ValueError:\n        return False\n"
                  "    return 1 <= n <= 5 and len(a) == n and all(-1000 <= x <= 1000 for x in a)\n")


@needs_root
def test_model_written_generator_and_validator(workdir, run_cli):
    from completions_server import CompletionsServer

    p = _stdio(SUM_PROMPT, SUM_SAMPLE)
    (workdir / "problems.jsonl").write_text(json.dumps(p.to_dict()) + "\n")
    answers = [SUM_SKIPS_NEGATIVE, SUM_OK, SUM_OK_2, SUM_OK_3]

    def answer(body, seq, i):
        prompt = body["prompt"]
        if prompt.startswith("def generate"):
            return GENERATOR_BODY
        if prompt.startswith("def validate"):
            return VALIDATOR_BODY  # refuses n > 5: also some of the inputs made from the samples
        return answers[i % len(answers)]

    with CompletionsServer(model="m1", answer=answer) as srv:
        (workdir / "sftset.toml").write_text(f'[sampling]\nurl = "{srv.url}"\nmodel = "m1"\nn = 4\n'
                                             'n_per_request = 4\n[filter]\ngenerated_max_size = 8\n'
                                             'agreement_max_dissent = 0.3\n')
        assert run_cli("import", "problems.jsonl").rc == 0
        res = run_cli("filter", "--workers", "2")
    assert res.rc == 0, res.err
    assert srv.errors == []
    assert any(r["body"]["prompt"].startswith("def generate") for r in srv.requests)
    with StateStore(workdir / "curated" / "state.sqlite") as store:
        record = store.get_problem(p.task_id)
    info = record.meta["generated_tests"]
    assert info["how"].get("model", 0) >= 1 and info["dropped"]["refused by the validator"] >= 1
    for t in record.tests:  # every kept input is one the validator accepts
        n, *a = map(int, t["input"].split())
        assert 1 <= n <= 5 and len(a) == n
    assert record.filter["passed"] == 3 and record.canonical_solution in (SUM_OK, SUM_OK_2, SUM_OK_3)


@needs_root
def test_generated_tests_that_reject_the_reference_drop_the_problem(executor):
    p = _stdio(SUM_PROMPT, SUM_SAMPLE)
    p.canonical_solution = "    n, *a = map(int, stdin.split())\n    assert a[0] == 1\n    return str(sum(a))\n"
    v = verify(p, {}, executor)  # a reference that only handles the sample
    assert v.drop and v.drop.startswith("generated tests reject the reference")
    assert v.info["outputs_from"] == "reference" and v.info["dropped"]["the reference failed on it"] > 10
