"""Extra inputs for a mined function, drawn by hypothesis from the arguments it was seen with.

Each argument position gets a strategy built from the values observed there: those
values themselves (inputs the function is meant for), and new values of the same
shapes (same types, similar sizes, characters and ranges). Generation is
derandomised, so a rerun proposes the same inputs. Only data is made here; the
reference runs on it later in the sandbox, and only deterministic outcomes become
`generated` tests.
"""
from __future__ import annotations

import datetime as datetime_module
import string
from datetime import timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from .literals import canon, parse

MAX_DEPTH = 3


def strategy_for(values: list[Any], depth: int = 0) -> st.SearchStrategy:
    """Values like these: the observed ones, and new ones of the same types and shapes."""
    unique = _unique(values)
    parts: list[st.SearchStrategy] = [st.sampled_from(unique)] if unique else []
    if depth < MAX_DEPTH:
        by_type: dict[type, list] = {}
        for v in values:
            by_type.setdefault(type(v), []).append(v)
        for t, same in by_type.items():
            s = _like(t, same, depth)
            if s is not None:
                parts.append(s)
    return st.one_of(parts) if parts else st.none()


def _like(t: type, values: list, depth: int) -> st.SearchStrategy | None:
    if t is bool:
        return st.booleans()
    if t is type(None):
        return st.none()
    if t is int:
        lo, hi = min(values), max(values)
        span = max(10, hi - lo)
        return st.integers(lo - span, hi + span)
    if t is float:
        lo, hi = min(values), max(values)
        span = max(1.0, hi - lo)
        return st.floats(lo - span, hi + span, allow_nan=False, allow_infinity=False)
    if t is str:
        chars = sorted({c for v in values for c in v} | set(string.ascii_letters[:6] + " _-"))
        return st.text(alphabet=st.sampled_from(chars), max_size=max(len(v) for v in values) + 4)
    if t is bytes:
        return st.binary(max_size=max(len(v) for v in values) + 4)
    if t in (list, set, frozenset):
        items = [e for v in values for e in v]
        size = max(len(v) for v in values) + 2
        inner = strategy_for(items, depth + 1) if items else st.integers(0, 9)
        if t is list:
            return st.lists(inner, max_size=size)
        if not _hashable(items):
            return None
        return (st.sets if t is set else st.frozensets)(inner, max_size=size)
    if t is tuple:
        lengths = {len(v) for v in values}
        if len(lengths) == 1:
            n = lengths.pop()
            return st.tuples(*[strategy_for([v[i] for v in values], depth + 1) for i in range(n)])
        items = [e for v in values for e in v]
        inner = strategy_for(items, depth + 1) if items else st.integers(0, 9)
        return st.lists(inner, max_size=max(len(v) for v in values) + 2).map(tuple)
    if t in _VALUE_STRATEGIES:
        return _VALUE_STRATEGIES[t](values)
    if t is dict:
        keys = [k for v in values for k in v]
        vals = [x for v in values for x in v.values()]
        if not keys or not _hashable(keys):
            return st.just({})
        return st.dictionaries(strategy_for(keys, depth + 1), strategy_for(vals, depth + 1),
                               max_size=max(len(v) for v in values) + 2)
    return None


def _dates(values: list) -> st.SearchStrategy:
    lo, hi = min(values), max(values)
    span = max(hi - lo, timedelta(days=30))
    low = lo - span if lo - datetime_module.date.min > span else datetime_module.date.min
    high = hi + span if datetime_module.date.max - hi > span else datetime_module.date.max
    return st.dates(low, high)


def _datetimes(values: list) -> st.SearchStrategy | None:
    if any(v.tzinfo is not None for v in values):
        return None  # aware ones: only those observed
    return _around(values, timedelta(days=30), st.datetimes)


def _decimals(values: list) -> st.SearchStrategy:
    lo, hi = min(values), max(values)
    span = max(hi - lo, Decimal(10))
    places = max(0, max(-v.as_tuple().exponent for v in values))
    return st.decimals(lo - span, hi + span, places=min(places, 12), allow_nan=False, allow_infinity=False)


def _fractions(values: list) -> st.SearchStrategy:
    lo, hi = min(values), max(values)
    span = max(hi - lo, Fraction(10))
    return st.fractions(lo - span, hi + span, max_denominator=max(10, max(v.denominator for v in values)))


def _timedeltas(values: list) -> st.SearchStrategy:
    return _around(values, timedelta(days=1), st.timedeltas)


def _around(values: list, min_span, strategy) -> st.SearchStrategy:
    """strategy(low, high) over the observed range widened on both sides; unbounded past the type's limits."""
    lo, hi = min(values), max(values)
    try:  # the observed range itself can be wider than the type allows (humanize: timedeltas near the limits)
        span = max(hi - lo, min_span)
        return strategy(lo - span, hi + span)
    except OverflowError:
        return strategy()


_VALUE_STRATEGIES = {
    datetime_module.date: _dates, datetime_module.datetime: _datetimes, datetime_module.timedelta: _timedeltas,
    datetime_module.time: lambda values: st.times() if all(v.tzinfo is None for v in values) else None,
    Decimal: _decimals, Fraction: _fractions,
}


def _hashable(items: list) -> bool:
    try:
        for e in items:
            hash(e)
    except TypeError:
        return False
    return True


def _unique(values: list) -> list:
    seen, out = set(), []
    for v in values:
        try:
            key = canon(v)
        except ValueError:
            continue
        if key not in seen:
            seen.add(key)
            out.append(v)
    return out


