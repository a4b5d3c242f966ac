"""Logging and progress bars that respect -v/-q and stay quiet when not on a terminal (cron)."""
from __future__ import annotations

import logging
import sys
from typing import Iterable, Iterator, TypeVar

from tqdm import tqdm

T = TypeVar("T")
log = logging.getLogger("sftset")
_state = {"verbosity": 0}


def setup_logging(verbosity: int) -> None:
    _state["verbosity"] = verbosity
    level = logging.DEBUG if verbosity > 0 else logging.WARNING if verbosity < 0 else logging.INFO
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s" if verbosity <= 0 else "%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger("sftset")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False


def bars_enabled() -> bool:
    return _state["verbosity"] >= 0 and sys.stderr.isatty()


def progress(iterable: Iterable[T], total: int | None = None, desc: str = "", unit: str = "it") -> Iterator[T]:
    """Wrap long work in a progress bar (on a terminal, unless -q)."""
    if not bars_enabled():
        yield from iterable
        return
    yield from tqdm(iterable, total=total, desc=desc, unit=unit, leave=False, dynamic_ncols=True, file=sys.stderr)


def bar(total: int | None, desc: str = "", unit: str = "it") -> tqdm:
    """A manual progress bar (call .update); disabled off a terminal or with -q."""
    return tqdm(total=total, desc=desc, unit=unit, leave=False, dynamic_ncols=True, file=sys.stderr,
                disable=not bars_enabled())


def plural(n: int, noun: str, many: str | None = None) -> str:
    """`1 problem`, `2 problems` (`many` for irregular plurals)."""
    return f"{n} {noun if n == 1 else many or noun + 's'}"
