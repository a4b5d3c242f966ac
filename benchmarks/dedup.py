"""Dedup throughput: exact + same-problem + MinHash LSH near-dedup of 10k, 50k and 100k generated problems.

    python benchmarks/dedup.py                 # 10k, 50k, 100k (each in a fresh process)
    python benchmarks/dedup.py --sizes 2000    # a quick run

Each size runs in its own process. Reported per size: wall time of `sftset.dataset.dedup.dedup` (all
three passes), the process's resident memory just before dedup (the generated records) and its peak
during dedup (VmHWM after resetting it; the whole process, records included), the drops found, and
the time per problem relative to the smallest size (x1.00 is linear growth), and the surviving pairs:
pairs of kept problems whose true word 5-gram Jaccard (over the same text dedup judges) is still
>= 0.7 (candidates from an LSH index at threshold 0.5, each verified on the exact shingle sets).
With --compare, the near pass is also timed with the earlier greedy matching (each record against the
records kept so far) on the same signatures, and the pairs that survive it are counted too.

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


def surviving_pairs(texts: list[str], threshold: float = 0.7) -> int:
    """Pairs among `texts` whose exact word 5-gram Jaccard is >= threshold."""
    from sftset.dataset.dedup import MinHasher, band_keys, lsh_bands, shared_buckets, shingles

    if len(texts) < 2:
        return 0
    sig, nonempty = MinHasher().signatures(texts)
    bands, rows = lsh_bands(0.5, sig.shape[1])
    buckets = shared_buckets(band_keys(sig, bands, rows))
    members: dict[int, list[int]] = {}
    for i, row in enumerate(buckets.tolist()):
        if nonempty[i]:
            for b in row:
                if b >= 0:
                    members.setdefault(b, []).append(i)
    pairs = {(a, b) for group in members.values() for k, a in enumerate(group) for b in group[k + 1:]}
    sets: dict[int, set] = {}
    found = 0
    for a, b in pairs:
        sa = sets.setdefault(a, set(shingles(texts[a])))
        sb = sets.setdefault(b, set(shingles(texts[b])))
        if sa and sb and len(sa & sb) / len(sa | sb) >= threshold:
            found += 1
    return found


def run_one(n: int, compare: bool = False) -> dict:
    from sftset.dataset.dedup import dedup, near_dup_text

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
    out = {"n": n, "seconds": round(seconds, 2), "peak_rss_mib": round(peak / 1024, 1),
           "rss_before_mib": round(before / 1024, 1), "kept": len(kept), "drops": kinds,
           "surviving_pairs": surviving_pairs([near_dup_text(p) for p in kept])}
    if compare:
        out.update(compare_matching(problems))
    return out


def compare_matching(problems) -> dict:
    """The near pass alone, greedy (earlier) vs clustered (now), on the same signatures and texts."""
    from sftset.dataset.dedup import (MinHasher, clustered_near_duplicates, greedy_near_duplicates, near_dup_text,
                                      rank)

    ranked = rank(problems)
    seen, unique = set(), []
    for p in ranked:  # the exact pass first, as dedup does
        if p.content_hash not in seen:
            seen.add(p.content_hash)
            unique.append(p)
    texts = [near_dup_text(p) for p in unique]
    sig, nonempty = MinHasher().signatures(texts)
    result = {}
    for name, matcher in (("greedy", greedy_near_duplicates), ("clustered", clustered_near_duplicates)):
        t0 = time.perf_counter()
        dropped = {i for i, _, _ in matcher(sig, nonempty, 0.7)}
        result[f"{name}_near_s"] = round(time.perf_counter() - t0, 2)
        result[f"{name}_surviving_pairs"] = surviving_pairs([t for i, t in enumerate(texts) if i not in dropped])
    return result


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
    parser.add_argument("--compare", action="store_true", help="also time the earlier greedy matching")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # child mode
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(args.one, args.compare)))
        return 0
    print(f"cores: {os.cpu_count()}  python: {sys.version.split()[0]}")
    print(f"{'problems':>9} {'seconds':>8} {'RSS before':>11} {'peak RSS':>9} {'kept':>7} {'surviving':>9}  "
          "drops (time per problem vs first)")
    results = []
    for n in args.sizes:
        out = subprocess.run([sys.executable, __file__, "--one", str(n)] + (["--compare"] if args.compare else []),
                             capture_output=True, text=True, check=True)
        r = json.loads(out.stdout.strip().splitlines()[-1])
        results.append(r)
        first = results[0]
        growth = (r["seconds"] / first["seconds"]) / (r["n"] / first["n"]) if first["seconds"] else float("nan")
        print(f"{r['n']:>9} {r['seconds']:>8.2f} {r['rss_before_mib']:>7.1f} MiB {r['peak_rss_mib']:>5.0f} MiB "
              f"{r['kept']:>7} {r['surviving_pairs']:>9}  {r['drops']} (x{growth:.2f})", flush=True)
        if args.compare:
            print(f"{'':>9} near pass on the same signatures: greedy {r['greedy_near_s']:.2f} s, "
                  f"{r['greedy_surviving_pairs']} surviving pairs; clustered {r['clustered_near_s']:.2f} s, "
                  f"{r['clustered_surviving_pairs']} surviving pairs", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
