"""New inputs for a stdio problem, made from its samples within the bounds its statement states.

The shape of an input is read from each sample: lines of tokens, where an integer that equals
the length of the next line is the size of an array, and one that equals the number of lines
that follow (all of one width) is the size of a block of rows (its width another integer of
the same line, or fixed). Every other token is a value. A value's class (its place in the
shape) gets the bounds of the statement that hold all its sample values (their intersection,
so never wider than the one meant); a class no bound holds is drawn from its own sample
values, and an integer equal to a word's length, or a lone integer on a first line that sizes
nothing we can see (a test count), is left as it is. So every input keeps the sample's shape
and the stated limits:

  values    sizes kept, values drawn within their bounds (uniform and log-uniform)
  sizes     sizes drawn again (capped by `max_size`), then the values
  boundary  values and sizes at the ends of their bounds and next to them (the top capped by
            `max_size`)

Inputs written by a model's generator program, and checks by a validator program, run in the
sandbox (`program_inputs`, `validate_inputs`); only inputs the validator accepts are kept.
"""
from __future__ import annotations

import math
import random
import re
from dataclasses import dataclass, field
from typing import Any, Iterable

from .constraints import Bound

INT = re.compile(r"-?\d+")
FLOAT = re.compile(r"-?\d+\.\d+")


@dataclass
class GenCaps:
    """Per problem; settable in sftset.toml ([filter] generated_*)."""

    max_inputs: int = 20           # generated inputs kept per problem
    max_input_bytes: int = 1 << 16  # a larger generated input is not kept
    max_size: int = 100            # the largest array length or row count a generated input uses


@dataclass
class Tok:
    text: str
    cls: str
    kind: str  # int | float | word
    role: str = "value"  # value | size | fixed


@dataclass
class Node:
    kind: str  # line | array | rows
    toks: list[Tok] = field(default_factory=list)  # line: its tokens; array: the sample's elements
    size: tuple[int, int] | None = None  # (node, token) of the count (array length, row count)
    width: tuple[int, int] | None = None  # rows: (node, token) of the row width, or None (fixed)
    rows: list[list[Tok]] = field(default_factory=list)  # rows: the sample's rows


def _kind(text: str) -> str:
    if INT.fullmatch(text):
        return "int"
    if FLOAT.fullmatch(text):
        return "float"
    return "word"


def shape_of(sample: str) -> list[Node]:
    """The nodes of one sample input (see the module docstring)."""
    lines = [line.split() for line in sample.strip("\n").split("\n")]
    words = {len(t) for line in lines for t in line if _kind(t) == "word"}
    nodes: list[Node] = []
    i = 0
    while i < len(lines):
        k = len(nodes)
        toks = [Tok(t, f"L{k}.{j}", _kind(t)) for j, t in enumerate(lines[i])]
        node = Node("line", toks)
        nodes.append(node)
        i += 1
        ints = [(j, int(t.text)) for j, t in enumerate(toks) if t.kind == "int"]
        block = None
        for j, h in ints:  # a block of h rows of one width
            if h >= 2 and i + h <= len(lines) and len({len(r) for r in lines[i:i + h]}) == 1:
                width = len(lines[i])
                ref = next(((k, jj) for jj, w in ints if w == width and jj != j), None)
                block = (j, h, width, ref)
                break
        if block is not None:
            j, h, width, ref = block
            toks[j].role = "size"
            if ref is not None:
                toks[ref[1]].role = "size"
            cls = (lambda c: f"R{k + 1}.*") if ref is not None else (lambda c: f"R{k + 1}.{c}")
            rows = [[Tok(t, cls(c), _kind(t)) for c, t in enumerate(r)] for r in lines[i:i + h]]
            nodes.append(Node("rows", size=(k, j), width=ref, rows=rows))
            i += h
            continue
        if i < len(lines):
            nxt = len(lines[i])
            j = next((j for j, n in reversed(ints) if n == nxt and n >= 1), None)
            if j is not None:
                toks[j].role = "size"
                elements = [Tok(t, f"A{k + 1}", _kind(t)) for t in lines[i]]
                nodes.append(Node("array", elements, size=(k, j)))
                i += 1
                continue
        if k == 0 and len(toks) == 1 and toks[0].kind == "int" and len(lines) > 1:
            toks[0].role = "fixed"  # most likely a count of test cases we cannot see the shape of
    for node in nodes:
        for t in _all_tokens(node):
            if t.kind == "int" and t.role == "value" and int(t.text) in words:
                t.role = "fixed"  # the length of a string we keep as it is
    return nodes


