"""Deciding a problem from its sample results: pure functions, no I/O.

Order of the checks (cheapest first, so reruns are spent only on problems that could be kept):
no passing sample -> outside the difficulty band -> reference fails -> flaky on rerun.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Any

from ..sandbox.passk import estimate_pass_at_k

PASS_AT_K = (1, 10, 100)


def pass_at(n: int, c: int) -> dict[str, float | None]:
    """pass@1/10/100 of one problem by the unbiased estimator; None where k > n."""
    return {str(k): (estimate_pass_at_k(n, c, k) if k <= n else None) for k in PASS_AT_K}


@dataclass
class Band:
    min_pass_rate: float | None = None
    max_pass_rate: float | None = None

    def reason(self, rate: float) -> str | None:
        if self.min_pass_rate is not None and rate < self.min_pass_rate:
            return f"too hard: pass rate {rate:.3g} < {self.min_pass_rate:g}"
        if self.max_pass_rate is not None and rate > self.max_pass_rate:
            return f"too easy: pass rate {rate:.3g} > {self.max_pass_rate:g}"
        return None


@dataclass
class Decision:
    status: str  # kept | dropped
    reason: str = ""
    kind: str = ""  # the reason without its figures, for counts
    stable: bool | None = None
    flaky: list[str] = field(default_factory=list)


def before_reruns(n: int, c: int, band: Band) -> Decision | None:
    """A drop that needs no reruns, or None when the problem goes on to the reruns."""
    if c == 0:
        return Decision("dropped", f"no passing sample in {n}", kind="no passing sample")
    why = band.reason(c / n)
    return Decision("dropped", why, kind=why.split(":")[0]) if why else None


def after_reruns(sample_reruns: dict[Any, list[str]], reference_reruns: list[str] | None) -> Decision:
    """`sample_reruns`: statuses of each passing sample's reruns (it passed once already);
    `reference_reruns`: the reference's statuses, None when the problem has no reference.
    With no reruns at all (reruns = 0) the problem is kept and its stability unknown."""
    flaky = [f"sample {k}: passed, then {'/'.join(v)}" for k, v in sample_reruns.items() if v and set(v) != {"passed"}]
    if reference_reruns:
        if len(set(reference_reruns)) > 1:
            flaky.append(f"reference: {'/'.join(reference_reruns)}")
        elif reference_reruns[0] != "passed":
            return Decision("dropped", f"reference solution fails its tests ({reference_reruns[0]})", stable=True,
                            kind="reference fails")
    if flaky:
        return Decision("dropped", "flaky: results differ on rerun", stable=False, flaky=flaky, kind="flaky")
    ran = bool(reference_reruns) or any(sample_reruns.values())
    return Decision("kept", stable=True if ran else None)


def solution_key(prompt: str, completion: str) -> str:
    """Two solutions are the same when their code is (comments and layout aside)."""
    try:
        return ast.dump(ast.parse(prompt + completion))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return "\n".join(line.rstrip() for line in completion.strip("\n").splitlines())


def distinct_solutions(prompt: str, completions: list[str], limit: int, exclude: list[str] = ()) -> list[str]:
    """Up to `limit` completions whose code differs from each other and from `exclude`."""
    seen = {solution_key(prompt, c) for c in exclude if c}
    out: list[str] = []
    for c in completions:
        if len(out) >= limit:
            break
        key = solution_key(prompt, c)
        if key not in seen:
            seen.add(key)
            out.append(c)
    return out
