"""CodeChef: the problem JSON (`GET {web}/api/contests/{contest}/problems/{code}`).

- ids: `BUS` (the PRACTICE contest) or `START9/BUS`. CodeChef offers no documented problem
  list, so ids come from the command line or sources.toml.
- parse: `problem_name`, `max_timelimit` (seconds), `problemComponents` (statement, inputFormat,
  outputFormat, constraints, sampleTestCases: a list, or an object keyed "0", "1", ...), or
  the older markdown `body` with "Example Input/Output" code blocks; TeX in `$..$`;
  `difficulty_rating`, `tags` into meta. The API gives no memory limit (default kept).
- tests: samples only (public).
- skipped: interactive problems, problems that accept any of several answers, answers with
  status other than "success" that say the problem is not visible.
- licence: none granted; statements belong to CodeChef.
"""
from __future__ import annotations

import json
import re
from typing import Any

from .base import Page, ParsedProblem, ParseError, Site, Skip
from .text import checker_for, looks_interactive, multiple_answers, normalise_io, replace_tex

ID_RE = re.compile(r"^(?:([A-Za-z0-9_]+)/)?([A-Z0-9_]+)$")


def _markdown_text(md: str) -> str:
    md = md.replace("\r\n", "\n").replace("\r", "\n")
    md = re.sub(r"<[^>]+>", "", md)  # the odd inline HTML (aside, span)
    md = re.sub(r"^#+\s*", "", md, flags=re.M)
    md = re.sub(r"\*\*(.+?)\*\*", r"\1", md)
    md = re.sub(r"!\[[^\]]*\]\([^)]*\)", "[image]", md)
    md = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", md)
    return replace_tex(md).strip()


def _body_samples(body: str) -> list[tuple[str, str]]:
    body = body.replace("\r\n", "\n")
    ins = re.findall(r"(?:Example|Sample) Input[^\n]*\n+```[^\n]*\n(.*?)```", body, re.S | re.I)
    outs = re.findall(r"(?:Example|Sample) Output[^\n]*\n+```[^\n]*\n(.*?)```", body, re.S | re.I)
    return [(normalise_io(i), normalise_io(o)) for i, o in zip(ins, outs)]


def parse_problem_json(native_id: str, text: str, url: str) -> ParsedProblem:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ParseError(f"not JSON ({exc.msg})") from None
    if not isinstance(data, dict):
        raise ParseError("expected a JSON object")
    if data.get("status") not in (None, "success"):
        message = str(data.get("message") or data.get("status"))
        if "not visible" in message.lower() or "not available" in message.lower():
            raise Skip(f"CodeChef: {message}")
        raise ParseError(f"CodeChef API status {data.get('status')}: {message}")
    title = data.get("problem_name") or native_id
    comp = data.get("problemComponents") or {}
    parts: list[str] = []
    if comp.get("statement"):
        parts.append(_markdown_text(comp["statement"]))
        for key, head in (("inputFormat", "Input"), ("outputFormat", "Output"), ("constraints", "Constraints")):
            if comp.get(key):
                parts.append(f"{head}\n\n{_markdown_text(comp[key])}")
    elif data.get("body"):
        body = re.split(r"#+\s*(?:Example|Sample) Input", data["body"], maxsplit=1, flags=re.I)[0]
        parts.append(_markdown_text(body))
    statement = "\n\n".join(p for p in parts if p)
    if not statement:
        raise ParseError("no statement (problemComponents.statement or body)")
    if looks_interactive(statement):
        raise Skip("interactive problem")
    if multiple_answers(statement):
        raise Skip("several answers are accepted (needs a special judge)")
    cases = comp.get("sampleTestCases") or []
    if isinstance(cases, dict):
        cases = [cases[k] for k in sorted(cases, key=lambda k: int(k) if str(k).isdigit() else 0)]
    samples = [(normalise_io(c.get("input", "")), normalise_io(c.get("output", "")))
               for c in cases if isinstance(c, dict) and not c.get("isDeleted") and c.get("input") is not None]
    if not samples and data.get("body"):
        samples = _body_samples(data["body"])
    if not samples:
        raise ParseError("no sample tests")
    try:
        time_s = float(data.get("max_timelimit")) if data.get("max_timelimit") not in (None, "") else None
    except (TypeError, ValueError):
        time_s = None
    tags = data.get("tags")
    if isinstance(tags, dict):
        tags = list(tags.values())
    meta: dict[str, Any] = {"title": title, "problem_code": data.get("problem_code") or native_id.split("/")[-1]}
    for key in ("difficulty_rating", "category_name", "problem_difficulty_level", "problem_author"):
        if data.get(key) not in (None, "", -1, "-1"):
            meta[key] = data[key]
    if tags:
        meta["tags"] = tags
    return ParsedProblem(
        site="codechef", native_id=native_id, title=title, url=url, statement=statement, samples=samples,
        checker=checker_for(statement), time_s=time_s if time_s and time_s > 0 else None, memory_mb=None,
        license="NOASSERTION", attribution=f"CodeChef problem {meta['problem_code']} \"{title}\", {url}",
        flags=["statement_image"] if "[image]" in statement else [], meta=meta,
    )


class CodeChef(Site):
    name = "codechef"
    bases = {"web": "https://www.codechef.com"}
    min_interval_s = 3.0
    notes = "statements and samples from the problem JSON (public only); no problem list API; no licence granted"

    def fetch(self, native_id: str) -> Page:
        m = ID_RE.match(native_id)
        if not m:
            raise ParseError(f"not a CodeChef problem code (want BUS or START9/BUS): {native_id!r}")
        contest, code = m.group(1) or "PRACTICE", m.group(2)
        resp = self.http.get(self.url("web", f"/api/contests/{contest}/problems/{code}"))
        url = self.url("web", f"/problems/{code}" if contest == "PRACTICE" else f"/{contest}/problems/{code}")
        return Page(url=url, docs={"json": resp.text})

    def parse(self, native_id: str, page: Page) -> ParsedProblem:
        return parse_problem_json(native_id, page.docs["json"], page.url)
