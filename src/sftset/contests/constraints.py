"""Numeric bounds stated in a problem's text: `1 ≤ n ≤ 2·10^5`, `$1 \\le a_i, b_i \\le 10^{9}$`,
`1 ≤ H_2 ≤ H_1 ≤ 10`, `(2 ≤ n, m ≤ 2 500)`, `-10^9 <= x <= 10^9`.

Each bound is (names, lo, hi). Names are kept as written (`a_i`, `H_1`) and also reduced to a
base (`a`, `H`) so that `a_i` in the constraints names the `a_1 ... a_n` of the input format.
A statement with no bound at all is reported as unparsed: its problem stays samples-only.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

_NUM = (r"-?\d+(?:[ ,]\d{3})*(?:\.\d+)?"
        r"(?:\s*(?:\\cdot|\\times|·|×|\*)\s*10\s*\^\s*\{?\s*-?\d+\s*\}?|\s*\^\s*\{?\s*\d+\s*\}?)?")
_REL = r"(?:≤|⩽|<=|\\leq?|\\leqslant|<|\\lt)"
_NAME = r"\|?[A-Za-z][A-Za-z0-9]*(?:_(?:\{[A-Za-z0-9, +-]+\}|[A-Za-z0-9]))?'?\|?"
_NAMES = _NAME + r"(?:\s*,\s*" + _NAME + r")*"
_CHAIN = re.compile(r"(" + _NUM + r")\s*(" + _REL + r")\s*(" + _NAMES + r"(?:\s*" + _REL + r"\s*" + _NAMES + r")*)\s*("
                    + _REL + r")\s*(" + _NUM + r")")


@dataclass(frozen=True)
class Bound:
    names: tuple[str, ...]
    lo: float
    hi: float

    @property
    def indexed(self) -> bool:
        """Bounds an element of a sequence (`a_i`, `A_{i, j}`), not a scalar (`n`, `H_1`)."""
        return any(re.search(r"_\{?[^}]*[A-Za-z]", n) for n in self.names)

    @property
    def integral(self) -> bool:
        return float(self.lo).is_integer() and float(self.hi).is_integer()


def number(text: str) -> float | None:
    """'2·10^5' -> 200000, '10^{18}' -> 1e18 (as int when whole), '2 500' -> 2500, '-1' -> -1."""
    t = re.sub(r"\s+", "", text).replace("{", "").replace("}", "")
    m = re.fullmatch(r"(-?)(\d+(?:\.\d+)?)?(?:(?:\\cdot|\\times|·|×|\*)?10\^(-?\d+)|\^(\d+))?", t.replace(",", ""))
    if not m or (m.group(2) is None and m.group(3) is None):
        return None
    sign = -1 if m.group(1) else 1
    if m.group(4) is not None:  # 10^9 written as base^exp
        base = m.group(2) or "10"
        return sign * int(float(base)) ** int(m.group(4))
    mant = float(m.group(2)) if m.group(2) else 1.0
    exp = int(m.group(3)) if m.group(3) else 0
    value = mant * 10 ** exp
    if value.is_integer() and abs(value) < 1e30:
        value = int(round(mant * 10 ** exp)) if exp >= 0 else value
    return sign * value


def base_name(name: str) -> str:
    """'a_i' -> 'a', 'A_{i,j}' -> 'A', 'H_1' -> 'H', '|S|' -> '|S|'."""
    if name.startswith("|"):
        return name
    return re.split(r"[_']", name, maxsplit=1)[0]


def _clean(text: str) -> str:
    text = text.replace("$", " ").replace("\\,", "").replace("\\;", "").replace("\\ ", " ")
    text = text.replace("\u2009", " ").replace("\u202f", " ").replace("\xa0", " ")
    return re.sub(r"\\(?:mathrm|text|mathit|rm)\{([^}]*)\}", r"\1", text)


def parse_bounds(statement: str) -> list[Bound]:
    """Every `lo REL names (REL names)* REL hi` in the text, with lo <= hi."""
    out: list[Bound] = []
    text = _clean(statement)
    for m in _CHAIN.finditer(text):
        lo, hi = number(m.group(1)), number(m.group(5))
        if lo is None or hi is None or lo > hi:
            continue
        if re.search(r"<|\\lt", m.group(2)) and "=" not in m.group(2) and "le" not in m.group(2):
            lo = lo + 1 if float(lo).is_integer() else lo
        if re.search(r"<|\\lt", m.group(4)) and "=" not in m.group(4) and "le" not in m.group(4):
            hi = hi - 1 if float(hi).is_integer() else hi
        names = tuple(n.group(0) for n in re.finditer(_NAME, m.group(3)))
        if names:
            out.append(Bound(names, lo, hi))
    return out
