"""The project's value types."""
from __future__ import annotations

from collections import namedtuple
from dataclasses import dataclass
from enum import Enum


class Color(Enum):
    RED = 1
    GREEN = 2
    BLUE = 3


Point = namedtuple("Point", "x y")


@dataclass(frozen=True)
class Money:
    amount: int
    currency: str


class Interval:
    """A closed interval of integers; equal when both ends are."""

    def __init__(self, lo, hi):
        self.lo = lo
        self.hi = hi

    def __eq__(self, other):
        return type(other) is Interval and (self.lo, self.hi) == (other.lo, other.hi)

    def __repr__(self):
        return f"Interval({self.lo}, {self.hi})"


class Box:
    """Equality is identity: not a value."""

    def __init__(self, content):
        self.content = content


class Tag:
    """Equal by name, but its repr carries an address: not a value."""

    def __init__(self, name):
        self.name = name

    def __eq__(self, other):
        return type(other) is Tag and self.name == other.name

    __hash__ = None
