"""Test values: the text of a test's `args`, `kwargs` and `expected`.

A value text is a Python literal (what `ast.literal_eval` reads), or one of a few
standard-library value types written the way `repr` writes them:
`datetime.date(2024, 2, 29)`, `datetime.datetime(2024, 2, 29, 12, 0,
tzinfo=datetime.timezone.utc)`, `datetime.time(...)`, `datetime.timedelta(days=1)`,
`datetime.timezone(...)`, `Decimal('1.50')`, `Fraction(1, 3)`, `frozenset({1, 2})`.
Mined functions often take or return these (dates, money, exact ratios), and they have
exact, readable reprs.

Reading never evaluates code: the text is parsed, every call must name one of the
constructors above with value arguments, and the tree is then built by hand.

The reader is kept as source text (READER) because rendered checks embed it: a check
exported in HumanEval's format must read its own test values with nothing but the
standard library (see render.py). This module runs that same text.
"""
from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

READER = r'''
import ast as _sftset_ast
import datetime as _sftset_datetime
import decimal as _sftset_decimal
import fractions as _sftset_fractions

_SFTSET_CONSTRUCTORS = {
    "datetime.date": _sftset_datetime.date, "datetime.datetime": _sftset_datetime.datetime,
    "datetime.time": _sftset_datetime.time, "datetime.timedelta": _sftset_datetime.timedelta,
    "datetime.timezone": _sftset_datetime.timezone, "Decimal": _sftset_decimal.Decimal,
    "Fraction": _sftset_fractions.Fraction, "frozenset": frozenset, "set": set,
}
_SFTSET_NAMED = {"datetime.timezone.utc": _sftset_datetime.timezone.utc}
# Types compared by exact type and repr (their reprs are exact and canonical enough).
_SFTSET_VALUE_TYPES = (_sftset_datetime.date, _sftset_datetime.datetime, _sftset_datetime.time,
                       _sftset_datetime.timedelta, _sftset_datetime.timezone, _sftset_decimal.Decimal,
                       _sftset_fractions.Fraction)


def _sftset_dotted(node):
    parts = []
    while isinstance(node, _sftset_ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, _sftset_ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


def _sftset_build(node, depth=0):
    if depth > 100:
        raise ValueError("value nested too deeply")
    if isinstance(node, _sftset_ast.Call):
        make = _SFTSET_CONSTRUCTORS.get(_sftset_dotted(node.func))
        if make is None or any(isinstance(a, _sftset_ast.Starred) for a in node.args):
            raise ValueError("not a value: " + _sftset_ast.unparse(node.func))
        args = [_sftset_build(a, depth + 1) for a in node.args]
        kwargs = {}
        for k in node.keywords:
            if k.arg is None:
                raise ValueError("not a value: **")
            kwargs[k.arg] = _sftset_build(k.value, depth + 1)
        # Fraction('1e99999999') or Fraction(Decimal(...)) would build a huge int: only the
        # forms repr writes are read, Fraction(int, int) and Decimal('digits').
        if make is _sftset_fractions.Fraction and not all(type(a) is int for a in args) or (
                make is _sftset_decimal.Decimal and not (len(args) == 1 and type(args[0]) is str and not kwargs)):
            raise ValueError("not a value: " + _sftset_ast.unparse(node)[:60])
        return make(*args, **kwargs)
    if isinstance(node, (_sftset_ast.Attribute, _sftset_ast.Name)):
        name = _sftset_dotted(node)
        if name in _SFTSET_NAMED:
            return _SFTSET_NAMED[name]
        raise ValueError("not a value: " + str(name))
    if isinstance(node, (_sftset_ast.Tuple, _sftset_ast.List, _sftset_ast.Set)):
        items = [_sftset_build(e, depth + 1) for e in node.elts]
        return {_sftset_ast.Tuple: tuple, _sftset_ast.List: list, _sftset_ast.Set: set}[type(node)](items)
    if isinstance(node, _sftset_ast.Dict):
        if any(k is None for k in node.keys):
            raise ValueError("not a value: **")
        return {_sftset_build(k, depth + 1): _sftset_build(v, depth + 1) for k, v in zip(node.keys, node.values)}
    # Numbers, strings, bytes, None, True/False, negative numbers, complex sums:
    # exactly what literal_eval accepts.
    return _sftset_ast.literal_eval(node)


def _sftset_read(text):
    """The value a value text denotes (a literal, or one of the constructors above)."""
    return _sftset_build(_sftset_ast.parse(text.strip(), mode="eval").body)
'''

_namespace: dict[str, Any] = {"__name__": "sftset.values.reader"}
exec(compile(READER, "<sftset value reader>", "exec", dont_inherit=True), _namespace)

VALUE_TYPES: tuple[type, ...] = _namespace["_SFTSET_VALUE_TYPES"]
READ_ERRORS = (ValueError, SyntaxError, TypeError, ArithmeticError, MemoryError, RecursionError)


def read_value(text: str) -> Any:
    """The value of a value text; raises one of READ_ERRORS when it is not one."""
    return _namespace["_sftset_read"](text)


def is_value_type(x: Any) -> bool:
    """An instance of exactly one of the standard-library value types (no subclasses), whose
    repr reads back: finite Decimals, datetimes and times with no tzinfo or a plain timezone."""
    t = type(x)
    if t not in VALUE_TYPES:
        return False
    if t is Decimal:
        return x.is_finite()
    if t is datetime.datetime or t is datetime.time:
        return x.tzinfo is None or type(x.tzinfo) is datetime.timezone
    return True


def value_text(x: Any) -> str:
    """repr(x) for a value of VALUE_TYPES (checked with is_value_type first)."""
    if not is_value_type(x):
        raise ValueError(f"not a value type: {type(x).__qualname__}")
    return repr(x)
