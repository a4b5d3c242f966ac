"""The one loop that runs stages and publishes a version: `--source`, `refresh` and `export` are calls of `run`.

    collect (mine / scrape) -> filter -> assemble + publish (quality, licence, decontam, dedup)

A stage is `stage(ctx, source) -> stats dict`; it reads its settings once at its top
(`settings_from_context(ctx)` in its module), takes heavy work to `ctx.executors` (chosen once
per run) and keeps its verdicts in the state store, so a rerun skips finished work. Stages never
import this module. The whole run holds `<curated>`'s lock; a run killed mid-publish is finished
or cleaned by the next one (dataset/lock.py).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterable

from .dataset.export import new_version_name, point_latest
from .dataset.lock import CuratedLock, clear_journal, recover, write_journal
from .errors import InputError
from .progress import log, plural

SOURCES = ("ci", "contests", "all")

Stage = Callable[[Any, str], dict]


def collect_stages(source: str) -> list[tuple[str, Stage]]:
    """The stages that bring problems in for `source` (ci | contests | all)."""
    from .ci_mining.stage import mine_stage
    from .scrapers.stage import scrape_stage

    stages: list[tuple[str, Stage]] = []
    if source in ("ci", "all"):
        stages.append(("mine", mine_stage))
    if source in ("contests", "all"):
        stages.append(("scrape", scrape_stage))
    return stages


def later_stages() -> list[tuple[str, Stage]]:
    """The stages that judge what was collected, before the version is assembled."""
    from .filtering.stage import filter_stage

    return [("filter", filter_stage)]


@dataclass
class RunResult:
    publication: Any  # dataset.publish.Publication; its path is None when nothing changed
    failures: int  # the sum of the stages' "failures"


def run(ctx, settings, *, command: str, source: str | None = None, problems: Iterable | None = None,
        version: str | None = None, skip_unchanged: bool = False, allow_empty: bool = True) -> RunResult:
    """Run the stages for `source` (none when None), then assemble and publish a version.

    `problems`: publish these records instead of the state store's (`export --problems`).
    `skip_unchanged`: write no version when its rows and settings equal the latest one's.
    `allow_empty`: publishing nothing at all is an error unless this is set.
    """
    from .dataset.publish import publish

    root = ctx.curated_dir
    if problems is None:
        _ = ctx.store  # opened (or refused: newer, damaged) before the lock file is made
    stages = (collect_stages(source) + later_stages()) if source else []
    with CuratedLock(root, command):
        recover(root)  # finish or clear what a killed refresh or export left
        store = ctx.store if problems is None else None
        run_id = store.start_run(command) if store is not None else None
        per_stage: dict[str, Any] = {}
        status = "failed"
        try:
            for name, stage in stages:
                log.info("stage %s", name)
                per_stage[name] = stage(ctx, source) or {}
            rows = list(problems) if problems is not None else list(store.problems())
            if not rows and not allow_empty:
                raise InputError(f"the state store {ctx.state_path} holds no problems: nothing to export "
                                 "(collect some first, give --state, or --allow-empty to write an empty version)")
            name = version or new_version_name(root)
            write_journal(root, name)  # from here on, a killed run is finished by the next one
            pub = publish(rows, root, settings, store=store, verdicts={} if store is None else None, version=name,
                          per_stage=per_stage, update_latest=False, skip_unchanged=skip_unchanged,
                          executor=ctx.executors.get())
            if pub.path is not None:
                point_latest(root, name)
                unfiltered = sum("unfiltered" in p.flags for p in pub.assembly.problems)
                if unfiltered:  # those the solve filter could not judge, among the exported ones
                    log.info("%s exported marked unfiltered", plural(unfiltered, "problem"))
            clear_journal(root)
            status = "ok" if pub.path is not None else "unchanged"
        finally:
            if run_id is not None:
                store.finish_run(run_id, status, per_stage)
    failures = sum(int(s.get("failures", 0)) for s in per_stage.values() if isinstance(s, dict))
    return RunResult(pub, failures)
