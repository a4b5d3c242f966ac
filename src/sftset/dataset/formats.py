"""The rows each export format holds, one function per file of DESIGN.md's output table."""
from __future__ import annotations

from typing import Any

from ..humaneval import humaneval_row
from ..record import Problem

INSTRUCTION = "Complete the following Python function. Reply with the whole function in a Python code block."


def prompt_completion_row(p: Problem) -> dict[str, Any]:
    # TRL prompt-completion: the loss falls on the completion (the function body) only.
    return {"prompt": p.prompt, "completion": p.canonical_solution}


def messages_row(p: Problem) -> dict[str, Any]:
    # TRL conversational / axolotl chat_template: the answer is the complete function.
    prompt = p.prompt if p.prompt.endswith("\n") else p.prompt + "\n"  # keep the closing fence on its own line
    return {
        "messages": [
            {"role": "user", "content": f"{INSTRUCTION}\n\n```python\n{prompt}```"},
            {"role": "assistant", "content": f"```python\n{p.prompt}{p.canonical_solution.rstrip()}\n```"},
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
