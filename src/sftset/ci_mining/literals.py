"""Test values (literals, the dates/Decimal/Fraction/bytearray of sftset.values, and values of
named types) as test data: read back from repr, compare with exact types.

`1`, `1.0` and `True` compare equal in Python but are different answers for a test,
and a set's repr depends on the hash seed; so outcomes are compared as canonical
trees (type name, value), sets and dict items sorted; value types by their repr; values of
named types (read unresolved, as ObjectValue) by path and arguments.
"""
from __future__ import annotations

from typing import Any

from ..values import READ_ERRORS, ObjectValue, is_value_type, read_value

_MISSING = object()


def parse(text: str) -> Any:
    """The value of a value text, or _MISSING when the text is not one."""
    try:
        return read_value(text)
    except READ_ERRORS:
        return _MISSING


def roundtrips(text: str) -> bool:
    """True when `text` reads back as a value whose repr reads back as the same value."""
    value = parse(text)
    if value is _MISSING:
        return False
    try:
        again = parse(repr(value))
    except Exception:
        return False
    return again is not _MISSING and canon(again) == canon(value)


def canon(x: Any, depth: int = 0):
    """A hashable, order-independent tree of exact builtin types."""
    if depth > 100:
        raise ValueError("nested too deeply")
    t = type(x)
    if x is None or t in (bool, int, str, bytes, complex):
        return (t.__name__, x)
    if t is float:
        return ("float", "nan" if x != x else x)
    if is_value_type(x):
        return (t.__name__, repr(x))
    if t in (list, tuple):
        return (t.__name__, tuple(canon(e, depth + 1) for e in x))
    if t in (set, frozenset):
        return (t.__name__, tuple(sorted((canon(e, depth + 1) for e in x), key=repr)))
    if t is dict:
        return ("dict", tuple(sorted(((canon(k, depth + 1), canon(v, depth + 1)) for k, v in x.items()), key=repr)))
    if t is ObjectValue:
        if x.args is None:
            return ("named", x.path)
        return ("object", x.path, tuple(canon(a, depth + 1) for a in x.args),
                tuple(sorted((k, canon(v, depth + 1)) for k, v in x.kwargs)))
    raise ValueError(f"not a literal type: {t.__qualname__}")


def same(a_text: str, b_text: str) -> bool:
    """Do two literal texts denote the same value (exact types, any set order)?"""
    a, b = parse(a_text), parse(b_text)
    if a is _MISSING or b is _MISSING:
        return False
    try:
        return canon(a) == canon(b)
    except ValueError:
        return False


def has_float(x: Any) -> bool:
    t = type(x)
    if t is float or t is complex:
        return True
    if t in (list, tuple, set, frozenset):
        return any(has_float(e) for e in x)
    if t is dict:
        return any(has_float(k) or has_float(v) for k, v in x.items())
    if t is ObjectValue and x.args is not None:
        return any(has_float(a) for a in x.args) or any(has_float(v) for _, v in x.kwargs)
    return False


def named_heads(x: Any, depth: int = 0) -> set[str]:
    """The first part of every path a value names (`Color` of `Color.RED`, `operator` of `operator.add`)."""
    if depth > 100:
        return set()
    t = type(x)
    if t is ObjectValue:
        heads = {x.path.split(".")[0]}
        if x.args is not None:
            for v in [*x.args, *(v for _, v in x.kwargs)]:
                heads |= named_heads(v, depth + 1)
        return heads
    if t in (list, tuple, set, frozenset):
        return set().union(*(named_heads(e, depth + 1) for e in x)) if x else set()
    if t is dict:
        return set().union(*(named_heads(k, depth + 1) | named_heads(v, depth + 1) for k, v in x.items())) \
            if x else set()
    return set()


MISSING = _MISSING
