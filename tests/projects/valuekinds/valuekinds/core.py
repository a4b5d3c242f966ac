"""Functions whose tests carry values of named types."""
from __future__ import annotations

import re

from .model import Color, Interval, Money, Point


def masked(data, key):
    """Return a bytearray: each byte of `data` xor-ed with the bytes of `key`, repeated."""
    out = bytearray()
    for i, byte in enumerate(data):
        out.append(byte ^ key[i % len(key)])
    return out


def shift_color(color, steps):
    """The colour `steps` places after `color` in the order RED, GREEN, BLUE (wrapping round)."""
    order = [Color.RED, Color.GREEN, Color.BLUE]
    index = order.index(color)
    return order[(index + steps) % len(order)]


def flag_letters(flags):
    """The inline-flag letters of a re.RegexFlag value, in the order "imsx"."""
    letters = ""
    for letter, flag in (("i", re.IGNORECASE), ("m", re.MULTILINE), ("s", re.DOTALL), ("x", re.VERBOSE)):
        if flags & flag:
            letters += letter
    return letters


def midpoint(a, b):
    """The point halfway between two points, rounded down."""
    return Point((a.x + b.x) // 2, (a.y + b.y) // 2)


def add_money(a, b):
    """The sum of two amounts of the same currency; ValueError for different currencies."""
    if a.currency != b.currency:
        raise ValueError(f"cannot add {a.currency} to {b.currency}")
    return Money(a.amount + b.amount, a.currency)


def overlap(a, b):
    """The interval two intervals share, or None when they do not meet."""
    lo = max(a.lo, b.lo)
    hi = min(a.hi, b.hi)
    if lo > hi:
        return None
    return Interval(lo, hi)


def join_words(left, right):
    """The two words with one space between them."""
    return left + " " + right


def fold(func, items, start):
    """Combine `items` from the left with the two-argument function `func`, starting from `start`."""
    acc = start
    for item in items:
        acc = func(acc, item)
    return acc


def map_words(func, text):
    """Apply `func` to every word of `text` and join the results with single spaces."""
    return " ".join(func(word) for word in text.split())


def unbox(box, default):
    """The content of a box, or `default` when it is empty."""
    if box.content is None:
        return default
    return box.content


def tag_length(tag, extra):
    """The length of the tag's name plus `extra`."""
    if extra < 0:
        return len(tag.name)
    return len(tag.name) + extra


def apply_twice(func, value):
    """Apply `func` to `value`, then to the result."""
    first = func(value)
    return func(first)
