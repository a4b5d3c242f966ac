"""The APPS `input_output` format, shared by the APPS and TACO importers (and any other dump
that uses it): statement, tests and solutions in, a `ParsedProblem` out.

- stdio problems: `solve(stdin) -> str`; the first solution that converts safely (see
  `program.py`) becomes the canonical solution.
- call-based problems (`fn_name`; Codewars functions and LeetCode `class Solution`): a function
  record with the starter code's signature; Codewars wraps every expected value in a
  one-element list, which is unwrapped.
- tests: the format does not split public from private tests; a test whose input appears in the
  statement is `public`, the others `hidden`.
"""
from __future__ import annotations

import ast
import re
from typing import Any, Callable

from .base import ParsedProblem, ParseError, Skip
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


def first_convertible(solutions: list[str], convert: Callable[[str], str]) -> tuple[str, int | None, list[str]]:
    """(converted body, its index, why earlier ones failed) for the first solution `convert` accepts."""
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
    body, index, reasons = first_convertible(solutions, stdio_body)
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
    body, index, reasons = first_convertible(solutions, lambda s: function_body(s, fn_name, names, is_method))
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
