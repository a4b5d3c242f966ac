"""Run a unittest suite with the tracer: `python -m sftset_trace.unittest_hook [unittest args]`.

The arguments are those of `python -m unittest` (none means discovery from the current
directory). Inert unless SFTSET_TRACE_OUT is set. Standard library only (see tracer.py).
"""
from __future__ import annotations

import os
import sys
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


def main(argv: list[str]) -> int:
    tracer = from_environment()
    if tracer is not None:
        tracer.start()
        tracer.pause()
        tracer.flush_on_term(os.environ["SFTSET_TRACE_OUT"])
    try:
        runner = unittest.TextTestRunner(resultclass=_result_class(tracer))
        program = unittest.main(module=None, argv=["python -m unittest", *argv], exit=False, testRunner=runner)
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
