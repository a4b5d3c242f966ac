"""Dedup throughput: exact + same-problem + MinHash LSH near-dedup of 10k, 50k and 100k generated problems.

    python benchmarks/dedup.py                 # 10k, 50k, 100k (each in a fresh process)
    python benchmarks/dedup.py --sizes 2000    # a quick run

Each size runs in its own process. Reported per size: wall time of `sftset.dataset.dedup.dedup` (all
three passes), the process's resident memory just before dedup (the generated records) and its peak
during dedup (VmHWM after resetting it; the whole process, records included), the drops found, and
the time per problem relative to the smallest size (x1.00 is linear growth).

The problems: HumanEval-shaped prompts (signature + docstring of 30-400 words drawn from a Zipf
vocabulary of 30k words), 20% of them near-duplicates of another problem (2% of words changed) and
2% exact copies, so the LSH index sees realistic clusters.
"""
from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import subprocess
import sys
import time

import numpy as np

SEED = 20240601


def generate(n: int, seed: int = SEED):
    from sftset.record import Problem, content_hash

    rng = np.random.default_rng(seed)
    vocab = np.array([f"w{i}" for i in range(30000)], dtype=object)
    zipf = 1.0 / np.arange(1, len(vocab) + 1) ** 1.05
    lengths = rng.integers(30, 400, size=n)
    pool = vocab[rng.choice(len(vocab), size=int(lengths.sum()), p=zipf / zipf.sum())].tolist()
    problems = []
    texts: list[list[str]] = []
    offset = 0
    for i in range(n):
        roll = rng.random()
        if i > 10 and roll < 0.02:  # exact copy
            words = texts[int(rng.integers(0, len(texts)))]
        elif i > 10 and roll < 0.22:  # near-duplicate: 2% of the words replaced
            words = list(texts[int(rng.integers(0, len(texts)))])
            for k in rng.choice(len(words), size=max(1, len(words) // 50), replace=False):
                words[k] = vocab[int(rng.integers(0, len(vocab)))]
        else:
            words = pool[offset:offset + int(lengths[i])]
        offset += int(lengths[i])
        texts.append(words)
        prompt = f"def solve(xs: list) -> int:\n    \"\"\"{' '.join(words)}\n    \"\"\"\n"
        tests = [{"args": f"([{j}],)", "expected": str(j), "split": "hidden"} for j in range(int(rng.integers(1, 6)))]
        problems.append(Problem(
            task_id=f"gen/{i}", source="gen", kind="function", prompt=prompt, entry_point="solve",
            canonical_solution="    return len(xs)\n", tests=tests, test="",
            content_hash=content_hash(prompt, tests),
        ))
    return problems


def run_one(n: int) -> dict:
    from sftset.dataset.dedup import dedup

    problems = generate(n)
    gc.collect()
    before = current_rss_kib()
    _reset_peak()
    t0 = time.perf_counter()
    kept, drops = dedup(problems)
    seconds = time.perf_counter() - t0
    peak = peak_rss_kib()
    kinds: dict[str, int] = {}
    for d in drops:
        kinds[d.kind] = kinds.get(d.kind, 0) + 1
    return {"n": n, "seconds": round(seconds, 2), "peak_rss_mib": round(peak / 1024, 1),
            "rss_before_mib": round(before / 1024, 1), "kept": len(kept), "drops": kinds}


def current_rss_kib() -> int:
    with open("/proc/self/status") as fh:
        return next(int(line.split()[1]) for line in fh if line.startswith("VmRSS:"))


def _reset_peak() -> None:
    # Linux lets a process reset its high-water mark, so the peak is that of dedup, not of generating
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
    except OSError:
        pass


def peak_rss_kib() -> int:
    with open("/proc/self/status") as fh:
        hwm = next((int(line.split()[1]) for line in fh if line.startswith("VmHWM:")), 0)
    return hwm or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 50_000, 100_000])
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # child mode
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(args.one)))
        return 0
    print(f"cores: {os.cpu_count()}  python: {sys.version.split()[0]}")
    print(f"{'problems':>9} {'seconds':>8} {'RSS before':>11} {'peak RSS':>9} {'kept':>7}  drops (time per problem vs first)")
    results = []
    for n in args.sizes:
        out = subprocess.run([sys.executable, __file__, "--one", str(n)], capture_output=True, text=True, check=True)
        r = json.loads(out.stdout.strip().splitlines()[-1])
        results.append(r)
        first = results[0]
        growth = (r["seconds"] / first["seconds"]) / (r["n"] / first["n"]) if first["seconds"] else float("nan")
        print(f"{r['n']:>9} {r['seconds']:>8.2f} {r['rss_before_mib']:>7.1f} MiB {r['peak_rss_mib']:>5.0f} MiB "
              f"{r['kept']:>7}  {r['drops']} (x{growth:.2f})", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
