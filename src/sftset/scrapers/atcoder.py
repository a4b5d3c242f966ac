"""AtCoder: task pages, English statement, samples.

- list: `--contests abc300-abc302` reads each contest's task list (`/contests/{c}/tasks`).
- fetch: `GET {web}/contests/{contest}/tasks/{task}?lang=en`.
- parse: `#task-statement span.lang-en`: `div.part > section > h3` sections (Problem Statement,
  Constraints, Input, Output, Sample Input N / Sample Output N); TeX in `<var>`; limits from
  the line above the statement ("Time Limit: 2 sec / Memory Limit: 1024 MB", or Japanese).
- tests: samples only (AtCoder's judge data is not served by the task pages).
- skipped: heuristic tasks (AHC and similar: a Scoring section, no exact answers), interactive
  tasks, tasks that accept any of several answers, tasks without an English statement.
- licence: none granted; statements belong to AtCoder; URL and attribution are kept.
"""
from __future__ import annotations

import re
from typing import Any

from bs4 import BeautifulSoup, Tag

from .base import Page, ParsedProblem, ParseError, Site, Skip, parse_range
from .text import checker_for, html_to_text, looks_interactive, multiple_answers, normalise_io, pre_text

TASK_RE = re.compile(r"^[a-z0-9_-]+$")
HEURISTIC_SECTIONS = ("scoring", "input generation", "得点", "入力生成方法")
STATEMENT_SECTIONS = ("problem statement", "problem", "statement", "constraints", "input", "output", "notes", "note")


def split_id(native_id: str) -> tuple[str, str]:
    """'abc264_c' -> ('abc264', 'abc264_c'); 'abc042/arc058_a' -> ('abc042', 'arc058_a')."""
    if "/" in native_id:
        contest, task = native_id.split("/", 1)
    else:
        task = native_id
        contest = task.rsplit("_", 1)[0] if "_" in task else task
    if not (TASK_RE.match(contest) and TASK_RE.match(task)):
        raise ParseError(f"not an AtCoder task id (want e.g. abc264_c or abc042/arc058_a): {native_id!r}")
    return contest, task


def parse_limits(text: str) -> tuple[float | None, float | None]:
    t = re.search(r"(\d+(?:\.\d+)?)\s*(?:sec|秒)", text)
    m = re.search(r"(\d+(?:\.\d+)?)\s*(KiB|KB|MiB|MB|GiB|GB)", text)
    memory = None
    if m:
        factor = {"KIB": 1 / 1024, "KB": 1 / 1024, "MIB": 1, "MB": 1, "GIB": 1024, "GB": 1024}[m.group(2).upper()]
        memory = float(m.group(1)) * factor
    return (float(t.group(1)) if t else None), memory


def parse_task_list(html: str, contest: str) -> list[str]:
    """Task ids linked from a contest's task list page, in page order."""
    soup = BeautifulSoup(html, "html.parser")
    ids: list[str] = []
    for a in soup.select(f'a[href^="/contests/{contest}/tasks/"]'):
        task = a["href"].rstrip("/").rsplit("/", 1)[-1].split("?")[0]
        native = task if task.rsplit("_", 1)[0] == contest else f"{contest}/{task}"
        if TASK_RE.match(task) and native not in ids:
            ids.append(native)
    return ids


