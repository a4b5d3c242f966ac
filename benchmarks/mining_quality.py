"""Check an export of mined problems against issue 13's rules, and summarise mining reports.

    python benchmarks/mining_quality.py --problems curated/v1/problems.jsonl.gz \
        --reports before-report.json after-report.json [--sample 25 --seed 0]

For the problems (CI source only): test values that carry this machine's state (environment.py's
markers, with the work folder given by --work), and every shortcut of shortcuts.py run against the
problem's own tests in the sandbox (a shortcut passes when it gives every expected outcome); the kill
rate distribution. For the reports: per target, kept before and after, and the drops by reason.
With --sample, prints N problems drawn at random (seed) for a review by hand.
"""
from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
from pathlib import Path


def load_problems(path: Path):
    from sftset.jsonl import read_jsonl
    from sftset.record import Problem

    return [Problem.from_dict(r) for r in read_jsonl(path)]


def shortcut_check(problems) -> list[tuple[str, str]]:
    """(task id, shortcut) for every shortcut that passes all of a problem's tests, run in the sandbox."""
    from sftset.ci_mining.shortcuts import combined_program, decode
    from sftset.ci_mining.validate import GUARD, expected_key
    from sftset.ci_mining.literals import parse
    from sftset.sandbox import Executor, Job

    jobs, names = [], {}
    for p in problems:
        made = combined_program(p.prompt + p.canonical_solution, p.entry_point,
                                [t for t in p.tests if t.get("split") != "generated"])
        if made is None:
            continue
        names[p.task_id] = (made[0], p)
        calls = [(t["args"], t.get("kwargs", "{}")) for t in p.tests]
        jobs.append(Job(key=p.task_id, program=made[1] + GUARD, entry_point=p.entry_point, calls=calls, time_s=20,
                        memory_mb=1024))
    passing = []
    with Executor(workers=2) as ex:
        for v in ex.run(jobs):
            shortcut_names, p = names[v.key]
            if v.status != "passed" or v.outputs is None:
                passing.append((v.key, f"could not judge: {v.status} {v.detail[:80]}"))
                continue
            alive = set(range(len(shortcut_names)))
            for case, out in zip(p.tests, v.outputs):
                got = decode(parse(out["value"]), len(shortcut_names)) if "value" in out else None
                want = expected_key(case)
                alive = {k for k in alive if got is not None and got[k] == want}
            passing += [(v.key, shortcut_names[k]) for k in sorted(alive)]
    return passing


def machine_check(problems, work: Path | None):
    from sftset.ci_mining.environment import MachineState, machine_state_in

    state = MachineState.here(*([work] if work else []))
    hits = []
    for p in problems:
        for case in p.tests:
            hit = machine_state_in(case, state)
            if hit:
                hits.append((p.task_id, hit, case.get("args", "")[:80]))
    return hits


def summarise_reports(paths: list[Path]) -> None:
    for path in paths:
        data = json.loads(path.read_text())
        print(f"\n== {path}")
        for r in data["targets"]:
            drops = ", ".join(f"{k} {v}" for k, v in sorted(r.get("drops", {}).items(), key=lambda kv: -kv[1]))
            print(f"{r['target']:32} {r['status']:8} candidates {r.get('candidates', 0):>3} kept {r['problems_kept']:>3} "
                  f"kill {r.get('median_kill_rate')} | {drops}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--problems", type=Path)
    parser.add_argument("--reports", type=Path, nargs="*", default=[])
    parser.add_argument("--work", type=Path, help="the mining work folder (its paths are machine state)")
    parser.add_argument("--sample", type=int, default=0)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    summarise_reports(args.reports)
    if not args.problems:
        return 0
    problems = [p for p in load_problems(args.problems) if p.source == "ci"]
    print(f"\n{len(problems)} CI problems in {args.problems}")
    kills = [p.meta.get("kill_rate") for p in problems if isinstance(p.meta.get("kill_rate"), (int, float))]
    if kills:
        print(f"kill rate: median {statistics.median(kills):.3f}, min {min(kills):.3f}, "
              f"under 0.8: {sum(k < 0.8 for k in kills)}")
    hits = machine_check(problems, args.work)
    print(f"test values carrying machine state: {len(hits)}")
    for h in hits[:20]:
        print("  ", h)
    passing = shortcut_check(problems)
    print(f"shortcuts that pass a problem's tests: {len(passing)}")
    for task_id, name in passing[:20]:
        print("  ", task_id, "|", name)
    if args.sample:
        rng = random.Random(args.seed)
        for p in rng.sample(sorted(problems, key=lambda p: p.task_id), min(args.sample, len(problems))):
            print("\n" + "=" * 100 + f"\n{p.task_id}  kill {p.meta.get('kill_rate')} cov {p.meta.get('coverage')} "
                  f"tests {len(p.tests)}")
            fn = p.prompt[p.prompt.rfind('\ndef ') + 1:] if '\ndef ' in p.prompt else p.prompt
            print(f"context lines {p.prompt.count(chr(10)) - fn.count(chr(10))}")
            print(fn + p.canonical_solution)
            for t in p.tests[:8]:
                print("   ", t.get("args"), "->", t.get("expected", "raises " + str(t.get("raises"))), t.get("split"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
