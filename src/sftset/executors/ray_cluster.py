"""Spreading work over a Ray cluster (imported only when `--executor ray` is chosen).

Samples: `workers` actors (one CPU each, default one per CPU of the cluster), each
holding a sandbox `Executor(workers=1)` on its node, so every sample still runs in
the sandbox's full isolation there. Jobs go out in batches, one batch in flight per
actor; an actor that dies (its process or node lost) is replaced and only its batch
is run again.

Items (`map`): one Ray task per item, one CPU each (the sample actors are stopped
first, so that their CPUs are free). A task whose worker dies is run again; an
exception raised by the function is reported at once.

Either way a batch or item is started at most `retries + 1` times, then reported as
failed per job or item. Every node needs build-sft-set installed (same version) in
the Python environment Ray runs there.
"""
from __future__ import annotations

import logging
import os
import socket
from collections import deque
from typing import Any, Callable, Iterable, Iterator

import ray
from ray.exceptions import RayError, RayTaskError

from ..errors import InputError, WorkFailed
from ..sandbox.api import Job, Verdict
from .base import DEFAULT_RETRIES, ItemResult, Spreader, batches, describe, lost_verdicts

DEFAULT_BATCH = 16


class SampleRunner:
    """A Ray actor: one sandbox worker on its node, judging batches of jobs."""

    def __init__(self, sample_python: str | None = None):
        from ..sandbox.pool import Executor

        self._ex = Executor(workers=1, sample_python=sample_python)

    def isolation(self):
        return self._ex.isolation

    def pid(self) -> int:
        return os.getpid()

    def run_batch(self, jobs: list[Job]) -> list[Verdict]:
        return self._ex.run_all(jobs)

    def close(self) -> None:
        self._ex.close()


def _call(fn: Callable[[Any], Any], item: Any) -> Any:
    return fn(item)


def connect(address: str | None = None, num_cpus: int | None = None) -> bool:
    """Join the cluster at `address`, or start a private local Ray; True when we started it."""
    if ray.is_initialized():
        return False
    quiet = {"log_to_driver": False, "logging_level": logging.WARNING, "configure_logging": True}
    if address:
        _reachable(address)
    try:
        if address:
            ray.init(address=address, **quiet)
            return True
        # "local": a fresh instance of our own, even when another one runs on this machine
        ray.init(address="local", num_cpus=num_cpus, include_dashboard=False, **quiet)
        return True
    except ImportError as exc:  # ray:// addresses need Ray's client (grpcio)
        raise WorkFailed(f"cannot join Ray at {address}: {describe(exc)} (pip install 'ray[client]')") from None
    except Exception as exc:  # ConnectionError, RuntimeError, ValueError, timeouts: one line, not a traceback
        where = address or "a local Ray instance"
        raise WorkFailed(f"cannot start or join Ray ({where}): {describe(exc)}") from None


def _reachable(address: str, timeout_s: float = 10.0) -> None:
    """Fail fast on a HOST:PORT nobody answers at: Ray itself retries for many minutes."""
    if "://" in address or address in ("auto", "local"):
        return
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit():
        raise InputError("expected auto, HOST:PORT or ray://HOST:PORT", field=f"ray address {address!r}")
    try:
        socket.create_connection((host, int(port)), timeout=timeout_s).close()
    except OSError as exc:
        raise WorkFailed(f"cannot join Ray at {address}: nothing answers there ({exc.strerror or exc}); "
                         "is `ray start --head` running on that node?") from None