def parse_task(native_id: str, html: str, url: str) -> ParsedProblem:
    contest, task = split_id(native_id)
    soup = BeautifulSoup(html, "html.parser")
    root = soup.select_one("#task-statement") or soup
    en = root.select_one("span.lang-en")
    if en is None:
        if root.select_one("span.lang-ja") is not None or soup.select_one("#task-statement") is not None:
            raise Skip("no English statement")
        if root.select_one("div.part section h3") is None:
            raise ParseError("no #task-statement and no statement sections on the page")
        en = root  # a saved span.lang-en fragment
    title_el = soup.select_one("span.h2")
    title = title_el.find(string=True, recursive=False) if title_el else None
    title = re.sub(r"^[A-Z][0-9]?\s*-\s*", "", (title or "").strip()) or task
    time_s = memory_mb = None
    if soup.select_one("#task-statement") is not None:
        limits_p = soup.select_one("#task-statement").find_previous("p")
        if limits_p is not None:
            time_s, memory_mb = parse_limits(limits_p.get_text(" ", strip=True))

    sections: list[tuple[str, Tag]] = []
    for h3 in en.select("section > h3"):
        sections.append((h3.get_text(" ", strip=True), h3.parent))
    names = [n.lower() for n, _ in sections]
    if contest.startswith("ahc") or any(n.startswith(HEURISTIC_SECTIONS) for n in names):
        raise Skip("heuristic (optimisation) task: scored, no exact answers")

    inputs: dict[int, str] = {}
    outputs: dict[int, str] = {}
    parts: list[str] = []
    score = None
    for p in en.find_all("p", limit=3):
        m = re.match(r"\s*Score\s*:\s*(\d+)", p.get_text(" "))
        if m:
            score = int(m.group(1))
            break
    for name, section in sections:
        m = re.match(r"Sample (Input|Output)\s*(\d+)", name, re.I)
        if m:
            pre = section.find("pre")
            if pre is None:
                raise ParseError(f"section {name!r} has no <pre>")
            (inputs if m.group(1).lower() == "input" else outputs)[int(m.group(2))] = normalise_io(pre_text(pre))
            continue
        body = BeautifulSoup(str(section), "html.parser")
        body.find("h3").decompose()
        text, _ = html_to_text(body)
        parts.append(f"{name}\n\n{text}" if name.lower() not in ("problem statement",) else text)
    statement = "\n\n".join(p for p in parts if p.strip())
    if not statement:
        raise ParseError("empty statement")
    if looks_interactive(statement) or any(n.startswith(("input and output", "interaction")) for n in names):
        raise Skip("interactive problem")
    if multiple_answers(statement):
        raise Skip("several answers are accepted (needs a special judge)")
    if set(inputs) != set(outputs):
        raise ParseError(f"sample inputs {sorted(inputs)} and outputs {sorted(outputs)} do not pair up")
    if not inputs:
        raise ParseError("no samples found")
    samples = [(inputs[k], outputs[k]) for k in sorted(inputs)]
    meta: dict[str, Any] = {"title": title, "contest": contest, "task": task}
    if score is not None:
        meta["score"] = score
    return ParsedProblem(
        site="atcoder", native_id=native_id, title=title, url=url, statement=statement, samples=samples,
        checker=checker_for(statement), time_s=time_s, memory_mb=memory_mb, license="NOASSERTION",
        attribution=f"AtCoder {contest} task {task} \"{title}\", {url}",
        flags=["statement_image"] if en.select("img") else [], meta=meta,
    )


class AtCoder(Site):
    name = "atcoder"
    bases = {"web": "https://atcoder.jp"}
    min_interval_s = 2.0
    lists_contests = True
    notes = ("English statements and samples from task pages; samples only (public); heuristic, interactive "
             "and multiple-answer tasks skipped; no licence granted, attribution and link kept")

    def list_ids(self, contests: str | None = None, limit: int | None = None) -> list[str]:
        if not contests:
            raise NotImplementedError("atcoder lists problems per contest: give --contests abc300-abc302 or ids")
        ids: list[str] = []
        for contest in parse_range(contests):
            resp = self.http.get(self.url("web", f"/contests/{contest}/tasks?lang=en"))
            ids += parse_task_list(resp.text, contest)
            if limit and len(ids) >= limit:
                break
        return ids[:limit] if limit else ids

    def fetch(self, native_id: str) -> Page:
        contest, task = split_id(native_id)
        url = self.url("web", f"/contests/{contest}/tasks/{task}")
        if contest.startswith("ahc"):
            raise Skip("heuristic (optimisation) task: scored, no exact answers")
        resp = self.http.get(url + "?lang=en")
        return Page(url=url, docs={"html": resp.text})

    def parse(self, native_id: str, page: Page) -> ParsedProblem:
        return parse_task(native_id, page.docs["html"], page.url)
