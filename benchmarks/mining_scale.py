"""Throughput of the CI miner with 1 and 2 targets at a time: packages/hour, problems/hour, peak memory
of the whole process tree, and disk per target (peak while mining, and what is left after).

    .venv/bin/python benchmarks/mining_scale.py pypi:case-conversion==3.0.2 pypi:funcy==2.1 ... \\
        --workers 1 2 --scratch /tmp/mining-scale
    .venv/bin/python benchmarks/mining_scale.py --targets large --first 6

Each setting mines the same targets with `build-sft-set mine --target-workers N` in a fresh work folder,
state store and package caches (UV_CACHE_DIR, PIP_CACHE_DIR), so no run gains from another's downloads
or builds. Memory is the sum of the resident sizes of the command and all its descendants (the sandboxed
suites and validation workers too), sampled every 0.5 s; disk per target comes from the miner's own
report (peak_disk_mb, disk_after_mb), the work folder's total is sampled every 5 s. Validation runs on
one sandbox worker per target (`--workers 1`) in every setting, so 2 targets at a time use 2 cores.
`load` is the mean 1-minute load average during the run: on a shared machine it says how much of the
difference is the machine.
"""
from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))


def tree_rss(root_pid: int) -> int:
    """Resident bytes of `root_pid` and every process descended from it (read from /proc)."""
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    page = os.sysconf("SC_PAGE_SIZE")
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            with open(f"/proc/{entry}/statm") as fh:
                rss[int(entry)] = int(fh.read().split()[1]) * page
            parents[int(entry)] = int(fields[1])
        except (OSError, IndexError, ValueError):
            continue
    total, seen, stack = 0, set(), [root_pid]
    children: dict[int, list[int]] = {}
    for pid, ppid in parents.items():
        children.setdefault(ppid, []).append(pid)
    while stack:
        pid = stack.pop()
        if pid in seen:
            continue
        seen.add(pid)
        total += rss.get(pid, 0)
        stack += children.get(pid, [])
    return total


def du(path: Path) -> int:
    total = 0
    for dirpath, _, files in os.walk(path):
        for name in files:
            try:
                total += os.lstat(os.path.join(dirpath, name)).st_size
            except OSError:
                pass
    return total


def run_once(targets: list[str], target_list: str | None, workers: int, scratch: Path, extra: list[str]) -> dict:
    here = scratch / f"workers-{workers}"
    if here.exists():
        shutil.rmtree(here)
    here.mkdir(parents=True)
    cmd = [sys.executable, "-m", "sftset", "-q", "mine", *targets, "--target-workers", str(workers),
           "--workers", "1", "--work-dir", str(here / "work"), "--state", str(here / "state.sqlite"),
           "--curated", str(here / "curated"), "--report", str(here / "report.json"), *extra]
    if target_list:
        cmd += ["--targets", target_list]
    env = {**os.environ, "UV_CACHE_DIR": str(here / "uv-cache"), "PIP_CACHE_DIR": str(here / "pip-cache")}
    env.pop("SFTSET_CONFIG", None)
    t0 = time.monotonic()
    with open(here / "log.txt", "w") as log:
        proc = subprocess.Popen(cmd, cwd=here, env=env, stdout=log, stderr=subprocess.STDOUT)
        peak_rss = peak_disk = 0
        last_du = 0.0
        loads = []
        while proc.poll() is None:
            peak_rss = max(peak_rss, tree_rss(proc.pid))
            loads.append(os.getloadavg()[0])
            if time.monotonic() - last_du > 5:
                peak_disk, last_du = max(peak_disk, du(here / "work")), time.monotonic()
            time.sleep(0.5)
    wall = time.monotonic() - t0
    report = json.loads((here / "report.json").read_text()) if (here / "report.json").is_file() else {}
    rows = report.get("targets", [])
    ok = [r for r in rows if r.get("status") == "ok"]
    kept = sum(r.get("problems_kept", 0) for r in ok)
    return {
        "workers": workers, "rc": proc.returncode, "wall_s": round(wall, 1), "targets": len(rows),
        "ok": len(ok), "kept": kept,
        "packages_per_hour": round(len(rows) / wall * 3600, 1), "problems_per_hour": round(kept / wall * 3600, 1),
        "peak_memory_mb": round(peak_rss / 2**20), "peak_work_disk_mb": round(peak_disk / 2**20),
        "mean_load": round(statistics.mean(loads), 1) if loads else None,  # the machine is shared: say how busy
        "per_target": [{k: r.get(k) for k in ("target", "status", "reason", "problems_kept", "elapsed_s",
                                              "peak_disk_mb", "disk_after_mb")} for r in rows],
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("targets", nargs="*", help="TARGETs to mine")
    ap.add_argument("--targets", dest="target_list", metavar="NAME|FILE", help="a group or file of targets")
    ap.add_argument("--first", type=int, help="with --targets: only its first N targets")
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="targets at a time to compare")
    ap.add_argument("--scratch", type=Path, default=Path("/tmp/sftset-mining-scale"))
    ap.add_argument("--json", type=Path, help="also write the figures here")
    ap.add_argument("--mine-args", default="", help="more `mine` options, as one string")
    args = ap.parse_args(argv)
    targets, target_list = list(args.targets), args.target_list
    if target_list and args.first:
        from sftset.ci_mining.target_lists import resolve

        reviewed = ROOT / "ci_mining" / "targets.toml"
        targets, target_list = [t.spec for t, _ in resolve(target_list, reviewed)[: args.first]], None
    if not targets and not target_list:
        ap.error("give TARGETs or --targets")
    extra = shlex.split(args.mine_args)
    results = []
    for n in args.workers:
        print(f"mining {len(targets) or target_list} with {n} target(s) at a time ...", file=sys.stderr, flush=True)
        results.append(run_once(targets, target_list, n, args.scratch, extra))
    print(f"{'workers':>7} {'rc':>3} {'wall_s':>8} {'targets':>7} {'ok':>3} {'kept':>5} {'pkg/h':>7} {'prob/h':>8} "
          f"{'peak_mem_MB':>11} {'peak_work_MB':>12} {'load':>5}")
    for r in results:
        print(f"{r['workers']:>7} {r['rc']:>3} {r['wall_s']:>8} {r['targets']:>7} {r['ok']:>3} {r['kept']:>5} "
              f"{r['packages_per_hour']:>7} {r['problems_per_hour']:>8} {r['peak_memory_mb']:>11} "
              f"{r['peak_work_disk_mb']:>12} {r['mean_load']:>5}")
    print("\ndisk per target (MB): peak while mining / after (from the miner's reports)")
    for r in results:
        peaks = [t["peak_disk_mb"] or 0 for t in r["per_target"]]
        afters = [t["disk_after_mb"] or 0 for t in r["per_target"]]
        print(f"  {r['workers']} worker(s): median peak {statistics.median(peaks or [0]):.1f}, max peak "
              f"{max(peaks or [0]):.1f}; median after {statistics.median(afters or [0]):.1f}")
        for t in r["per_target"]:
            print(f"    {t['target']:<40} {t['status']:<8} kept {t['problems_kept'] or 0:>3}  "
                  f"{t['elapsed_s'] or 0:>7.1f}s  peak {t['peak_disk_mb'] or 0:>7.1f}  after {t['disk_after_mb'] or 0:>6.1f}"
                  f"  {t['reason'] or ''}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
