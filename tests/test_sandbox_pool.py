"""The executor's pipes: batches and verdicts far larger than a pipe's buffer flow both ways at once."""
from __future__ import annotations

import pytest

from sftset.sandbox import Executor
from sftset.sandbox.api import Job


@pytest.mark.timeout(240)
def test_big_batches_and_big_verdicts_do_not_deadlock():
    # 200 kB programs and 200 kB results, 8 per batch with two batches in flight: the host
    # is still writing the second batch when the worker answers the first (> 64 kB pipes).
    program = "PAD = '" + "a" * 200_000 + "'\n\n\ndef f(n):\n    return 'b' * n\n"
    jobs = [Job(key=i, program=program, entry_point="f", calls=[(f"({200_000 + i},)", "{}")]) for i in range(24)]
    with Executor(workers=1, batch_size=8) as ex:
        verdicts = ex.run_all(jobs)
    assert [v.key for v in verdicts] == list(range(24))
    assert all(v.passed for v in verdicts), verdicts[0].detail
    assert [len(v.outputs[0]["value"]) for v in verdicts] == [200_000 + i + 2 for i in range(24)]


def test_programs_compile_with_their_own_future_flags_only():
    # The worker's own `from __future__ import annotations` must not leak into samples: an
    # annotation naming nothing fails at def time in plain Python and in HumanEval's harness.
    eager = "def f(x: Missing) -> int:\n    return x\n"
    lazy = "from __future__ import annotations\n\n" + eager
    test = "def check(candidate):\n    assert candidate(2) == 2\n"
    jobs = [Job(key=name, program=p, entry_point="f", test=test, prompt=p) for name, p in (("eager", eager),
                                                                                          ("lazy", lazy))]
    with Executor(workers=1) as ex:
        verdicts = {v.key: v for v in ex.run_all(jobs)}
    assert not verdicts["eager"].passed and "Missing" in verdicts["eager"].detail
    assert verdicts["lazy"].passed, verdicts["lazy"].detail
