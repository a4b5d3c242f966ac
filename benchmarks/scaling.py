"""Scaling: throughput with 1 and 2 workers, local pool against Ray, for each kind of work.

    python benchmarks/scaling.py [--repeat 3] [--targets TARGET ...]
                                 [--no-mining] [--minhash-texts 50000] [--only mining]

* execution: the 164 HumanEval canonical solutions x `--repeat` through the sandbox
  (local: `Executor(workers=n)`; Ray: n actors each holding `Executor(workers=1)`);
* mining: each of `--targets` mined end to end, one target per worker (a warm-up pass
  first builds their environments, so the timed passes measure mining, not installs);
* MinHash: signatures (256 permutations, word 5-grams) of `--minhash-texts` prompts.

Ray runs on a private local instance with 2 CPUs, started once; its start-up and each
executor's set-up (starting sandbox workers or actors) are printed apart from the
timed runs. Overhead = Ray's time / the local pool's time at the same worker count.
Run it as root (the sandbox needs it), on an otherwise quiet machine for clean figures.
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# the longest first, so that two workers share the work about evenly (about 22, 7 and 6 s here)
DEFAULT_TARGETS = ["pypi:inflection==0.5.1"] + [str(REPO / "tests" / "projects" / p) for p in ("hardcases", "unittest_only")]


def _make(kind: str, workers: int):
    from sftset.executors import make

    return make(kind, workers)


def bench_execution(kind: str, workers: int, repeat: int) -> dict:
    from sftset.evaluation import sample_job
    from sftset.humaneval import load_humaneval

    problems = load_humaneval()
    jobs = [sample_job(p, p.canonical_solution, (r, p.task_id)) for r in range(repeat) for p in problems]
    t0 = time.perf_counter()
    with _make(kind, workers) as ex:
        ex.run_all(jobs[: workers * getattr(ex, "batch_size", 8)])  # start every sandbox worker / actor
        setup = time.perf_counter() - t0
        t1 = time.perf_counter()
        verdicts = ex.run_all(jobs)
        elapsed = time.perf_counter() - t1
    passed = sum(v.passed for v in verdicts)
    return {"items": len(jobs), "seconds": elapsed, "setup_s": setup, "note": f"passed {passed}/{len(jobs)}"}


def bench_mining(kind: str, workers: int, targets: list[str], work_dir: Path) -> dict:
    from sftset.ci_mining.miner import MineSettings
    from sftset.ci_mining.spread import mine_targets

    settings = MineSettings(work_dir=work_dir, force=True)
    with _make(kind, workers) as ex:
        t0 = time.perf_counter()
        results = [r for _, r in mine_targets(targets, settings, ex)]
        elapsed = time.perf_counter() - t0
    kept = sum(len(r.value[1]) for r in results if r.ok)
    failed = [r.error for r in results if not r.ok]
    each = ", ".join(f"{r.value[0].elapsed_s:.1f}" for r in results if r.ok)
    note = f"{kept} problems kept; per target {each} s" + (f"; failed: {failed}" if failed else "")
    return {"items": len(targets), "seconds": elapsed, "setup_s": 0.0, "note": note}


def bench_minhash(kind: str, workers: int, n_texts: int) -> dict:
    from sftset.dataset.dedup import spread_signatures as signatures
    from sftset.humaneval import load_humaneval

    prompts = [p.prompt for p in load_humaneval()]
    texts = [f"{prompts[i % len(prompts)]}\n# variant {i}" for i in range(n_texts)]
    t0 = time.perf_counter()
    with _make(kind, workers) as ex:
        if kind == "ray" or workers > 1:  # start the workers and import numpy/datasketch there
            signatures(texts[: 4 * workers], executor=ex, chunk_size=1)
        setup = time.perf_counter() - t0
        t1 = time.perf_counter()
        sig, _ = signatures(texts, executor=ex)
        elapsed = time.perf_counter() - t1
    return {"items": n_texts, "seconds": elapsed, "setup_s": setup, "note": f"{sig.shape[0]} signatures"}


def _row(work: str, kind: str, workers: int, unit: str, r: dict) -> str:
    rate = r["items"] / r["seconds"] if r["seconds"] else float("inf")
    setup = f"  (set-up {r['setup_s']:.2f} s)" if r["setup_s"] else ""
    return (f"{work:10s} {kind:6s} {workers} worker{'s' if workers > 1 else ' '} {rate:9.2f} {unit}/s "
            f"{r['seconds']:8.2f} s  {r['note']}{setup}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3, help="HumanEval canonical solutions x N (default 3)")
    parser.add_argument("--targets", nargs="+", default=DEFAULT_TARGETS, help="mining targets")
    parser.add_argument("--no-mining", action="store_true", help="skip mining (it needs the package index)")
    parser.add_argument("--minhash-texts", type=int, default=50000)
    parser.add_argument("--only", choices=["execution", "minhash", "mining"], help="run one kind of work")
    args = parser.parse_args()
    try:
        import ray
    except ImportError:
        print("ray is not installed: pip install 'build-sft-set[ray]'", file=sys.stderr)
        return 2
    t0 = time.perf_counter()
    ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False)
    ray_start = time.perf_counter() - t0
    print(f"cores: {os.cpu_count()}, load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}, "
          f"Ray {ray.__version__} local start-up: {ray_start:.1f} s")
    results: dict[tuple[str, str, int], dict] = {}
    work_root = Path(tempfile.mkdtemp(prefix="sftset-scaling-"))
    try:
        plan = [("execution", "sample", lambda k, w: bench_execution(k, w, args.repeat)),
                ("minhash", "text", lambda k, w: bench_minhash(k, w, args.minhash_texts))]
        if args.only:
            plan = [step for step in plan if step[0] == args.only]
        if not args.no_mining and args.only in (None, "mining"):
            work = work_root / "mine"
            bench_mining("local", 2, args.targets, work)  # warm-up: fetch and build the environments once
            plan.append(("mining", "target", lambda k, w: bench_mining(k, w, args.targets, work)))
        for work_name, unit, fn in plan:
            for kind in ("local", "ray"):
                for workers in (1, 2):
                    r = fn(kind, workers)
                    results[(work_name, kind, workers)] = r
                    print(_row(work_name, kind, workers, unit, r), flush=True)
        print("\nspeed-up with 2 workers (time 1 / time 2) and Ray overhead (Ray time / local time):")
        for work_name, _, _ in plan:
            line = [f"{work_name:10s}"]
            for kind in ("local", "ray"):
                one, two = results[(work_name, kind, 1)], results[(work_name, kind, 2)]
                line.append(f"{kind} x{one['seconds'] / two['seconds']:.2f}")
            for w in (1, 2):
                line.append(f"overhead {w}w {results[(work_name, 'ray', w)]['seconds'] / results[(work_name, 'local', w)]['seconds']:.2f}")
            print("  ".join(line))
    finally:
        ray.shutdown()
        shutil.rmtree(work_root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
