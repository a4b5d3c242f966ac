"""Deduplication: the same problem must appear once in a dataset.

Three passes, each over what the one before kept:

1. exact: records with the same `content_hash` (normalised prompt and tests);
2. same problem: records naming the same judge problem (APPS, CodeContests and TACO carry many of
   the same Codeforces problems) -- the canonical id comes from the record's URL or ids;
3. near: tasks whose word 5-grams overlap with Jaccard >= 0.7 (BigCode's setting), found with
   MinHash (256 permutations) and datasketch's `MinHashLSH` banding. The task of a function problem
   is its signature, docstring and body (the function's own name left out: the same body under
   another name is the same task), not the module context its prompt carries (two inverse functions
   share their module's tables); a statement's task is its prompt. Every verified match (MinHash
   Jaccard at or above the threshold, among all records, not only those kept so far) joins two
   records into one cluster (union-find): a chain of near-copies is one cluster, not several.

In every group the record with the strongest tests is kept (more test cases, more hidden cases,
verified by the solve filter, then the lowest task id), and every other record is dropped naming
the record it duplicates.
"""
from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any, Iterable, Sequence

import numpy as np

from ..progress import bar, progress
from ..record import Problem
from .export import task_order

WORD_RE = re.compile(r"[A-Za-z0-9_]+")  # BigCode splits on non-alphanumerics the same way
# The same split at C speed: lower-case ASCII letters, turn every other byte into a space.
_WORD_BYTES = frozenset(b"abcdefghijklmnopqrstuvwxyz0123456789_")
_WORD_TABLE = bytes(c + 32 if 65 <= c <= 90 else c if c in _WORD_BYTES else 32 for c in range(256))


def words(text: str) -> list[bytes]:
    """Lower-cased ASCII words of a text, as bytes (`WORD_RE.findall(text.lower())`, ten times faster)."""
    return text.encode("utf-8", "surrogatepass").translate(_WORD_TABLE).split()


@dataclass(frozen=True)
class NearDupSettings:
    threshold: float = 0.7
    num_perm: int = 256
    ngram: int = 5
    seed: int = 1


@dataclass(frozen=True)
class Duplicate:
    """One dropped record and the kept record it duplicates."""

    task_id: str
    kind: str  # "exact" | "same_problem" | "near" | "body"
    duplicate_of: str
    similarity: float | None = None
    key: str = ""  # the shared content hash or canonical problem id
    kept: str = ""  # the record kept in the end, when `duplicate_of` was itself dropped later

    @property
    def category(self) -> str:
        return {"exact": "exact duplicate", "same_problem": "same problem in another source",
                "near": "near-duplicate", "body": "near-identical body"}[self.kind]

    @property
    def reason(self) -> str:
        if self.kind == "exact":
            text = f"exact duplicate of {self.duplicate_of}"
        elif self.kind == "same_problem":
            text = f"same problem ({self.key}) as {self.duplicate_of}"
        elif self.kind == "body":
            text = f"near-identical body to {self.duplicate_of} (word-pair Jaccard ~{self.similarity:.2f})"
        else:
            text = f"near-duplicate of {self.duplicate_of} (Jaccard ~{self.similarity:.2f})"
        return text + (f", kept as {self.kept}" if self.kept and self.kept != self.duplicate_of else "")

    def detail(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind, "duplicate_of": self.duplicate_of,
                               "kept": self.kept or self.duplicate_of}
        if self.similarity is not None:
            out["similarity"] = round(self.similarity, 4)
        if self.key:
            out["key"] = self.key
        return out


# ---- which record of a group to keep ------------------------------------------------------

def _number(value: Any) -> float:
    if isinstance(value, dict):  # e.g. coverage {"lines": .., "branches": ..}
        value = value.get("lines")
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else 0.0


def test_strength(p: Problem) -> tuple[float, ...]:
    """Bigger is stronger: test cases, non-public cases, verified by the filter, kill rate, coverage."""
    cases = p.tests
    count = len(cases) if cases else len(re.findall(r"^\s*assert\b", p.test, re.M))
    hidden = sum(1 for c in cases if c.get("split", "public") != "public")
    f = p.filter or {}
    verified = 1.0 if f.get("stable") or (isinstance(f.get("passed"), int) and f["passed"] > 0) else 0.0
    return (float(count), float(hidden), verified, _number(p.meta.get("kill_rate")), _number(p.meta.get("coverage")))


test_strength.__test__ = False  # not a pytest test, despite the name


