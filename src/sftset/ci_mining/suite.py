"""Run a target's test suite in the sandbox, traced (or plain, for timing).

The suite is untrusted code: it runs through `sftset.sandbox.run_isolated` as an
unprivileged uid with no network, a time and a memory limit, and write access only
to the run folder (the project copy, its HOME and TMPDIR, the trace file). The
tracer package (tracer.py, pytest_plugin.py, unittest_hook.py, values_reader.py: the text of
sftset.values.READER, and method_state.py: sftset.methods.STATE_HELPER; standard library only) is copied
next to it as
`sftset_trace` and found through PYTHONPATH.
"""
from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from ..methods import STATE_HELPER
from ..values import READER
from .ci_config import TestPlan
from ..sandbox.command import DEFAULT_DISK_MB
from .targets import TargetFailed
from .venv import TargetEnv

_RUNTIME_FILES = ("tracer.py", "pytest_plugin.py", "unittest_hook.py")
NO_TESTS = 5  # pytest's exit status when it collected nothing (unittest_hook answers the same)


@dataclass
class SuiteRun:
    runner: str
    command: list[str]
    returncode: int
    timed_out: bool
    duration_s: float
    isolation: str
    trace: dict | None
    output_tail: str
    notes: list[str] = field(default_factory=list)
    stalled: bool = False  # ended early: it made no progress for stall_s (the trace holds what came before)
    disk_exceeded: bool = False  # killed: its folders held more than disk_mb


def install_runtime(folder: Path) -> Path:
    """Copy the tracer package to folder/sftset_trace; returns the folder for PYTHONPATH."""
    pkg = folder / "sftset_trace"
    pkg.mkdir(parents=True, exist_ok=True)
    here = Path(__file__).parent
    (pkg / "__init__.py").write_text('"""Call tracer copied in by build-sft-set (sftset.ci_mining)."""\n')
    for name in _RUNTIME_FILES:
        shutil.copyfile(here / name, pkg / name)
    (pkg / "values_reader.py").write_text(READER)  # the tracer names values the way checks read them
    (pkg / "method_state.py").write_text(STATE_HELPER)  # and takes a procedure's state the way checks do
    return folder


def suite_command(env: TargetEnv, plan: TestPlan, runner: str) -> list[str]:
    # "python" from PATH (the venv's bin first), not an absolute path: the sandbox then
    # needs no extra path exposed for the executable itself.
    python = "python"
    if runner == "pytest":
        # An sdist often lacks a data file that one test module needs at import: run the rest.
        # A plugin's deprecation notice about its settings (pytest-asyncio's unset loop scope) is no test
        # failure, but under the project's `filterwarnings = error` it ends the run (INTERNALERROR: python-utils).
        cmd = [python, "-m", "pytest", "-p", "sftset_trace.pytest_plugin", "-p", "no:cacheprovider", "-q",
               "--color=no", "-o", "console_output_style=classic", "--continue-on-collection-errors",
               "-W", "ignore::pytest.PytestDeprecationWarning"]
        if plan.pytest_addopts is not None:
            cmd += ["-o", f"addopts={plan.pytest_addopts}"]
        return cmd + (list(plan.args) if plan.runner == "pytest" else [])
    if runner == "scripts":
        return [python, "-m", "sftset_trace.unittest_hook", "--scripts"]
    return [python, "-m", "sftset_trace.unittest_hook", *(plan.args if plan.runner == "unittest" else [])]


def run_suite(env: TargetEnv, root: Path, run_dir: Path, plan: TestPlan, packages: list[str], *, trace: bool = True,
              time_s: float = 900, memory_mb: int = 4096, engine: str | None = None, cap: int = 100,
              stall_s: float = 0, disk_mb: int = DEFAULT_DISK_MB) -> SuiteRun:
    """Run the suite once; on "no tests collected", fall back to the other runner's discovery (pytest
    also finds tests in folders that are not packages, as `src/<pkg>/tests`; unittest finds TestCases that
    pytest's settings leave out), then to running the `test*.py` files as scripts (unittest_hook --scripts).

    stall_s > 0 ends a suite whose processes used (almost) no CPU for that long (sandbox.stall)."""
    args = (packages, trace, time_s, memory_mb, engine, cap, stall_s, disk_mb)
    result = _run_once(env, root, run_dir, plan, plan.runner, *args)
    tried = [plan.runner]
    for runner in (("unittest" if plan.runner == "pytest" else "pytest"), "scripts"):
        if not _found_nothing(result):
            return result
        fallback = _run_once(env, root, run_dir, plan, runner, *args)
        fallback.notes.append(f"{' and '.join(tried)} found no tests; ran {_RUNNER_WORDS[runner]}")
        tried.append(runner)
        if fallback.returncode != NO_TESTS:
            return fallback
    if len(tried) > 1:
        result.notes.append(f"no tests found by {', '.join(_RUNNER_WORDS[r] for r in tried)}")
    return result


