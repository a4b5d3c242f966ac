"""Which stored problems go into an export, and why the others do not."""
from __future__ import annotations

from collections import Counter
from typing import Iterable

from ..record import Problem
from ..store import dropped_elsewhere
from .export import DEFAULT_EXCLUDED_FLAGS


def select_for_export(
    problems: Iterable[Problem],
    verdicts: dict[str, dict[str, dict]],
    *,
    excluded_flags: Iterable[str] = DEFAULT_EXCLUDED_FLAGS,
) -> tuple[list[Problem], Counter]:
    """Keep problems no stage dropped, that have a reference solution and no excluded flag."""
    excluded = set(excluded_flags)
    kept: list[Problem] = []
    drops: Counter = Counter()
    for p in problems:
        dropped = dropped_elsewhere(verdicts.get(p.task_id, {}), p.content_hash)
        if dropped:
            stage, v = dropped
            drops[f"{stage}: {v['reason'] or 'dropped'}"] += 1
        elif not p.canonical_solution.strip():
            drops["no reference solution"] += 1
        elif excluded & set(p.flags):
            drops[f"flagged {sorted(excluded & set(p.flags))[0]}"] += 1
        else:
            kept.append(p)
    return kept, drops
