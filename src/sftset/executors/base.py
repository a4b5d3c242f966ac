"""What every way of spreading work offers, and the pieces they share.

A spreader does two kinds of work:

* `run(jobs)`: sandbox jobs (samples, reference solutions), yielding a `Verdict` per job
  as they finish -- the same contract as `sftset.sandbox.Executor`, so code written
  for the sandbox executor (e.g. `sftset.evaluation.evaluate_samples`) takes either;
* `map(fn, items)`: coarse items (one mining target, one chunk of MinHash texts),
  yielding an `ItemResult` per item as they finish. `fn` must be a module-level
  function (it is pickled by reference) and is called once per item in a worker.

Failures of the machinery (a worker process or node lost) are retried up to `retries`
times, then reported per item; an exception raised by `fn` itself is reported at once,
since running the same code again gives the same error.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterable, Iterator

from ..sandbox.api import Job, Verdict, run_in_order

DEFAULT_RETRIES = 2


@dataclass
class ItemResult:
    """The outcome of `fn(item)` for one item of a `map`."""

    index: int  # position of the item in the input
    value: Any = None
    error: str = ""  # "ExcName: message" when fn raised, or why the item was given up
    attempts: int = 1  # how many times it was started
    lost: bool = False  # given up after its worker was lost `retries + 1` times

    @property
    def ok(self) -> bool:
        return not self.error


class Spreader:
    """Base class: `run`, `run_all`, `map`, `map_all`, context management."""

    kind = "?"
    workers = 1
    retries = DEFAULT_RETRIES

    def run(self, jobs: Iterable[Job]) -> Iterator[Verdict]:  # pragma: no cover - abstract
        raise NotImplementedError

    def map(self, fn: Callable[[Any], Any], items: Iterable[Any]) -> Iterator[ItemResult]:  # pragma: no cover
        raise NotImplementedError

    @property
    def isolation(self):
        """The sandbox's IsolationReport where samples ran (None before the first job)."""
        return None

    def run_all(self, jobs: Iterable[Job]) -> list[Verdict]:
        """Verdicts in the order of the jobs (job keys may be anything, even repeated)."""
        return run_in_order(self.run, jobs)

    def map_all(self, fn: Callable[[Any], Any], items: Iterable[Any]) -> list[ItemResult]:
        """ItemResults in the order of the items."""
        out = sorted(self.map(fn, items), key=lambda r: r.index)
        return out

    def close(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def describe(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[-1][:300]}" if text else type(exc).__name__


def lost_verdicts(jobs: list[Job], attempts: int, why: str) -> list[Verdict]:
    """Per-job verdicts for a batch given up after its worker was lost `attempts` times."""
    detail = f"worker lost {attempts} times running this batch ({why})"
    return [Verdict(key=job.key, status="error", detail=detail) for job in jobs]


def batches(jobs: list[Job], size: int) -> list[list[Job]]:
    return [jobs[i:i + size] for i in range(0, len(jobs), size)]
