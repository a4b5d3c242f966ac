"""MinHash signatures of many texts, computed in parallel chunks.

    sig, nonempty = signatures(texts, executor=ex)   # same arrays as MinHasher(...).signatures(texts)

A text's signature depends only on the text and the settings, so splitting the texts
into chunks, hashing each chunk in a worker and stacking the chunks in order gives
exactly the arrays one `sftset.dataset.dedup.MinHasher` would compute.
"""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np

from ..errors import WorkFailed

MIN_CHUNK = 1000  # below this a chunk costs more to ship than to hash


def chunk_signatures(task: tuple[list[str], int, int, int]) -> tuple[np.ndarray, np.ndarray]:
    """(signatures, has_shingles) of one chunk; runs in a worker."""
    from ..dataset.dedup import MinHasher

    texts, num_perm, ngram, seed = task
    return MinHasher(num_perm, ngram, seed).signatures(texts)


def signatures(texts: Sequence[str], *, num_perm: int = 256, ngram: int = 5, seed: int = 1, executor=None,
               chunk_size: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Return (uint32 [n, num_perm], bool [n]) like `MinHasher.signatures`, spread over `executor`."""
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
