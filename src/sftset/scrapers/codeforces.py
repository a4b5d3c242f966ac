"""Codeforces: the problem list from the API, statements from the problemset pages.

- list: `GET {api}/problemset.problems` (tags, rating); `--contests 1900-1950` filters it.
- fetch: `GET {web}/problemset/problem/{contest}/{index}?locale=en`.
- parse: `div.problem-statement`: title, limits, legend, input/output sections, note, and the
  samples in either markup (old `<pre>` with `<br>`, new `div.test-example-line` per line).
- tests: samples only (Codeforces does not publish its judge tests).
- skipped: interactive problems (API tag or an "Interaction" section), problems that accept any
  of several answers (need a special judge).
- licence: none granted; Codeforces asks for a link and attribution next to the statement,
  which the docstring and provenance carry.
"""
from __future__ import annotations

import json
import re
from typing import Any

from bs4 import BeautifulSoup, Tag

from .base import Page, ParsedProblem, ParseError, Site, Skip, parse_range
from .text import checker_for, html_to_text, looks_interactive, multiple_answers, normalise_io, pre_text

ID_RE = re.compile(r"^(\d+)/([A-Z][0-9]?)$")


def parse_problem_list(text: str) -> list[dict[str, Any]]:
    """The problems of a `problemset.problems` answer, newest contest first, with solved counts."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ParseError(f"problemset.problems: not JSON ({exc.msg})") from None
    if not isinstance(data, dict) or data.get("status") != "OK":
        raise ParseError(f"problemset.problems: API status {data.get('status') if isinstance(data, dict) else '?'}: "
                         f"{data.get('comment', '') if isinstance(data, dict) else ''}")
    result = data.get("result") or {}
    solved = {(s.get("contestId"), s.get("index")): s.get("solvedCount") for s in result.get("problemStatistics", [])}
    out = []
    for p in result.get("problems", []):
        if "contestId" not in p or "index" not in p:
            continue
        p = dict(p)
        p["solvedCount"] = solved.get((p["contestId"], p["index"]))
        out.append(p)
    return out


def _limit(div: Tag | None, unit_re: str) -> float | None:
    if div is None:
        return None
    text = div.get_text(" ", strip=True)
    m = re.search(r"(\d+(?:\.\d+)?)\s*" + unit_re, text)
    return float(m.group(1)) if m else None


def _samples(statement: Tag) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for block in statement.select("div.sample-test"):
        inputs = [pre_text(d.find("pre")) for d in block.select("div.input") if d.find("pre")]
        outputs = [pre_text(d.find("pre")) for d in block.select("div.output") if d.find("pre")]
        if len(inputs) != len(outputs):
            raise ParseError(f"{len(inputs)} sample inputs but {len(outputs)} sample outputs")
        pairs += [(normalise_io(i), normalise_io(o)) for i, o in zip(inputs, outputs)]
    return pairs


def _section(statement: Tag, cls: str) -> str:
    div = statement.select_one(f"div.{cls}")
    if div is None:
        return ""
    div = BeautifulSoup(str(div), "html.parser")
    title = div.select_one("div.section-title")
    heading = title.get_text(strip=True) if title else ""
    if title:
        title.decompose()
    body, _ = html_to_text(div)
    return f"{heading}\n\n{body}".strip() if heading else body


def parse_statement(native_id: str, html: str, url: str, listing: dict[str, Any] | None = None) -> ParsedProblem:
    soup = BeautifulSoup(html, "html.parser")
    st = soup.select_one("div.problem-statement")
    if st is None:
        # A saved fragment: the inner HTML of div.problem-statement.
        if soup.select_one("div.header > div.title") is None:
            raise ParseError("no div.problem-statement on the page (not a problem page, or a changed layout)")
        st = soup
    header = st.select_one("div.header")
    if header is None:
        raise ParseError("div.problem-statement has no header (title and limits)")
    title_div = header.select_one("div.title")
    title = re.sub(r"^[A-Z][0-9]?\.\s*", "", title_div.get_text(strip=True)) if title_div else native_id
    time_s = _limit(header.select_one("div.time-limit"), r"seconds?")
    memory_mb = _limit(header.select_one("div.memory-limit"), r"megabytes?")
    io_files = {}
    for key, cls in (("input", "input-file"), ("output", "output-file")):
        div = header.select_one(f"div.{cls}")
        if div is not None:
            t = div.get_text(" ", strip=True).split(None, 1)
            value = t[1] if len(t) > 1 else ""
            if value and value not in ("standard input", "standard output", "stdin", "stdout"):
                io_files[key] = value

    legend_div = header.find_next_sibling("div")
    legend = ""
    if legend_div is not None and not legend_div.get("class"):
        legend, _ = html_to_text(legend_div)
    images = len(st.select("img"))
    sections = [legend, _section(st, "input-specification"), _section(st, "output-specification"),
                _section(st, "note")]
    statement = "\n\n".join(s for s in sections if s)
    if not legend and not statement:
        raise ParseError("empty statement")

    spec_title = st.select_one("div.input-specification div.section-title")
    interactive = (spec_title is not None and spec_title.get_text(strip=True).lower().startswith("interact")) \
        or looks_interactive(statement) or "interactive" in (listing or {}).get("tags", [])
    if interactive:
        raise Skip("interactive problem")
    if multiple_answers(statement):
        raise Skip("several answers are accepted (needs a special judge)")
    samples = _samples(st)
    if not samples:
        raise ParseError("no sample tests found")

    contest, index = native_id.split("/")
    flags = ["statement_image"] if images else []
    meta: dict[str, Any] = {"title": title, "contest_id": int(contest), "index": index}
    if io_files:
        meta["io_files"] = io_files
    for key in ("rating", "tags", "points", "solvedCount"):
        if listing and listing.get(key) is not None:
            meta[{"solvedCount": "solved_count"}.get(key, key)] = listing[key]
    return ParsedProblem(
        site="codeforces", native_id=native_id, title=title, url=url, statement=statement,
        samples=samples, checker=checker_for(statement), time_s=time_s, memory_mb=memory_mb,
        license="NOASSERTION",
        attribution=f"Codeforces problem {contest}{index} \"{title}\", {url}",
        flags=flags, meta=meta,
    )


class Codeforces(Site):
    name = "codeforces"
    bases = {"web": "https://codeforces.com", "api": "https://codeforces.com/api"}
    min_interval_s = 2.0  # the API's documented limit: one call per 2 seconds
    lists_contests = True
    license = "NOASSERTION"
    notes = ("statements and samples from problemset pages; tests are samples only (public); "
             "interactive and multiple-answer problems skipped; no licence granted, attribution and link kept")

    def __init__(self, *a: Any, **kw: Any):
        super().__init__(*a, **kw)
        self._listing: dict[str, dict[str, Any]] = {}

    def list_ids(self, contests: str | None = None, limit: int | None = None) -> list[str]:
        resp = self.http.get(self.url("api", "/problemset.problems"))
        problems = parse_problem_list(resp.text)
        wanted = set(parse_range(contests)) if contests else None
        ids = []
        for p in problems:
            if wanted is not None and str(p["contestId"]) not in wanted:
                continue
            if p.get("type", "PROGRAMMING") != "PROGRAMMING":
                continue
            native = f"{p['contestId']}/{p['index']}"
            if not ID_RE.match(native):
                continue
            self._listing[native] = p
            ids.append(native)
        ids.sort(key=lambda n: (int(n.split("/")[0]), n.split("/")[1]))
        return ids[:limit] if limit else ids

    def problem_url(self, native_id: str) -> str:
        contest, index = native_id.split("/")
        return self.url("web", f"/problemset/problem/{contest}/{index}")

    def fetch(self, native_id: str) -> Page:
        if not ID_RE.match(native_id):
            raise ParseError(f"not a Codeforces problem id (want CONTEST/INDEX like 1918/A): {native_id!r}")
        listing = self._listing.get(native_id)
        if listing and "interactive" in listing.get("tags", []):
            raise Skip("interactive problem (API tag)")
        resp = self.http.get(self.problem_url(native_id) + "?locale=en")
        return Page(url=self.problem_url(native_id), docs={"html": resp.text, "listing": listing})

    def parse(self, native_id: str, page: Page) -> ParsedProblem:
        return parse_statement(native_id, page.docs["html"], page.url, page.docs.get("listing"))
