"""The per-target report: what the suite did, what was traced, what was kept and why not.

One JSON object per target (saved as <work>/<target>/report.json; the stage also puts
them in the run's stats), and a plain-text table for the terminal.
"""
from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


TARGET_STAGE = "mine-target"  # the store's record that a target was mined (with its settings and drops)
MAX_DROPPED = 5000  # functions listed one by one per target; the counts in `drops` are always whole


@dataclass
class TargetReport:
    target: str
    status: str = "ok"  # ok | dropped | skipped (already mined)
    reason: str = ""  # why the whole target was dropped
    detail: str = ""
    package: str = ""
    version: str | None = None
    commit: str | None = None
    source_hash: str = ""
    license: str = ""
    python: str = ""
    engine: str = ""
    runner: str = ""
    ci_sources: list[str] = field(default_factory=list)
    isolation: str = ""
    suite_returncode: int | None = None
    suite_s: float | None = None
    tests_run: int = 0
    tests_failed: int = 0
    calls_seen: int = 0
    functions: int = 0  # the project's functions the suite called, that could be recorded
    skipped_functions: dict[str, int] = field(default_factory=dict)  # methods, generators, ... (not recorded)
    candidates: int = 0
    worth_a_problem: int = 0  # candidates left after worth.py's rules, before validation in the sandbox
    machine_state_calls: int = 0  # recorded calls left out because their values carry the machine's state
    problems_kept: int = 0
    no_docstring: int = 0  # kept problems still without a docstring (after a model wrote some, if one did)
    docstrings_generated: int = 0  # docstrings a model wrote that were used (docstrings.py)
    docstrings_refused: dict[str, str] = field(default_factory=dict)  # task_id -> why its answer was not used
    drops: dict[str, int] = field(default_factory=dict)  # function-level drops by reason
    drop_examples: dict[str, str] = field(default_factory=dict)
    dropped: list[dict[str, str]] = field(default_factory=list)  # each dropped function: its id, reason, detail
    median_coverage_lines: float | None = None
    median_coverage_branches: float | None = None
    median_kill_rate: float | None = None
    contained: list[dict[str, str]] = field(default_factory=list)  # network / writes the sandbox stopped
    notes: list[str] = field(default_factory=list)
    settings_key: str = ""
    tool_version: str = ""
    elapsed_s: float = 0.0
    stalled: bool = False  # the suite was ended for making no progress (what it recorded before was mined)
    peak_disk_mb: float = 0.0  # the work folder's largest size measured (after set-up, the suite, the end)
    disk_after_mb: float = 0.0  # the work folder's size after its venv and build folders were removed

    def note_disk(self, work: Path) -> None:
        from .venv import disk_usage

        self.peak_disk_mb = max(self.peak_disk_mb, round(disk_usage(work) / 2**20, 3))

    def add_drop(self, reason: str, example: str = "", function: str = "") -> None:
        self.drops[reason] = self.drops.get(reason, 0) + 1
        if example and reason not in self.drop_examples:
            self.drop_examples[reason] = example[:200]
        if function and len(self.dropped) < MAX_DROPPED:
            self.dropped.append({"function": function, "reason": reason, "detail": example[:200]})

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def save(self, path: Path) -> None:
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.to_dict(), indent=2, sort_keys=True))
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> "TargetReport | None":
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError):
            return None
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in data.items() if k in known})


def _fmt(x: float | None) -> str:
    return "-" if x is None else f"{x:.2f}"


def render_table(reports: list[TargetReport]) -> str:
    """A terminal summary: one line per target (disk_MB: the work folder's peak, before its venv and
    build folders were removed), then drop reasons."""
    header = (f"{'target':34} {'status':8} {'tests':>6} {'calls':>7} {'funcs':>5} {'kept':>5} {'cov':>5} {'br':>5} "
              f"{'kill':>5} {'time_s':>7} {'disk_MB':>8}")
    lines = [header, "-" * len(header)]
    for r in reports:
        status = r.status if r.status != "dropped" else "DROPPED"
        name = r.target if len(r.target) <= 34 else "..." + r.target[-31:]
        lines.append(f"{name:34} {status:8} {r.tests_run:>6} {r.calls_seen:>7} {r.functions:>5} "
                     f"{r.problems_kept:>5} {_fmt(r.median_coverage_lines):>5} {_fmt(r.median_coverage_branches):>5} "
                     f"{_fmt(r.median_kill_rate):>5} {r.elapsed_s:>7.1f} {r.peak_disk_mb:>8.1f}")
    for r in reports:
        if r.status == "dropped":
            lines.append(f"  {r.target}: dropped: {r.reason}{': ' + r.detail if r.detail else ''}")
        elif r.drops:
            top = ", ".join(f"{k} {v}" for k, v in Counter(r.drops).most_common())
            lines.append(f"  {r.target}: not kept: {top}")
        if r.stalled:
            lines.append(f"  {r.target}: the suite made no progress; ended early; mined what it recorded")
        if r.docstrings_generated or r.docstrings_refused:
            lines.append(f"  {r.target}: docstrings written by a model: {r.docstrings_generated} used, "
                         f"{len(r.docstrings_refused)} refused (still flagged no_docstring: {r.no_docstring})")
        for event in r.contained[:3]:
            lines.append(f"  {r.target}: contained: {event['event']} ({event['detail'][:80]})")
    return "\n".join(lines)
