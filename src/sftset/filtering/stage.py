"""The filter as a pipeline stage and as `build-sft-set filter`.

It runs only when a model or a samples file is configured. Problems it could not judge
(no model configured, no samples in the file, the server went away) are exported with the
flag "unfiltered", so a trainer can tell them apart.
"""
from __future__ import annotations

from typing import Any, Iterable

from ..errors import InputError
from ..progress import log, plural
from ..record import Problem
from ..sampling import ServerUnavailable, make_sampler
from ..sampling import settings_from_context as sampler_settings
from ..store import FINAL, StateStore, dropped_elsewhere
from .judge import Band
from .solve_filter import STAGE, UNFILTERED, FilterOptions, SolveFilter


def candidates(store: StateStore, source: str | None = None, only: Iterable[str] | None = None) -> list[Problem]:
    """Stored problems of the pipeline's `source` (ci | contests | all) that no other stage dropped."""
    only = set(only or ())
    verdicts = store.verdicts()
    out = []
    for p in store.problems():
        if source == "ci" and p.source != "ci" or source == "contests" and p.source == "ci":
            continue
        if only and p.source not in only:
            continue
        if not dropped_elsewhere(verdicts.get(p.task_id, {}), p.content_hash, ignore=(STAGE,)):
            out.append(p)
    return out


def mark_unfiltered(store: StateStore, problems: Iterable[Problem]) -> int:
    """Flag problems with no current filter verdict; returns how many carry the flag."""
    flagged, changed = 0, []
    for p in problems:
        p = store.get_problem(p.task_id) or p
        if store.is_done(p.task_id, STAGE, p.content_hash, statuses=FINAL):
            continue
        flagged += 1
        if UNFILTERED not in p.flags:
            p.flags.append(UNFILTERED)
            changed.append(p)
    if changed:
        store.put_problems(changed)
    return flagged


def _rate(ctx, flag: Any, key: str) -> float | None:
    value = ctx.config.resolve(flag, "filter", key, None, float)
    if value is not None and not 0.0 <= value <= 1.0:
        raise InputError(f"must be between 0 and 1, got {value!r}", field=f"filter.{key}")
    return value


def settings_from_context(ctx, n: int | None) -> FilterOptions:
    """[filter] settings: flags (where the command has them) > sftset.toml > defaults."""
    from ..contests.verify import options_from_config as verify_options_from_config

    cfg, flag = ctx.config, ctx.flag
    band = Band(_rate(ctx, flag("min_pass_rate"), "min_pass_rate"), _rate(ctx, flag("max_pass_rate"), "max_pass_rate"))
    if band.min_pass_rate is not None and band.max_pass_rate is not None and band.min_pass_rate > band.max_pass_rate:
        raise InputError("min_pass_rate is above max_pass_rate", field="filter")
    reruns = cfg.resolve(flag("reruns"), "filter", "reruns", 3, int)
    keep = cfg.resolve(flag("keep_solutions"), "filter", "keep_solutions", 5, int)
    workers = cfg.resolve(flag("workers"), "filter", "workers", None, int)
    group_size = cfg.resolve(None, "filter", "group_size", 64, int)
    for name, value, low in (("reruns", reruns, 0), ("keep_solutions", keep, 0), ("workers", workers, 1),
                             ("group_size", group_size, 1)):
        if value is not None and value < low:
            raise InputError(f"must be >= {low}, got {value}", field=f"filter.{name}")
    return FilterOptions(
        n=n, reruns=reruns, band=band, keep_solutions=keep, workers=workers,
        sample_only=bool(flag("sample_only")), redo=bool(flag("redo")), group_size=group_size,
        verify=verify_options_from_config(cfg),
    )


def run_filter(ctx, problems: list[Problem]) -> dict[str, Any]:
    """Sample, execute and judge `problems`; a server that stays down ends the run with
    what is done stored (stats["server_error"] says why)."""
    settings = sampler_settings(ctx)
    options = settings_from_context(ctx, settings.params.n or None)
    log.info("filter: sampling with %s", settings.describe())
    try:
        sampler = make_sampler(settings)  # may ask the server for its model name
    except ServerUnavailable as exc:
        return {"failures": 1, "server_error": str(exc), "model": settings.model}
    solve_filter = SolveFilter(ctx.store, sampler, options, executor=ctx.executors.get(options.workers))
    try:
        stats = solve_filter.run(problems)
    except ServerUnavailable as exc:
        stats = solve_filter.summary()
        stats["failures"] += 1
        stats["server_error"] = str(exc)
    finally:
        sampler.close()
    stats["model"] = sampler.model
    return stats


def filter_stage(ctx, source: str) -> dict[str, Any]:
    problems = candidates(ctx.store, source)
    if not sampler_settings(ctx).configured:
        count = mark_unfiltered(ctx.store, problems)
        log.info("filter: no model or samples file configured ([sampling] in sftset.toml, or $SFTSET_MODEL_URL); "
                 "flagged %s unfiltered", plural(count, "problem"))
        return {"skipped": "no model or samples file configured", "unfiltered": count}
    stats = run_filter(ctx, problems)
    stats["unfiltered"] = mark_unfiltered(ctx.store, problems)
    if "server_error" in stats:
        log.error("filter: the model server is unavailable (%s); samples so far are stored, rerun to resume; "
                  "flagged %s unfiltered", stats["server_error"], plural(stats["unfiltered"], "problem"))
    return stats
