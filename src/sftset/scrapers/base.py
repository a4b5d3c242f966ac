"""One small interface for every judge: list problems, fetch one, parse it.

Fetching goes through the shared polite `Fetcher`; parsing is a pure function of what was
fetched (`Page`), so every parser is tested offline on saved pages. A parser returns a
`ParsedProblem` (site-neutral) that `convert.to_problem` turns into a record, or raises
`Skip` (the problem cannot be checked by comparing output: interactive, heuristic, locked,
several correct answers) or `ParseError` (the page is not what we expect).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, Iterable

from .http import Fetcher


class ParseError(ValueError):
    """The saved page or answer does not have the expected shape."""


class Skip(Exception):
    """The problem exists but is not turned into a record, for a stated reason."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass
class Page:
    """What `fetch` got for one problem: named documents (text or bytes) and the problem URL."""

    url: str
    docs: dict[str, Any] = field(default_factory=dict)


@dataclass
class ParsedProblem:
    site: str
    native_id: str  # becomes task_id "<site>/<native_id>"
    title: str
    url: str
    statement: str = ""  # readable text (already converted from HTML/TeX)
    kind: str = "stdio"
    samples: list[tuple[str, str]] = field(default_factory=list)  # public
    hidden: list[tuple[str, str]] = field(default_factory=list)  # judge data
    generated: list[tuple[str, str]] = field(default_factory=list)  # e.g. CodeContests' generated tests
    statement_has_examples: bool = False  # the statement text already shows the samples (datasets)
    checker: str = "tokens"
    time_s: float | None = None
    memory_mb: float | None = None
    license: str = "NOASSERTION"  # SPDX id or LicenseRef-*
    attribution: str = ""
    # function problems (LeetCode, APPS/TACO call-based): signature and structured cases
    function: dict[str, Any] | None = None  # {"name", "params": [(name, annotation)], "returns", "imports"}
    function_tests: list[dict[str, str]] = field(default_factory=list)  # {"args", "expected", "split"}
    solution: str = ""  # canonical_solution body, when the source carries a known-correct one
    flags: list[str] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def task_id(self) -> str:
        return f"{self.site}/{self.native_id}"


class Site:
    """Base class for a judge. Subclasses set the class attributes and implement the three methods."""

    name: ClassVar[str] = ""
    # Named base URLs (most sites have one, "web"); each can be overridden in sources.toml.
    bases: ClassVar[dict[str, str]] = {}
    min_interval_s: ClassVar[float] = 2.0
    license: ClassVar[str] = "NOASSERTION"
    notes: ClassVar[str] = ""  # what is scraped, what tests are hidden, the licence status

    def __init__(self, fetcher: Fetcher, base_urls: dict[str, str] | None = None, options: dict[str, Any] | None = None):
        self.http = fetcher
        self.base = {**self.bases, **{k: v.rstrip("/") for k, v in (base_urls or {}).items()}}
        self.options = options or {}

    # ---- the interface ------------------------------------------------------------
    def list_ids(self, contests: str | None = None, limit: int | None = None) -> list[str]:
        """Native ids of the problems to collect (in a stable order)."""
        raise NotImplementedError(f"{self.name} cannot list problems; give ids")

    def fetch(self, native_id: str) -> Page:
        raise NotImplementedError

    def parse(self, native_id: str, page: Page) -> ParsedProblem:
        raise NotImplementedError

    # ---- helpers ------------------------------------------------------------------
    def url(self, key: str, path: str) -> str:
        return self.base[key] + path

    def hosts(self) -> Iterable[str]:
        from urllib.parse import urlsplit

        return {urlsplit(u).netloc for u in self.base.values()}


CONTEST_ID = r"[A-Za-z0-9_]+(?:-[A-Za-z0-9_]+)*"  # 1950, abc300, jsc2019-qual, code-festival-2017-quala
_RANGE = r"([A-Za-z_]*)(\d+)\s*-\s*([A-Za-z_]*)(\d+)"


def parse_range(text: str) -> list[str]:
    """'1900-1905,1918' -> ['1900', ..., '1905', '1918']; 'abc300-abc302' -> ['abc300', 'abc301', 'abc302'].

    A range is two numbers, or two ids with the same letters before their numbers. Anything else
    made of letters, digits, '_' and inner '-' is one contest id: AtCoder has many with hyphens
    (`jsc2019-qual`, `code-festival-2017-quala`, `tenka1-2019`). Raises ValueError with a one-line
    reason for a range that runs backwards or anything that is neither.
    """
    import re

    out: list[str] = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        m = re.fullmatch(_RANGE, part)
        if m and m.group(1) == m.group(3):
            prefix, lo, hi = m.group(1), m.group(2), m.group(4)
            if int(hi) < int(lo):
                raise ValueError(f"range {part!r} runs backwards (did you mean {prefix}{hi}-{prefix}{lo}?)")
            if int(hi) - int(lo) > 100000:
                raise ValueError(f"range {part!r} is too long")
            width = len(lo) if lo.startswith("0") else 0
            out += [f"{prefix}{str(i).zfill(width)}" for i in range(int(lo), int(hi) + 1)]
        elif re.fullmatch(CONTEST_ID, part):
            out.append(part)
        else:
            raise ValueError(f"not a contest id or range: {part!r} (e.g. 1900-1905,1918 or abc300-abc302,jsc2019-qual)")
    return out
