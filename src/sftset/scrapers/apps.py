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

The conversion shared with TACO (same `input_output` format) lives here as `apps_style`.
"""
from __future__ import annotations

import ast
import json
import re
from pathlib import Path
from typing import Any, Callable, Iterator

from .base import Page, ParsedProblem, ParseError, Site, Skip
from .program import NotConvertible, function_body, function_signature, stdio_body
from .text import checker_for, looks_interactive, multiple_answers, normalise_io, replace_tex

TYPING_NAMES = ("List", "Dict", "Tuple", "Set", "Optional")
NOT_PLAIN = re.compile(r"\b(ListNode|TreeNode|Node|NestedInteger|Employee|Interval|Point)\b")


def _as_text(value: Any) -> str:
    if isinstance(value, list):
        return "\n".join(str(v) for v in value)
    return str(value)


def _literal(value: Any) -> str | None:
    """repr(value) when ast.literal_eval reads it back equal, else None (e.g. inf, nan)."""
    try:
        text = repr(value)
        if ast.literal_eval(text) == value:
            return text
    except (ValueError, SyntaxError, RecursionError, MemoryError):
        pass
    return None


def _unwrap(outputs: list[Any], url: str) -> list[Any]:
    # APPS/TACO wrap Codewars' expected return values in a one-element list; LeetCode's are not wrapped.
    if "leetcode.com" in url:
        return outputs
    if (outputs and all(isinstance(o, list) and len(o) == 1 for o in outputs)) or "codewars.com" in url:
        return [o[0] if isinstance(o, list) and len(o) == 1 else o for o in outputs]
    return outputs


def _first(solutions: list[str], convert: Callable[[str], str]) -> tuple[str, int | None, list[str]]:
    reasons: list[str] = []
    for k, sol in enumerate(solutions):
        if not isinstance(sol, str):
            continue
        try:
            return convert(sol), k, reasons
        except NotConvertible as exc:
            reasons.append(str(exc))
    return "", None, reasons


def apps_style(*, site: str, native_id: str, question: str, io: dict[str, Any], solutions: list[str],
               starter: str, url: str, license: str, attribution: str, meta: dict[str, Any],
               time_s: float | None = None, memory_mb: float | None = None) -> ParsedProblem:
    """The conversion shared by APPS and TACO (the same input_output format)."""
    inputs, outputs = io.get("inputs") or [], io.get("outputs") or []
    if not inputs or len(inputs) != len(outputs):
        raise ParseError(f"input_output: {len(inputs)} inputs and {len(outputs)} outputs")
    statement = replace_tex(question.replace("\r\n", "\n")).strip()
    if not statement:
        raise ParseError("empty question")
    if looks_interactive(statement):
        raise Skip("interactive problem")
    if multiple_answers(statement):
        raise Skip("several answers are accepted (the tests hold one of them)")
    title = meta.get("title") or ""
    meta = {**meta, "n_solutions": len(solutions)}
    fn_name = io.get("fn_name")
    if fn_name:
        return _call_based(site, native_id, statement, fn_name, inputs, outputs, solutions, starter, url,
                           license, attribution, meta, title, time_s, memory_mb)
    tests_pub, tests_hid = [], []
    for i, o in zip(inputs, outputs):
        pair = (normalise_io(_as_text(i)), normalise_io(_as_text(o)))
        (tests_pub if pair[0].strip() and pair[0].strip() in statement else tests_hid).append(pair)
    body, index, reasons = _first(solutions, stdio_body)
    if index is not None:
        meta["solution_index"] = index
    elif solutions:
        meta["solutions_not_converted"] = reasons[:3]
    return ParsedProblem(
        site=site, native_id=native_id, title=title, url=url, statement=statement, samples=tests_pub,
        hidden=tests_hid, checker=checker_for(statement), time_s=time_s, memory_mb=memory_mb, license=license,
        attribution=attribution, solution=body, statement_has_examples=True, meta=meta,
    )


def _call_based(site, native_id, statement, fn_name, inputs, outputs, solutions, starter, url, license,
                attribution, meta, title, time_s, memory_mb) -> ParsedProblem:
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", str(fn_name)):
        raise ParseError(f"fn_name is not an identifier: {fn_name!r}")
    source = starter or next((s for s in solutions if isinstance(s, str) and f"def {fn_name}" in s), "")
    if NOT_PLAIN.search(source or ""):
        raise Skip("uses LeetCode data structures (ListNode, TreeNode, ...)")
    try:
        params, returns, is_method = function_signature(source, fn_name)
    except NotConvertible as exc:
        raise ParseError(str(exc)) from None
    if any(p.startswith("*") for p, _ in params):
        raise Skip("variadic signature")
    outputs = _unwrap(list(outputs), url)
    tests, kept_inputs, bad = [], [], 0
    for inp, out in zip(inputs, outputs):
        args = tuple(inp) if isinstance(inp, list) else (inp,)
        a, e = _literal(args), _literal(out)
        if a is None or e is None or len(args) != len(params):
            bad += 1
            continue
        tests.append({"args": a, "expected": e, "split": "hidden"})
        kept_inputs.append(inp)
    if not tests:
        raise ParseError("no usable call-based tests")
    compact = re.sub(r"\s+", "", statement)
    for t, inp in zip(tests, kept_inputs):  # a call whose arguments the statement shows is a public example
        shown = [re.sub(r"\s+", "", repr(a)).replace("'", '"') for a in (inp if isinstance(inp, list) else [inp])]
        if any(len(a) >= 3 for a in shown) and all(a in compact or a.replace('"', "'") in compact for a in shown):
            t["split"] = "public"
    if bad:
        meta["tests_unusable"] = bad
    names = [p for p, _ in params]
    body, index, reasons = _first(solutions, lambda s: function_body(s, fn_name, names, is_method))
    if index is not None:
        meta["solution_index"] = index
    elif solutions:
        meta["solutions_not_converted"] = reasons[:3]
    annotations = " ".join(a or "" for _, a in params) + " " + (returns or "")
    used = [n for n in TYPING_NAMES if re.search(r"\b" + n + r"\b", annotations)]
    imports = [f"from typing import {', '.join(used)}"] if used else []
    if starter:
        meta["starter_code"] = starter
    return ParsedProblem(
        site=site, native_id=native_id, title=title, url=url, statement=statement, kind="function",
        checker="exact", time_s=time_s, memory_mb=memory_mb, license=license, attribution=attribution,
        function={"name": fn_name, "params": params, "returns": returns, "imports": imports},
        function_tests=tests, solution=body, statement_has_examples=True, meta=meta,
    )


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


class LocalSource(Site):
    """A dataset on disk behind the Site interface: `entries` streams it, `parse` converts one item."""

    min_interval_s = 0.0

    def __init__(self, path: Path, options: dict[str, Any] | None = None):
        super().__init__(None, None, options)  # type: ignore[arg-type]
        self.path = Path(path)
        if not self.path.exists():
            raise FileNotFoundError(str(self.path))

    def entries(self, ids: list[str] | None = None, limit: int | None = None) -> Iterator[tuple[str, Callable[[], Page]]]:
        raise NotImplementedError


class Apps(LocalSource):
    name = "apps"
    license = "MIT"
    notes = ("local APPS folders; tests found in the statement public, the rest hidden; "
             "the first safely convertible solution becomes canonical; MIT")

    def entries(self, ids=None, limit=None):
        wanted = set(ids) if ids else None
        n = 0
        for native_id, folder in apps_folders(self.path):
            if wanted is not None and native_id not in wanted:
                continue
            yield native_id, (lambda folder=folder: Page(url=str(folder), docs={"folder": folder}))
            n += 1
            if limit and n >= limit:
                return

    def parse(self, native_id: str, page: Page) -> ParsedProblem:
        return parse_apps_folder(native_id, page.docs["folder"])
