"""Run a unittest suite with the tracer: `python -m sftset_trace.unittest_hook [unittest args]`.

The arguments are those of `python -m unittest` (none means discovery from the current
directory). Inert unless SFTSET_TRACE_OUT is set. Standard library only (see tracer.py).

`python -m sftset_trace.unittest_hook --scripts` is the last resort for a project whose tests
are scripts (a `test*.py` that asserts at the top level or in a `main()` it calls under
`if __name__ == "__main__"`), which neither pytest nor unittest finds: each such file is run
as `__main__` (runpy), traced; one that ends without an exception or with exit status 0
counts as a passed test, any other as a failed one.
"""
from __future__ import annotations

import os
import runpy
import sys
import traceback
import unittest

from .tracer import Tracer, from_environment


def _result_class(tracer: Tracer | None):
    class TracedResult(unittest.TextTestResult):
        """Records only while a test runs, not during discovery and reporting (as the pytest plugin)."""

        def startTest(self, test):
            super().startTest(test)
            if tracer is not None:
                tracer.resume()

        def stopTest(self, test):
            if tracer is not None:
                tracer.pause()
            super().stopTest(test)
            if tracer is not None:
                _count(tracer, self)  # kept current: a stalled suite is ended by SIGTERM (tracer.flush_on_term)

    return TracedResult


def _count(tracer: Tracer, result) -> None:
    failed, errors, skipped = len(result.failures), len(result.errors), len(result.skipped)
    expected = len(getattr(result, "expectedFailures", ()))
    tracer.tests.update(collected=result.testsRun, failed=failed, errors=errors, skipped=skipped,
                        passed=result.testsRun - failed - errors - skipped - expected)


_SKIP_DIRS = {"site-packages", "node_modules", "build", "dist", "venv", "docs", "doc", "__pycache__"}


def test_scripts(root: str) -> list[str]:
    """The `test*.py` files under root (sorted; hidden folders, builds and environments left out)."""
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith((".", "_")) and d not in _SKIP_DIRS
                             and not d.endswith(".egg-info"))
        found += [os.path.join(dirpath, f) for f in sorted(filenames) if f.startswith("test") and f.endswith(".py")]
    return found


def _run_script(path: str) -> bool:
    """Run one test script as __main__ with its folder first on sys.path, as `python path` would."""
    saved_path, saved_argv = list(sys.path), list(sys.argv)
    sys.path.insert(0, os.path.dirname(os.path.abspath(path)))
    sys.argv = [path]
    try:
        runpy.run_path(path, run_name="__main__")
        return True
    except SystemExit as exc:
        return exc.code in (None, 0)
    except BaseException:  # noqa: BLE001 - a failing script is a failed test, reported like one
        traceback.print_exc()
        return False
    finally:
        sys.path[:], sys.argv = saved_path, saved_argv


def run_scripts(root: str = ".") -> int:
    tracer = from_environment()
    if tracer is not None:
        tracer.start()
        tracer.pause()
        tracer.flush_on_term(os.environ["SFTSET_TRACE_OUT"])
    scripts, passed = test_scripts(root), 0
    try:
        for i, path in enumerate(scripts):
            print(f"script {path}", flush=True)
            if tracer is not None:
                tracer.resume()
            ok = _run_script(path)
            if tracer is not None:
                tracer.pause()
            passed += ok
            print(f"script {path}: {'passed' if ok else 'FAILED'}", flush=True)
            if tracer is not None:
                tracer.tests.update(collected=i + 1, passed=passed, failed=i + 1 - passed, errors=0, skipped=0)
    finally:
        if tracer is not None:
            tracer.stop()
    if tracer is not None:
        tracer.tests.update(collected=len(scripts), passed=passed, failed=len(scripts) - passed, errors=0, skipped=0)
        tracer.write(os.environ["SFTSET_TRACE_OUT"])
    if not scripts:
        return 5
    return 0 if passed == len(scripts) else 1


class _Loader(unittest.TestLoader):
    """A TestCase class that raises while its tests are made (hjson's reads a data file the sdist lacks, in
    __init__) is one failed test, not the end of the whole run (unittest lets that exception through)."""

    def loadTestsFromTestCase(self, testCaseClass):
        try:
            return super().loadTestsFromTestCase(testCaseClass)
        except Exception as exc:  # noqa: BLE001 - reported as that class's failed test
            make = getattr(unittest.loader, "_make_failed_test", None)
            if make is None:  # pragma: no cover - present in every Python this runs under (3.5+)
                return self.suiteClass()
            return make(testCaseClass.__name__, exc, self.suiteClass, f"{testCaseClass.__name__}: {exc!r}")[0]


def main(argv: list[str]) -> int:
    if argv[:1] == ["--scripts"]:
        return run_scripts(*argv[1:2])
    tracer = from_environment()
    if tracer is not None:
        tracer.start()
        tracer.pause()
        tracer.flush_on_term(os.environ["SFTSET_TRACE_OUT"])
    try:
        runner = unittest.TextTestRunner(resultclass=_result_class(tracer))
        program = unittest.main(module=None, argv=["python -m unittest", *argv], exit=False, testRunner=runner,
                                testLoader=_Loader())
        result = program.result
    finally:
        if tracer is not None:
            tracer.stop()
    if tracer is not None:
        _count(tracer, result)
        tracer.write(os.environ["SFTSET_TRACE_OUT"])
    if result.testsRun == 0:
        return 5  # as pytest does: nothing ran
    return 0 if result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