def _all_tokens(node: Node) -> Iterable[Tok]:
    yield from node.toks
    for row in node.rows:
        yield from row


@dataclass
class Range:
    lo: float | None
    hi: float | None
    seen: list[str]


def class_ranges(nodes: list[Node], bounds: list[Bound]) -> dict[str, Range]:
    """For each class: the intersection of the stated bounds that hold all its sample values."""
    seen: dict[str, list[Tok]] = {}
    for node in nodes:
        for t in _all_tokens(node):
            seen.setdefault(t.cls, []).append(t)
    out: dict[str, Range] = {}
    for cls, toks in seen.items():
        texts = [t.text for t in toks]
        if any(t.kind == "word" for t in toks):
            out[cls] = Range(None, None, texts)
            continue
        values = [float(t.text) for t in toks]
        integral = all(t.kind == "int" for t in toks)
        holding = [b for b in bounds if all(b.lo <= v <= b.hi for v in values) and (b.integral or not integral)]
        # An element of an array or a row is bounded by an indexed name (a_i), a value on its own line
        # by a plain one (n): among the bounds that hold, those of the matching kind count when any do.
        element = not cls.startswith("L")
        matching = [b for b in holding if b.indexed == element]
        holding = matching or holding
        if not holding:
            out[cls] = Range(None, None, texts)
            continue
        out[cls] = Range(max(b.lo for b in holding), min(b.hi for b in holding), texts)
    return out


class Generator:
    """Inputs from one problem's samples and bounds; deterministic for a seed."""

    def __init__(self, samples: list[str], bounds: list[Bound], caps: GenCaps | None = None, seed: int = 0):
        self.caps = caps or GenCaps()
        self.rng = random.Random(seed)
        self.shapes = [shape_of(s) for s in samples if s.strip()]
        self.ranges = [class_ranges(nodes, bounds) for nodes in self.shapes]

    def mutable(self) -> bool:
        """Whether any value or size can change within a stated bound."""
        return any(r.lo is not None for ranges in self.ranges for r in ranges.values())

    def inputs(self, avoid: Iterable[str] = ()) -> list[tuple[str, str]]:
        """Up to max_inputs distinct (input, how) pairs, none equal to an input in `avoid`."""
        if not self.shapes or not self.mutable():
            return []
        seen = {a.strip() for a in avoid}
        out: list[tuple[str, str]] = []
        modes = ["boundary-low", "boundary-high", "sizes", "values", "boundary-near-low", "boundary-near-high",
                 "small", "values"]
        tries = 0
        while len(out) < self.caps.max_inputs and tries < self.caps.max_inputs * 10:
            mode = modes[tries % len(modes)] if tries < len(modes) * len(self.shapes) else self.rng.choice(modes)
            k = tries % len(self.shapes)
            tries += 1
            text = self._one(self.shapes[k], self.ranges[k], mode)
            if text is None or text.strip() in seen or len(text.encode()) > self.caps.max_input_bytes:
                continue
            seen.add(text.strip())
            out.append((text, mode.split("-")[0] if mode != "small" else "values"))
        return out

    # ---- drawing ----------------------------------------------------------------------
    def _value(self, tok: Tok, rng_: Range, mode: str, size: bool = False) -> str:
        if tok.role == "fixed" or tok.kind == "word" or rng_.lo is None:
            return self.rng.choice(rng_.seen) if tok.role != "fixed" else tok.text
        lo, hi = rng_.lo, rng_.hi
        if size:
            lo, hi = max(lo, 1 if float(tok.text) >= 1 else 0), min(hi, self.caps.max_size)
            if lo > hi:
                return tok.text
        if mode == "small":  # within what the samples show: keeps relations the bounds miss
            nums = [float(s) for s in rng_.seen]
            lo, hi = max(lo, min(nums)), min(hi, max(nums))
        if mode == "boundary-low":
            x: float = lo
        elif mode == "boundary-high":
            x = hi
        elif mode == "boundary-near-low":  # the cases next to a bound that off-by-one errors get wrong
            x = min(lo + 1, hi) if tok.kind == "int" else lo
        elif mode == "boundary-near-high":
            x = max(hi - 1, lo) if tok.kind == "int" else hi
        elif tok.kind == "int" and hi - lo > 1000 and self.rng.random() < 0.5:
            span = hi - lo  # log-uniform: small and large values both appear
            x = lo + math.floor(math.exp(self.rng.uniform(0, math.log(span + 1)))) - 1
        else:
            x = self.rng.uniform(lo, hi)
        if tok.kind == "int":
            return str(int(min(max(round(x), math.ceil(lo)), math.floor(hi))))
        places = len(tok.text.split(".")[1]) if "." in tok.text else 6
        return f"{min(max(x, lo), hi):.{places}f}"

    def _one(self, nodes: list[Node], ranges: dict[str, Range], mode: str) -> str | None:
        out_lines: list[str] = []
        drawn: dict[tuple[int, int], str] = {}
        size_mode = mode if mode != "values" else "keep"
        for k, node in enumerate(nodes):
            if node.kind == "line":
                words = []
                for j, t in enumerate(node.toks):
                    if t.role == "size":
                        text = t.text if size_mode == "keep" else self._value(t, ranges[t.cls], size_mode, size=True)
                    else:
                        text = self._value(t, ranges[t.cls], mode)
                    drawn[(k, j)] = text
                    words.append(text)
                out_lines.append(" ".join(words))
            elif node.kind == "array":
                n = int(drawn[node.size])  # type: ignore[index]
                proto = node.toks[0]
                out_lines.append(" ".join(self._value(proto, ranges[proto.cls], mode) for _ in range(n)))
            else:
                h = int(drawn[node.size])  # type: ignore[index]
                w = int(drawn[node.width]) if node.width else len(node.rows[0])
                for _ in range(h):
                    if node.width is None:
                        proto_row = node.rows[0]
                        row = [self._value(t, ranges[t.cls], mode) for t in proto_row]
                    else:
                        proto = node.rows[0][0]
                        row = [self._value(proto, ranges[proto.cls], mode) for _ in range(w)]
                    out_lines.append(" ".join(row))
        return "\n".join(out_lines) + "\n"


