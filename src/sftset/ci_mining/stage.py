"""The CI miner as a pipeline stage: `mine_stage(ctx, source) -> stats`, and the shared set-up.

Targets come from `[mine] targets` in sftset.toml, else from the file named by
`[mine] targets_file`, else from ./ci_mining/targets.toml (the project's reviewed list). Each target is
mined in turn (see miner.py); kept problems go to the state store with a "mine"
verdict, and problems an earlier run kept from the same package that are no longer
kept get a "dropped" verdict. Targets already mined with the same settings are skipped: the
store records each target mined (stage "mine-target"), so a fresh store mines them again.
A target that does not exist, does not build or whose suite crashes counts as a failure.
"""
from __future__ import annotations

import traceback
from dataclasses import replace
from pathlib import Path
from typing import Any

from ..config import find_reviewed_file, load_toml
from ..errors import InputError
from ..progress import log, plural
from ..record import Problem
from .docstrings import settings_from_context as docstring_settings
from .miner import MineSettings, mine_or_skip
from .report import TARGET_STAGE, TargetReport, render_table
from .targets import Target, parse_target
from .validate import ValidationSettings
from .worth import WorthSettings

def load_targets(path: Path) -> list[tuple[Target, dict[str, Any]]]:
    """Targets listed in a targets file ([[target]] spec = "...")."""
    data = load_toml(path, "targets file not found")
    entries = data.get("target", [])
    if not isinstance(entries, list) or not entries:
        raise InputError("no [[target]] entries", str(path), field="target")
    out = []
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict) or not isinstance(entry.get("spec"), str):
            raise InputError("each [[target]] needs spec = \"...\"", str(path), _line_of(path, i), f"target[{i}].spec")
        try:
            out.append((parse_target(entry["spec"]), entry))
        except InputError as exc:
            raise InputError(exc.message, str(path), _line_of(path, i), f"target[{i}].spec") from None
    return out


def _line_of(path: Path, index: int) -> int | None:
    seen = -1
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip().startswith("[[target]]"):
            seen += 1
        if seen == index and line.strip().startswith("spec"):
            return lineno
    return None


def configured_targets(ctx) -> list[tuple[Target, dict[str, Any]]]:
    """`--targets NAME|FILE`, else `[mine] targets` (a list of TARGETs, or NAME|FILE), else the default group."""
    from . import target_lists

    ref = ctx.flag("target_list")
    listed = ctx.config.get("mine", "targets", None)
    if ref is None and isinstance(listed, str):
        ref = listed
    if ref is not None:
        try:
            return target_lists.resolve(ref, _reviewed(ctx))
        except InputError as exc:
            if ctx.flag("target_list") is None and exc.path is None:  # name the setting that said it
                raise InputError(exc.message, str(ctx.config.path), ctx.config.line_of("mine", "targets"),
                                 "mine.targets") from None
            raise
    if listed is not None:
        if not isinstance(listed, list) or not all(isinstance(t, str) for t in listed):
            raise InputError("must be a group name, a file or a list of TARGET strings", str(ctx.config.path),
                             ctx.config.line_of("mine", "targets"), "mine.targets")
        return [(parse_target(t), {}) for t in listed]
    return load_targets(_reviewed(ctx))


def _reviewed(ctx) -> Path:
    return find_reviewed_file(ctx, None, "mine", "targets_file", "ci_mining/targets.toml")


