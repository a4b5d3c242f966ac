"""TACO (BAAI, Li et al. 2023) from local files in the published row shape.

Rows (Parquet/Arrow as published, or JSON Lines): `question`, `solutions` (a JSON string holding
a list of Python programs), `input_output` (a JSON string in APPS' format: `inputs`, `outputs`,
optional `fn_name`), `starter_code`, `difficulty`, `source`, `url`, `tags`/`raw_tags`,
`skill_types`, `time_limit` ("2 seconds"), `memory_limit` ("256 megabytes"), `name`.
TACO rows have no id of their own: the native id is `<file stem>/<row index>`.

Conversion is APPS' (see apps_format.apps_style): stdio or call-based, tests found in the statement
`public` and the rest `hidden`, the first safely convertible solution canonical.
Licence: the dataset is Apache-2.0; statements come from the sites named in `source`/`url`.
"""
from __future__ import annotations

import ast
import json
import re
from typing import Any

from .apps_format import apps_style
from .base import LocalSource, Page, ParsedProblem, ParseError
from .rows import iter_rows


def _json_field(row: dict[str, Any], key: str, default: Any) -> Any:
    value = row.get(key)
    if value in (None, ""):
        return default
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            raise ParseError(f"{key}: not JSON") from None
    return value


def _list_field(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(v) for v in value]
    if isinstance(value, str) and value.startswith("["):
        try:
            parsed = ast.literal_eval(value)
            return [str(v) for v in parsed] if isinstance(parsed, (list, tuple)) else []
        except (ValueError, SyntaxError):
            return []
    return [value] if isinstance(value, str) and value else []


def _amount(text: Any, unit: str) -> float | None:
    if isinstance(text, (int, float)):
        return float(text)
    m = re.search(r"(\d+(?:\.\d+)?)\s*" + unit, str(text or ""), re.I)
    return float(m.group(1)) if m else None


def parse_row(native_id: str, row: dict[str, Any]) -> ParsedProblem:
    question = row.get("question")
    if not isinstance(question, str) or not question.strip():
        raise ParseError("no question")
    io = _json_field(row, "input_output", {})
    solutions = _json_field(row, "solutions", [])
    if not isinstance(io, dict):
        raise ParseError("input_output is not an object")
    url = str(row.get("url") or "")
    meta = {"difficulty": row.get("difficulty"), "original_source": row.get("source"), "original_url": url,
            "tags": _list_field(row.get("tags")), "skill_types": _list_field(row.get("skill_types")),
            "name": row.get("name")}
    mem = _amount(row.get("memory_limit"), r"mega")
    return apps_style(
        site="taco", native_id=native_id, question=question, io=io, solutions=list(solutions or []),
        starter=str(row.get("starter_code") or ""), url=url, license="Apache-2.0",
        attribution=f"TACO (BAAI 2023, Apache-2.0) problem {native_id}" + (f", originally {url}" if url else ""),
        meta={k: v for k, v in meta.items() if v}, time_s=_amount(row.get("time_limit"), r"sec"), memory_mb=mem,
    )


class Taco(LocalSource):
    name = "taco"
    license = "Apache-2.0"
    notes = "local TACO rows (APPS format inside); tests found in the statement public, the rest hidden; Apache-2.0"

    def items(self):
        for stem, i, row in iter_rows(self.path):
            yield f"{stem}/{i}", (lambda row=row: Page(url=str(row.get("url") or ""), docs={"row": row}))

    def parse(self, native_id: str, page: Page) -> ParsedProblem:
        return parse_row(native_id, page.docs["row"])
