"""Mining many CI targets, one target per worker (a child process here, a Ray task on a cluster).

    for target, result in mine_targets(["pypi:inflection==0.5.1", ...], settings, executor):
        if result.ok:
            report, problems, mined = result.value      # as sftset.ci_mining.miner.mine_or_skip returns
        else:
            ...                                         # result.error: a bug, or the worker lost too often

Each target runs `sftset.ci_mining.miner.mine_or_skip` in its worker: fetch, set up, the
traced suite in `run_isolated`, build, and validation on a one-worker sandbox executor
on that node (one CPU per target). Workers never touch the state store: the caller
stores what comes back. `settings.work_dir` is made absolute here; on a cluster it
must be a folder every node can write (each node keeps its own copies).
"""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any, Iterable, Iterator

from ..executors.base import ItemResult


def mine_one(task: tuple[Any, Any]) -> tuple[Any, list, bool]:
    """Runs in a worker: (Target, MineSettings) -> (TargetReport, problems, mined)."""
    from .miner import mine_or_skip

    target, settings = task
    return mine_or_skip(target, settings)


def mine_targets(targets: Iterable[Any], settings, executor) -> Iterator[tuple[Any, ItemResult]]:
    """Yield (Target, ItemResult) as targets finish.

    `targets`: Target objects, TARGET strings, or (Target, MineSettings) pairs for targets
    with settings of their own; `settings`: the MineSettings for the others.
    """
    from .targets import parse_target

    tasks = []
    for t in targets:
        target, own = t if isinstance(t, tuple) else (t, settings)
        target = parse_target(target) if isinstance(target, str) else target
        tasks.append((target, _for_worker(own)))
    for result in executor.map(mine_one, tasks):
        yield tasks[result.index][0], result


def _for_worker(settings):
    validation = settings.validation
    return replace(settings, work_dir=Path(settings.work_dir).resolve(),
                   validation=replace(validation, workers=validation.workers or 1))