def settings_from_context(ctx) -> MineSettings:
    """[mine] settings: flags (where the command has them) > sftset.toml > defaults."""
    cfg, flag = ctx.config, ctx.flag
    default = MineSettings()
    v = ValidationSettings()
    validation = ValidationSettings(
        runs=cfg.resolve(None, "mine", "validation_runs", v.runs, int),
        max_call_s=cfg.resolve(None, "mine", "max_call_s", v.max_call_s, float),
        min_kill_rate=cfg.resolve(None, "mine", "min_kill_rate", v.min_kill_rate, float),
        job_time_s=cfg.resolve(None, "mine", "job_time_s", v.job_time_s, float),
        memory_mb=cfg.resolve(None, "mine", "memory_mb", v.memory_mb, int),
        problem_time_s=cfg.resolve(None, "mine", "problem_time_s", v.problem_time_s, float),
        generate=cfg.resolve(None, "mine", "generate", v.generate, int),
        max_generated=cfg.resolve(flag("max_generated"), "mine", "max_generated", v.max_generated, int),
        max_mutants=cfg.resolve(flag("max_mutants"), "mine", "max_mutants", v.max_mutants, int),
        max_dominant_share=cfg.resolve(None, "mine", "max_dominant_share", v.max_dominant_share, float),
        other_machine=cfg.resolve(None, "mine", "other_machine", v.other_machine, bool),
        boundary=cfg.resolve(None, "mine", "boundary", v.boundary, int),
        workers=cfg.resolve(flag("workers"), "mine", "workers", None, int),
    )
    w = WorthSettings()
    worth = WorthSettings(
        max_prompt_lines=cfg.resolve(None, "mine", "max_prompt_lines", w.max_prompt_lines, int),
        max_prompt_chars=cfg.resolve(None, "mine", "max_prompt_chars", w.max_prompt_chars, int),
        drop_trivial=cfg.resolve(None, "mine", "drop_trivial", w.drop_trivial, bool),
    )
    work_dir = cfg.resolve(flag("work_dir"), "mine", "work_dir", None, str)
    return MineSettings(
        work_dir=Path(work_dir) if work_dir else ctx.curated_dir / "ci_work",
        python=cfg.resolve(flag("python"), "mine", "python", None, str),
        suite_time_s=cfg.resolve(flag("suite_time"), "mine", "suite_time_s", default.suite_time_s, float),
        suite_memory_mb=cfg.resolve(None, "mine", "suite_memory_mb", default.suite_memory_mb, int),
        stall_s=cfg.resolve(None, "mine", "stall_s", default.stall_s, float),
        suite_disk_mb=cfg.resolve(None, "mine", "suite_disk_mb", default.suite_disk_mb, int),
        keep_envs=cfg.resolve(flag("keep_envs"), "mine", "keep_envs", default.keep_envs, bool),
        cap=cfg.resolve(None, "mine", "calls_per_function", default.cap, int),
        engine=cfg.resolve(flag("engine"), "mine", "engine", None, str),
        use_uv=cfg.resolve(None, "mine", "use_uv", None, bool),
        force=bool(flag("force")),
        target_workers=_target_workers(cfg, flag("target_workers"), default.target_workers),
        validation=validation,
        worth=worth,
        docstrings=docstring_settings(ctx),
    )




def _target_workers(cfg, flag: int | None, default: int) -> int:
    n = cfg.resolve(flag, "mine", "target_workers", default, int)
    if n < 1:
        if flag is not None:
            raise InputError(f"must be at least 1, got {n}", field="--target-workers")
        raise InputError(f"must be at least 1, got {n}", str(cfg.path), cfg.line_of("mine", "target_workers"),
                         "mine.target_workers")
    return n


def _target_key(target: Target) -> str:
    return f"target:{target.spec}"


def _per_target(store, targets: list[tuple[Target, dict[str, Any]]], settings: MineSettings
                ) -> list[tuple[Target, MineSettings]]:
    """Each target's settings: its own suite_time_s, and `force` unless the store says it was mined
    with these settings (the work folder's report alone is not enough: a fresh store mines again)."""
    out = []
    for target, options in targets:
        own = settings
        if "suite_time_s" in options:
            own = replace(own, suite_time_s=float(options["suite_time_s"]))
        if not own.force and not store.is_done(_target_key(target), TARGET_STAGE, statuses=("ok",),
                                               detail={"settings": own.key()}):
            own = replace(own, force=True)
        out.append((target, own))
    return out


