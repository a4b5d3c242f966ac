"""Shared by tests/test_ray_*.py and tests/test_executors_*.py: a real local Ray runtime
(2 CPUs, shut down after the module) and functions that lose their worker on purpose.

Ray is optional: `ray_runtime` skips the test (with the reason) when it is not installed.
"""
from __future__ import annotations

import os
import signal
import sys

import pytest

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="the sandbox runs samples as other uids, which needs root")


@pytest.fixture(scope="module")
def ray_runtime():
    ray = pytest.importorskip("ray", reason="ray is not installed (pip install 'build-sft-set[ray]')")
    # Functions and classes of this module travel by value: Ray's workers cannot import tests/.
    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])
    ray.init(address="local", num_cpus=2, include_dashboard=False, object_store_memory=200 << 20,
             log_to_driver=False, configure_logging=False)
    try:
        yield ray
    finally:
        ray.shutdown()


def double_or_die_once(item: tuple[int, str]) -> int:
    """2*n; but the first call on an item with a marker file SIGKILLs its own worker process."""
    n, marker = item
    if marker and os.path.exists(marker):
        os.unlink(marker)
        os.kill(os.getpid(), signal.SIGKILL)
    return 2 * n


def always_die(item: int) -> int:
    os.kill(os.getpid(), signal.SIGKILL)
    return item


def raise_value_error(item: int) -> int:
    raise ValueError(f"bad item {item}")


def crashing_runner(marker: str, crash_key, always: bool = False):
    """A SampleRunner whose process exits mid-batch on the batch holding `crash_key` (once, while
    `marker` exists, unless `always`)."""
    from sftset.executors.ray_cluster import SampleRunner

    class CrashingRunner(SampleRunner):
        def run_batch(self, jobs):
            if any(job.key == crash_key for job in jobs) and (always or os.path.exists(marker)):
                if not always:
                    os.unlink(marker)
                self._ex.run_all(jobs[: len(jobs) // 2])  # mid-batch: half of it judged, then gone
                os._exit(1)
            return super().run_batch(jobs)

    return CrashingRunner
