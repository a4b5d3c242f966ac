"""Aizu Online Judge: the official JSON APIs (http://developers.u-aizu.ac.jp/index).

- list: `GET {api}/problems?page=0&size=N` (ids in the order the API gives them).
- fetch: the description `GET {api}/resources/descriptions/en/{id}` (`html`, `time_limit` in
  seconds, `memory_limit` in KB), the samples `GET {dat}/testcases/samples/{id}`
  (`[{serial, in, out}]`), the judge data header `GET {dat}/testcases/{id}/header`
  (`headers: [{serial, name, inputSize, outputSize}]`) and each case `GET {dat}/testcases/{id}/{serial}`
  (`{in, out}`). Cases larger than `max_case_bytes` are not downloaded (counted in meta).
- tests: the samples are public, the judge's own test cases hidden (AOJ publishes them).
- skipped: interactive/reactive problems and problems with several correct answers.
- licence: none stated; problems belong to their authors / the University of Aizu.
"""
from __future__ import annotations

import json
import re
from typing import Any

from bs4 import BeautifulSoup

from .base import Page, ParsedProblem, ParseError, Site, Skip
from .http import NotFound
from .text import checker_for, html_to_text, looks_interactive, multiple_answers, normalise_io, pre_text

ID_RE = re.compile(r"^[A-Za-z0-9_]+$")
TRUNCATED = "(terminated because of the limitation)"


def _json(text: str, what: str) -> Any:
    try:
        return json.loads(text)
    except (json.JSONDecodeError, TypeError) as exc:
        raise ParseError(f"{what}: not JSON ({getattr(exc, 'msg', exc)})") from None


def parse_problem(native_id: str, docs: dict[str, Any], url: str) -> ParsedProblem:
    desc = _json(docs["description"], "description")
    if not isinstance(desc, dict) or not isinstance(desc.get("html"), str):
        raise ParseError("description: no html field")
    soup = BeautifulSoup(desc["html"], "html.parser")
    h1 = soup.find(["h1", "H1"])
    title = h1.get_text(" ", strip=True) if h1 else native_id
    if h1:
        h1.decompose()
    # Samples live in the statement too; they are kept as tests, not as text.
    html_samples: dict[str, dict[int, str]] = {"input": {}, "output": {}}
    for h in soup.find_all(["h2", "h3"]):
        m = re.match(r"Sample (Input|Output)\s*(\d*)", h.get_text(" ", strip=True), re.I)
        if not m:
            continue
        pre = h.find_next_sibling("pre")
        if pre is not None:
            html_samples[m.group(1).lower()][int(m.group(2) or 1)] = normalise_io(pre_text(pre))
            pre.decompose()
        h.decompose()
    statement, images = html_to_text(soup)
    if not statement:
        raise ParseError("empty statement")
    if looks_interactive(statement) or re.search(r"\breactive\b", statement, re.I):
        raise Skip("interactive (reactive) problem")
    if multiple_answers(statement):
        raise Skip("several answers are accepted (needs a special judge)")

    samples: list[tuple[str, str]] = []
    if docs.get("samples"):
        for case in sorted(_json(docs["samples"], "samples"), key=lambda c: c.get("serial", 0)):
            samples.append((normalise_io(case["in"]), normalise_io(case["out"])))
    if not samples:  # the API has no samples for some problems; fall back to the statement's
        ins, outs = html_samples["input"], html_samples["output"]
        samples = [(ins[k], outs[k]) for k in sorted(ins) if k in outs]

    hidden: list[tuple[str, str]] = []
    truncated = 0
    for serial, text in sorted((docs.get("cases") or {}).items(), key=lambda kv: int(kv[0])):
        case = _json(text, f"test case {serial}")
        cin, cout = case.get("in"), case.get("out")
        if not isinstance(cin, str) or not isinstance(cout, str):
            raise ParseError(f"test case {serial}: no in/out")
        if cin.rstrip().endswith(TRUNCATED) or cout.rstrip().endswith(TRUNCATED):
            truncated += 1
            continue
        pair = (normalise_io(cin), normalise_io(cout))
        if pair not in samples and pair not in hidden:
            hidden.append(pair)
    if not samples and not hidden:
        raise ParseError("no sample or judge tests")
    meta: dict[str, Any] = {"title": title, "problem_id": native_id}
    if docs.get("omitted_cases"):
        meta["hidden_omitted"] = docs["omitted_cases"]
    if truncated:
        meta["hidden_truncated"] = truncated
    time_s = desc.get("time_limit")
    memory_kb = desc.get("memory_limit")
    return ParsedProblem(
        site="aoj", native_id=native_id, title=title, url=url, statement=statement, samples=samples,
        hidden=hidden, checker=checker_for(statement),
        time_s=float(time_s) if isinstance(time_s, (int, float)) and time_s > 0 else None,
        memory_mb=memory_kb / 1024 if isinstance(memory_kb, (int, float)) and memory_kb > 0 else None,
        license="NOASSERTION", attribution=f"Aizu Online Judge problem {native_id} \"{title}\", {url}",
        flags=["statement_image"] if images else [], meta=meta,
    )


class Aoj(Site):
    name = "aoj"
    bases = {"api": "https://judgeapi.u-aizu.ac.jp", "dat": "https://judgedat.u-aizu.ac.jp",
             "web": "https://onlinejudge.u-aizu.ac.jp"}
    min_interval_s = 1.0
    notes = ("statements from the descriptions API; samples public and the full judge test cases hidden "
             "(cases over max_case_bytes left out); no licence stated")

    def list_ids(self, contests: str | None = None, limit: int | None = None) -> list[str]:
        if contests:
            raise NotImplementedError("aoj: --contests is not supported; give ids (e.g. ITP1_1_A) or a limit")
        size = limit or 100
        resp = self.http.get(self.url("api", f"/problems?page=0&size={size}"))
        data = _json(resp.text, "problem list")
        if not isinstance(data, list):
            raise ParseError("problem list: expected a JSON array")
        return [str(p["id"]) for p in data if isinstance(p, dict) and "id" in p][:size]

    def fetch(self, native_id: str) -> Page:
        if not ID_RE.match(native_id):
            raise ParseError(f"not an AOJ problem id: {native_id!r}")
        max_bytes, max_cases = self.caps.max_case_bytes, self.caps.max_hidden
        docs: dict[str, Any] = {
            "description": self.http.get(self.url("api", f"/resources/descriptions/en/{native_id}")).text,
        }
        try:
            docs["samples"] = self.http.get(self.url("dat", f"/testcases/samples/{native_id}")).text
        except NotFound:
            docs["samples"] = None
        cases: dict[str, str] = {}
        omitted = 0
        try:
            header = _json(self.http.get(self.url("dat", f"/testcases/{native_id}/header")).text, "header")
        except NotFound:
            header = {"headers": []}
        for h in header.get("headers", []):
            size = int(h.get("inputSize", 0)) + int(h.get("outputSize", 0))
            if size > max_bytes or len(cases) >= max_cases:
                omitted += 1
                continue
            cases[str(h["serial"])] = self.http.get(self.url("dat", f"/testcases/{native_id}/{h['serial']}")).text
        docs["cases"] = cases
        docs["omitted_cases"] = omitted
        return Page(url=self.url("web", f"/problems/{native_id}"), docs=docs)

    def parse(self, native_id: str, page: Page) -> ParsedProblem:
        return parse_problem(native_id, page.docs, page.url)
