"""Write `curated/<version>/` exactly as DESIGN.md lists it, atomically.

Everything is written into a hidden `.partial-*` folder, manifest last, and the folder
is renamed into place only when complete; `latest` is a symlink swapped with rename.
A crash leaves at most a `.partial-*` folder, which never looks like a version.
"""
from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import re
import shutil
import time
from collections import Counter
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import jsonlines

from .. import __version__
from ..record import Problem
from .card import ConfigFiles, dataset_card
from .formats import FORMATS
from .split import split_problems

PROBLEMS_FILE = "problems.jsonl.gz"
DEFAULT_EXCLUDED_FLAGS = ("no_docstring",)


def task_order(task_id: str) -> tuple[list, str]:
    # Natural order, so HumanEval/2 comes before HumanEval/10 as in the sources' own files.
    # re.split with a group alternates text, digits, text, ...; the id itself breaks ties ("01" vs "1").
    parts = re.split(r"(\d+)", task_id)
    return [int(x) if i % 2 else x for i, x in enumerate(parts)], task_id


def new_version_name(root: Path, now: float | None = None) -> str:
    base = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(now if now is not None else time.time()))
    name, n = base, 1
    while (root / name).exists():
        n += 1
        name = f"{base}-{n}"
    return name


def _jsonl_bytes(rows: Iterable[dict[str, Any]]) -> tuple[bytes, int]:
    buf = io.StringIO()
    count = 0
    with jsonlines.Writer(buf, compact=True) as writer:
        for row in rows:
            writer.write(row)
            count += 1
    return buf.getvalue().encode("utf-8"), count


def _write(path: Path, data: bytes) -> None:
    with open(path, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def _gzip(data: bytes) -> bytes:
    out = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=out, mtime=0) as gz:  # mtime=0: same input, same bytes
        gz.write(data)
    return out.getvalue()


def write_version(
    problems: Iterable[Problem],
    root: str | os.PathLike[str],
    *,
    version: str | None = None,
    config: dict[str, Any] | None = None,
    stats: dict[str, Any] | None = None,
    update_latest: bool = True,
    formats: Sequence[str] | None = None,
    validation_fraction: float | None = None,
    extra_files: Mapping[str, bytes] | None = None,
    card_notes: Sequence[str] = (),
) -> Path:
    """Write a complete version folder and return its path.

    `formats` picks the files of FORMATS to write (default all). With `validation_fraction`, each
    format is also written split by hash of the task id into `<format>.train.jsonl` and
    `<format>.validation.jsonl` (a split with no rows gets no file), and the card's configs point
    at those. `extra_files` (report, changelog, ...) are written too and listed in the manifest.
    """
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    problems = sorted(problems, key=lambda p: task_order(p.task_id))
    version = version or new_version_name(root)
    final = root / version
    if final.exists():
        raise FileExistsError(f"{final} already exists")
    partial = root / f".partial-{version}-{os.getpid()}"
    if partial.exists():
        shutil.rmtree(partial)
    partial.mkdir()
    try:
        files: dict[str, dict[str, Any]] = {}

        def put(name: str, data: bytes, rows: int) -> None:
            _write(partial / name, data)
            files[name] = {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data), "rows": rows}

        raw, n = _jsonl_bytes(p.to_dict() for p in problems)
        put(PROBLEMS_FILE, _gzip(raw), n)
        chosen = list(FORMATS) if formats is None else [name for name in FORMATS if name in set(formats)]
        for name in chosen:
            data, n = _jsonl_bytes(FORMATS[name](p) for p in problems)
            put(name, data, n)
        configs = None
        split_counts: dict[str, int] = {}
        if validation_fraction is not None:
            parts = split_problems(problems, validation_fraction)
            split_counts = {s: len(rows) for s, rows in parts.items()}
            configs = []
            for name in chosen:
                stem = name[: -len(".jsonl")]
                cfg = ConfigFiles(stem)
                for split, rows in parts.items():
                    if rows:
                        data, n = _jsonl_bytes(FORMATS[name](p) for p in rows)
                        put(f"{stem}.{split}.jsonl", data, n)
                        cfg.splits[split] = {"path": f"{stem}.{split}.jsonl", "rows": n, "bytes": len(data)}
                if cfg.splits:  # an empty dataset has nothing to load
                    configs.append(cfg)
        for name, data in sorted((extra_files or {}).items()):
            put(name, data, data.count(b"\n") if name.endswith(".jsonl") else 0)
        card = dataset_card(version, problems, files, configs=configs, notes=card_notes).encode("utf-8")
        put("README.md", card, 0)
        manifest = {
            "version": version,
            "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "tool_version": __version__,
            "config": config or {},
            "counts": {
                "problems": len(problems),
                "per_source": dict(sorted(Counter(p.source for p in problems).items())),
                "tests": sum(len(p.tests) for p in problems),
                **(stats or {}).get("counts", {}),
            },
            "per_stage": (stats or {}).get("per_stage", {}),
            "drops": (stats or {}).get("drops", {}),
            "files": files,
        }
        if validation_fraction is not None:
            manifest["splits"] = {"validation_fraction": validation_fraction, **split_counts}
        for key in ("assembly", "changelog"):  # dedup/decontam/quality figures; changes since the last version
            if (stats or {}).get(key) is not None:
                manifest[key] = stats[key]
        _write(partial / "manifest.json", json.dumps(manifest, indent=2, sort_keys=True).encode("utf-8") + b"\n")
        dir_fd = os.open(partial, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
        os.rename(partial, final)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    if update_latest:
        point_latest(root, version)
    return final


def point_latest(root: Path, version: str) -> None:
    tmp = root / f".latest-{os.getpid()}"
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    os.symlink(version, tmp)
    os.replace(tmp, root / "latest")


def is_complete(version_dir: Path) -> bool:
    """A version is complete when its manifest exists and every file matches its sha256."""
    manifest_path = version_dir / "manifest.json"
    if not manifest_path.exists():
        return False
    manifest = json.loads(manifest_path.read_text())
    for name, meta in manifest["files"].items():
        path = version_dir / name
        if not path.exists() or hashlib.sha256(path.read_bytes()).hexdigest() != meta["sha256"]:
            return False
    return True
