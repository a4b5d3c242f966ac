"""The executor's public types. Implementation: sftset.sandbox.pool (being written).

    from sftset.sandbox import Executor, Job

    with Executor(workers=2) as ex:                 # pre-forked, isolated workers
        for v in ex.run(jobs):                      # verdicts as they finish (any order)
            print(v.key, v.status, v.detail)

Two kinds of job:
  * check mode (`test` set): runs `program`, then the trusted `test` code's
    `check(<entry_point>)`, HumanEval-style. status passed/failed/timeout/memory/error.
    Anything the harness raises into the check (the sample gone, garbage on the wire, an
    unsupported result, MemoryError) fails the sample even if the check catches it.
  * calls mode (`calls` set): runs `program`, then calls `entry_point(*args, **kwargs)`
    for each (args_repr, kwargs_repr) pair and returns each outcome in `outputs`:
    {"value": "<repr literal>"} or {"raises": "ExcName", "message": "..."}; status
    passed means every call ran to an outcome (returning or raising).
    With coverage=True, `coverage` holds line/branch coverage of `program` by the calls.

Samples import the standard library only, unless `Executor(sample_python=...)` (the
[sandbox] sample_python setting) names an interpreter whose site-packages they may use;
`Verdict.environment` records which.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

STATUSES = ("passed", "failed", "timeout", "memory", "error")


@dataclass
class Job:
    key: Any
    program: str
    entry_point: str = ""
    test: str = ""
    prompt: str = ""  # trusted context for the check (helpers the test calls, as in HumanEval)
    calls: list[tuple[str, str]] | None = None
    time_s: float = 3.0
    memory_mb: int = 1024
    coverage: bool = False


@dataclass
class Verdict:
    key: Any
    status: str
    duration_s: float = 0.0
    detail: str = ""
    isolation: str = ""
    outputs: list[dict[str, Any]] | None = None
    coverage: dict[str, Any] | None = None
    stdout: str = ""
    environment: str = ""  # what the sample could import: interpreter and import path (see [sandbox] sample_python)

    @property
    def passed(self) -> bool:
        return self.status == "passed"


@dataclass
class IsolationReport:
    level: str
    features: dict[str, bool] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def run_in_order(run, jobs) -> list[Verdict]:
    """Verdicts in the order of `jobs`, from a `run(jobs)` that yields them as they finish.
    Job keys may be anything, even repeated: jobs are re-keyed by position for the run."""
    jobs = list(jobs)
    keyed = [Job(**{**job.__dict__, "key": i}) for i, job in enumerate(jobs)]
    by_pos = {v.key: v for v in run(keyed)}
    return [Verdict(**{**by_pos[i].__dict__, "key": jobs[i].key}) for i in range(len(jobs))]
