"""How strong are a contest problem's tests: samples only, against samples plus generated tests.

    python benchmarks/test_strength.py [--max-mutants 40] [--workers 2] [--json out.json]

Problems with a ground truth (hidden judge data and a known-correct program):
  kattis  problem packages `different` and `oddecho` (data/secret; problemtools examples, MIT).
          The packages ship no programs: the correct programs are written here, and each must
          pass all of the secret data before it is used.
  aoj     CGL_1_A with its judge cases (constructed fixture, see tests/fixtures/judges/README.md),
          float checker; correct programs written here, checked against the judge cases.
  apps    real APPS problems 0001 and 0111 (stdio); tests not shown in the statement are the
          hidden data; correct programs are APPS' own solutions that convert safely.
  code_contests  the constructed CodeContests rows of the fixtures (stdio, Python 3 solutions).

For each problem: wrong programs are built from each correct one by one mutation each
(off-by-one and wrong constants, flipped comparisons, swapped arithmetic, dropped branches,
truncated loops, and a slow brute force that is quadratic in the input length). A mutant is
*wrong* when it fails the public or hidden data (the ground truth); mutants that pass it are
equivalent for all we know and left out. Generated tests come from the samples and the
statement's bounds (sftset.contests.generate, default caps) with outputs from the reference
(the first correct program), exactly as the solve filter makes them for a problem with a
reference. Reported per source:

  TNR  wrong programs rejected / wrong programs   (samples only; samples + generated)
  TPR  correct programs accepted / correct programs (must stay 1.0)

and the same with the generated outputs established by agreement instead (no reference): the
pool is every program that passes the samples, correct ones and the wrong ones the samples miss,
as the solve filter's pool is a model's passing samples.

Every program runs in the sandbox (sftset.sandbox.Executor); needs root, as the sandbox does.
"""
from __future__ import annotations

import argparse
import ast
import copy
import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIX = ROOT / "tests" / "fixtures"

# Correct programs for the judge packages that ship none (each is checked against the secret data).
KATTIS_PROGRAMS = {
    "different": [
        "import sys\nfor line in sys.stdin:\n    p = line.split()\n    if len(p) == 2:\n"
        "        a, b = int(p[0]), int(p[1])\n        print(abs(a - b))\n",
        "import sys\ndata = sys.stdin.read().split()\nout = []\nfor i in range(0, len(data) - 1, 2):\n"
        "    x, y = int(data[i]), int(data[i + 1])\n    out.append(str(x - y if x > y else y - x))\n"
        "print('\\n'.join(out))\n",
    ],
    "oddecho": [
        "n = int(input())\nwords = [input() for _ in range(n)]\nfor i in range(0, n, 2):\n    print(words[i])\n",
        "import sys\nlines = sys.stdin.read().split()\nn = int(lines[0])\nfor k, w in enumerate(lines[1:n + 1]):\n"
        "    if k % 2 == 0:\n        print(w)\n",
    ],
}
AOJ_PROGRAMS = [
    "x1, y1, x2, y2 = map(float, input().split())\nq = int(input())\ndx, dy = x2 - x1, y2 - y1\n"
    "d = dx * dx + dy * dy\nfor _ in range(q):\n    px, py = map(float, input().split())\n"
    "    t = ((px - x1) * dx + (py - y1) * dy) / d\n    print('%.10f %.10f' % (x1 + t * dx, y1 + t * dy))\n",
    "import sys\nv = list(map(float, sys.stdin.read().split()))\nax, ay, bx, by = v[:4]\nq = int(v[4])\n"
    "ux, uy = bx - ax, by - ay\nn2 = ux ** 2 + uy ** 2\nfor k in range(q):\n    px, py = v[5 + 2 * k], v[6 + 2 * k]\n"
    "    r = (ux * (px - ax) + uy * (py - ay)) / n2\n    print(f'{ax + r * ux:.10f} {ay + r * uy:.10f}')\n",
]


@dataclass
class Case:
    source: str
    task_id: str
    problem: object  # sftset.record.Problem (public tests only in .tests; hidden kept apart)
    hidden: list[tuple[str, str]]
    correct: list[str]  # plain programs (stdin -> stdout)
    notes: list[str] = field(default_factory=list)