def mine_targets(ctx, targets: list[tuple[Target, dict[str, Any]]], settings: MineSettings
                 ) -> tuple[list[TargetReport], list[Problem], int]:
    """Mine each target on the run's executor and store what is kept.
    Returns (reports, problems kept now, failures: targets that failed or were dropped)."""
    executor = ctx.executors.get(settings.validation.workers)
    pairs = _per_target(ctx.store, targets, settings)
    parallel = min(settings.target_workers, len(pairs))
    pool = None
    if executor.kind == "local" and parallel <= 1:  # one target after another, validation on this machine's workers
        results = ((t, _call(mine_or_skip, t, s, executor)) for t, s in pairs)
    else:  # one target per worker (a child process here, a task of the cluster); the results are stored here
        from .spread import mine_targets as spread

        if executor.kind == "local":
            from ..executors import make

            pool = make("local", parallel, retries=getattr(executor, "retries", 2))
            log.info("mining %s, %d at a time", plural(len(pairs), "target"), parallel)
        results = ((t, (r.value, r.error)) for t, r in spread(pairs, settings, pool or executor))
    try:
        return _collect(ctx, results, len(pairs))
    finally:
        if pool is not None:
            pool.close()


def _collect(ctx, results, total: int) -> tuple[list[TargetReport], list[Problem], int]:
    """Store each target's outcome as it comes (a killed run resumes after the targets stored)."""
    reports: list[TargetReport] = []
    kept: list[Problem] = []
    failures = 0
    for done, (target, (value, error)) in enumerate(results, 1):
        if total > 1:
            log.info("targets done: %d/%d (%s)", done, total, target.spec)
        if error:
            failures += 1
            log.error("%s: failed: %s", target.spec, error)
            reports.append(TargetReport(target=target.spec, status="dropped", reason="internal error",
                                        detail=str(error)[:300]))
            continue
        report, problems, mined = value
        if report.status == "skipped":
            log.info("%s: already mined (%s); skipped", target.spec, plural(report.problems_kept, "problem"))
        elif mined:
            _store(ctx.store, report, problems)
            kept += problems
            if report.status == "ok":
                log.info("%s: kept %s", target.spec, plural(len(problems), "problem"))
        if report.status == "dropped":
            failures += 1  # it does not exist, does not build, or its suite crashed: the run says so
        if report.status == "ok":
            ctx.store.set_verdict(_target_key(target), TARGET_STAGE, "ok", content_hash="",
                                  detail={"settings": report.settings_key, "problems": report.problems_kept,
                                          "dropped": report.dropped})
        reports.append(report)
    return reports, kept, failures


def _call(fn, *args) -> tuple[Any, str]:
    """(value, "") or (None, error): a bug in one target must not stop the others; it is reported and counted."""
    try:
        return fn(*args), ""
    except Exception as exc:
        log.debug("%s", traceback.format_exc())
        return None, f"{type(exc).__name__}: {exc}"


def _store(store, report: TargetReport, problems: list[Problem]) -> None:
    store.put_problems(problems)
    kept_ids = set()
    for p in problems:
        kept_ids.add(p.task_id)
        store.set_verdict(p.task_id, "mine", "kept", content_hash=p.content_hash,
                          detail={"coverage": p.meta.get("coverage"), "kill_rate": p.meta.get("kill_rate")})
    if report.status != "ok":
        return
    for old in store.problems("ci"):
        if old.provenance.get("package") == report.package and old.task_id not in kept_ids:
            store.set_verdict(old.task_id, "mine", "dropped", reason="no longer kept by the miner",
                              content_hash=old.content_hash)


def summary(reports: list[TargetReport], failures: int) -> dict[str, Any]:
    return {
        "targets": len(reports),
        "targets_dropped": sum(r.status == "dropped" for r in reports),
        "targets_skipped": sum(r.status == "skipped" for r in reports),
        "problems_kept": sum(r.problems_kept for r in reports if r.status == "ok"),
        "failures": failures,
        "reports": [{k: v for k, v in r.to_dict().items()
                     if k in ("target", "status", "reason", "version", "tests_run", "calls_seen", "functions",
                              "problems_kept", "drops", "median_coverage_lines", "median_coverage_branches",
                              "median_kill_rate", "contained", "stalled", "elapsed_s", "peak_disk_mb",
                              "disk_after_mb")} for r in reports],
    }


def mine_stage(ctx, source: str) -> dict[str, Any]:
    """Pipeline stage for `build-sft-set --source ci|all`."""
    settings = settings_from_context(ctx)
    targets = configured_targets(ctx)
    reports, _, failures = mine_targets(ctx, targets, settings)
    log.info("%s", render_table(reports))
    return summary(reports, failures)
