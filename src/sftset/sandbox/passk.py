"""The unbiased pass@k estimator of Chen et al. (2021)."""
from __future__ import annotations

from typing import Iterable

import numpy as np


def estimate_pass_at_k(n: int, c: int, k: int) -> float:
    """1 - C(n-c, k) / C(n, k), for n samples of which c passed.

    Written as a running product, 1 - prod_{i=n-c+1}^{n} (1 - k/i), because the
    binomial coefficients overflow floats long before n reaches the hundreds.
    """
    if k > n:
        raise ValueError(f"k={k} is larger than n={n}")
    if n - c < k:
        return 1.0
    return float(1.0 - np.prod(1.0 - k / np.arange(n - c + 1, n + 1)))


def pass_at_k(results: Iterable[tuple[int, int]], ks: Iterable[int]) -> tuple[dict[str, float], list[str]]:
    """Mean pass@k over problems given (n, c) per problem; k larger than some n is skipped with a note."""
    results = list(results)
    out: dict[str, float] = {}
    notes: list[str] = []
    for k in ks:
        if not results:
            break
        if any(n < k for n, _ in results):
            notes.append(f"pass@{k} skipped: some problems have fewer than {k} samples")
            continue
        out[f"pass@{k}"] = float(np.mean([estimate_pass_at_k(n, c, k) for n, c in results]))
    return out, notes
