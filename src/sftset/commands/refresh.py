NAME = "refresh"
HELP = "scheduled update: collect new and changed problems, publish a new version with a changelog"
DESCRIPTION = """
Run the collect stages (the scrapers read scrapers/sources.toml, the CI miner
ci_mining/targets.toml or [mine] targets), the solve filter and the export, doing only new and
changed work: cached HTTP answers, content hashes and the verdicts in the state store are
reused. A new version is written only when the dataset changed (--force writes one anyway);
it comes with CHANGELOG.md and changelog.json (problems added, removed and changed, with
reasons) and <curated>/latest is moved to it atomically.

Only one refresh (or export) runs at a time: a second one exits with status 1 and says who
holds the lock. A lock left by a killed refresh is detected and taken over, and whatever that
run left half done is finished or removed, so a killed refresh is simply run again.
"""
EXAMPLE = """
build-sft-set refresh -q                                  # from cron
build-sft-set refresh --source contests --benchmark mbpp.jsonl
build-sft-set refresh --from-store --license MIT,Apache-2.0   # re-assemble only
"""


def add_arguments(parser) -> None:
    from ..orchestrator import SOURCES
    from ._assembly_options import add_assembly_arguments

    parser.add_argument("--source", choices=SOURCES, default="all", help="what to collect (default: all)")
    parser.add_argument("--from-store", action="store_true",
                        help="skip collecting and filtering; assemble a version from what the state store holds")
    parser.add_argument("--force", action="store_true", help="write a new version even if nothing changed")
    parser.add_argument("--version", dest="version_name", metavar="NAME", help="version folder name (default: UTC timestamp)")
    add_assembly_arguments(parser)


def run(ctx) -> int:
    from ..dataset.assemble import settings_from_context
    from ..orchestrator import run as run_stages
    from ..progress import log, plural
    from .export import check_version_name

    args = ctx.args
    settings = settings_from_context(ctx)
    check_version_name(ctx, args.version_name)
    result = run_stages(ctx, settings, command=f"refresh --source {args.source}",
                        source=None if args.from_store else args.source, version=args.version_name,
                        skip_unchanged=not args.force)
    pub = result.publication
    c = pub.changelog["counts"]
    if pub.path is None:
        log.info("no changes since %s", pub.changelog["previous"])
    elif pub.changelog["previous"] is None:
        log.info("wrote %s: %s (the first version)", pub.path, plural(len(pub.assembly.problems), "problem"))
    else:
        log.info("wrote %s: %s (%d added, %d removed, %d changed since %s)", pub.path,
                 plural(len(pub.assembly.problems), "problem"), c["added"], c["removed"], c["changed"], pub.changelog["previous"])
    return 1 if result.failures else 0
