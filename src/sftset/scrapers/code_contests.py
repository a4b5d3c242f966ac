"""CodeContests (DeepMind, Li et al. 2022) from local files in the published row shape.

Rows as Hugging Face publishes them (Parquet) or exported to JSON Lines: `name`, `description`,
`public_tests` / `private_tests` / `generated_tests` (`{"input": [...], "output": [...]}`),
`source` and `difficulty` (enums of contest_problem.proto), `solutions` / `incorrect_solutions`
(`{"language": [...], "solution": [...]}`, language 3 = Python 3), `cf_contest_id`,
`cf_index`, `cf_points`, `cf_rating`, `cf_tags`, `time_limit` (`{"seconds", "nanos"}`),
`memory_limit_bytes`, `input_file`, `output_file`.

- tests: public -> `public`, private -> `hidden`, generated -> `generated` (capped).
- canonical solution: the first Python 3 solution that converts safely (see program.py).
- skipped: interactive problems and problems that accept any of several answers.
- licence: the dataset is CC BY 4.0; statements come from Codeforces, AtCoder, CodeChef,
  HackerEarth, Code Jam and Aizu (kept as the original source in meta).
"""
from __future__ import annotations

import re
from typing import Any

from .apps_format import first_convertible
from .base import LocalSource, Page, ParsedProblem, ParseError, Skip
from .program import stdio_body
from .rows import iter_rows
from .text import checker_for, looks_interactive, multiple_answers, normalise_io, replace_tex

SOURCES = {0: "unknown", 1: "codechef", 2: "codeforces", 3: "hackerearth", 4: "codejam", 6: "atcoder", 7: "aizu"}
DIFFICULTIES = {0: "UNKNOWN_DIFFICULTY", 1: "EASY", 2: "MEDIUM", 3: "HARD", 4: "HARDER", 5: "HARDEST", 6: "EXTERNAL",
                **{7 + i: chr(ord("A") + i) for i in range(11)}, 19: "L", 20: "M", 21: "N", 22: "O", 23: "P",
                24: "Q", 25: "R", 26: "S", 27: "T", 28: "U", 29: "V"}
PYTHON3 = 3


def native_id_of(row: dict[str, Any]) -> str:
    name = str(row.get("name") or "").strip()
    if not name:
        raise ParseError("row has no name")
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_")


def _tests(value: Any) -> list[tuple[str, str]]:
    if not value:
        return []
    if isinstance(value, dict):
        ins, outs = value.get("input") or [], value.get("output") or []
    else:  # a list of {"input", "output"} (the proto's repeated Test)
        ins = [t.get("input", "") for t in value]
        outs = [t.get("output", "") for t in value]
    if len(ins) != len(outs):
        raise ParseError(f"{len(ins)} test inputs but {len(outs)} outputs")
    return [(normalise_io(i), normalise_io(o)) for i, o in zip(ins, outs)]


def _solutions(value: Any) -> list[str]:
    if not value:
        return []
    if isinstance(value, dict):
        return [s for lang, s in zip(value.get("language") or [], value.get("solution") or []) if lang == PYTHON3]
    return [s.get("solution", "") for s in value if s.get("language") in (PYTHON3, "PYTHON3")]


def parse_row(native_id: str, row: dict[str, Any]) -> ParsedProblem:
    description = row.get("description")
    if not isinstance(description, str) or not description.strip():
        raise ParseError("no description")
    statement = replace_tex(description.replace("\r\n", "\n")).strip()
    if looks_interactive(statement):
        raise Skip("interactive problem")
    if multiple_answers(statement):
        raise Skip("several answers are accepted (the tests hold one of them)")
    public, private, generated = (_tests(row.get(k)) for k in ("public_tests", "private_tests", "generated_tests"))
    if not (public or private or generated):
        raise ParseError("no tests")
    limit = row.get("time_limit") or {}
    time_s = None
    if isinstance(limit, dict) and (limit.get("seconds") or limit.get("nanos")):
        time_s = float(limit.get("seconds") or 0) + float(limit.get("nanos") or 0) / 1e9
    memory = row.get("memory_limit_bytes")
    source = SOURCES.get(row.get("source"), str(row.get("source", "unknown")))
    meta: dict[str, Any] = {"name": row.get("name"), "original_source": source,
                            "difficulty": DIFFICULTIES.get(row.get("difficulty"), row.get("difficulty"))}
    for key in ("cf_contest_id", "cf_index", "cf_points", "cf_rating", "cf_tags"):
        if row.get(key) not in (None, "", 0, 0.0, []):
            meta[key] = row[key]
    for key in ("input_file", "output_file"):
        if row.get(key):
            meta[key] = row[key]
    url = ""
    if source == "codeforces" and row.get("cf_contest_id") and row.get("cf_index"):
        url = f"https://codeforces.com/problemset/problem/{row['cf_contest_id']}/{row['cf_index']}"
    solutions = _solutions(row.get("solutions"))
    body, index, reasons = first_convertible(solutions, stdio_body)
    meta["n_python3_solutions"] = len(solutions)
    if index is not None:
        meta["solution_index"] = index
    elif solutions:
        meta["solutions_not_converted"] = reasons[:3]
    name = str(row.get("name"))
    return ParsedProblem(
        site="code_contests", native_id=native_id, title=name, url=url, statement=statement, samples=public,
        hidden=private, generated=generated, checker=checker_for(statement), time_s=time_s,
        memory_mb=memory / (1 << 20) if isinstance(memory, (int, float)) and memory > 0 else None,
        license="CC-BY-4.0",
        attribution=f"CodeContests (Li et al. 2022, CC BY 4.0) problem \"{name}\" from {source}" + (f", {url}" if url else ""),
        solution=body, statement_has_examples=True, meta=meta,
    )


class CodeContests(LocalSource):
    name = "code_contests"
    license = "CC-BY-4.0"
    notes = ("local CodeContests rows; public/private/generated tests as public/hidden/generated; "
             "first convertible Python 3 solution canonical; CC BY 4.0")

    def items(self):
        for stem, i, row in iter_rows(self.path):
            try:
                native_id = native_id_of(row)
            except ParseError:
                native_id = f"{stem}-{i}"  # parse() then reports the row's problem
            yield native_id, (lambda row=row: Page(url="", docs={"row": row}))

    def parse(self, native_id: str, page: Page) -> ParsedProblem:
        return parse_row(native_id, page.docs["row"])