class RayExecutor(Spreader):
    kind = "ray"

    def __init__(self, workers: int | None = None, *, address: str | None = None, retries: int = DEFAULT_RETRIES,
                 batch_size: int = DEFAULT_BATCH, num_cpus: int | None = None, runner: type = SampleRunner,
                 sample_python: str | None = None):
        self._owns_ray = connect(address, num_cpus)
        cpus = max(1, int(ray.cluster_resources().get("CPU", 1)))
        if workers and workers > cpus:  # more one-CPU actors than CPUs would wait forever for a place
            from ..progress import log

            log.warning("the Ray cluster has %d CPUs: using %d workers, not %d", cpus, cpus, workers)
        self.workers = min(workers or cpus, cpus)
        self.retries = max(0, retries)
        self.batch_size = max(1, batch_size)
        self._runner = ray.remote(num_cpus=1, max_restarts=0)(runner)
        self._call = ray.remote(num_cpus=1, max_retries=0)(_call)
        self._actors: list[Any] = []
        self._runner_args = {"sample_python": sample_python} if sample_python else {}
        self._isolation = None

    # ---- samples ---------------------------------------------------------------------------
    def _actor(self, slot: int):
        while len(self._actors) <= slot:
            self._actors.append(None)
        if self._actors[slot] is None:
            self._actors[slot] = self._runner.remote(**self._runner_args)
        return self._actors[slot]

    def _replace(self, slot: int) -> None:
        old, self._actors[slot] = self._actors[slot], None
        try:
            ray.kill(old, no_restart=True)
        except Exception:
            pass

    @property
    def isolation(self):
        if self._isolation is None and self._actors:
            live = [a for a in self._actors if a is not None]
            if live:
                try:
                    self._isolation = ray.get(live[0].isolation.remote())
                except RayError:
                    return None
        return self._isolation

    def run(self, jobs: Iterable[Job]) -> Iterator[Verdict]:
        queue = deque((batch, 0) for batch in batches(list(jobs), self.batch_size))
        free = deque(range(min(self.workers, len(queue))))
        inflight: dict[Any, tuple[int, list[Job], int]] = {}  # ref -> (slot, batch, attempts)
        while queue or inflight:
            while queue and free:
                slot = free.popleft()
                batch, attempts = queue.popleft()
                ref = self._actor(slot).run_batch.remote(batch)
                inflight[ref] = (slot, batch, attempts + 1)
            ready, _ = ray.wait(list(inflight), num_returns=1)
            for ref in ready:
                slot, batch, attempts = inflight.pop(ref)
                free.append(slot)
                try:
                    verdicts = ray.get(ref)
                except RayError as exc:  # the actor (or its node) is gone, or its sandbox failed
                    self._replace(slot)
                    if attempts > self.retries:
                        yield from lost_verdicts(batch, attempts, describe(_cause(exc)))
                    else:
                        queue.appendleft((batch, attempts))
                    continue
                yield from verdicts

    # ---- items -----------------------------------------------------------------------------
    def map(self, fn: Callable[[Any], Any], items: Iterable[Any]) -> Iterator[ItemResult]:
        pending = deque(enumerate(items))
        attempts: dict[int, int] = {}
        inflight: dict[Any, tuple[int, Any]] = {}
        window = self.workers  # items are coarse: one in flight per worker keeps `workers` a true cap
        self._stop_actors()  # idle sample actors hold CPUs the tasks need; `run` starts them again
        fn_ref = ray.put(fn)
        try:
            while pending or inflight:
                while pending and len(inflight) < window:
                    index, item = pending.popleft()
                    attempts[index] = attempts.get(index, 0) + 1
                    inflight[self._call.remote(fn_ref, item)] = (index, item)
                ready, _ = ray.wait(list(inflight), num_returns=1)
                for ref in ready:
                    index, item = inflight.pop(ref)
                    try:
                        value = ray.get(ref)
                    except RayTaskError as exc:  # fn raised
                        yield ItemResult(index, error=describe(_cause(exc)), attempts=attempts[index])
                    except RayError as exc:  # its worker or node was lost
                        if attempts[index] > self.retries:
                            yield ItemResult(index, error=f"worker lost {attempts[index]} times ({describe(exc)})",
                                             attempts=attempts[index], lost=True)
                        else:
                            pending.appendleft((index, item))
                    else:
                        yield ItemResult(index, value, attempts=attempts[index])
        finally:
            for ref in inflight:
                try:
                    ray.cancel(ref, force=True)
                except Exception:
                    pass

    # ---- lifecycle -------------------------------------------------------------------------
    def _stop_actors(self) -> None:
        actors, self._actors = [a for a in self._actors if a is not None], []
        if actors:
            try:  # stop each sandbox cleanly, then the actors
                ray.wait([a.close.remote() for a in actors], num_returns=len(actors), timeout=30)
            except Exception:
                pass
            for a in actors:
                try:
                    ray.kill(a, no_restart=True)
                except Exception:
                    pass

    def close(self) -> None:
        self._stop_actors()
        if self._owns_ray and ray.is_initialized():
            ray.shutdown()
        self._owns_ray = False


def _cause(exc: BaseException) -> BaseException:
    """The exception raised inside the task or actor, when Ray carries one."""
    cause = getattr(exc, "cause", None)
    return cause if isinstance(cause, BaseException) else exc
