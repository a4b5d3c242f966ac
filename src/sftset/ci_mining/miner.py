"""Mine one target end to end: fetch, set up like its CI, trace its suite, build, validate.

A target that cannot be mined (no such package, does not build, no tests, syntax
errors, a suite that hangs) ends as a report with status "dropped" and the reason;
the caller goes on with the next one.
"""
from __future__ import annotations

import hashlib
import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .. import __version__
from ..progress import bar, log, plural
from ..record import Problem
from . import build
from .ci_config import read_plan
from .docstrings import DocstringSettings, write_docstrings
from .environment import MachineState
from .project import read_project
from .report import TargetReport
from .data_stubs import with_data_stubs
from .suite import check_suite, run_suite, tests_ran
from .targets import Target, TargetFailed, fetch
from .validate import ValidationSettings, medians, validate
from .venv import default_python, disk_usage, prepare_env, remove_envs
from .wheels import tree_hash
from .worth import WorthSettings, worth_drop

# Environment variables the traced suite runs with (suite.py): their names are the tool's, not test data.
SUITE_VARIABLES = ("SFTSET_TRACE_OUT", "SFTSET_TRACE_PACKAGES", "SFTSET_TRACE_WORKDIR", "SFTSET_TRACE_CAP",
                   "SFTSET_TRACE_ENGINE", "VIRTUAL_ENV", "PYTHONPATH", "PYTHONDONTWRITEBYTECODE", "PYTHONHASHSEED")


@dataclass
class MineSettings:
    work_dir: Path = Path("curated") / "ci_work"
    python: str | None = None  # interpreter for the targets' environments (default: ours)
    suite_time_s: float = 900.0
    stall_s: float = 120.0  # end a suite that used under 1% CPU for this long (0: never)
    suite_disk_mb: int = 4096  # kill a suite whose checkout and run folders grow past this (0: unbounded)
    keep_envs: bool = False  # keep each target's venv and build folders after mining
    suite_memory_mb: int = 4096
    cap: int = 100  # distinct calls recorded per function
    engine: str | None = None  # monitoring | settrace | setprofile (default: by Python version)
    use_uv: bool | None = None
    force: bool = False
    target_workers: int = 1  # targets mined at once on this machine (each in its own child process)
    validation: ValidationSettings = field(default_factory=ValidationSettings)
    worth: WorthSettings = field(default_factory=WorthSettings)
    docstrings: DocstringSettings = field(default_factory=DocstringSettings)  # no model server: none written

    def key(self) -> str:
        """Identifies the settings that change what a target yields (not where or how fast)."""
        v = asdict(self.validation)
        v.pop("workers", None)
        parts = [__version__, "q13-2", "stubs-1", "data-stubs-1", self.python or "", self.cap, self.engine or "", v,
                 asdict(self.worth)]
        if self.docstrings.enabled:  # without a model the key (and so what counts as mined) is as before
            parts.append(self.docstrings.key())
        blob = json.dumps(parts, sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]


def work_folder(settings: MineSettings, target: Target) -> Path:
    return (settings.work_dir / target.slug).resolve()  # absolute: the sandbox is given these paths


def wheel_cache(settings: MineSettings) -> Path:
    """The folder of wheels built in the sandbox, shared by all targets (a rerun does not build them again)."""
    return (settings.work_dir / "_wheels").resolve()


def previous_report(settings: MineSettings, target: Target) -> TargetReport | None:
    """The saved report of an earlier complete mining of this target with these settings, if any."""
    report = TargetReport.load(work_folder(settings, target) / "report.json")
    if report is None or report.status != "ok" or report.settings_key != settings.key():
        return None
    return report


def is_pinned(target: Target) -> bool:
    return (target.kind == "pypi" and bool(target.version)) or (
        target.kind == "git" and bool(target.version) and len(target.version) == 40)


def mine_target(target: Target, settings: MineSettings, executor=None) -> tuple[TargetReport, list[Problem]]:
    t0 = time.monotonic()
    work = work_folder(settings, target)
    work.mkdir(parents=True, exist_ok=True)
    report = TargetReport(target=target.spec, settings_key=settings.key(), tool_version=__version__)
    problems: list[Problem] = []
    try:
        problems = _mine(target, settings, work, report, executor)
    except TargetFailed as exc:
        report.status, report.reason, report.detail = "dropped", exc.reason, exc.detail
        log.warning("%s: dropped: %s", target.spec, exc)
    finally:
        report.note_disk(work)  # the largest the folder got is at the end, before the clean-up
        if not settings.keep_envs:
            remove_envs(work)
        report.disk_after_mb = round(disk_usage(work) / 2**20, 3)
    report.elapsed_s = round(time.monotonic() - t0, 2)
    report.save(work / "report.json")
    return report, problems


