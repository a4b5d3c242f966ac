NAME = "export"
HELP = "write curated/<version>/ (JSONL for trainers, manifest, dataset card)"
DESCRIPTION = """
Write a new dataset version from the state store (or from a JSONL file of records):
problems.jsonl.gz, humaneval.jsonl, sft_prompt_completion.jsonl, sft_messages.jsonl,
manifest.json and a dataset card. The version folder appears only when complete, and
<curated>/latest points at it.
"""
EXAMPLE = """
build-sft-set export
build-sft-set export --problems my_records.jsonl --curated out --version v1
"""


def add_arguments(parser) -> None:
    parser.add_argument("--problems", metavar="FILE", help="export these records (ours or HumanEval's) instead of the store")
    parser.add_argument("--version", dest="version_name", metavar="NAME", help="version folder name (default: UTC timestamp)")
    parser.add_argument("--include-flagged", action="store_true",
                        help="also export flagged problems (e.g. functions without a docstring)")


def run(ctx) -> int:
    import re

    from ..dataset.export import write_version
    from ..dataset.select import select_for_export, select_from_store
    from ..errors import InputError
    from ..jsonl import read_problems
    from ..progress import log

    args = ctx.args
    excluded = () if args.include_flagged else tuple(
        ctx.config.resolve(None, "export", "exclude_flags", ["no_docstring"], list))
    if args.version_name is not None and (
        not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", args.version_name) or args.version_name == "latest"
    ):
        raise InputError("must be a plain folder name (letters, digits, . _ -), not 'latest'",
                         field="--version")
    if args.problems:
        problems, drops = select_for_export(read_problems(args.problems), {}, excluded_flags=excluded)
    else:
        problems, drops = select_from_store(ctx.store, excluded_flags=excluded)
    if args.version_name and (ctx.curated_dir / args.version_name).exists():
        raise InputError("already exists; choose another --version", str(ctx.curated_dir / args.version_name))
    out = write_version(problems, ctx.curated_dir, version=args.version_name,
                        config={"excluded_flags": list(excluded)}, stats={"drops": dict(drops)})
    log.info("wrote %s: %d problems%s", out, len(problems),
             f" ({sum(drops.values())} left out: " + ", ".join(f"{k} {v}" for k, v in drops.most_common()) + ")"
             if drops else "")
    return 0
