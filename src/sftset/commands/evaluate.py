NAME = "evaluate"
HELP = "run samples against problems in the sandbox and print pass@k"
DESCRIPTION = """
Run every sample ({"task_id", "completion"} per line, HumanEval's shape) against its
problem (HumanEval-format rows or our records) in the sandboxed executor. Writes
<samples>_results.jsonl with `passed` and `result` per sample, like HumanEval's harness,
and prints the unbiased pass@k estimate for each k (k larger than n is skipped).
"""
EXAMPLE = """
build-sft-set evaluate --problems curated/latest/humaneval.jsonl --samples samples.jsonl -k 1,10,100
build-sft-set evaluate --problems humaneval.jsonl --samples samples.jsonl --executor ray --ray-address auto
"""


def add_arguments(parser) -> None:
    parser.add_argument("--problems", required=True, metavar="FILE", help="problems (HumanEval rows or our records; .gz ok)")
    parser.add_argument("--samples", required=True, metavar="FILE", help="samples: one {task_id, completion} per line")
    parser.add_argument("-k", dest="ks", default=None, metavar="K,K", help="values of k for pass@k (default 1,10,100)")
    parser.add_argument("--workers", type=int, default=None, help="sandbox workers (default: one per core, or per CPU of the Ray cluster)")
    parser.add_argument("--sample-time", dest="sample_time_s", type=float, default=None, metavar="S",
                        help="time limit per sample in seconds (default: the problem's, 3 s) [evaluate] sample_time_s")
    parser.add_argument("--timeout", dest="old_timeout", type=float, default=None, metavar="S",
                        help="deprecated spelling of --sample-time")
    parser.add_argument("--out", default=None, metavar="FILE", help="results file (default: <samples>_results.jsonl)")
    from ..executors import add_arguments as add_executor_arguments

    add_executor_arguments(parser)  # --executor {local,ray}, --ray-address


def _parse_ks(text: str):
    from ..errors import InputError

    try:
        ks = [int(x) for x in str(text).split(",") if x.strip()]
    except ValueError:
        raise InputError(f"-k takes whole numbers separated by commas, got {text!r}") from None
    if not ks or any(k < 1 for k in ks):
        raise InputError(f"-k takes positive whole numbers, got {text!r}")
    return ks


def run(ctx) -> int:
    import json

    from ..errors import InputError
    from ..evaluation import evaluate_samples, pass_at_k_by_task, result_text
    from ..jsonl import read_jsonl, read_problems, write_jsonl_atomic
    from ..progress import bar, log

    args, cfg = ctx.args, ctx.config
    ks = _parse_ks(cfg.resolve(args.ks, "evaluate", "k", "1,10,100"))
    workers = cfg.resolve(args.workers, "evaluate", "workers", None, int)
    if args.old_timeout is not None:
        log.warning("evaluate: --timeout is deprecated; it is --sample-time (the time limit per sample)")
    sample_time = args.sample_time_s if args.sample_time_s is not None else args.old_timeout
    timeout = cfg.resolve(sample_time, "evaluate", "sample_time_s", cfg.get("evaluate", "timeout"), float)
    problems = {p.task_id: p for p in read_problems(args.problems)}

    def parse_sample(obj, lineno):
        for key in ("task_id", "completion"):
            if not isinstance(obj.get(key), str):
                raise InputError("missing or not a string", args.samples, lineno, key)
        if obj["task_id"] not in problems:
            raise InputError(f"unknown task {obj['task_id']!r}", args.samples, lineno, "task_id")
        return obj

    samples = list(read_jsonl(args.samples, parse_sample))
    out_path = args.out or (args.samples[: -len(".jsonl")] if args.samples.endswith(".jsonl") else args.samples) + "_results.jsonl"
    rows: list[dict | None] = [None] * len(samples)
    ex = ctx.executors.get(workers)
    with bar(len(samples), "evaluating", "sample") as progress:
        for i, v in evaluate_samples(problems, samples, ex, time_s=timeout):
            rows[i] = {**samples[i], "result": result_text(v), "passed": v.passed, "status": v.status,
                       "duration_s": v.duration_s, "environment": v.environment}
            progress.update(1)
        isolation = ex.isolation.level if ex.isolation else "unknown"
    write_jsonl_atomic(out_path, rows)  # type: ignore[arg-type]
    scores, notes = pass_at_k_by_task(rows, ks)  # type: ignore[arg-type]
    for note in notes:
        log.warning(note)
    log.info("wrote %s (%d samples, isolation: %s)", out_path, len(rows), isolation)
    print(json.dumps(scores))
    return 0
