"""The executor's pipes: batches and verdicts far larger than a pipe's buffer flow both ways at once."""
from __future__ import annotations

import pytest

from sandbox_attack import executor_leftovers
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


@pytest.mark.timeout(120)
def test_no_sample_process_is_left_once_every_verdict_is_back():
    # While more work is queued, a worker reaps killed samples after their verdicts leave (waiting
    # for their namespaces' teardown would idle its CPU); the last verdicts it sends with nothing
    # queued leave only once all of them are reaped. So once run_all returns, nothing is left,
    # with no grace period: each sample leaves a child running when it answers.
    program = "import os, time\n\n\ndef f(n):\n    if os.fork() == 0:\n        time.sleep(60)\n    return n\n"
    jobs = [Job(key=i, program=program, entry_point="f", calls=[(f"({i},)", "{}")]) for i in range(40)]
    with Executor(workers=2, batch_size=4) as ex:
        verdicts = ex.run_all(jobs)
        left = executor_leftovers(ex, wait_s=0)
        assert [v.key for v in verdicts] == list(range(40))
        assert all(v.passed for v in verdicts), [v.detail for v in verdicts if not v.passed][:3]
        assert left == [], "a sample's process outlived the last verdict"
        assert ex.run_all(jobs[:1])[0].passed  # the workers go on
        assert executor_leftovers(ex, wait_s=0) == []


def test_samples_fork_lean_with_their_own_random_state():
    # Each sample is forked from a zygote that holds no subprocess, shutil, threading or
    # compression modules (their mappings and at-fork hooks would cost every fork); a sample
    # that wants one imports it. And each forked sample draws its own random numbers (random
    # reseeds itself in every forked child), however many share a worker.
    program = ("import random, sys\n\n\ndef loaded():\n"
               "    return sorted(set(sys.modules) & {'threading', 'subprocess', 'shutil', 'zlib', 'bz2', 'lzma'})\n\n\n"
               "def draw():\n    return random.getrandbits(64)\n\n\n"
               "def tidy():\n    import os, shutil\n    os.makedirs('a/b/c')\n    shutil.rmtree('a')\n"
               "    return os.listdir('.')\n")
    jobs = [Job(key="loaded", program=program, entry_point="loaded", calls=[("()", "{}")]),
            Job(key="tidy", program=program, entry_point="tidy", calls=[("()", "{}")])]
    jobs += [Job(key=i, program=program, entry_point="draw", calls=[("()", "{}")]) for i in range(6)]
    with Executor(workers=1) as ex:
        verdicts = {v.key: v for v in ex.run_all(jobs)}
    assert all(v.passed for v in verdicts.values()), [v.detail for v in verdicts.values() if not v.passed]
    assert verdicts["loaded"].outputs[0]["value"] == "[]"
    assert verdicts["tidy"].outputs[0]["value"] == "[]"
    draws = [verdicts[i].outputs[0]["value"] for i in range(6)]
    assert len(set(draws)) == 6, draws