def rank(problems: Iterable[Problem]) -> list[Problem]:
    """Strongest tests first; ties broken by natural task order so the result is deterministic."""
    return sorted(problems, key=lambda p: (tuple(-x for x in test_strength(p)), task_order(p.task_id)))


# ---- canonical ids of judge problems ------------------------------------------------------

_URL_IDS = [
    (re.compile(r"codeforces\.com/(?:contest|gym)/(\d+)/problem/([A-Za-z]\d*)"), "codeforces/{0}/{1}"),
    (re.compile(r"codeforces\.com/problemset/(?:problem|gymProblem)/(\d+)/([A-Za-z]\d*)"), "codeforces/{0}/{1}"),
    (re.compile(r"atcoder\.jp/contests/[^/]+/tasks/([A-Za-z0-9_]+)"), "atcoder/{0}"),
    (re.compile(r"kattis\.com/(?:contests/[^/]+/)?problems/([A-Za-z0-9_.]+)"), "kattis/{0}"),
    (re.compile(r"judge\.u-aizu\.ac\.jp/onlinejudge/description\.jsp\?id=([A-Za-z0-9_]+)"), "aoj/{0}"),
    (re.compile(r"onlinejudge\.u-aizu\.ac\.jp/(?:courses/.+/)?problems/([A-Za-z0-9_]+)"), "aoj/{0}"),
    (re.compile(r"leetcode\.com/problems/([A-Za-z0-9-]+)"), "leetcode/{0}"),
    (re.compile(r"codechef\.com/(?:[A-Za-z0-9_]+/)?problems/([A-Za-z0-9_]+)"), "codechef/{0}"),
]
_NATIVE_ID = re.compile(r"^codeforces/(\d+)/([A-Za-z]\d*)$")


def _normal_id(template: str, groups: Sequence[str]) -> str:
    cid = template.format(*groups)
    site, _, rest = cid.partition("/")
    if site == "codeforces":
        contest, index = rest.split("/")
        return f"codeforces/{int(contest)}/{index.upper()}"
    if site in ("aoj", "codechef"):
        return f"{site}/{rest.upper()}"
    return f"{site}/{rest.lower()}"


def canonical_problem_id(p: Problem) -> str | None:
    """The judge problem a record was made from (`codeforces/1520/A`), or None for non-judge records."""
    given = p.meta.get("canonical_id")
    if isinstance(given, str) and given.strip():
        return given.strip()
    contest, index = p.meta.get("cf_contest_id"), p.meta.get("cf_index")  # CodeContests' own fields
    if isinstance(contest, (int, str)) and str(contest).isdigit() and int(contest) > 0 and isinstance(index, str) and index:
        return _normal_id("codeforces/{0}/{1}", (str(contest), index))
    url = p.provenance.get("url")
    if isinstance(url, str):
        for pattern, template in _URL_IDS:
            m = pattern.search(url)
            if m:
                return _normal_id(template, m.groups())
    m = _NATIVE_ID.match(p.task_id)
    if m:
        return _normal_id("codeforces/{0}/{1}", m.groups())
    return None


# ---- MinHash signatures, vectorised -------------------------------------------------------
#
# A shingle is `ngram` consecutive lower-cased words. Its 32-bit hash is a pure function of its
# words (`shingle_hash`), so a datasketch `MinHash(hashfunc=shingle_hash)` updated with the same
# shingles gives the same hash values as `signatures()` (a test checks this). Computing them
# with numpy over many documents at once is what makes 100k problems take seconds, not minutes.

_MULTIPLIERS = [np.uint64(m) for m in (0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9,
                                       0xD6E8FEB86659FD93, 0xFF51AFD7ED558CCD, 0xC4CEB9FE1A85EC53,
                                       0x85EBCA77C2B2AE63, 0x27D4EB2F165667C5)]


def _token_hash(token: bytes) -> int:
    return int.from_bytes(hashlib.blake2b(token, digest_size=8).digest(), "little") or 1


def _fmix64(x: np.ndarray) -> np.ndarray:
    x = x ^ (x >> np.uint64(33))
    x = x * np.uint64(0xFF51AFD7ED558CCD)
    x = x ^ (x >> np.uint64(33))
    x = x * np.uint64(0xC4CEB9FE1A85EC53)
    return x ^ (x >> np.uint64(33))


