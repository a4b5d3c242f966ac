"""The rows each export format holds, one function per file of DESIGN.md's output table."""
from __future__ import annotations

import re
import textwrap
from typing import Any

from ..humaneval import humaneval_row
from ..methods import method_of
from ..record import Problem

INSTRUCTION = "Complete the following Python function. Reply with the whole function in a Python code block."
# What the answers of the SFT formats hold (the card says it): the loss must teach the function,
# not the context (imports, constants, helpers) the prompt already gives.
ANSWERS = {
    "sft_prompt_completion": "the completion is the function's body (the prompt ends with its signature and docstring)",
    "sft_messages": "the assistant's answer is the function alone (signature, docstring, body); the context the "
                    "prompt gives (imports, constants, helpers) is not repeated",
}


def fence(code: str) -> str:
    """A Markdown fence longer than any run of backticks in `code` (at least three)."""
    longest = max((len(run) for run in re.findall(r"`{3,}", code)), default=0)
    return "`" * max(3, longest + 1)


def function_start(prompt: str, entry_point: str) -> int:
    """Offset in `prompt` where the entry point's definition starts (its decorators included), or 0.

    The last top-level `def entry_point(` is the function of the problem; everything before it is
    context. A prompt without one (a statement, a program) is all answer-free text: 0.
    """
    if prompt.startswith(f"def {entry_point}(") and prompt.count("\ndef ") == 0:
        return 0  # the common case (HumanEval-shaped prompts), without a regex
    matches = list(re.finditer(rf"^(?:async[ \t]+)?def[ \t]+{re.escape(entry_point)}[ \t]*\(", prompt, re.M))
    if not matches:
        return 0
    start = matches[-1].start()
    lines = prompt[:start].splitlines(keepends=True)
    while lines and lines[-1].startswith("@"):  # decorators belong to the function
        start -= len(lines.pop())
    return start


def answer_function(p: Problem) -> str:
    """The function the model is to write: signature, docstring and body, without the prompt's context.
    A method (sftset.methods) is the last `def` of it in the prompt, dedented: its class is context."""
    method = method_of(p.tests)
    if method:
        matches = list(re.finditer(rf"^[ \t]+(?:async[ \t]+)?def[ \t]+{re.escape(method)}[ \t]*\(", p.prompt, re.M))
        if matches:
            return textwrap.dedent(p.prompt[matches[-1].start():] + p.canonical_solution)
    return p.prompt[function_start(p.prompt, p.entry_point):] + p.canonical_solution


def prompt_completion_row(p: Problem) -> dict[str, Any]:
    # TRL prompt-completion: the loss falls on the completion (the function body) only.
    return {"prompt": p.prompt, "completion": p.canonical_solution}


def messages_row(p: Problem) -> dict[str, Any]:
    # TRL conversational / axolotl chat_template: the answer is the function, not the context it was given.
    prompt = p.prompt if p.prompt.endswith("\n") else p.prompt + "\n"  # keep the closing fence on its own line
    answer = answer_function(p).rstrip() + "\n"
    asked, said = fence(prompt), fence(answer)
    return {
        "messages": [
            {"role": "user", "content": f"{INSTRUCTION}\n\n{asked}python\n{prompt}{asked}"},
            {"role": "assistant", "content": f"{said}python\n{answer}{said}"},
        ]
    }


FORMATS = {
    "humaneval.jsonl": humaneval_row,
    "sft_prompt_completion.jsonl": prompt_completion_row,
    "sft_messages.jsonl": messages_row,
}


def resolve_formats(values, where: str = "--format") -> list[str] | None:
    """Format names as users write them (`sft_messages`, `messages`, `humaneval.jsonl`, comma lists)
    to FORMATS' file names; None (all formats) when nothing is given."""
    from ..errors import InputError

    if values is None:
        return None
    by_name = {}
    for name in FORMATS:
        stem = name[: -len(".jsonl")]
        by_name.update({name: name, stem: name, stem.removeprefix("sft_"): name})
    chosen: list[str] = []
    for value in values:
        for part in str(value).split(","):
            part = part.strip()
            if not part:
                continue
            if part not in by_name:
                choices = ", ".join(n[: -len(".jsonl")] for n in FORMATS)
                raise InputError(f"unknown format {part!r} (choose from {choices})", field=where)
            if by_name[part] not in chosen:
                chosen.append(by_name[part])
    if not chosen:
        raise InputError("give at least one format", field=where)
    return [name for name in FORMATS if name in chosen]
