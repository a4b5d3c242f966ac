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


def _collect_stages(source: str) -> list[tuple[str, Stage]]:
    stages: list[tuple[str, Stage]] = []
    if source in ("ci", "all"):
        try:
            from .ci_mining.stage import mine_stage
        except ImportError:
            log.warning("the CI miner is not available in this build; skipping CI targets")
        else:
            stages.append(("mine", mine_stage))
    if source in ("contests", "all"):
        try:
            from .scrapers.stage import scrape_stage
        except ImportError:
            log.warning("the scrapers are not available in this build; skipping contest sites")
        else:
            stages.append(("scrape", scrape_stage))
    return stages


def _later_stages() -> list[tuple[str, Stage]]:
    stages: list[tuple[str, Stage]] = []
    try:
        from .filtering.stage import filter_stage
    except ImportError:
        pass
    else:
        stages.append(("filter", filter_stage))
    return stages


def run_pipeline(ctx, source: str) -> int:
    from .dataset.export import write_version
    from .dataset.select import select_from_store

    run_id = ctx.store.start_run(f"--source {source}")
    stats: dict[str, dict] = {}
    status = "failed"
    try:
        for name, stage in _collect_stages(source) + _later_stages():
            log.info("stage %s", name)
            stats[name] = stage(ctx, source) or {}
        sources = None
        problems, drops = select_from_store(ctx.store, sources=sources)
        out = write_version(problems, ctx.curated_dir, config={"source": source},
                            stats={"per_stage": stats, "drops": dict(drops)})
        log.info("wrote %s with %d problems", out, len(problems))
        status = "ok"
    finally:
        ctx.store.finish_run(run_id, status, stats)
    failures = sum(int(s.get("failures", 0)) for s in stats.values())
    return 1 if failures else 0
