"""Deterministic train/validation split by hash of the task id.

A problem's split depends only on its task id (and the salt), never on what else is in the
dataset or on its content: a problem stays in the same split across refreshes and when it is
edited, and adding problems never moves existing ones.
"""
from __future__ import annotations

import hashlib
from typing import Iterable, TypeVar

from ..errors import InputError
from ..record import Problem

SPLITS = ("train", "validation")
DEFAULT_VALIDATION_FRACTION = 0.05
DEFAULT_SALT = "sftset-split-v1"
T = TypeVar("T", bound=Problem)


def check_fraction(value: float, where: str = "--validation-fraction") -> float:
    if not 0.0 <= value < 1.0:
        raise InputError(f"must be at least 0 and below 1, got {value!r}", field=where)
    return value


def split_of(task_id: str, fraction: float = DEFAULT_VALIDATION_FRACTION, salt: str = DEFAULT_SALT) -> str:
    digest = hashlib.sha256(f"{salt}\0{task_id}".encode("utf-8")).digest()
    point = int.from_bytes(digest[:8], "big") / 2**64  # uniform in [0, 1)
    return "validation" if point < fraction else "train"


def split_problems(problems: Iterable[T], fraction: float = DEFAULT_VALIDATION_FRACTION,
                   salt: str = DEFAULT_SALT) -> dict[str, list[T]]:
    """{"train": [...], "validation": [...]}, each in the order given."""
    out: dict[str, list[T]] = {name: [] for name in SPLITS}
    for p in problems:
        out[split_of(p.task_id, fraction, salt)].append(p)
    return out