_RUNNER_WORDS = {"pytest": "pytest", "unittest": "unittest discovery", "scripts": "the test*.py files as scripts"}


def _found_nothing(run: SuiteRun) -> bool:
    """No test found (pytest's or unittest_hook's status 5), not cut short by a limit."""
    return run.returncode == NO_TESTS and not run.timed_out and not run.stalled and not run.disk_exceeded


def _run_once(env, root, run_dir, plan, runner, packages, trace, time_s, memory_mb, engine, cap, stall_s,
              disk_mb) -> SuiteRun:
    from ..sandbox import run_isolated

    runtime = install_runtime(run_dir / "runtime")
    for name in ("home", "tmp"):
        (run_dir / name).mkdir(parents=True, exist_ok=True)
    trace_path = run_dir / "trace.json"
    trace_path.unlink(missing_ok=True)
    environ = {
        "PATH": f"{env.python.parent}:/usr/local/bin:/usr/bin:/bin", "HOME": str(run_dir / "home"),
        "TMPDIR": str(run_dir / "tmp"), "PYTHONPATH": str(runtime), "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONHASHSEED": "0", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "TZ": "UTC", "CI": "true",
        "VIRTUAL_ENV": str(env.path),
    }
    if trace:
        environ.update({"SFTSET_TRACE_OUT": str(trace_path), "SFTSET_TRACE_PACKAGES": ",".join(packages),
                        "SFTSET_TRACE_WORKDIR": os.pathsep.join((str(run_dir), str(root))), "SFTSET_TRACE_CAP": str(cap)})
        if engine:
            environ["SFTSET_TRACE_ENGINE"] = engine
    cmd = suite_command(env, plan, runner)
    res = run_isolated(cmd, cwd=root, time_s=time_s, memory_mb=memory_mb, env=environ, writable=[root, run_dir],
                       readable=[env.path, env.prefix], stall_s=stall_s, disk_mb=disk_mb)
    data = None
    if trace_path.exists():
        try:
            data = json.loads(trace_path.read_text(encoding="utf-8"))
        except ValueError:
            data = None
    tail = (res.stdout[-3000:] + "\n" + res.stderr[-2000:]).strip()
    return SuiteRun(runner, cmd, res.returncode, res.timed_out, res.duration_s, res.isolation, data, tail,
                    list(res.notes), res.stalled, res.disk_exceeded)


def check_suite(run: SuiteRun, time_s: float, stall_s: float = 0) -> None:
    """Turn a suite run that yields nothing into the target's drop reason. A suite ended for making
    no progress counts like one that hit its time limit: what it recorded before is mined."""
    tests = (run.trace or {}).get("tests", {})
    if run.disk_exceeded:  # what it recorded may be cut anywhere, and the project misbehaves: mine nothing
        raise TargetFailed("suite wrote too much", next((n for n in run.notes if "writable folders" in n), ""))
    if run.timed_out and not _recorded(run):
        raise TargetFailed("suite timed out", f"no result within {time_s:g}s")
    if run.stalled:
        if not _recorded(run):
            raise TargetFailed("suite stalled", f"no progress for {stall_s:g}s and no call recorded before")
        return
    if run.returncode == NO_TESTS or (run.trace is not None and not tests.get("collected") and not run.timed_out):
        if "SyntaxError" in run.output_tail:
            raise TargetFailed("syntax errors", _error_line(run.output_tail, "SyntaxError"))
        raise TargetFailed("no tests", f"{run.runner} found no tests")
    if run.trace is None:
        if "SyntaxError" in run.output_tail:
            raise TargetFailed("syntax errors", _error_line(run.output_tail, "SyntaxError"))
        raise TargetFailed("suite crashed", _error_line(run.output_tail, "Error") or f"exit status {run.returncode}")
    if tests.get("collected") and tests.get("errors", 0) >= tests["collected"] and "SyntaxError" in run.output_tail:
        raise TargetFailed("syntax errors", _error_line(run.output_tail, "SyntaxError"))
    if tests.get("collected") and not tests_ran(tests) and not run.timed_out:
        why = _error_line(run.output_tail, "error") or f"exit status {run.returncode}"
        raise TargetFailed("suite crashed", f"{tests['collected']} tests collected, none ran: {why}")


def _recorded(run: SuiteRun) -> bool:
    """Did the suite record any usable call before it was ended (a function seen but never returned is none)?"""
    return any(f.get("records") for f in (run.trace or {}).get("functions", ()))


def tests_ran(tests: dict) -> int:
    """Tests that ran (passed, failed or skipped); collected is not ran (a usage error stops pytest first)."""
    return sum(int(tests.get(k, 0) or 0) for k in ("passed", "failed", "skipped"))


def _error_line(text: str, word: str) -> str:
    lines = [line.strip() for line in text.splitlines() if word.lower() in line.lower()]
    return lines[-1][:300] if lines else ""