def _mine(target: Target, settings: MineSettings, work: Path, report: TargetReport, executor) -> list[Problem]:
    log.info("%s: fetching", target.spec)
    fetched = fetch(target, work)
    info = read_project(fetched.root, target.location if target.kind == "pypi" else target.slug)
    report.package, report.license = info.name, info.license
    report.version = fetched.version or info.version
    report.commit = fetched.commit
    report.source_hash = tree_hash(fetched.root)
    if not info.packages:
        raise TargetFailed("no importable code", "no package or module found in the source tree")
    if not settings.force and not is_pinned(target):
        old = previous_report(settings, target)
        if old is not None and (old.version, old.commit, old.source_hash) == (
                report.version, report.commit, report.source_hash):
            old.status = "skipped"
            old.notes = [*old.notes, "unchanged since the last run"]
            raise _Unchanged(old)
    plan = read_plan(fetched.root)
    report.runner, report.ci_sources = plan.runner, list(plan.found_in)
    log.info("%s: setting up (%s)", target.spec, ", ".join(plan.found_in))
    env = prepare_env(work, fetched.root, plan, default_python(settings.python), use_uv=settings.use_uv,
                      wheel_cache=wheel_cache(settings), source_hash=report.source_hash)
    report.python = env.version
    report.notes += env.notes
    log.info("%s: running the test suite in the sandbox (traced)", target.spec)
    report.note_disk(work)
    run = run_suite(env, fetched.root, work / "run", plan, info.packages, time_s=settings.suite_time_s,
                    memory_mb=settings.suite_memory_mb, engine=settings.engine, cap=settings.cap,
                    stall_s=settings.stall_s, disk_mb=settings.suite_disk_mb)
    report.note_disk(work)
    report.runner = run.runner
    report.isolation, report.suite_returncode = run.isolation, run.returncode
    report.suite_s = round(run.duration_s, 2)
    report.notes += run.notes
    trace = run.trace or {}
    tests = trace.get("tests", {})
    report.tests_run = tests_ran(tests)
    report.tests_failed = int(tests.get("failed", 0) or 0) + int(tests.get("errors", 0) or 0)
    report.calls_seen = int(trace.get("calls_seen", 0))
    report.functions = len(trace.get("functions", []))
    report.skipped_functions = dict(trace.get("skipped_functions", {}))
    report.contained = list(trace.get("contained", []))
    report.engine = trace.get("engine", "")
    if run.timed_out:
        report.notes.append(f"the suite hit its time limit of {settings.suite_time_s:g}s; mined what it recorded")
    if run.stalled:
        report.stalled = True
        report.notes.append(f"the suite made no progress for {settings.stall_s:g}s; ended; mined what it recorded")
    check_suite(run, settings.suite_time_s, settings.stall_s)
    (work / "trace.json").write_text(json.dumps(trace))
    built = build.build_candidates(trace, build.Target(
        name=info.name, version=report.version, commit=fetched.commit, url=fetched.url, repo=fetched.repo,
        license=info.license, root=fetched.root, roots=info.source_roots, packages=info.packages,
        python=env.version))
    for name, reason, detail in built.drops:
        report.add_drop(reason, f"{name}: {detail}" if detail else name, function=build.task_id_of(info.name, name))
    report.candidates = len(built.candidates)
    candidates = screen(built.candidates, settings.worth, fetched.root, report)
    report.worth_a_problem = len(candidates)
    machine = MachineState.here(work, env.path, env.prefix, fetched.root,
                                suite_env={name: "" for name in SUITE_VARIABLES})
    log.info("%s: %s traced, %s, %d worth a problem; validating in the sandbox", target.spec,
             plural(report.functions, "function"), plural(len(built.candidates), "candidate"), len(candidates))
    progress = bar(None, desc=f"validate {info.name}", unit="job")
    try:
        outcomes = validate(candidates, settings.validation, executor, on_progress=progress.update, machine=machine)
    finally:
        progress.close()
    problems = []
    report.machine_state_calls = sum(int(o.machine_calls) for o in outcomes)
    for o in outcomes:
        if o.kept and o.problem is not None:
            problems.append(o.problem)
        else:
            report.add_drop(o.reason, f"{o.candidate.task_id}: {o.detail}", function=o.candidate.task_id)
    if settings.docstrings.enabled:
        written = write_docstrings(problems, settings.docstrings, settings.work_dir.resolve() / "_docstrings.jsonl",
                                   settings.worth)
        problems = written.problems
        report.docstrings_generated = written.generated
        report.docstrings_refused = dict(written.refused)
    report.no_docstring = sum("no_docstring" in p.flags for p in problems)
    report.problems_kept = len(problems)
    m = medians(outcomes)
    report.median_coverage_lines = m["coverage_lines"]
    report.median_coverage_branches = m["coverage_branches"]
    report.median_kill_rate = m["kill_rate"]
    return problems


def screen(candidates: list, settings: WorthSettings, root: Path, report: TargetReport) -> list:
    """The candidates worth a problem (worth.py's rules); the others become drops naming the rule."""
    kept, headers = [], {}
    for c in candidates:
        path = c.provenance.get("path")
        if path not in headers:
            try:
                headers[path] = "".join((root / path).read_text(errors="replace").splitlines(keepends=True)[:20])
            except (OSError, TypeError):
                headers[path] = None
        try:
            c = with_data_stubs(c, settings.max_prompt_lines, settings.max_prompt_chars)
            if len(c.prompt) > build.MAX_PROMPT_CHARS:
                why = ("prompt too long", f"{len(c.prompt)} characters")
            else:
                why = worth_drop(c.program, c.function_path, c.context, settings, headers[path])
        except Exception as exc:  # one odd function must not sink the target
            why = ("internal error", f"{type(exc).__name__}: {exc}")
        if why:
            why = c.drop_reason(*why)
            report.add_drop(why[0], f"{c.task_id}: {why[1]}", function=c.task_id)
        else:
            kept.append(c)
    return kept


class _Unchanged(Exception):
    def __init__(self, report: TargetReport):
        self.report = report


def mine_or_skip(target: Target, settings: MineSettings, executor=None):
    """mine_target, or the saved report (status "skipped") when this exact target was mined already.

    Returns (report, problems, mined): problems are empty for a skipped target (they are in the store).
    """
    if not settings.force and is_pinned(target):
        old = previous_report(settings, target)
        if old is not None:
            old.status = "skipped"
            return old, [], False
    try:
        report, problems = mine_target(target, settings, executor)
    except _Unchanged as unchanged:
        return unchanged.report, [], False
    return report, problems, True
