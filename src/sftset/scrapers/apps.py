"""APPS (Hendrycks et al. 2021) from a local copy in its native folder format.

Layout: `APPS/{train,test}/NNNN/` with `question.txt`, `input_output.json` (`inputs`, `outputs`,
optional `fn_name`), `solutions.json` (a JSON list of Python programs), `metadata.json`
(`difficulty`, `url`) and, for call-based problems, `starter_code.py`. Give the APPS root, a
split folder, or one problem folder.

- stdio problems: `solve(stdin) -> str`; the first solution that converts safely (see
  `program.py`) becomes the canonical solution.
- call-based problems (`fn_name`; Codewars functions and LeetCode `class Solution`): a function
  record with the starter code's signature; Codewars wraps every expected value in a
  one-element list, which is unwrapped.
- tests: APPS does not split public from private tests; a test whose input appears in the
  statement is `public`, the others `hidden`.
- licence: the APPS dataset is MIT; statements come from Codeforces, AtCoder, Kattis, Codewars,
  LeetCode and others (the original URL is kept).

The conversion shared with TACO (the same `input_output` format) is `apps_format.apps_style`.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator

from .apps_format import apps_style
from .base import LocalSource, Page, ParsedProblem, ParseError

def _read_json(path: Path, default: Any = None) -> Any:
    if not path.is_file():
        return default
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ParseError(f"{path}:{exc.lineno}: invalid JSON ({exc.msg})") from None


def parse_apps_folder(native_id: str, folder: Path) -> ParsedProblem:
    question = folder / "question.txt"
    if not question.is_file():
        raise ParseError(f"{folder}: no question.txt")
    io = _read_json(folder / "input_output.json")
    if not io:
        raise ParseError(f"{folder}: no input_output.json (no tests)")
    meta_json = _read_json(folder / "metadata.json", {}) or {}
    solutions = _read_json(folder / "solutions.json", []) or []
    starter_path = folder / "starter_code.py"
    starter = starter_path.read_text(encoding="utf-8") if starter_path.is_file() else ""
    url = meta_json.get("url", "")
    meta = {"difficulty": meta_json.get("difficulty"), "original_url": url, "apps_id": native_id}
    return apps_style(
        site="apps", native_id=native_id, question=question.read_text(encoding="utf-8"), io=io, solutions=solutions,
        starter=starter, url=url, license="MIT",
        attribution=f"APPS (Hendrycks et al. 2021, MIT) problem {native_id}" + (f", originally {url}" if url else ""),
        meta={k: v for k, v in meta.items() if v},
    )


def apps_folders(root: Path) -> Iterator[tuple[str, Path]]:
    """(native id "split/NNNN", folder) for an APPS root, a split folder, or one problem folder."""
    root = Path(root)
    if (root / "question.txt").is_file():
        yield f"{root.parent.name}/{root.name}", root
        return
    splits = [root / s for s in ("train", "test") if (root / s).is_dir()] or [root]
    for split in splits:
        for folder in sorted((p for p in split.iterdir() if p.is_dir()), key=lambda p: (len(p.name), p.name)):
            if (folder / "question.txt").is_file():
                yield f"{split.name}/{folder.name}", folder


class Apps(LocalSource):
    name = "apps"
    license = "MIT"
    notes = ("local APPS folders; tests found in the statement public, the rest hidden; "
             "the first safely convertible solution becomes canonical; MIT")

    def items(self):
        for native_id, folder in apps_folders(self.path):
            yield native_id, (lambda folder=folder: Page(url=str(folder), docs={"folder": folder}))

    def parse(self, native_id: str, page: Page) -> ParsedProblem:
        return parse_apps_folder(native_id, page.docs["folder"])
