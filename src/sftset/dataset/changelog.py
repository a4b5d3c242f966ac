"""What changed since the previous version: problems added, removed (with the reason) and changed
(with the fields that changed)."""
from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any, Callable, Sequence

from ..record import Problem
from .export import PROBLEMS_FILE, is_complete, task_order

# Fields compared for "changed"; retrieval times and tool versions change on every refresh.
_FIELDS = {
    "prompt": lambda r: r.get("prompt"),
    "tests": lambda r: (r.get("tests"), r.get("test")),
    "solution": lambda r: r.get("canonical_solution"),
    "entry point": lambda r: r.get("entry_point"),
    "checker": lambda r: (r.get("checker"), r.get("limits")),
    "licence": lambda r: (r.get("provenance") or {}).get("license"),
    "source url": lambda r: (r.get("provenance") or {}).get("url"),
    "filter results": lambda r: r.get("filter"),
    "flags": lambda r: r.get("flags"),
}


def latest_version(root: Path) -> Path | None:
    """The complete version `latest` points at, if any."""
    link = root / "latest"
    if not link.is_symlink():
        return None
    target = root / link.readlink()
    return target if target.is_dir() and is_complete(target) else None


def read_version_records(version_dir: Path) -> dict[str, dict[str, Any]]:
    with gzip.open(version_dir / PROBLEMS_FILE, "rt", encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh if line.strip()]
    return {r["task_id"]: r for r in rows}


def diff(previous: dict[str, dict[str, Any]] | None, previous_name: str | None, current: Sequence[Problem],
         removed_reason: Callable[[str], str]) -> dict[str, Any]:
    """The changelog as data: {"previous", "added", "removed", "changed", "counts"}."""
    previous = previous or {}
    now = {p.task_id: p.to_dict() for p in current}
    added = [{"task_id": t, "source": now[t]["source"]} for t in now if t not in previous]
    removed = [{"task_id": t, "reason": removed_reason(t)} for t in previous if t not in now]
    changed = []
    for t, row in now.items():
        old = previous.get(t)
        if old is None:
            continue
        fields = [name for name, get in _FIELDS.items() if get(old) != get(row)]
        if fields:
            changed.append({"task_id": t, "fields": fields})
    order = lambda e: task_order(e["task_id"])  # noqa: E731
    return {
        "previous": previous_name,
        "added": sorted(added, key=order),
        "removed": sorted(removed, key=order),
        "changed": sorted(changed, key=order),
        "counts": {"added": len(added), "removed": len(removed), "changed": len(changed),
                   "unchanged": len(now) - len(added) - len(changed)},
    }


def summary(log: dict[str, Any]) -> dict[str, Any]:
    return {"previous": log["previous"], **log["counts"]}


def markdown(log: dict[str, Any], limit: int = 500) -> str:
    c = log["counts"]
    since = f"`{log['previous']}`" if log["previous"] else "nothing (first version)"
    lines = [f"# Changes since {since}", "",
             f"{c['added']} added, {c['removed']} removed, {c['changed']} changed, {c['unchanged']} unchanged.", ""]
    for title, entries, text in (
        ("Added", log["added"], lambda e: f"- `{e['task_id']}` ({e['source']})"),
        ("Removed", log["removed"], lambda e: f"- `{e['task_id']}`: {e['reason']}"),
        ("Changed", log["changed"], lambda e: f"- `{e['task_id']}`: {', '.join(e['fields'])}"),
    ):
        if entries:
            lines += [f"## {title}", ""] + [text(e) for e in entries[:limit]]
            if len(entries) > limit:
                lines.append(f"- ... and {len(entries) - limit} more (see changelog.json)")
            lines.append("")
    return "\n".join(lines)
