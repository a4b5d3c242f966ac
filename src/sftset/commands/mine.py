NAME = "mine"
HELP = "trace projects' own test suites into function-level problems (the CI miner)"
DESCRIPTION = """
Mine each TARGET (a local path, a git URL, or pypi:NAME[==VERSION] for the sdist): set
it up the way its CI does (GitHub workflows, tox.ini, noxfile.py, .travis.yml, pytest
settings) in its own virtualenv, run its test suite in the sandbox (no network, time
and memory limits) with a tracer that records calls to the project's own functions,
and turn functions seen with at least 3 literal calls into problems (2, when generated
tests make up the third). Every problem is validated in the sandbox (3 fresh runs, same
outcomes as traced), gets generated tests from hypothesis, and has its tests' coverage
and mutation kill rate measured.
Kept problems go to the state store (and to --out as JSONL); a report per target
says what was run, traced, kept, and why the rest was dropped.
With no TARGET, mines the default group of ci_mining/targets.toml (or [mine] targets);
--targets NAME mines another group of it (large: some 400 packages; xl: large, then some
400 more), --targets FILE the targets a file lists. --target-workers N mines N targets at
once, each in its own process with its own sandboxed suite and limits; the results are
stored here as each one ends.
Targets already mined with the same settings are skipped unless --force.
"""
EXAMPLE = """
build-sft-set mine pypi:inflection==0.5.1 --out inflection.jsonl
build-sft-set mine ./my-project https://github.com/owner/repo.git
build-sft-set mine            # the default targets
build-sft-set mine --targets large --target-workers 2
"""


def add_arguments(parser) -> None:
    from .. import executors

    executors.add_arguments(parser)
    parser.add_argument("targets", nargs="*", metavar="TARGET", help="path, git URL, or pypi:NAME[==VERSION]")
    parser.add_argument("--targets", dest="target_list", metavar="NAME|FILE",
                        help="a group of ci_mining/targets.toml (default, large, ...) or a file of targets "
                             "(TOML [[target]] entries, or one TARGET a line) instead of TARGETs ([mine] targets)")
    parser.add_argument("--target-workers", dest="target_workers", type=int, metavar="N",
                        help="targets mined at once, each in its own process with its own sandboxed suite and "
                             "limits, validating on --workers sandbox workers (1 unless given) "
                             "(default 1; [mine] target_workers)")
    parser.add_argument("--out", metavar="FILE", help="also write the problems kept in this run as JSONL")
    parser.add_argument("--report", metavar="FILE", help="write the per-target reports as JSON")
    parser.add_argument("--python", metavar="PY", help="interpreter for the targets' virtualenvs (default: this one)")
    parser.add_argument("--workers", type=int, metavar="N", help="sandbox workers for validation (default: one per core)")
    parser.add_argument("--suite-time", dest="suite_time", type=float, metavar="S",
                        help="time limit of a traced test suite in seconds (default 900)")
    parser.add_argument("--engine", choices=("monitoring", "settrace", "setprofile"),
                        help="tracing engine (default: sys.monitoring on Python >= 3.12, else sys.settrace; "
                             "setprofile also pays for every C call)")
    parser.add_argument("--max-mutants", dest="max_mutants", type=int, metavar="N",
                        help="mutants tried per problem (default 30)")
    parser.add_argument("--max-generated", dest="max_generated", type=int, metavar="N",
                        help="hypothesis-generated tests kept per problem (default 10; 0 turns generation off)")
    parser.add_argument("--work-dir", dest="work_dir", metavar="DIR",
                        help="sources, virtualenvs and traces (default: <curated>/ci_work)")
    parser.add_argument("--force", action="store_true", help="mine again targets already mined")
    parser.add_argument("--keep-envs", dest="keep_envs", action="store_true", default=None,
                        help="keep each target's virtualenv and build folders after mining (default: removed)")


def run(ctx) -> int:
    import json

    from ..ci_mining.report import render_table
    from ..ci_mining.stage import configured_targets, mine_targets, settings_from_context, summary
    from ..ci_mining.targets import parse_target
    from ..errors import InputError
    from ..jsonl import write_jsonl_atomic
    from ..progress import log, plural

    args = ctx.args
    settings = settings_from_context(ctx)
    if args.targets and args.target_list:
        raise InputError("give TARGETs or --targets NAME|FILE, not both", field="targets")
    targets = [(parse_target(t), {}) for t in args.targets] if args.targets else configured_targets(ctx)
    reports, kept, failures = mine_targets(ctx, targets, settings)
    print(render_table(reports))
    if args.out:
        problems = kept
        if not problems:  # a rerun that skipped everything: the stored problems of these targets
            packages = {r.package for r in reports if r.package}
            problems = [p for p in ctx.store.problems("ci") if p.provenance.get("package") in packages]
        n = write_jsonl_atomic(args.out, (p.to_dict() for p in problems))
        log.info("wrote %s to %s", plural(n, "problem"), args.out)
    if args.report:
        with open(args.report, "w", encoding="utf-8") as fh:
            json.dump({"summary": summary(reports, failures), "targets": [r.to_dict() for r in reports]}, fh,
                      indent=2)
    return 1 if failures else 0
