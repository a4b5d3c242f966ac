"""One small interface for every source of problems, web judge or local dataset: `entries`
says which items to collect (native id and a loader of its `Page`), `parse` turns a page into
a `ParsedProblem`. Web judges (`Site`) list ids and fetch pages through the shared polite
`Fetcher`; local datasets (`LocalSource`) stream items from a path. Both take the same
`CaseCaps`, and the ids/limit selection is `select`, written once.

Parsing is a pure function of what was fetched (`Page`), so every parser is tested offline
on saved pages. A parser returns a
`ParsedProblem` (site-neutral) that `convert.to_problem` turns into a record, or raises
`Skip` (the problem cannot be checked by comparing output: interactive, heuristic, locked,
several correct answers) or `ParseError` (the page is not what we expect).
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Callable, ClassVar, Iterable, Iterator

from .http import Fetcher

Entry = tuple[str, Callable[[], "Page"]]  # (native id, load its page)


@dataclass
class CaseCaps:
    """How much judge data one problem keeps; the one place these defaults live (settable per
    source in sources.toml)."""

    max_case_bytes: int = 1 << 20  # a test whose input+output is larger is left out (counted in meta)
    max_hidden: int = 100
    max_generated: int = 20

    @classmethod
    def of(cls, options: "CaseCaps | dict[str, Any] | None") -> "CaseCaps":
        if isinstance(options, CaseCaps):
            return options
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in (options or {}).items() if k in names and v is not None})


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


def select(entries: Iterable[Entry], ids: Iterable[str] | None, limit: int | None) -> Iterator[Entry]:
    """The entries named in `ids` (all when None), at most `limit` of them, in the source's order."""
    wanted = set(ids) if ids else None
    n = 0
    if limit is not None and limit <= 0:
        return
    for native_id, load in entries:
        if wanted is not None and native_id not in wanted:
            continue
        yield native_id, load
        n += 1
        if limit and n >= limit:
            return  # nothing more is read from the source


class Source:
    """What every source has: a name, a licence, notes, the caps, `entries` and `parse`."""

    name: ClassVar[str] = ""
    license: ClassVar[str] = "NOASSERTION"
    notes: ClassVar[str] = ""  # what is scraped, what tests are hidden, the licence status
    min_interval_s: ClassVar[float] = 0.0
    lists_contests: ClassVar[bool] = False  # `entries(contests=...)` understands contest ranges

    def __init__(self, options: CaseCaps | dict[str, Any] | None = None):
        self.caps = CaseCaps.of(options)

    def entries(self, ids: list[str] | None = None, contests: str | None = None,
                limit: int | None = None) -> Iterable[Entry]:
        """The items to collect. A web judge lists them at once (a list: listing errors raise here);
        a local dataset streams them."""
        raise NotImplementedError

    def parse(self, native_id: str, page: Page) -> ParsedProblem:
        raise NotImplementedError


class Site(Source):
    """A web judge. Subclasses set the class attributes and implement list_ids, fetch and parse."""

    # Named base URLs (most sites have one, "web"); each can be overridden in sources.toml.
    bases: ClassVar[dict[str, str]] = {}
    min_interval_s: ClassVar[float] = 2.0

    def __init__(self, fetcher: Fetcher, base_urls: dict[str, str] | None = None,
                 options: CaseCaps | dict[str, Any] | None = None):
        super().__init__(options)
        self.http = fetcher
        self.base = {**self.bases, **{k: v.rstrip("/") for k, v in (base_urls or {}).items()}}

    # ---- the interface ------------------------------------------------------------
    def entries(self, ids: list[str] | None = None, contests: str | None = None,
                limit: int | None = None) -> list[Entry]:
        chosen = list(ids)[:limit] if ids and limit else list(ids) if ids else self.list_ids(contests, limit)
        return [(native_id, (lambda nid=native_id: self.fetch(nid))) for native_id in chosen]

    def list_ids(self, contests: str | None = None, limit: int | None = None) -> list[str]:
        """Native ids of the problems to collect (in a stable order)."""
        raise NotImplementedError(f"{self.name} cannot list problems; give ids")

    def fetch(self, native_id: str) -> Page:
        raise NotImplementedError

    # ---- helpers ------------------------------------------------------------------
    def url(self, key: str, path: str) -> str:
        return self.base[key] + path

    def hosts(self) -> Iterable[str]:
        from urllib.parse import urlsplit

        return {urlsplit(u).netloc for u in self.base.values()}


class LocalSource(Source):
    """A dataset on disk: subclasses implement `items` (every entry, in a stable order) and `parse`."""

    def __init__(self, path: Path, options: CaseCaps | dict[str, Any] | None = None):
        super().__init__(options)
        self.path = Path(path)
        if not self.path.exists():
            raise FileNotFoundError(str(self.path))

    def entries(self, ids: list[str] | None = None, contests: str | None = None,
                limit: int | None = None) -> Iterator[Entry]:
        if contests:
            raise NotImplementedError(f"{self.name}: a local dataset has no contests; give ids or a limit")
        return select(self.items(), ids, limit)

    def items(self) -> Iterator[Entry]:
        raise NotImplementedError


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
