"""Options shared by `export` and `refresh`: what goes into a version and in which formats."""
from __future__ import annotations


def add_assembly_arguments(parser) -> None:
    from .. import executors

    executors.add_arguments(parser)  # --executor ray computes near-dedup MinHash on the cluster
    group = parser.add_argument_group("what goes into the version")
    group.add_argument("--format", action="append", metavar="NAME",
                       help="write only these formats: humaneval, sft_prompt_completion, sft_messages "
                            "(repeat or comma-separate; default all; problems.jsonl.gz is always written)")
    group.add_argument("--license", action="append", metavar="SPDX",
                       help="export only problems under these licences (SPDX ids; 'unknown' for none given; "
                            "repeat or comma-separate; default: every licence) [export] licenses")
    group.add_argument("--benchmark", action="append", metavar="FILE",
                       help="also decontaminate against this benchmark file (JSONL: MBPP's mbpp.jsonl, "
                            "HumanEval's format, ...); HumanEval is always checked [decontam] benchmarks")
    group.add_argument("--validation-fraction", type=float, metavar="F",
                       help="share of problems in the validation split, by hash of the task id (default 0.05)")
    group.add_argument("--include-flagged", action="store_true",
                       help="also export flagged problems (e.g. functions without a docstring)")
    group.add_argument("--no-report", action="store_true", help="do not write report.html")
