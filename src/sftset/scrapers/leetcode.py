"""LeetCode: function-style problems from the GraphQL `question` answer.

- list: `GET {web}/api/problems/algorithms/` (`stat_status_pairs`; paid-only ones are reported
  as locked without fetching them).
- fetch: `POST {web}/graphql` with the `question(titleSlug)` query.
- parse: `content` (HTML statement with its examples), `metaData` (function name, parameter and
  return types), `exampleTestcases`/`sampleTestCase` (one JSON value per parameter per line),
  the example outputs from the statement, the Python 3 starter code (kept in meta). The saved
  2017 problem page (`var pageData = {...}`) parses to the same thing.
- record: kind `function`, prompt `def name(params) -> type:` with the statement as docstring;
  example tests are public. No hidden tests (LeetCode does not publish them).
- skipped: locked (paid) problems, class-design problems, problems whose arguments or result
  are LeetCode data structures (ListNode, TreeNode, ...), in-place (void) problems.
- licence: none granted; LeetCode's terms restrict scraping, so the site is off by default
  in scrapers/sources.toml.
"""
from __future__ import annotations

import json
import re
from typing import Any

from bs4 import BeautifulSoup

from .base import Page, ParsedProblem, ParseError, Site, Skip
from .text import html_to_text

SLUG_RE = re.compile(r"^[a-z0-9-]+$")
QUERY = """query questionData($titleSlug: String!) {
  question(titleSlug: $titleSlug) {
    questionId questionFrontendId title titleSlug content isPaidOnly difficulty
    topicTags { name slug }
    codeSnippets { lang langSlug code }
    sampleTestCase exampleTestcases metaData
  }
}"""

SCALARS = {"integer": "int", "long": "int", "double": "float", "float": "float", "boolean": "bool",
           "string": "str", "character": "str"}


def py_type(t: str) -> str:
    """LeetCode metaData type -> Python annotation; raises Skip for LeetCode's own classes."""
    t = t.strip()
    if t in SCALARS:
        return SCALARS[t]
    if t.endswith("[]"):
        return f"List[{py_type(t[:-2])}]"
    m = re.fullmatch(r"list<(.+)>", t)
    if m:
        return f"List[{py_type(m.group(1))}]"
    raise Skip(f"uses LeetCode type {t!r} (not a plain Python value)")


def _js_string(s: str) -> str:
    """Decode a single-quoted JavaScript string body (\\uXXXX, \\', \\\\)."""
    s = re.sub(r"\\u([0-9A-Fa-f]{4})", lambda m: chr(int(m.group(1), 16)), s)
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "r": "\r", "t": "\t"}.get(m.group(1), m.group(1)), s)


def question_from_graphql(text: str) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ParseError(f"GraphQL answer is not JSON ({exc.msg})") from None
    if data.get("errors"):
        raise ParseError(f"GraphQL errors: {data['errors'][0].get('message', data['errors'][0])}")
    q = (data.get("data") or {}).get("question")
    if q is None:
        raise ParseError("GraphQL answer has no question (unknown slug?)")
    return q


def question_from_page(html: str) -> dict[str, Any]:
    """The 2016-2017 problem page layout: `var pageData = {...}` plus div.question-description."""
    soup = BeautifulSoup(html, "html.parser")
    m = re.search(r"var pageData = \{(.*?)\n\s*\};", html, re.S)
    if m is None:
        if soup.select_one('form input[type="password"]') is not None:
            raise Skip("locked (paid) problem: the page shows a sign-in form instead of the question")
        raise ParseError("no pageData on the page")
    block = m.group(1)

    def field(name: str) -> str | None:
        fm = re.search(rf"\b{name}:\s*'((?:[^'\\]|\\.)*)'", block)
        return _js_string(fm.group(1)) if fm else None

    desc = soup.select_one("div.question-description")
    q = {
        "questionId": field("questionId"), "titleSlug": field("questionTitleSlug"), "title": field("questionTitle"),
        "content": desc.decode_contents() if desc else None, "sampleTestCase": field("sampleTestCase"),
        "metaData": None, "isPaidOnly": False,
    }
    mm = re.search(r"metaData:\s*JSON\.parse\('((?:[^'\\]|\\.)*)'", block)
    if mm:
        q["metaData"] = _js_string(mm.group(1))
    py3 = re.search(r"'value':\s*'python3',\s*'text':\s*'Python3',\s*'defaultCode':\s*'((?:[^'\\]|\\.)*)'", block)
    if py3:
        q["codeSnippets"] = [{"langSlug": "python3", "code": _js_string(py3.group(1))}]
    return q


def _value(value_text: str, type_: str, what: str) -> Any:
    text = value_text.strip()
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        if type_ in ("string", "character"):
            value = text  # the statement shows strings unquoted in places (e.g. "Output: e")
        else:
            raise ParseError(f"{what}: not a JSON value: {text[:60]!r}") from None
    if type_ in ("double", "float") and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    return value


