NAME = "filter"
HELP = "sample a model on stored problems and keep those it can solve (the Codex-S solve filter)"
DESCRIPTION = """
Draw n samples per problem from a model (an OpenAI-compatible server, vLLM, transformers)
or read them from a file of {"task_id", "completion"} lines, run each through the sandbox
against the problem's tests, and keep problems with at least one passing sample. Passing
samples and the reference are rerun in fresh processes; a problem whose results differ is
dropped as flaky. Fills each record's `filter` field (counts, parameters, pass@1/10/100).

Samples are stored in the state store as they arrive: a rerun never asks for a stored
sample again, and a killed run resumes where it stopped. Defaults follow the paper:
n=100, temperature 0.8, top_p 0.95, stop at \\nclass \\ndef \\n# \\nif \\nprint.
Settings also come from [sampling] and [filter] in sftset.toml; the server URL from
$SFTSET_MODEL_URL and the key from $OPENAI_API_KEY.
"""
EXAMPLE = """
build-sft-set filter --url http://gpu1:8000 --url http://gpu2:8000 --model deepseek-coder-1.3b-base
build-sft-set filter --samples samples.jsonl --max-pass-rate 0.9
build-sft-set filter --backend hf --model bigcode/tiny_starcoder_py --n 10 --sample-only
"""


def add_arguments(parser) -> None:
    from ..sampling import add_sampling_arguments

    add_sampling_arguments(parser)
    from .. import executors

    executors.add_arguments(parser)
    g = parser.add_argument_group("filter (also [filter] in sftset.toml)")
    g.add_argument("--reruns", type=int, help="reruns of passing samples and the reference (default 3)")
    g.add_argument("--min-pass-rate", type=float, metavar="R", help="drop problems solved by fewer than R of samples")
    g.add_argument("--max-pass-rate", type=float, metavar="R", help="drop problems solved by more than R (too easy)")
    g.add_argument("--keep-solutions", type=int, metavar="K",
                   help="distinct passing samples kept as extra references (default 5)")
    g.add_argument("--workers", type=int, help="sandbox workers (default: one per core)")
    g.add_argument("--only-source", action="append", metavar="NAME", help="only problems from this source (repeatable)")
    g.add_argument("--limit", type=int, metavar="N", help="at most N problems (in task_id order)")
    g.add_argument("--sample-only", action="store_true", help="draw and store samples; do not run or judge them")
    g.add_argument("--redo", action="store_true", help="judge again problems already judged with these settings")


def run(ctx) -> int:
    from ..errors import InputError, WorkFailed
    from ..filtering.stage import candidates, mark_unfiltered, run_filter
    from ..progress import log, plural
    from ..sampling import settings_from_context

    if not settings_from_context(ctx).configured:
        raise InputError("give a model (--url, --backend hf|vllm --model M) or --samples FILE; "
                         "see build-sft-set filter --help")
    problems = candidates(ctx.store, None, ctx.args.only_source)
    if ctx.args.limit is not None:
        problems = problems[: max(0, ctx.args.limit)]
    stats = run_filter(ctx, problems)
    if not ctx.args.sample_only:
        stats["unfiltered"] = mark_unfiltered(ctx.store, problems)
    drops = stats.get("dropped_by_reason", {})
    log.info("filter: %s (%d judged before): %d kept, %d dropped%s, %s; samples: %d drawn, "
             "%d reused; %s, %s",
             plural(stats.get("problems", 0), "problem"), stats.get("already_done", 0), stats.get("kept", 0), stats.get("dropped", 0),
             f" ({', '.join(f'{k} {v}' for k, v in sorted(drops.items()))})" if drops else "",
             plural(stats.get("errors", 0), "error"), stats.get("samples_drawn", 0), stats.get("samples_reused", 0),
             plural(stats.get("executions", 0), "run"), plural(stats.get("reruns", 0), "rerun"))
    if "server_error" in stats:
        raise WorkFailed(f"model server unavailable: {stats['server_error']}; "
                         "samples so far are stored, rerun to resume")
    return 1 if stats.get("errors") else 0
