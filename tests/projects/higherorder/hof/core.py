"""Functions that take functions."""
from __future__ import annotations


def map_values(func, mapping):
    """A new dict with `func` applied to each value of `mapping`, keys in sorted order."""
    out = {}
    for key in sorted(mapping):
        out[key] = func(mapping[key])
    return out


def count_where(pred, items):
    """How many of `items` satisfy `pred`."""
    total = 0
    for item in items:
        if pred(item):
            total += 1
    return total


def pipeline(funcs, value):
    """Apply each function of `funcs` in turn, starting from `value`; return every step's result."""
    steps = []
    for func in funcs:
        value = func(value)
        steps.append(value)
    return steps


def scale_all(func, items):
    """`func` applied to each item, in a list."""
    return [func(item) for item in items]


def apply_closure(func, value):
    """`func(value)` and `func(func(value))` as a pair."""
    once = func(value)
    return once, func(once)


def reduce_with(func, items, start):
    """Fold `items` from the left with `func`, starting at `start`."""
    acc = start
    for item in items:
        acc = func(acc, item)
    return acc


def tidy(text):
    """`text` without surrounding spaces, lower-cased."""
    return text.strip().lower()
