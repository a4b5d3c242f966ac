"""The problem record: the one type every stage reads and writes (see docs/design.md).

A record is plain data. `Problem.from_dict` validates and names the first bad field;
`to_dict`/`from_dict` round-trip through JSON unchanged.
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from .values import READ_ERRORS, read_value

KINDS = ("function", "stdio")
SPLITS = ("public", "hidden", "generated")
DEFAULT_LIMITS = {"time_s": 3, "memory_mb": 1024}
_CHECKER_RE = re.compile(r"^(exact|tokens|float:(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?)$")
_IDENT_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class RecordError(ValueError):
    """A record that breaks the contract. `field` names the offending field (dotted path)."""

    def __init__(self, field_name: str, message: str):
        super().__init__(f"{field_name}: {message}")
        self.field = field_name
        self.message = message


@dataclass
class Problem:
    task_id: str
    source: str
    kind: str
    prompt: str
    entry_point: str
    canonical_solution: str = ""
    tests: list[dict[str, Any]] = field(default_factory=list)
    test: str = ""
    checker: str = "exact"
    limits: dict[str, Any] = field(default_factory=lambda: dict(DEFAULT_LIMITS))
    provenance: dict[str, Any] = field(default_factory=dict)
    filter: dict[str, Any] | None = None
    content_hash: str = ""
    # Extensions to DESIGN.md's table, both optional: `flags` are short markers that
    # change how later stages treat a record (e.g. "no_docstring", "unfiltered");
    # `meta` carries source- and stage-specific facts (difficulty, coverage, kill rate).
    flags: list[str] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)

    # ---- construction -------------------------------------------------------------
    @classmethod
    def from_dict(cls, data: Any, *, render: bool = True) -> "Problem":
        if not isinstance(data, dict):
            raise RecordError("<record>", f"expected a JSON object, got {type(data).__name__}")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise RecordError(unknown[0], "unknown field")
        for name in ("task_id", "source", "kind", "prompt", "entry_point"):
            if data.get(name) is None:
                raise RecordError(name, "missing required field")
        problem = cls(**{k: v for k, v in data.items() if v is not None or k == "filter"})
        problem.validate()
        if render and not problem.test and problem.tests:
            from .render import render_check

            problem.test = render_check(problem)
        if not problem.content_hash:
            problem.content_hash = problem.compute_hash()
        return problem

    @classmethod
    def from_json(cls, text: str) -> "Problem":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise RecordError("<json>", f"invalid JSON ({exc.msg} at column {exc.colno})") from None
        return cls.from_dict(data)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, sort_keys=True)

    # ---- validation ---------------------------------------------------------------
    def validate(self) -> None:
        for name in ("task_id", "source", "prompt", "entry_point", "canonical_solution", "test", "checker"):
            if not isinstance(getattr(self, name), str):
                raise RecordError(name, f"must be a string, got {type(getattr(self, name)).__name__}")
        if "/" not in self.task_id or self.task_id.startswith("/") or self.task_id.endswith("/"):
            raise RecordError("task_id", f"must look like <source>/<native id>, got {self.task_id!r}")
        if not self.source:
            raise RecordError("source", "must not be empty")
        if self.kind not in KINDS:
            raise RecordError("kind", f"must be one of {', '.join(KINDS)}, got {self.kind!r}")
        if not _IDENT_RE.match(self.entry_point):
            raise RecordError("entry_point", f"must be a Python identifier, got {self.entry_point!r}")
        if not _CHECKER_RE.match(self.checker):
            raise RecordError("checker", f"must be exact, tokens or float:<tol>, got {self.checker!r}")
        if not isinstance(self.tests, list):
            raise RecordError("tests", "must be a list")
        for i, case in enumerate(self.tests):
            _validate_case(self.kind, case, f"tests[{i}]")
        if not self.tests and not self.test:
            raise RecordError("tests", "a record needs structured tests or a rendered test")
        if not isinstance(self.limits, dict):
            raise RecordError("limits", "must be an object")
        for key in ("time_s", "memory_mb"):
            value = self.limits.get(key)
            if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0):
                raise RecordError(f"limits.{key}", f"must be a positive number, got {value!r}")
        if not isinstance(self.provenance, dict):
            raise RecordError("provenance", "must be an object")
        if self.filter is not None and not isinstance(self.filter, dict):
            raise RecordError("filter", "must be an object or null")
        if not isinstance(self.flags, list) or not all(isinstance(f, str) for f in self.flags):
            raise RecordError("flags", "must be a list of strings")
        if not isinstance(self.meta, dict):
            raise RecordError("meta", "must be an object")
        if self.content_hash and not re.fullmatch(r"[0-9a-f]{64}", self.content_hash):
            raise RecordError("content_hash", "must be a sha256 hex digest")

    # ---- identity -----------------------------------------------------------------
    def compute_hash(self) -> str:
        return content_hash(self.prompt, self.tests, self.test if not self.tests else "")

    def rehash(self) -> "Problem":
        self.content_hash = self.compute_hash()
        return self


def _validate_case(kind: str, case: Any, where: str) -> None:
    if not isinstance(case, dict):
        raise RecordError(where, "must be an object")
    split = case.get("split", "public")
    if split not in SPLITS:
        raise RecordError(f"{where}.split", f"must be one of {', '.join(SPLITS)}, got {split!r}")
    if kind == "stdio":
        for key in ("input", "output"):
            if not isinstance(case.get(key), str):
                raise RecordError(f"{where}.{key}", "must be a string")
        extra = set(case) - {"input", "output", "split"}
        if extra:
            raise RecordError(f"{where}.{sorted(extra)[0]}", "unknown field for a stdio case")
        return
    extra = set(case) - {"args", "kwargs", "expected", "raises", "split", "method", "init_args", "init_kwargs", "state"}
    if extra:
        raise RecordError(f"{where}.{sorted(extra)[0]}", "unknown field for a function case")
    if "method" in case or "init_args" in case or "init_kwargs" in case:  # Cls(*init_args, **init_kwargs).method(...)
        if not isinstance(case.get("method"), str) or not _IDENT_RE.match(case["method"]):
            raise RecordError(f"{where}.method", "must be the name of the method the case calls")
        init_args = _literal(case.get("init_args", "()"), f"{where}.init_args")
        if not (isinstance(init_args, tuple) or init_args is None and "init_kwargs" not in case):
            raise RecordError(f"{where}.init_args", "must be the repr of a tuple, or None (called on the class)")
        init_kwargs = _literal(case.get("init_kwargs", "{}"), f"{where}.init_kwargs")
        if not isinstance(init_kwargs, dict) or not all(isinstance(k, str) for k in init_kwargs):
            raise RecordError(f"{where}.init_kwargs", "must be the repr of a dict with string keys")
        if "state" in case and (case["state"] is not True or init_args is None):
            raise RecordError(f"{where}.state", "must be true (judged by the state of a built instance) or absent")
    elif "state" in case:
        raise RecordError(f"{where}.state", "only a method's case is judged by its instance's state")
    args = _literal(case.get("args", "()"), f"{where}.args")
    if not isinstance(args, tuple):
        raise RecordError(f"{where}.args", "must be the repr of a tuple")
    kwargs = _literal(case.get("kwargs", "{}"), f"{where}.kwargs")
    if not isinstance(kwargs, dict) or not all(isinstance(k, str) for k in kwargs):
        raise RecordError(f"{where}.kwargs", "must be the repr of a dict with string keys")
    has_expected, has_raises = "expected" in case, "raises" in case
    if has_expected == has_raises:
        raise RecordError(where, "needs exactly one of 'expected' and 'raises'")
    if has_expected:
        _literal(case["expected"], f"{where}.expected")
    elif not isinstance(case["raises"], str) or not _IDENT_RE.match(case["raises"]):
        raise RecordError(f"{where}.raises", "must be an exception class name")


def _literal(text: Any, where: str) -> Any:
    if not isinstance(text, str):
        raise RecordError(where, "must be a string holding a Python literal")
    try:
        return read_value(text)
    except READ_ERRORS:
        raise RecordError(where, f"not a Python literal: {text[:60]!r}") from None


def normalise_prompt(prompt: str) -> str:
    lines = prompt.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(line.rstrip() for line in lines).strip("\n")


def content_hash(prompt: str, tests: list[dict[str, Any]], test_code: str = "") -> str:
    """sha256 of the normalised prompt and tests; independent of JSON key order."""
    payload = {
        "prompt": normalise_prompt(prompt),
        "tests": [{k: v for k, v in case.items()} for case in tests],
        "test": test_code.strip(),
    }
    blob = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()
