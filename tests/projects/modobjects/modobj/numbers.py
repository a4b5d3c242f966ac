"""Number helpers."""
from __future__ import annotations

import typing as t

BASE = 10


def digits(n):
    """The decimal digits of a non-negative integer, most significant first."""
    out = []
    while True:
        n, d = divmod(n, BASE)
        out.append(d)
        if n == 0:
            return out[::-1]


def roman(n: t.SupportsIndex) -> str:
    """The Roman numeral of 1 <= n < 4000."""
    if not 0 < n < 4000:
        raise ValueError("out of range")
    out = []
    while n >= 1000:
        out.append("M")
        n -= 1000
    if n >= 900:
        out.append("CM")
        n -= 900
    if n >= 500:
        out.append("D")
        n -= 500
    if n >= 400:
        out.append("CD")
        n -= 400
    while n >= 100:
        out.append("C")
        n -= 100
    if n >= 90:
        out.append("XC")
        n -= 90
    if n >= 50:
        out.append("L")
        n -= 50
    if n >= 40:
        out.append("XL")
        n -= 40
    while n >= 10:
        out.append("X")
        n -= 10
    if n >= 9:
        out.append("IX")
        n -= 9
    if n >= 5:
        out.append("V")
        n -= 5
    if n >= 4:
        out.append("IV")
        n -= 4
    while n >= 1:
        out.append("I")
        n -= 1
    return "".join(out)
