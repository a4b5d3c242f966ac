"""Test values (literals, and the dates/Decimal/Fraction of sftset.values) as test data:
read back from repr, compare with exact types.

`1`, `1.0` and `True` compare equal in Python but are different answers for a test,
and a set's repr depends on the hash seed; so outcomes are compared as canonical
trees (type name, value), sets and dict items sorted; value types by their repr.
"""
from __future__ import annotations

from typing import Any

from ..values import READ_ERRORS, is_value_type, read_value

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
    return False


MISSING = _MISSING