def load_cases() -> list[Case]:
    from sftset.scrapers import kattis
    from sftset.scrapers.base import Skip
    from sftset.scrapers.apps import parse_apps_folder
    from sftset.scrapers.code_contests import parse_row
    from sftset.scrapers.convert import to_problem
    from sftset.scrapers.rows import iter_rows

    cases: list[Case] = []

    def add(source, pp, correct):
        hidden = list(pp.hidden)
        pp.hidden, pp.generated, pp.solution = [], [], ""
        problem = to_problem(pp)
        cases.append(Case(source, problem.task_id, problem, hidden, correct))

    pkgs = FIX / "judges" / "kattis" / "problem-packages" / "examples"
    for name, programs in KATTIS_PROGRAMS.items():
        try:
            add("kattis", kattis.parse_package(pkgs / name), programs)
        except Skip as exc:  # e.g. `different` declares a custom output validator
            print(f"kattis/{name}: left out ({exc.reason})", file=sys.stderr)
    add("aoj", _aoj_problem(), AOJ_PROGRAMS)
    for folder in ("0001", "0111"):
        pp = parse_apps_folder(f"train/{folder}", FIX / "datasets" / "apps" / "train" / folder)
        sols = json.loads((FIX / "datasets" / "apps" / "train" / folder / "solutions.json").read_text())
        add("apps", pp, [s for s in sols if isinstance(s, str)][:6])
    for stem, i, row in iter_rows(FIX / "datasets" / "code_contests" / "valid.jsonl"):
        try:
            pp = parse_row(row["name"], row)
        except Exception:  # interactive or not convertible: not a stdio case
            continue
        sols = row.get("solutions") or {}
        py3 = [s for lang, s in zip(sols.get("language", []), sols.get("solution", [])) if lang == 3]
        pp.hidden = list(pp.hidden) + list(pp.generated)  # the dataset's own data is all ground truth here
        if py3 and pp.kind == "stdio":
            add("code_contests", pp, py3)
    return cases


def _aoj_problem():
    from sftset.scrapers.aoj import parse_problem

    d = FIX / "judges" / "aoj"
    docs = {"description": (d / "descriptions.en.CGL_1_A.json").read_text(),
            "samples": (d / "testcases.samples.CGL_1_A.json").read_text(),
            "cases": {str(i): (d / f"testcases.CGL_1_A.{i}.json").read_text() for i in range(1, 5)}}
    return parse_problem("CGL_1_A", docs, "https://onlinejudge.u-aizu.ac.jp/problems/CGL_1_A")


# ---- mutants -------------------------------------------------------------------------------
SWAP_CMP = {ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt, ast.Eq: ast.NotEq, ast.NotEq: ast.Eq}
SWAP_OP = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Add, ast.FloorDiv: ast.Mult, ast.Mod: ast.FloorDiv}


def _sites(tree: ast.AST) -> list[tuple[str, ast.AST, object]]:
    sites = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            for k, op in enumerate(node.ops):
                if type(op) in SWAP_CMP:
                    sites.append(("flipped comparison", node, k))
        elif isinstance(node, ast.BinOp) and type(node.op) in SWAP_OP:
            sites.append(("wrong operator", node, None))
        elif isinstance(node, ast.Constant) and type(node.value) is int:
            sites.append(("off-by-one", node, 1))
            sites.append(("off-by-one", node, -1))
            if node.value not in (0,):
                sites.append(("wrong constant", node, 0))
        elif isinstance(node, ast.If):
            sites.append(("dropped branch", node, None))
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "range" and node.args:
            sites.append(("truncated loop", node, None))
    return sites


def _apply(tree: ast.Module, index: int) -> tuple[str, str]:
    tree = copy.deepcopy(tree)
    kind, node, arg = _sites(tree)[index]
    if kind == "flipped comparison":
        node.ops[arg] = SWAP_CMP[type(node.ops[arg])]()
    elif kind == "wrong operator":
        node.op = SWAP_OP[type(node.op)]()
    elif kind in ("off-by-one", "wrong constant"):
        node.value = node.value + arg if kind == "off-by-one" else 0
    elif kind == "dropped branch":
        node.body = [ast.Pass()] if not node.orelse else node.orelse
        node.orelse = []
    elif kind == "truncated loop":
        last = node.args[1] if len(node.args) >= 2 else node.args[0]
        new = ast.BinOp(left=last, op=ast.Sub(), right=ast.Constant(1))
        if len(node.args) >= 2:
            node.args[1] = new
        else:
            node.args[0] = new
    return kind, ast.unparse(ast.fix_missing_locations(tree))


