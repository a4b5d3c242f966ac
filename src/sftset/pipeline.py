"""`build-sft-set --source ...`: the whole flow of DESIGN.md with the stages that exist.

collect (mine / scrape) -> validate -> sample + filter -> export. Each stage reads the
state store and writes its verdicts back, so a rerun skips finished work.
"""
from __future__ import annotations

from typing import Callable

from .progress import log

SOURCES = ("ci", "contests", "all")

# Stage functions take the Context and the chosen source and return a stats dict.
Stage = Callable[..., dict]


def _absent_or_raise(exc: ImportError, package: str) -> None:
    # A stage that is not built yet is skipped; a stage that fails to import (a bug or a
    # missing dependency inside it) must not be silently skipped.
    if exc.name not in (f"sftset.{package}", f"sftset.{package}.stage"):
        raise exc


def _collect_stages(source: str) -> list[tuple[str, Stage]]:
    stages: list[tuple[str, Stage]] = []
    if source in ("ci", "all"):
        try:
            from .ci_mining.stage import mine_stage
        except ImportError as exc:
            _absent_or_raise(exc, "ci_mining")
            log.warning("the CI miner is not available in this build; skipping CI targets")
        else:
            stages.append(("mine", mine_stage))
    if source in ("contests", "all"):
        try:
            from .scrapers.stage import scrape_stage
        except ImportError as exc:
            _absent_or_raise(exc, "scrapers")
            log.warning("the scrapers are not available in this build; skipping contest sites")
        else:
            stages.append(("scrape", scrape_stage))
    return stages


def _later_stages() -> list[tuple[str, Stage]]:
    stages: list[tuple[str, Stage]] = []
    try:
        from .filtering.stage import filter_stage
    except ImportError as exc:
        _absent_or_raise(exc, "filtering")
    else:
        stages.append(("filter", filter_stage))
    return stages


def run_pipeline(ctx, source: str) -> int:
    from .dataset.assemble import AssemblySettings
    from .dataset.publish import publish_from_store
    from .dataset.refresh import RefreshLock, recover

    settings = AssemblySettings.from_context(ctx)  # bad settings fail before any work
    run_id = ctx.store.start_run(f"--source {source}")
    stats: dict[str, dict] = {}
    status = "failed"
    try:
        for name, stage in _collect_stages(source) + _later_stages():
            log.info("stage %s", name)
            stats[name] = stage(ctx, source) or {}
        # quality, licence, decontamination and dedup, then the version (one writer at a time)
        with RefreshLock(ctx.curated_dir, f"--source {source}"):
            recover(ctx.curated_dir)
            pub = publish_from_store(ctx, settings, config={"source": source}, per_stage=stats)
        log.info("wrote %s with %d problems", pub.path, len(pub.assembly.problems))
        status = "ok"
    finally:
        ctx.store.finish_run(run_id, status, stats)
    failures = sum(int(s.get("failures", 0)) for s in stats.values())
    return 1 if failures else 0
