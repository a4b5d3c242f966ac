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
