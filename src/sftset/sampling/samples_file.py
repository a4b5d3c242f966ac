"""Pre-generated samples in HumanEval's shape: one `{"task_id", "completion"}` per line.

Sample i of a task is the i-th line for that task. Completions are taken verbatim, as
HumanEval's `evaluate_functional_correctness` does (no stop truncation).
"""
from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any, Iterable, Iterator

from ..errors import InputError
from ..jsonl import read_jsonl
from .base import SampleBatch, SampleRequest, Sampler, SamplingParams


class SamplesFileSampler(Sampler):
    backend = "samples"

    def __init__(self, path: str | Path, params: SamplingParams, model: str | None = None):
        self.path = Path(path)
        self.params = params
        self.by_task: dict[str, list[str]] = {}

        def parse(obj: dict[str, Any], lineno: int) -> None:
            for name in ("task_id", "completion"):
                if not isinstance(obj.get(name), str):
                    problem = "missing" if name not in obj else f"must be a string, got {type(obj[name]).__name__}"
                    raise InputError(problem, str(self.path), lineno, name)
            self.by_task.setdefault(obj["task_id"], []).append(obj["completion"])

        for _ in read_jsonl(self.path, parse):
            pass
        digest = hashlib.sha256()
        with open(self.path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
        self.sha256 = digest.hexdigest()
        self.model = model or f"samples:{self.path.name}"

    def identity(self) -> dict[str, Any]:
        # The file's content is the sampling "setting": edit it and its samples are new ones.
        return {"samples_sha256": self.sha256}

    def available(self, task_id: str) -> int:
        return len(self.by_task.get(task_id, ()))

    def generate(self, requests: Iterable[SampleRequest]) -> Iterator[SampleBatch]:
        for req in requests:
            have = self.by_task.get(req.task_id, [])
            idx = tuple(i for i in req.indices if i < len(have))
            yield SampleBatch(req, idx, [have[i] for i in idx])
