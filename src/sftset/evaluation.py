"""Judging completions of problems with the sandboxed executor, HumanEval-style.

Shared by `build-sft-set evaluate`, the solve filter and the validators: one place
that turns (problem, completion) into an executor job and a verdict into HumanEval's
`result` string.
"""
from __future__ import annotations

from collections import defaultdict
from typing import Any, Iterable, Iterator

from .methods import sandbox_call
from .record import Problem
from .render import hidden_part
from .sandbox.api import Job, Verdict
from .sandbox.passk import pass_at_k


def program_for(problem: Problem, completion: str) -> str:
    # What HumanEval's harness executes before the test; the check runs in another process here, so
    # the real helpers a prompt shows as stubs (in `test`, ahead of check) rebind them in the program.
    hidden = hidden_part(problem.test)
    return problem.prompt + completion + ("\n\n" + hidden if hidden else "")


def sample_job(problem: Problem, completion: str, key: Any, *, time_s: float | None = None,
               memory_mb: int | None = None) -> Job:
    limits = problem.limits or {}
    # a method problem's check calls an adapter the program gets (sftset.methods); else the program as is
    program, entry_point = sandbox_call(program_for(problem, completion), problem.entry_point, problem.tests)
    return Job(
        key=key,
        program=program,
        entry_point=entry_point,
        test=problem.test,
        prompt=problem.prompt,
        time_s=float(time_s if time_s is not None else limits.get("time_s", 3.0)),
        memory_mb=int(memory_mb if memory_mb is not None else limits.get("memory_mb", 1024)),
    )


def result_text(v: Verdict) -> str:
    """HumanEval's `result` strings: "passed", "timed out", "failed: <detail>"."""
    if v.status == "passed":
        return "passed"
    if v.status == "timeout":
        return "timed out"
    if v.status in ("memory", "error"):
        return f"failed: {v.status}: {v.detail}"
    return f"failed: {v.detail}"


def evaluate_samples(
    problems: dict[str, Problem], samples: list[dict[str, Any]], executor, *, time_s: float | None = None,
) -> Iterator[tuple[int, Verdict]]:
    """Yield (sample index, verdict) as verdicts arrive."""
    jobs = [
        sample_job(problems[s["task_id"]], s["completion"], i, time_s=time_s) for i, s in enumerate(samples)
    ]
    for v in executor.run(jobs):
        yield v.key, v


def pass_at_k_by_task(rows: Iterable[dict[str, Any]], ks: Iterable[int]) -> tuple[dict[str, float], list[str]]:
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for row in rows:
        c = counts[row["task_id"]]
        c[0] += 1
        c[1] += bool(row["passed"])
    return pass_at_k([(n, c) for n, c in counts.values()], ks)
