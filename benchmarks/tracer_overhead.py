"""Tracer overhead: a fixed workload run untraced (the anchor) and traced by the CI miner's tracer.

    python benchmarks/tracer_overhead.py                      # this checkout's tracer
    python benchmarks/tracer_overhead.py --compare main       # and the tracer of a git revision, as a second arm
    python benchmarks/tracer_overhead.py --compare old/tracer.py   # or of a file
    python benchmarks/tracer_overhead.py --engine settrace --repeat 5 --only machine

Run it with the project's virtualenv (`.venv/bin/python`, after the README's install); it needs nothing
else (no network, no sandbox): the traced code is a small synthetic project in
benchmarks/tracer_overhead/tbproj, whose workloads stand for real suites:

  * text: pure functions on strings and numbers, many calls with few distinct arguments;
  * tree: trees of project objects built by their constructors, passed as arguments (each node's
    constructor call is traced and the tree is named by those calls);
  * machine: a stack machine whose instructions' methods take the machine (an instance that changes at
    each call) as their argument, as pybtex's BibTeX interpreter does;
  * recursion: deep recursion (about 400 frames) and many small recursive calls.

Each arm runs each workload --repeat times, each time in a fresh process: the workload untraced (the
anchor), then traced by a fresh Tracer with the containment audit hook a suite gets; arms alternate.
The median wall times are printed with the ratio traced / anchor: 1.0 means the tracer costs nothing,
20 means a 1 s suite takes 20 s traced. Figures
are only comparable within one run (same machine state); compare arms by their ratios. With
--compare, the script also checks that both tracers record the same thing (the trace minus timings).
The engine is the interpreter's default (sys.monitoring on 3.12+, sys.settrace before) unless --engine.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent / "tracer_overhead"))

from tbproj import machine, recursion, text, tree  # noqa: E402


def work_text():
    words = ["Hello World", "the art of computer programming", "a tale of two cities", "Ünïcode & co"]
    for i in range(8000):
        w = words[i % len(words)]
        text.slugify(w)
        text.title_case(w)
        text.checksum(i * 7919)
        text.parse_duration(f"{i % 5}h{i % 60}m{i % 7}s")
        text.split_pairs([f"k{i % 3}=v", "x=1", "junk"])


def work_tree():
    for i in range(180):
        root = tree.build(4, 3, i % 4)
        tree.evaluate(root)
        tree.render(root)
        tree.count_leaves(root)


def work_machine():
    for i in range(150):
        machine.run(40 + i % 3, f"m{i % 2}")


def work_recursion():
    for i in range(120):
        recursion.depth_sum(300 + i % 5)
        recursion.flatten(recursion.nest(60 + i % 3))
        recursion.partitions(12 + i % 3)


WORKLOADS = {"text": work_text, "tree": work_tree, "machine": work_machine, "recursion": work_recursion}


def load_tracer(revision: str | None):
    """The tracer module of this checkout, or the text of a git revision's tracer (or of a tracer.py file)
    loaded as a module next to it (its relative imports then find this checkout's sftset.values)."""
    if revision is None:
        from sftset.ci_mining import tracer
        return tracer
    if Path(revision).is_file():  # a tracer.py given as a file (a merge being tried, say)
        source = Path(revision).read_text(encoding="utf-8")
    else:
        source = subprocess.run(["git", "-C", str(REPO), "show", f"{revision}:src/sftset/ci_mining/tracer.py"],
                                capture_output=True, text=True, check=True).stdout
    name = "sftset.ci_mining._tracer_" + "".join(c if c.isalnum() else "_" for c in revision)
    spec = importlib.util.spec_from_loader(name, loader=None)
    module = importlib.util.module_from_spec(spec)
    module.__package__ = "sftset.ci_mining"
    sys.modules[name] = module
    exec(compile(source, f"<tracer at {revision}>", "exec"), module.__dict__)
    return module


def child(arm: str, workload: str, engine: str | None) -> None:
    """One process: the workload untraced (a warm-up, then the median of 3 is the anchor), then traced by the arm's tracer with the audit
    hook a suite gets (it cannot be removed, so each arm runs in its own process); prints JSON."""
    module = load_tracer(None if arm == "current" else arm)
    run = WORKLOADS[workload]
    run()  # warm-up: imports and caches, untimed
    anchors = []
    for _ in range(3):
        t0 = time.perf_counter()
        run()
        anchors.append(time.perf_counter() - t0)
    anchor = statistics.median(anchors)
    with tempfile.TemporaryDirectory() as work:
        tracer = module.Tracer(["tbproj"], workdir=work, engine=engine)
        tracer.start()
        t0 = time.perf_counter()
        try:
            run()
        finally:
            traced = time.perf_counter() - t0
            tracer.stop()
    trace = tracer.result()
    trace.pop("elapsed_s")
    print(json.dumps({"anchor": anchor, "traced": traced, "trace": trace}))


def measure(arm: str, workload: str, engine: str | None) -> dict:
    cmd = [sys.executable, __file__, "--child", arm, "--only", workload] + (["--engine", engine] if engine else [])
    done = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--compare", metavar="REV", help="also time the tracer of this git revision (e.g. main) or tracer.py file")
    parser.add_argument("--engine", choices=("monitoring", "settrace", "setprofile"),
                        help="tracing engine (default: the interpreter's)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only", action="append", choices=sorted(WORKLOADS), help="workload(s) to run")
    parser.add_argument("--child", metavar="ARM", help=argparse.SUPPRESS)
    args = parser.parse_args()
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 3000))
    if args.child:
        child(args.child, args.only[0], args.engine)
        return 0
    arms = ["current"] + ([args.compare] if args.compare else [])
    engine = args.engine or ("monitoring" if hasattr(sys, "monitoring") else "settrace")
    print(f"Python {sys.version.split()[0]}, engine {engine}, repeat {args.repeat}; times are medians, "
          f"ratio = traced / anchor (same process)")
    print(f"{'workload':10}" + "".join(f" {Path(arm).name[:12]:>12}: anchor s  traced s  ratio" for arm in arms))
    rows = []
    for name in args.only or list(WORKLOADS):
        runs = {arm: [] for arm in arms}
        for _ in range(args.repeat):
            for arm in arms:  # alternating, so that a change in the machine's load touches both arms
                runs[arm].append(measure(arm, name, args.engine))
        line, ratios = f"{name:10}", []
        for arm in arms:
            anchor = statistics.median(r["anchor"] for r in runs[arm])
            traced = statistics.median(r["traced"] for r in runs[arm])
            ratios.append(traced / anchor)
            line += f" {'':12}  {anchor:8.3f}  {traced:8.3f}  {traced / anchor:5.1f}"
        if len(arms) > 1:
            line += "  same trace" if runs[arms[1]][0]["trace"] == runs["current"][0]["trace"] else "  TRACES DIFFER"
        print(line, flush=True)
        rows.append(ratios)
    for i, arm in enumerate(arms):
        print(f"{arm}: median ratio {statistics.median(r[i] for r in rows):.1f}, max {max(r[i] for r in rows):.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