def mutants(program: str, limit: int) -> list[tuple[str, str]]:
    tree = ast.parse(program)
    n = len(_sites(tree))
    step = max(1, n // limit) if limit else 1
    out = [_apply(tree, i) for i in range(0, n, step)][:limit]
    slow = "import sys as _s\n_d = _s.stdin.read()\n_s.stdin = __import__('io').StringIO(_d)\n" \
           "for _i in range(len(_d) ** 2 * 40):\n    pass\n" + program
    return out + [("slow brute force", slow)]


# ---- judging -------------------------------------------------------------------------------
def judge(case: Case, executor, max_mutants: int, caps, rule) -> dict:
    from sftset.contests.constraints import parse_bounds
    from sftset.contests.generate import Generator
    from sftset.contests.outputs import by_agreement, from_reference, out_same, run_programs
    from sftset.scrapers.program import NotConvertible, stdio_body

    p = case.problem
    public = [(t["input"], t["output"]) for t in p.tests]
    time_s = float(p.limits.get("time_s", 2))

    def body(program: str) -> str | None:
        try:
            return stdio_body(program)
        except (NotConvertible, SyntaxError):
            return None

    correct = {f"c{k}": b for k, prog in enumerate(case.correct) if (b := body(prog))}
    wrong_candidates: dict[str, tuple[str, str]] = {}
    for k, prog in enumerate(case.correct[:2]):
        for j, (kind, text) in enumerate(mutants(prog, max_mutants)):
            b = body(text)
            if b and b not in correct.values():
                wrong_candidates[f"m{k}.{j}"] = (kind, b)
    inputs_truth = [i for i, _ in public] + [i for i, _ in case.hidden]
    truth = [o for _, o in public] + [o for _, o in case.hidden]
    programs = {**correct, **{name: b for name, (_, b) in wrong_candidates.items()}}
    answers = run_programs(p.prompt, "solve", programs, inputs_truth, executor, time_s=time_s)

    def ok_on(name: str, idx: range) -> bool:
        return all(answers[name][i] is not None and out_same(answers[name][i], truth[i], p.checker) for i in idx)

    everything = range(len(inputs_truth))
    really_correct = [n for n in correct if ok_on(n, everything)]
    wrong = [n for n in wrong_candidates if not ok_on(n, everything)]
    reference = really_correct[0] if really_correct else None
    made = Generator([i for i, _ in public], parse_bounds(p.prompt), caps, seed=1).inputs([i for i, _ in public])
    gen_inputs = [t for t, _ in made]
    expected: dict[int, str] = {}
    gen_answers: dict[str, list] = {}
    if reference and gen_inputs:
        run = {n: programs[n] for n in really_correct + wrong}
        gen_answers = run_programs(p.prompt, "solve", run, gen_inputs, executor, time_s=time_s)
        expected = from_reference(gen_answers[reference]).outputs

    def passes_generated(name: str, want_of: dict[int, str] | None = None) -> bool:
        want_of = expected if want_of is None else want_of
        return all(gen_answers[name][k] is not None and out_same(gen_answers[name][k], want, p.checker)
                   for k, want in want_of.items())

    pub = range(len(public))
    rejected_samples = [n for n in wrong if not ok_on(n, pub)]
    rejected_both = [n for n in wrong if not ok_on(n, pub) or not passes_generated(n)]
    # Without a reference: outputs by agreement of every program that passes the samples (the correct
    # ones and the wrong ones the samples miss), as the filter does with a model's passing samples.
    pool = [n for n in really_correct + wrong if ok_on(n, pub)] if gen_answers else []
    agreed = by_agreement({n: gen_answers[n] for n in pool}, len(gen_inputs), p.checker, rule).outputs if pool else {}
    rejected_agree = [n for n in wrong if not ok_on(n, pub) or not passes_generated(n, agreed)]
    return {
        "task_id": case.task_id, "bounds": len(parse_bounds(p.prompt)), "public": len(public),
        "hidden": len(case.hidden), "generated": len(expected), "correct": len(really_correct),
        "correct_not_passing_truth": len(correct) - len(really_correct),
        "correct_accepted_samples": sum(ok_on(n, pub) for n in really_correct),
        "correct_accepted_generated": sum(ok_on(n, pub) and passes_generated(n) for n in really_correct),
        "wrong": len(wrong), "equivalent_mutants": len(wrong_candidates) - len(wrong),
        "rejected_samples": len(rejected_samples), "rejected_generated": len(rejected_both),
        "agreed": len(agreed), "pool": len(pool), "rejected_agreement": len(rejected_agree),
        "correct_accepted_agreement": sum(ok_on(n, pub) and passes_generated(n, agreed) for n in really_correct),
        "survivors": sorted({wrong_candidates[n][0] for n in wrong if n not in rejected_both}),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--max-mutants", type=int, default=40, help="mutants per correct program (two programs)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--json", help="write the per-problem figures here")
    parser.add_argument("--max-dissent", type=float, default=None,
                        help="agreement margin ([filter] agreement_max_dissent; default: the filter's default)")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT / "src"))
    from sftset.contests.generate import GenCaps
    from sftset.contests.outputs import AgreementRule
    from sftset.sandbox import Executor

    rule = AgreementRule() if args.max_dissent is None else AgreementRule(max_dissent=args.max_dissent)
    print(f"agreement: at least {rule.min_programs} programs, at most {rule.max_dissent:g} dissenting")
    t0 = time.monotonic()
    rows = []
    with Executor(workers=args.workers) as ex:
        for case in load_cases():
            rows.append({"source": case.source, **judge(case, ex, args.max_mutants, GenCaps(), rule)})
    by_source: dict[str, dict] = {}
    for r in rows:
        s = by_source.setdefault(r["source"], {k: 0 for k in ("problems", "wrong", "rejected_samples",
                                                              "rejected_generated", "correct",
                                                              "correct_accepted_samples",
                                                              "correct_accepted_generated", "generated",
                                                              "rejected_agreement", "correct_accepted_agreement",
                                                              "agreed")})
        s["problems"] += 1
        for k in list(s)[1:]:
            s[k] += r[k]
    print(f"{'source':14} {'problems':>8} {'wrong':>6} {'TNR samples':>12} {'TNR +gen':>9} {'correct':>8} "
          f"{'TPR samples':>12} {'TPR +gen':>9} {'gen tests':>9} | by agreement: {'TNR':>6} {'TPR':>6} {'tests':>6}")
    for src, s in by_source.items():
        tnr = lambda k: f"{s[k] / s['wrong']:.3f}" if s["wrong"] else "-"  # noqa: E731
        tpr = lambda k: f"{s[k] / s['correct']:.3f}" if s["correct"] else "-"  # noqa: E731
        print(f"{src:14} {s['problems']:>8} {s['wrong']:>6} {tnr('rejected_samples'):>12} "
              f"{tnr('rejected_generated'):>9} {s['correct']:>8} {tpr('correct_accepted_samples'):>12} "
              f"{tpr('correct_accepted_generated'):>9} {s['generated']:>9} | {'':13}{tnr('rejected_agreement'):>6} "
              f"{tpr('correct_accepted_agreement'):>6} {s['agreed']:>6}")
    for r in rows:
        print(f"  {r['task_id']}: {r['wrong']} wrong ({r['equivalent_mutants']} equivalent left out), "
              f"rejected {r['rejected_samples']} by samples, {r['rejected_generated']} with {r['generated']} "
              f"generated tests ({r['bounds']} bounds parsed); correct {r['correct_accepted_generated']}/"
              f"{r['correct']}; survivors: {', '.join(r['survivors']) or '-'}; by agreement of {r['pool']} "
              f"programs: {r['agreed']} tests, rejected {r['rejected_agreement']}, correct "
              f"{r['correct_accepted_agreement']}/{r['correct']}")
    print(f"({time.monotonic() - t0:.0f} s)")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
