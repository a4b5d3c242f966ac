NAME = "export"
HELP = "write curated/<version>/ (JSONL for trainers, manifest, dataset card, report)"
DESCRIPTION = """
Write a new dataset version from the state store (or from a JSONL file of records).
Problems are selected (no stage dropped them, they have a reference solution, no excluded
flag), then filtered for quality (Codex paper's code filters) and licence, decontaminated
against HumanEval and the benchmark files you name, and deduplicated (exact, same judge
problem, MinHash near-duplicates). Every problem left out is listed with its reason in
drops.jsonl, and the quality/decontam/dedup verdicts are kept in the state store.

Files: problems.jsonl.gz, humaneval.jsonl, sft_prompt_completion.jsonl, sft_messages.jsonl,
the same split into <format>.train.jsonl / <format>.validation.jsonl, manifest.json,
README.md (dataset card with Hugging Face metadata), report.html, CHANGELOG.md,
changelog.json and drops.jsonl. The version folder appears only when complete, and
<curated>/latest points at it.
"""
EXAMPLE = """
build-sft-set export
build-sft-set export --format sft_messages --license MIT,Apache-2.0 --benchmark mbpp.jsonl
build-sft-set export --problems my_records.jsonl --curated out --version v1
"""


def add_arguments(parser) -> None:
    from ._assembly_options import add_assembly_arguments

    parser.add_argument("--problems", metavar="FILE", help="export these records (ours or HumanEval's) instead of the store")
    parser.add_argument("--version", dest="version_name", metavar="NAME", help="version folder name (default: UTC timestamp)")
    parser.add_argument("--allow-empty", action="store_true",
                        help="write a version even when there is no problem to export (an empty store)")
    add_assembly_arguments(parser)


def check_version_name(ctx, name: str | None) -> None:
    import re

    from ..errors import InputError

    if name is None:
        return
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", name) or name == "latest":
        raise InputError("must be a plain folder name (letters, digits, . _ -), not 'latest'", field="--version")
    if (ctx.curated_dir / name).exists():
        raise InputError("already exists; choose another --version", str(ctx.curated_dir / name))


def run(ctx) -> int:
    from ..dataset.assemble import settings_from_context
    from ..jsonl import read_problems
    from ..orchestrator import run as run_stages
    from ..progress import log, plural

    args = ctx.args
    settings = settings_from_context(ctx)
    check_version_name(ctx, args.version_name)
    problems = read_problems(args.problems) if args.problems else None  # bad input fails before any write
    result = run_stages(ctx, settings, command="export", problems=problems, version=args.version_name,
                        allow_empty=args.allow_empty)
    pub = result.publication
    a = pub.assembly
    left_out = ", ".join(f"{k} {v}" for k, v in a.counts.most_common())
    log.info("wrote %s: %s%s", pub.path, plural(len(a.problems), "problem"),
             f" ({sum(a.counts.values())} left out: {left_out})" if a.counts else "")
    return 0
