"""ParsedProblem -> problem record (shared/DESIGN.md).

stdio problems become `def solve(stdin: str) -> str` whose docstring is the statement (title,
text, the samples, a line saying what `solve` receives and returns, and the attribution the
site asks for). The parameter is called `stdin`, not `input`, so that a solution may still call
the builtin `input()`. Samples are `public` tests, judge data `hidden`, generated data
`generated`; the checker is `tokens` unless the statement grants a float tolerance; limits come
from the page (the record's defaults otherwise); licence and attribution go into provenance.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from .. import __version__
from ..record import DEFAULT_LIMITS, Problem
from .base import CaseCaps, ParsedProblem
from .text import case_insensitive_output, docstring, wrap_paragraphs

STDIO_CONTRACT = ("solve() is given the whole standard input as one string and returns everything the program "
                  "should print, as one string.")


@dataclass
class ConvertOptions(CaseCaps):
    max_example_chars: int = 1500  # longer samples stay tests but are not shown in the docstring


def _number(x: float) -> int | float:
    return int(x) if float(x).is_integer() else float(x)


def _cap(cases: list[tuple[str, str]], limit: int, max_bytes: int) -> tuple[list[tuple[str, str]], int]:
    kept = [c for c in cases if len(c[0]) + len(c[1]) <= max_bytes]
    dropped = len(cases) - len(kept)
    if len(kept) > limit:
        dropped += len(kept) - limit
        kept = kept[:limit]
    return kept, dropped


def _examples_text(samples: list[tuple[str, str]], max_chars: int) -> str:
    blocks = []
    for k, (i, o) in enumerate(samples, 1):
        if len(i) + len(o) > max_chars:
            continue
        blocks.append(f"Example {k}\ninput:\n{i.rstrip(chr(10))}\noutput:\n{o.rstrip(chr(10))}")
    return "\n\n".join(blocks)


def stdio_prompt(pp: ParsedProblem, opt: ConvertOptions) -> str:
    parts = [pp.title if pp.title and not pp.statement.startswith(pp.title) else "", pp.statement]
    if pp.samples and not pp.statement_has_examples:
        examples = _examples_text(pp.samples, opt.max_example_chars)
        if examples:
            parts.append(examples)
    parts.append(STDIO_CONTRACT)
    if pp.attribution:
        parts.append(f"Source: {pp.attribution}")
    return "def solve(stdin: str) -> str:\n" + docstring(wrap_paragraphs("\n\n".join(p for p in parts if p.strip())))


def function_prompt(pp: ParsedProblem) -> str:
    fn = pp.function or {}
    params = ", ".join(f"{n}: {a}" if a else n for n, a in fn.get("params", []))
    returns = f" -> {fn['returns']}" if fn.get("returns") else ""
    header = "".join(line + "\n" for line in fn.get("imports", []))
    parts = [pp.statement]
    if pp.attribution:
        parts.append(f"Source: {pp.attribution}")
    return (header + ("\n\n" if header else "") + f"def {fn['name']}({params}){returns}:\n"
            + docstring(wrap_paragraphs("\n\n".join(p for p in parts if p.strip()))))


def to_problem(pp: ParsedProblem, options: ConvertOptions | None = None, retrieved_at: str | None = None) -> Problem:
    """Build and validate the record (raises sftset.record.RecordError on a bad one)."""
    opt = options or ConvertOptions()
    meta: dict[str, Any] = {"site": pp.site, **pp.meta}
    flags = list(dict.fromkeys(pp.flags))
    if case_insensitive_output(pp.statement) and "case_insensitive_output" not in flags:
        flags.append("case_insensitive_output")  # our checkers compare letter case; the judge does not
    if pp.kind == "stdio":
        public, dropped_public = _cap(pp.samples, 10_000, opt.max_case_bytes)
        hidden, dropped_hidden = _cap([c for c in pp.hidden if c not in pp.samples], opt.max_hidden,
                                      opt.max_case_bytes)
        generated, dropped_gen = _cap(pp.generated, opt.max_generated, opt.max_case_bytes)
        tests = ([{"input": i, "output": o, "split": "public"} for i, o in public]
                 + [{"input": i, "output": o, "split": "hidden"} for i, o in hidden]
                 + [{"input": i, "output": o, "split": "generated"} for i, o in generated])
        for key, n in (("public_omitted", dropped_public), ("hidden_omitted", dropped_hidden),
                       ("generated_omitted", dropped_gen)):
            if n:
                meta[key] = meta.get(key, 0) + n
        prompt, entry = stdio_prompt(pp, opt), "solve"
    else:
        tests = [dict(t) for t in pp.function_tests]
        prompt, entry = function_prompt(pp), (pp.function or {})["name"]
    meta["tests"] = {s: sum(1 for t in tests if t.get("split", "public") == s) for s in ("public", "hidden", "generated")}
    limits = dict(DEFAULT_LIMITS)
    if pp.time_s:
        limits["time_s"] = _number(pp.time_s)
    if pp.memory_mb:
        limits["memory_mb"] = _number(round(pp.memory_mb, 3))
    provenance = {
        "url": pp.url,
        "license": pp.license,
        "attribution": pp.attribution,
        "retrieved_at": retrieved_at or datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "tool_version": __version__,
    }
    return Problem.from_dict({
        "task_id": pp.task_id,
        "source": pp.site,
        "kind": pp.kind,
        "prompt": prompt,
        "entry_point": entry,
        "canonical_solution": pp.solution,
        "tests": tests,
        "checker": pp.checker,
        "limits": limits,
        "provenance": provenance,
        "flags": flags,
        "meta": meta,
    })
