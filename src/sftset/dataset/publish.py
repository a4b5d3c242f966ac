"""Assemble a version and write it: rows, splits, card, report, changelog, manifest.

Called by sftset.orchestrator.run (for `export`, `--source` and `refresh`).
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from ..progress import log
from ..record import Problem
from ..store import StateStore
from . import changelog as changes
from .assemble import Assembly, AssemblySettings, assemble, drops_jsonl
from .export import PROBLEMS_FILE, _gzip, _jsonl_bytes, task_order, write_version
from .report import render_report


@dataclass
class Publication:
    path: Path | None  # None when nothing changed and no version was written
    assembly: Assembly
    changelog: dict[str, Any]


def problems_digest(problems: Iterable[Problem]) -> str:
    """sha256 of the problems.jsonl.gz a version of these problems would hold."""
    rows = sorted(problems, key=lambda p: task_order(p.task_id))
    raw, _ = _jsonl_bytes(p.to_dict() for p in rows)
    return hashlib.sha256(_gzip(raw)).hexdigest()


def card_notes(a: Assembly, settings: AssemblySettings) -> list[str]:
    dec = a.stats.get("decontam", {})
    bench = ", ".join(f"{b['benchmark']} ({b['items']} items)" for b in dec.get("benchmarks", [])) or "nothing"
    notes = [
        f"- Selected {a.stats['selected']} of {a.stats['considered']} stored problems that no stage dropped and that "
        f"have a reference solution; {len(a.problems)} remain after the filters below (`drops.jsonl` names each "
        "problem left out and why).",
        f"- Quality (Codex paper): reference solutions with a line over {settings.quality.max_line_length} "
        f"characters, a mean line length over {settings.quality.mean_line_length:g}, under "
        f"{settings.quality.min_alnum_fraction:.0%} alphanumeric characters, or auto-generated markers are dropped.",
        f"- Decontamination against {bench}: {dec.get('ngram', 10)}-gram overlap with prompts, docstring "
        f"descriptions found verbatim, and solution code overlap with identifiers renamed "
        f"({dec.get('code_ngram', 13)}-token n-grams).",
        "- Deduplication: exact (content hash), the same judge problem from several sources, and near-duplicate "
        f"prompts (MinHash LSH, word {settings.near.ngram}-grams, {settings.near.num_perm} permutations, Jaccard >= "
        f"{settings.near.threshold:g}); the copy with the strongest tests is kept.",
    ]
    if dec.get("exempt"):
        notes.append(f"- **{dec['exempt']} problems are benchmark items themselves** (imported on purpose, e.g. "
                     "`import --humaneval`): do not train on them, or set `[decontam] keep_benchmark_items = false`.")
    generated = a.stats.get("flags", {}).get("generated_docstring", 0)
    if generated:
        notes.append(f"- {generated} problems have a docstring written by a model (flag `generated_docstring`; "
                     "`meta.docstring` names the model): the mined function had none.")
    if settings.licenses is not None:
        notes.append(f"- Licences allowed: {', '.join(sorted(settings.licenses))}.")
    if settings.validation_fraction is not None:
        notes.append(f"- Train/validation split by hash of the task id ({settings.validation_fraction:.0%} "
                     "validation); a problem keeps its split across versions.")
    return notes


def publish(
    problems: Iterable[Problem],
    root: Path,
    settings: AssemblySettings,
    *,
    store: StateStore | None = None,
    verdicts: dict | None = None,
    version: str | None = None,
    config: dict[str, Any] | None = None,
    per_stage: dict[str, Any] | None = None,
    update_latest: bool = True,
    skip_unchanged: bool = False,
    executor=None,
) -> Publication:
    """Assemble `problems` and write a version under `root` (unless unchanged and `skip_unchanged`)."""
    problems = list(problems)
    a = assemble(problems, settings, store=store, verdicts=verdicts, executor=executor)
    previous_dir = changes.latest_version(root)
    previous = changes.read_version_records(previous_dir) if previous_dir else None
    stored = {p.task_id for p in problems}

    def removed_reason(task_id: str) -> str:
        d = a.drop_of(task_id)
        return d.reason if d else "no longer in the state store" if task_id not in stored else "left out"

    log_data = changes.diff(previous, previous_dir.name if previous_dir else None, a.problems, removed_reason)
    full_config = {**settings.to_config(), **(config or {})}
    if skip_unchanged and previous_dir is not None:
        manifest = json.loads((previous_dir / "manifest.json").read_text())
        same_rows = manifest["files"].get(PROBLEMS_FILE, {}).get("sha256") == problems_digest(a.problems)
        # what the version holds: its rows and the settings that shape its files, not the run's label
        old_settings = {k: manifest.get("config", {}).get(k) for k in full_config}
        if same_rows and old_settings == full_config:
            log.info("nothing changed since %s; no new version written", previous_dir.name)
            return Publication(None, a, log_data)
    extra = {
        "drops.jsonl": drops_jsonl(a.drops),
        "changelog.json": (json.dumps(log_data, indent=1, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8"),
        "CHANGELOG.md": changes.markdown(log_data).encode("utf-8"),
    }
    if not extra["drops.jsonl"]:
        del extra["drops.jsonl"]  # an empty JSONL file is not loadable; no drops, no file
    version_name = version
    if settings.report:
        from .export import new_version_name

        root.mkdir(parents=True, exist_ok=True)
        version_name = version or new_version_name(root)
        extra["report.html"] = render_report(version_name, a.problems, drops=dict(a.counts), assembly=a.stats,
                                             changelog=changes.summary(log_data)).encode("utf-8")
    stats = {"per_stage": per_stage or {}, "drops": dict(sorted(a.counts.items())), "assembly": a.stats,
             "changelog": changes.summary(log_data)}
    path = write_version(
        a.problems, root, version=version_name, config=full_config, stats=stats, update_latest=update_latest,
        formats=list(settings.formats) if settings.formats else None,
        validation_fraction=settings.validation_fraction, extra_files=extra, card_notes=card_notes(a, settings),
    )
    return Publication(path, a, log_data)
