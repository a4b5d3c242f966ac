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