def _fmix32(x: np.ndarray) -> np.ndarray:
    # datasketch's "affine32" scheme pre-mixes every input hash with this (MurmurHash3's finaliser)
    x = x ^ (x >> np.uint32(16))
    x = x * np.uint32(0x85EBCA6B)
    x = x ^ (x >> np.uint32(13))
    x = x * np.uint32(0xC2B2AE35)
    return x ^ (x >> np.uint32(16))


def _combine(windows: list[np.ndarray]) -> np.ndarray:
    acc = np.zeros(len(windows[0]), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for j, w in enumerate(windows):
            acc += w * _MULTIPLIERS[j % len(_MULTIPLIERS)]
        return (_fmix64(acc) & np.uint64(0xFFFFFFFF)).astype(np.uint32)


def shingles(text: str, ngram: int = 5) -> list[bytes]:
    """The word n-grams of a text (a text shorter than n words is one shingle)."""
    ws = words(text)
    if not ws:
        return []
    if len(ws) < ngram:
        return [b" ".join(ws)]
    return [b" ".join(ws[i:i + ngram]) for i in range(len(ws) - ngram + 1)]


def shingle_hash(shingle: bytes, ngram: int = 5) -> int:
    """The 32-bit hash of one shingle, as `signatures` computes it (for datasketch's `hashfunc`)."""
    parts = shingle.split(b" ")
    hashes = [_token_hash(w) for w in parts] + [0] * (ngram - len(parts))
    return int(_combine([np.array([h], dtype=np.uint64) for h in hashes])[0])


class MinHasher:
    """MinHash signatures of many texts at once (datasketch's affine32 scheme and permutations)."""

    def __init__(self, num_perm: int = 256, ngram: int = 5, seed: int = 1, chunk_shingles: int = 131072):
        from datasketch import MinHash

        template = MinHash(num_perm=num_perm, seed=seed, scheme="affine32")
        a, b = template.permutations
        self.a = np.asarray(a, dtype=np.uint32)
        self.b = np.asarray(b, dtype=np.uint32)
        self.num_perm, self.ngram, self.seed = num_perm, ngram, seed
        self.chunk_shingles = chunk_shingles
        self._cache: dict[bytes, int] = {}

    def _tokens(self, text: str) -> list[int]:
        ws = words(text)
        out = list(map(self._cache.get, ws))  # lookups at C speed; a new word is hashed once
        if None in out:
            for word in set(ws).difference(self._cache):
                self._cache[word] = _token_hash(word)
            out = list(map(self._cache.__getitem__, ws))
        return out

    def signatures(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Return (signatures uint32 [n, num_perm], has_shingles bool [n]); empty texts get all-max rows."""
        sig = np.full((len(texts), self.num_perm), np.iinfo(np.uint32).max, dtype=np.uint32)
        nonempty = np.zeros(len(texts), dtype=bool)
        with bar(len(texts), desc="minhash", unit="problem") as shown:
            start = 0
            while start < len(texts):
                # a chunk of documents with about `chunk_shingles` shingles bounds the memory used
                toks: list[list[int]] = []
                count, end = 0, start
                while end < len(texts) and (count < self.chunk_shingles or not toks):
                    t = self._tokens(texts[end])
                    toks.append(t)
                    count += max(len(t) - self.ngram + 1, 1) if t else 0
                    end += 1
                self._chunk(toks, sig[start:end], nonempty[start:end])
                shown.update(end - start)
                start = end
        return sig, nonempty

    def _chunk(self, toks: list[list[int]], out: np.ndarray, nonempty: np.ndarray) -> None:
        n = self.ngram
        lengths = np.array([max(len(t), n) if t else 0 for t in toks], dtype=np.int64)
        counts = np.where(lengths > 0, lengths - n + 1, 0)
        has = counts > 0
        nonempty[:] = has
        if not has.any():
            return
        flat_list: list[int] = []
        for t in toks:
            flat_list.extend(t)
            if 0 < len(t) < n:
                flat_list.extend([0] * (n - len(t)))  # a short text is one zero-padded shingle
        flat = np.array(flat_list + [0] * n, dtype=np.uint64)
        width = len(flat) - n + 1
        hashed = _combine([flat[j:j + width] for j in range(n)])
        # keep the windows that lie inside one document
        offsets = np.cumsum(lengths) - lengths
        first = np.repeat(np.cumsum(counts) - counts, counts)
        starts = np.repeat(offsets, counts) + (np.arange(int(counts.sum())) - first)
        hv = _fmix32(hashed[starts])
        seg = (np.cumsum(counts) - counts)[has]
        # one permutation at a time: the vectors stay in cache, which is several times faster
        # than one (shingles x permutations) matrix
        rows = np.empty((self.num_perm, len(seg)), dtype=np.uint32)
        tmp = np.empty(len(hv), dtype=np.uint32)
        for k in range(self.num_perm):
            np.multiply(hv, self.a[k], out=tmp)
            np.add(tmp, self.b[k], out=tmp)
            np.minimum.reduceat(tmp, seg, out=rows[k])
        out[has] = rows.T


# ---- the passes ---------------------------------------------------------------------------

@lru_cache(maxsize=8)
def lsh_bands(threshold: float, num_perm: int) -> tuple[int, int]:
    """(bands, rows per band) exactly as datasketch's MinHashLSH picks them for this threshold."""
    from datasketch import MinHashLSH

    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    return lsh.b, lsh.r


def band_keys(sig: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """One 64-bit key per (document, band): equal bands give equal keys.

    datasketch keys its buckets by the band's bytes; a 64-bit digest of them groups the same
    documents (a collision could only add a candidate, and candidates are verified anyway).
    """
    keys = np.empty((len(sig), bands), dtype=np.uint64)
    for j in range(bands):
        block = sig[:, j * rows:(j + 1) * rows].astype(np.uint64)
        low = _combine([block[:, c] for c in range(rows)]).astype(np.uint64)
        high = _combine([block[:, c] for c in reversed(range(rows))]).astype(np.uint64)
        keys[:, j] = low | (high << np.uint64(32))
    return keys


def shared_buckets(keys: np.ndarray) -> np.ndarray:
    """For each (document, band): an id of its bucket when another document shares it, else -1."""
    n, bands = keys.shape
    out = np.full((n, bands), -1, dtype=np.int64)
    for j in range(bands):
        order = np.argsort(keys[:, j], kind="stable")
        sk = keys[order, j]
        gid = np.cumsum(np.r_[True, sk[1:] != sk[:-1]]) - 1
        shared = np.bincount(gid)[gid] > 1
        out[order[shared], j] = gid[shared] * bands + j  # unique across bands
    return out


def document_buckets(sig: np.ndarray, nonempty: np.ndarray, threshold: float) -> np.ndarray:
    """Per document and LSH band, the id of a bucket it shares with another document, else -1
    (documents without shingles are in none)."""
    bands, rows = lsh_bands(threshold, sig.shape[1])
    docs = np.flatnonzero(nonempty)
    buckets = np.full((len(sig), bands), -1, dtype=np.int64)
    buckets[docs] = shared_buckets(band_keys(sig if len(docs) == len(sig) else sig[docs], bands, rows))
    return buckets


def greedy_near_duplicates(sig: np.ndarray, nonempty: np.ndarray, threshold: float) -> list[tuple[int, int, float]]:
    """(dropped, kept, Jaccard) for documents given strongest first.

    The semantics of datasketch's MinHashLSH used greedily: each document is queried against an
    index of the documents kept before it (a candidate shares all rows of at least one band), the
    candidates are verified with the MinHash Jaccard estimate, and the document is dropped as a
    duplicate of the most similar one at or above the threshold, or kept and indexed. Buckets
    are found for all documents at once with numpy, so only documents that share a bucket with
    another one cost Python work, and memory stays proportional to those.
    """
    num_perm = sig.shape[1]
    buckets = document_buckets(sig, nonempty, threshold)
    kept_in: dict[int, list[int]] = {}
    drops: list[tuple[int, int, float]] = []
    involved = np.flatnonzero((buckets >= 0).any(axis=1))
    for i in progress(involved.tolist(), total=len(involved), desc="near-dedup", unit="problem"):
        mine = [b for b in buckets[i].tolist() if b >= 0]
        found: set[int] = set()
        for b in mine:
            members = kept_in.get(b)
            if members:
                found.update(members)
        if found:
            cand = np.fromiter(found, dtype=np.int64, count=len(found))
            sims = np.count_nonzero(sig[cand] == sig[i], axis=1) / num_perm
            ok = sims >= threshold
            if ok.any():
                sim, neg = max(zip(sims[ok].tolist(), (-cand[ok]).tolist()))  # most similar, then earliest
                drops.append((i, -neg, sim))
                continue
        for b in mine:
            kept_in.setdefault(b, []).append(i)
    return drops


MIN_CHUNK = 1000  # below this a chunk of texts costs more to ship to a worker than to hash


def chunk_signatures(task: tuple[list[str], int, int, int]) -> tuple[np.ndarray, np.ndarray]:
    """(signatures, has_shingles) of one chunk of texts; runs in a worker of an executor."""
    texts, num_perm, ngram, seed = task
    return MinHasher(num_perm, ngram, seed).signatures(texts)


def spread_signatures(texts: Sequence[str], *, num_perm: int = 256, ngram: int = 5, seed: int = 1, executor=None,
                      chunk_size: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """`MinHasher(...).signatures(texts)` computed in chunks on `executor` (a sftset.executors Spreader).

    A text's signature depends only on the text and the settings, so stacking the chunks in
    order gives exactly the arrays of one MinHasher."""
    from ..errors import WorkFailed

    texts = list(texts)
    workers = getattr(executor, "workers", 1) if executor is not None else 1
    if chunk_size is None:  # about four chunks per worker, so a slow chunk does not hold up the end
        chunk_size = max(MIN_CHUNK, math.ceil(len(texts) / (4 * workers)) if texts else MIN_CHUNK)
    local_single = executor is None or (getattr(executor, "kind", "") == "local" and workers <= 1)
    if local_single or len(texts) <= chunk_size and getattr(executor, "kind", "") == "local":
        return chunk_signatures((texts, num_perm, ngram, seed))
    tasks = [(texts[i:i + chunk_size], num_perm, ngram, seed) for i in range(0, len(texts), chunk_size)]
    results = executor.map_all(chunk_signatures, tasks)
    failed = [r for r in results if not r.ok]
    if failed:
        r = failed[0]
        start = r.index * chunk_size
        raise WorkFailed(f"MinHash of texts {start}..{start + len(tasks[r.index][0]) - 1} failed: {r.error}")
    if not results:
        return np.empty((0, num_perm), dtype=np.uint32), np.zeros(0, dtype=bool)
    return np.concatenate([r.value[0] for r in results]), np.concatenate([r.value[1] for r in results])


def clustered_near_duplicates(sig: np.ndarray, nonempty: np.ndarray, threshold: float
                               ) -> list[tuple[int, int, float]]:
    """(dropped, matched, Jaccard) for documents given strongest first, clustering verified matches.

    Each document is compared with every earlier document that shares one of its LSH buckets
    (kept or not); matches at or above the threshold are joined with union-find, and each cluster
    keeps its first (strongest) document. A dropped document names the earlier document it
    matches best (its chain of matches leads to the one kept).
    """
    num_perm = sig.shape[1]
    buckets = document_buckets(sig, nonempty, threshold)
    parent: dict[int, int] = {}

    def root(i: int) -> int:
        while parent.get(i, i) != i:
            parent[i] = parent.get(parent[i], parent[i])  # path halving
            i = parent[i]
        return i

    members: dict[int, list[int]] = {}
    best: dict[int, tuple[float, int]] = {}
    involved = np.flatnonzero((buckets >= 0).any(axis=1))
    for i in progress(involved.tolist(), total=len(involved), desc="near-dedup", unit="problem"):
        mine = [b for b in buckets[i].tolist() if b >= 0]
        found: set[int] = set()
        for b in mine:
            earlier = members.get(b)
            if earlier:
                found.update(earlier)
            members.setdefault(b, []).append(i)
        if not found:
            continue
        cand = np.fromiter(found, dtype=np.int64, count=len(found))
        sims = np.count_nonzero(sig[cand] == sig[i], axis=1) / num_perm
        ok = sims >= threshold
        if not ok.any():
            continue
        sim, neg = max(zip(sims[ok].tolist(), (-cand[ok]).tolist()))  # most similar, then earliest
        best[i] = (sim, -neg)
        for j in cand[ok].tolist():
            a, b = root(i), root(j)
            if a != b:
                parent[max(a, b)] = min(a, b)  # the earliest (strongest) document roots its cluster
    return sorted((i, j, sim) for i, (sim, j) in best.items() if root(i) != i)


def near_duplicates(
    problems: Sequence[Problem], settings: NearDupSettings = NearDupSettings(), *, text_of=None, executor=None
) -> list[Duplicate]:
    """Near-dedup of `problems`, which must already be ranked strongest first.

    `executor` (a sftset.executors Spreader, e.g. on Ray) computes the signatures in chunks;
    they are the same arrays as computed here."""
    text_of = text_of or near_dup_text
    texts = [text_of(p) for p in problems]
    if executor is not None and executor.kind != "local":
        sig, nonempty = spread_signatures(texts, num_perm=settings.num_perm, ngram=settings.ngram,
                                          seed=settings.seed, executor=executor)
    else:
        sig, nonempty = MinHasher(settings.num_perm, settings.ngram, settings.seed).signatures(texts)
    return [Duplicate(problems[i].task_id, "near", problems[j].task_id, sim)
            for i, j, sim in clustered_near_duplicates(sig, nonempty, settings.threshold)]


def near_dup_text(p: Problem) -> str:
    """What defines the task. A statement (stdin problems): the prompt, since solutions of one problem
    differ. A function: its signature (without its name), docstring and body, without the module
    context before it."""
    from ..methods import method_of
    from .formats import answer_function, function_start

    if p.kind != "function" or not p.entry_point:
        return p.prompt
    method = method_of(p.tests)
    if method:  # the method alone: its class is context its sibling methods share
        return answer_function(p).replace(f"def {method}(", "def (", 1)
    start = function_start(p.prompt, p.entry_point)
    # the name goes from the signature (a plain replace: a regex over every text costs more than the MinHash)
    return p.prompt[start:].replace(f"def {p.entry_point}(", "def (", 1) + p.canonical_solution


# Bodies: the same code under another name and docstring (`_abi3_applies` and `_abi3t_applies` differ
# by one `not`) is the same task to learn. Word pairs (2-grams) over the body's words, since bodies are
# short; bodies under BODY_MIN_WORDS words say too little to call two functions the same.
BODY_NGRAM = 2
BODY_THRESHOLD = 0.7
BODY_MIN_WORDS = 10


def body_text(p: Problem) -> str:
    """A function record's body without its docstring, or "" (statements, short bodies)."""
    if p.kind != "function" or not p.canonical_solution.strip():
        return ""
    body = re.sub(r'^\s*[rRbBuU]?("""|\'\'\')[\s\S]*?\1', "", p.canonical_solution, count=1)
    return body if len(words(body)) >= BODY_MIN_WORDS else ""


def body_duplicates(problems: Sequence[Problem], settings: NearDupSettings = NearDupSettings()) -> list[Duplicate]:
    """Near-identical bodies among function records given strongest first (clustered like near_duplicates)."""
    texts = [body_text(p) for p in problems]
    sig, nonempty = MinHasher(settings.num_perm, BODY_NGRAM, settings.seed).signatures(texts)
    return [Duplicate(problems[i].task_id, "body", problems[j].task_id, sim)
            for i, j, sim in clustered_near_duplicates(sig, nonempty, BODY_THRESHOLD)]


def dedup(problems: Iterable[Problem], settings: NearDupSettings = NearDupSettings(),
          *, near: bool = True, executor=None) -> tuple[list[Problem], list[Duplicate]]:
    """Run the three passes; returns (kept in natural task order, drops)."""
    ranked = rank(problems)
    drops: list[Duplicate] = []
    kept: list[Problem] = []
    by_hash: dict[str, str] = {}
    for p in ranked:
        first = by_hash.setdefault(p.content_hash, p.task_id)
        if first != p.task_id:
            drops.append(Duplicate(p.task_id, "exact", first, key=p.content_hash[:16]))
        else:
            kept.append(p)
    survivors: list[Problem] = []
    by_id: dict[str, str] = {}
    for p in kept:
        cid = canonical_problem_id(p)
        first = by_id.setdefault(cid, p.task_id) if cid else p.task_id
        if first != p.task_id:
            drops.append(Duplicate(p.task_id, "same_problem", first, key=cid or ""))
        else:
            survivors.append(p)
    if near and len(survivors) > 1:
        near_drops = near_duplicates(survivors, settings, executor=executor)
        gone = {d.task_id for d in near_drops}
        survivors = [p for p in survivors if p.task_id not in gone]
        drops += near_drops
        if any(body_text(p) for p in survivors):
            body_drops = body_duplicates(survivors, settings)
            gone = {d.task_id for d in body_drops}
            survivors = [p for p in survivors if p.task_id not in gone]
            drops += body_drops
    # A record dropped in one pass may name one dropped in a later pass: name the one kept too.
    parent = {d.task_id: d.duplicate_of for d in drops}

    def final(task_id: str) -> str:
        while task_id in parent:
            task_id = parent[task_id]
        return task_id

    drops = [replace(d, kept=final(d.duplicate_of)) for d in drops]
    survivors.sort(key=lambda p: task_order(p.task_id))
    return survivors, drops
