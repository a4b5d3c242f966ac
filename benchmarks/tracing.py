"""Traced vs plain wall time of real test suites (the CI miner's tracer overhead).

    python benchmarks/tracing.py                         # the default targets, Python 3.11 and 3.12
    python benchmarks/tracing.py --python ~/.pyenv/versions/3.13.0/bin/python pypi:toolz==1.2.0

Each target is fetched and set up as `build-sft-set mine` does (its own virtualenv per
interpreter), then its suite runs in the sandbox REPEAT times plain and REPEAT times traced,
alternating; the median wall time of each is reported with the ratio. Targets from the issue:
at most 2x on Python 3.11 (sys.settrace by default), at most 1.3x on 3.12+ (sys.monitoring).
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from sftset.ci_mining.ci_config import read_plan  # noqa: E402
from sftset.ci_mining.project import read_project  # noqa: E402
from sftset.ci_mining.stage import load_targets  # noqa: E402
from sftset.ci_mining.suite import run_suite  # noqa: E402
from sftset.ci_mining.targets import fetch, parse_target  # noqa: E402
from sftset.ci_mining.venv import prepare_env  # noqa: E402

PYENV = Path.home() / ".pyenv" / "versions"


def default_pythons() -> list[str]:
    found = []
    for version in ("3.11", "3.12"):
        exes = sorted(PYENV.glob(f"{version}.*/bin/python{version}"))
        if exes:
            found.append(str(exes[-1]))
    return found or [sys.executable]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("targets", nargs="*", help="TARGETs (default: ci_mining/targets.toml)")
    parser.add_argument("--python", action="append", help="interpreter(s) (default: pyenv 3.11 and 3.12)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--engine", action="append", choices=("monitoring", "settrace", "setprofile"),
                        help="tracing engine(s) to time (default: each interpreter's default)")
    parser.add_argument("--work-dir", default="bench_work", help="sources and virtualenvs (default: ./bench_work)")
    args = parser.parse_args()
    targets = [parse_target(t) for t in args.targets] or [t for t, _ in load_targets(ROOT / "ci_mining" / "targets.toml")]
    work_root = Path(args.work_dir).resolve()
    rows = []
    for python in args.python or default_pythons():
        for target in targets:
            work = work_root / target.slug
            fetched = fetch(target, work)
            info = read_project(fetched.root, target.location)
            plan = read_plan(fetched.root)
            env = prepare_env(work / Path(python).name, fetched.root, plan, python)
            for wanted in args.engine or [None]:
                if wanted == "monitoring" and tuple(map(int, env.version.split(".")[:2])) < (3, 12):
                    continue
                rows.append(time_suite(target, env, fetched, work, plan, info, wanted, args.repeat))
    print()
    print(f"{'target':30} {'python':8} {'engine':10} {'plain s':>8} {'traced s':>9} {'ratio':>6}")
    for spec, version, engine, p, t, ratio in rows:
        print(f"{spec:30} {version:8} {engine:10} {p:8.2f} {t:9.2f} {ratio:6.2f}")
    for version, engine in sorted({(r[1], r[2]) for r in rows}):
        ratios = [r[5] for r in rows if (r[1], r[2]) == (version, engine)]
        print(f"Python {version} {engine}: median ratio {statistics.median(ratios):.2f}, max {max(ratios):.2f}")
    return 0


def time_suite(target, env, fetched, work, plan, info, engine, repeat):
    """Median plain and traced wall time of one suite, runs alternating."""
    plain, traced, used = [], [], ""
    for _ in range(repeat):
        for trace, times in ((False, plain), (True, traced)):
            t0 = time.perf_counter()
            run = run_suite(env, fetched.root, work / "run", plan, info.packages, trace=trace, time_s=900,
                            engine=engine)
            times.append(time.perf_counter() - t0)
            if trace and run.trace:
                used = run.trace["engine"]
    p, t = statistics.median(plain), statistics.median(traced)
    print(f"{target.spec:30} {env.version:8} {used:10} plain {p:6.2f}s  traced {t:6.2f}s  x{t / p:.2f}", flush=True)
    return (target.spec, env.version, used, p, t, t / p)


if __name__ == "__main__":
    sys.exit(main())