def parse_question(native_id: str, q: dict[str, Any], url: str) -> ParsedProblem:
    if q.get("isPaidOnly") and not q.get("content"):
        raise Skip("locked (paid) problem")
    if not q.get("content"):
        raise ParseError("question has no content")
    try:
        meta = json.loads(q.get("metaData") or "{}")
    except json.JSONDecodeError:
        raise ParseError("metaData is not JSON") from None
    if "classname" in meta or "systemdesign" in meta:
        raise Skip("class-design problem (a sequence of method calls)")
    if "name" not in meta or "params" not in meta:
        raise ParseError("metaData has no function name and params")
    params = [(p["name"], p["type"]) for p in meta["params"]]
    ret = (meta.get("return") or {}).get("type", "void")
    if ret == "void":
        raise Skip("modifies its arguments in place (void return)")
    annotations = [(n, py_type(t)) for n, t in params]
    returns = py_type(ret)
    statement, images = html_to_text(q["content"])

    raw_inputs = q.get("exampleTestcases") or q.get("sampleTestCase") or ""
    lines = [ln for ln in raw_inputs.replace("\r\n", "\n").split("\n") if ln.strip()]
    if not lines or len(lines) % len(params):
        raise ParseError(f"example inputs: {len(lines)} lines for {len(params)} parameters")
    outputs = re.findall(r"Output:\s*(.+)", statement)
    n = min(len(lines) // len(params), len(outputs))
    if n == 0:
        raise ParseError("no example outputs in the statement")
    tests = []
    for k in range(n):
        values = tuple(_value(lines[k * len(params) + j], params[j][1], f"example {k + 1} argument {params[j][0]}")
                       for j in range(len(params)))
        expected = _value(outputs[k], ret, f"example {k + 1} output")
        tests.append({"args": repr(values), "expected": repr(expected), "split": "public"})
    starter = ""
    for snip in q.get("codeSnippets") or []:
        if snip.get("langSlug") == "python3":
            starter = snip.get("code", "").replace("\r\n", "\n")
    title = q.get("title") or native_id
    pmeta: dict[str, Any] = {"title": title, "question_id": q.get("questionFrontendId") or q.get("questionId")}
    if q.get("difficulty"):
        pmeta["difficulty"] = q["difficulty"]
    if q.get("topicTags"):
        pmeta["tags"] = [t.get("name") for t in q["topicTags"]]
    if starter:
        pmeta["starter_code"] = starter
    imports = ["from typing import List"] if any("List[" in a for _, a in annotations) or "List[" in returns else []
    return ParsedProblem(
        site="leetcode", native_id=native_id, title=title, url=url, statement=statement, kind="function",
        checker="float:1e-05" if ret in ("double", "float") else "exact",
        function={"name": meta["name"], "params": annotations, "returns": returns, "imports": imports},
        function_tests=tests, license="NOASSERTION", attribution=f"LeetCode problem \"{title}\", {url}",
        flags=["statement_image"] if images else [], meta=pmeta,
    )


class LeetCode(Site):
    name = "leetcode"
    bases = {"web": "https://leetcode.com"}
    min_interval_s = 5.0
    notes = ("function-style problems from the GraphQL question answer with their example tests (public only); "
             "locked, class-design and data-structure problems skipped; terms restrict scraping: off by default")

    def __init__(self, *a: Any, **kw: Any):
        super().__init__(*a, **kw)
        self._paid: dict[str, bool] = {}

    def list_ids(self, contests: str | None = None, limit: int | None = None) -> list[str]:
        if contests:
            raise NotImplementedError("leetcode: --contests is not supported; give slugs")
        resp = self.http.get(self.url("web", "/api/problems/algorithms/"))
        try:
            pairs = json.loads(resp.text)["stat_status_pairs"]
        except (json.JSONDecodeError, KeyError, TypeError):
            raise ParseError("problem list: no stat_status_pairs") from None
        pairs.sort(key=lambda p: p["stat"]["question_id"])
        ids = []
        for p in pairs:
            slug = p["stat"]["question__title_slug"]
            self._paid[slug] = bool(p.get("paid_only"))
            ids.append(slug)
        return ids[:limit] if limit else ids

    def fetch(self, native_id: str) -> Page:
        if not SLUG_RE.match(native_id):
            raise ParseError(f"not a LeetCode slug: {native_id!r}")
        if self._paid.get(native_id):
            raise Skip("locked (paid) problem")
        url = self.url("web", f"/problems/{native_id}/")
        resp = self.http.post_json(self.url("web", "/graphql"),
                                   {"operationName": "questionData", "variables": {"titleSlug": native_id},
                                    "query": QUERY},
                                   headers={"Referer": url})
        return Page(url=url, docs={"graphql": resp.text})

    def parse(self, native_id: str, page: Page) -> ParsedProblem:
        if "graphql" in page.docs:
            q = question_from_graphql(page.docs["graphql"])
        else:
            q = question_from_page(page.docs["html"])
        return parse_question(native_id, q, page.url)