def generate_calls(tests: list[dict], count: int = 20) -> list[tuple[str, str]]:
    """Up to `count` new (args repr, kwargs repr) pairs shaped like the tests' arguments."""
    shapes: dict[tuple, list[tuple[tuple, dict]]] = {}
    for case in tests:
        args, kwargs = parse(case.get("args", "()")), parse(case.get("kwargs", "{}"))
        if isinstance(args, tuple) and isinstance(kwargs, dict):
            shapes.setdefault((len(args), tuple(sorted(kwargs))), []).append((args, kwargs))
    if not shapes:
        return []
    # The commonest call shape (number of positional arguments and keyword names).
    (n_args, kw_names), calls = max(shapes.items(), key=lambda kv: len(kv[1]))
    positional = [strategy_for([a[i] for a, _ in calls]) for i in range(n_args)]
    keywords = {k: strategy_for([kw[k] for _, kw in calls]) for k in kw_names}
    strategy = st.tuples(st.tuples(*positional), st.fixed_dictionaries(keywords))
    known = {(case.get("args", "()"), case.get("kwargs", "{}")) for case in tests}
    found: list[tuple[str, str]] = []

    @settings(max_examples=count * 3, database=None, derandomize=True, deadline=None,
              phases=[Phase.generate], suppress_health_check=list(HealthCheck))
    @given(strategy)
    def collect(call):
        if len(found) >= count:
            return
        args, kwargs = call
        try:
            pair = (repr(args), repr(kwargs))
        except Exception:
            return
        if pair not in known and len(pair[0]) < 2000:
            known.add(pair)
            found.append(pair)

    try:
        with _no_local_constants():
            collect()
    except Exception:  # a strategy hypothesis cannot draw from: no generated inputs
        return found
    return found


def _no_local_constants():
    """Hypothesis mixes string constants from modules loaded in this process into what it
    draws, so the same call would give other inputs after another import (and differ
    between a local run and a Ray worker). Turn that off where the private hook exists."""
    from contextlib import nullcontext
    from unittest import mock

    try:
        from hypothesis.internal.conjecture import providers
    except ImportError:  # pragma: no cover - other hypothesis layouts
        return nullcontext()
    if not hasattr(providers, "_get_local_constants") or not hasattr(providers, "Constants"):
        return nullcontext()
    return mock.patch.object(providers, "_get_local_constants", lambda: providers.Constants())


# ---- boundary inputs ------------------------------------------------------------------------------
def boundary_values(values: list[Any]) -> list[Any]:
    """Edge cases of the observed values' types: empties, zero and signs, case and order changes."""
    out: list[Any] = []
    for v in values[:3]:
        t = type(v)
        if t is bool:
            out.append(not v)
        elif t is int:
            out += [0, 1, -1, 2, v + 1, v - 1, -v, 10 ** 6]
        elif t is float:
            out += [0.0, -1.0, 0.5, v + 1.0, -v, 1e9]
        elif t is str:
            out += ["", " ", "a", "A", "0", v.upper(), v.lower(), v.swapcase(), v[::-1], v + " ", " " + v, v * 2,
                    v[: len(v) // 2], "\u00f1"]
        elif t is bytes:
            out += [b"", b"\x00", v[::-1], v * 2]
        elif t in (list, tuple):
            out += [t(), t(v[:1]), t(reversed(v)), t(v) * 2 if len(v) < 50 else t(v)]
        elif t in (set, frozenset):
            out += [t(), t(list(v)[:1])]
        elif t is dict:
            out += [{}, dict(list(v.items())[:1])]
    return _unique(out)


def boundary_calls(tests: list[dict], count: int = 30) -> list[tuple[str, str]]:
    """Up to `count` calls like the recorded ones with one argument replaced by a boundary value."""
    calls = []
    for case in tests:
        args, kwargs = parse(case.get("args", "()")), parse(case.get("kwargs", "{}"))
        if isinstance(args, tuple) and isinstance(kwargs, dict):
            calls.append((args, kwargs))
    if not calls:
        return []
    known = {(case.get("args", "()"), case.get("kwargs", "{}")) for case in tests}
    found: list[tuple[str, str]] = []
    bases = calls[:3]
    n_args = len(bases[0][0])
    same_shape = [c for c in calls if len(c[0]) == n_args and set(c[1]) == set(bases[0][1])]
    positions = [(i, None) for i in range(n_args)] + [(None, k) for k in sorted(bases[0][1])]
    per_position = []
    for i, k in positions:
        observed = [a[i] if k is None else kw[k] for a, kw in same_shape]
        per_position.append(((i, k), boundary_values(observed)))
    # round-robin over positions and bases so that a small count still touches every argument
    rounds = max((len(v) for _, v in per_position), default=0)
    for r in range(rounds):
        for (i, k), values in per_position:
            if r >= len(values):
                continue
            for args, kwargs in bases:
                if len(args) != n_args or set(kwargs) != set(bases[0][1]):
                    continue
                new_args, new_kwargs = list(args), dict(kwargs)
                if k is None:
                    new_args[i] = values[r]
                else:
                    new_kwargs[k] = values[r]
                try:
                    pair = (repr(tuple(new_args)), repr(new_kwargs))
                except Exception:
                    continue
                if pair not in known and len(pair[0]) < 2000:
                    known.add(pair)
                    found.append(pair)
                if len(found) >= count:
                    return found
    return found
