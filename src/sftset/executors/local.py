"""Spreading work over this machine's cores.

Samples go to the sandbox `Executor` (pre-forked isolated workers, one per core).
`map` items go to `workers` one-process pools: each slot runs one item at a time in
its own child process, so a child that dies (killed, out of memory) costs only the
item it was running, which is retried in a fresh child. Children are spawned, not
forked, so a script that calls `map` needs the `if __name__ == "__main__":` guard.
"""
from __future__ import annotations

import multiprocessing
import os
from collections import deque
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Callable, Iterable, Iterator

from ..sandbox.api import Job, Verdict
from .base import DEFAULT_RETRIES, ItemResult, Spreader, describe


class LocalExecutor(Spreader):
    kind = "local"

    def __init__(self, workers: int | None = None, *, retries: int = DEFAULT_RETRIES, batch_size: int = 8,
                 log=None, sample_python: str | None = None):
        self.workers = max(1, workers or os.cpu_count() or 1)
        self.retries = max(0, retries)
        self._batch_size = batch_size
        self._log = log
        self._sample_python = sample_python
        self._sandbox = None
        self._slots: list[ProcessPoolExecutor | None] = [None] * self.workers

    # ---- samples ---------------------------------------------------------------------------
    @property
    def sandbox(self):
        if self._sandbox is None:  # started on first use: map-only callers never pay for it
            from ..sandbox.pool import Executor

            self._sandbox = Executor(workers=self.workers, batch_size=self._batch_size, log=self._log,
                                     sample_python=self._sample_python)
        return self._sandbox

    @property
    def isolation(self):
        return self._sandbox.isolation if self._sandbox is not None else None

    def run(self, jobs: Iterable[Job]) -> Iterator[Verdict]:
        # The sandbox executor replaces a dead worker and retries its jobs once by itself.
        yield from self.sandbox.run(jobs)

    # ---- items -----------------------------------------------------------------------------
    def _slot(self, i: int) -> ProcessPoolExecutor:
        pool = self._slots[i]
        if pool is None:
            # spawn: a clean child, never a fork of a process that holds threads and pipes
            pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
            self._slots[i] = pool
        return pool

    def _drop_slot(self, i: int) -> None:
        pool, self._slots[i] = self._slots[i], None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)

    def map(self, fn: Callable[[Any], Any], items: Iterable[Any]) -> Iterator[ItemResult]:
        pending = deque(enumerate(items))
        attempts: dict[int, int] = {}
        running: dict[Future, tuple[int, int, Any]] = {}  # future -> (slot, index, item)
        free = deque(range(self.workers))
        try:
            while pending or running:
                while pending and free:
                    slot = free.popleft()
                    index, item = pending.popleft()
                    attempts[index] = attempts.get(index, 0) + 1
                    try:
                        fut = self._slot(slot).submit(fn, item)
                    except BrokenProcessPool:
                        self._drop_slot(slot)
                        fut = self._slot(slot).submit(fn, item)
                    running[fut] = (slot, index, item)
                done, _ = wait(list(running), return_when=FIRST_COMPLETED)
                for fut in done:
                    slot, index, item = running.pop(fut)
                    free.append(slot)
                    try:
                        value = fut.result()
                    except BrokenProcessPool as exc:  # the child died: only this item was in it
                        self._drop_slot(slot)
                        if attempts[index] > self.retries:
                            yield ItemResult(index, error=f"worker lost {attempts[index]} times ({describe(exc)})",
                                             attempts=attempts[index], lost=True)
                        else:
                            pending.appendleft((index, item))
                    except Exception as exc:  # fn raised: the same code would raise again
                        yield ItemResult(index, error=describe(exc), attempts=attempts[index])
                    else:
                        yield ItemResult(index, value, attempts=attempts[index])
        finally:
            for fut in running:
                fut.cancel()

    # ---- lifecycle -------------------------------------------------------------------------
    def close(self) -> None:
        for i in range(len(self._slots)):
            pool, self._slots[i] = self._slots[i], None
            if pool is not None:
                pool.shutdown(wait=True, cancel_futures=True)
        if self._sandbox is not None:
            self._sandbox.close()
            self._sandbox = None