# ---- programs in the sandbox ------------------------------------------------------------
def _calls_job(key: Any, program: str, entry: str, args: list[tuple], time_s: float, memory_mb: int = 1024):
    from ..sandbox.api import Job

    return Job(key=key, program=program, entry_point=entry, calls=[(repr(a), "{}") for a in args],
               time_s=time_s, memory_mb=memory_mb)


def _returned(outcome: dict[str, Any]) -> Any:
    from ..values import read_value

    if "value" not in outcome:
        return None
    try:
        return read_value(outcome["value"])
    except (ValueError, SyntaxError):
        return None


def validate_inputs(inputs: list[str], validator: str, executor, *, time_s: float = 10.0) -> tuple[list[str], list[str]]:
    """(accepted, refused) by `validator`'s `validate(stdin) -> bool`, run in the sandbox. An input
    the validator raises on, or returns anything but True for, is refused."""
    if not inputs:
        return [], []
    verdict = next(iter(executor.run([_calls_job("validate", validator, "validate", [(i,) for i in inputs], time_s)])))
    outcomes = verdict.outputs or []
    accepted, refused = [], []
    for k, text in enumerate(inputs):
        ok = k < len(outcomes) and _returned(outcomes[k]) is True
        (accepted if ok else refused).append(text)
    return accepted, refused


def program_inputs(generator: str, executor, count: int, caps: GenCaps, *, time_s: float = 10.0) -> list[str]:
    """Inputs from `generator`'s `generate(seed) -> str`, run in the sandbox; over-size ones left out."""
    verdict = next(iter(executor.run([_calls_job("generate", generator, "generate", [(s,) for s in range(count)],
                                                 time_s)])))
    out = []
    for outcome in verdict.outputs or []:
        value = _returned(outcome)
        if isinstance(value, str) and value.strip() and len(value.encode()) <= caps.max_input_bytes:
            out.append(value if value.endswith("\n") else value + "\n")
    return list(dict.fromkeys(out))
