"""pytest plugin that traces a test session: `python -m pytest -p sftset_trace.pytest_plugin`.

Inert unless SFTSET_TRACE_OUT is set (so the same command times the plain suite).
Like tracer.py it runs inside the mined project's test process: standard library and
pytest only. Recording is on only while a test's set-up, call and tear-down run, not
during collection or reporting (pytest's own calls are what the profiler pays most
for, and import-time calls make poor problems). The trace is flushed every FLUSH_S
seconds as well as at the end, and on SIGTERM (a suite ended for making no progress),
so a suite killed at its time limit still leaves what it recorded.
"""
from __future__ import annotations

import os
import time

import pytest

from .tracer import from_environment

FLUSH_S = 20.0
_state: dict = {"tracer": None, "out": None, "flushed": 0.0}


def pytest_configure(config):
    tracer = from_environment()
    if tracer is None:
        return
    _state.update(tracer=tracer, out=os.environ["SFTSET_TRACE_OUT"], flushed=time.monotonic())
    tracer.tests.update(collected=0, passed=0, failed=0, skipped=0, errors=0)
    tracer.start()
    tracer.pause()
    tracer.flush_on_term(_state["out"])


def _traced():
    tracer = _state["tracer"]
    if tracer is not None:
        tracer.resume()
    try:
        yield
    finally:
        if tracer is not None:
            tracer.pause()


pytest_runtest_setup = pytest.hookimpl(hookwrapper=True)(lambda item: (yield from _traced()))
pytest_runtest_call = pytest.hookimpl(hookwrapper=True)(lambda item: (yield from _traced()))
pytest_runtest_teardown = pytest.hookimpl(hookwrapper=True)(lambda item, nextitem: (yield from _traced()))


def pytest_collection_finish(session):
    tracer = _state["tracer"]
    if tracer is not None:
        tracer.tests["collected"] = len(session.items)


def pytest_runtest_logreport(report):
    tracer = _state["tracer"]
    if tracer is None:
        return
    tests = tracer.tests
    if report.when == "call":
        key = "passed" if report.passed else "failed" if report.failed else "skipped"
        tests[key] += 1
    elif report.outcome != "passed":  # set-up or tear-down
        tests["skipped" if report.skipped else "errors"] += 1


def pytest_runtest_logfinish(nodeid, location):
    tracer = _state["tracer"]
    if tracer is None:
        return
    if time.monotonic() - _state["flushed"] > FLUSH_S:
        tracer.write(_state["out"])
        _state["flushed"] = time.monotonic()


def pytest_unconfigure(config):
    tracer = _state["tracer"]
    if tracer is None:
        return
    _state["tracer"] = None
    tracer.stop()
    tracer.write(_state["out"])
