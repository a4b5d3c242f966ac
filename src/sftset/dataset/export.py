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
import shutil
import time
from collections import Counter
from pathlib import Path
from typing import Any, Iterable

import jsonlines

from .. import __version__
from ..record import Problem
from .formats import FORMATS

PROBLEMS_FILE = "problems.jsonl.gz"
DEFAULT_EXCLUDED_FLAGS = ("no_docstring",)


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


def dataset_card(version: str, problems: list[Problem], files: dict[str, dict[str, Any]]) -> str:
    licences = sorted({str(p.provenance.get("license") or "unknown") for p in problems})
    licence = licences[0].lower() if len(licences) == 1 and licences[0] != "unknown" else "other"
    per_source = Counter(p.source for p in problems)
    configs = "\n".join(
        f"- config_name: {name.split('.')[0]}\n  data_files:\n  - split: train\n    path: {name}"
        for name in FORMATS
    )
    size = len(problems)
    category = "n<1K" if size < 1000 else "1K<n<10K" if size < 10000 else "10K<n<100K" if size < 100000 else "100K<n<1M"
    lines = [
        "---",
        f"license: {licence}",
        "language:\n- en\n- code",
        "task_categories:\n- text-generation",
        "tags:\n- code\n- sft\n- codex-s",
        f"size_categories:\n- {category}",
        f"configs:\n{configs}",
        "---",
        "",
        f"# build-sft-set dataset {version}",
        "",
        "Function-level Python problems in the style of Codex-S (Chen et al. 2021, section 4): a prompt",
        "(imports, signature, docstring), a reference solution and unit tests, built by build-sft-set",
        f"{__version__}.",
        "",
        "| source | problems |",
        "|---|---|",
        *[f"| {src} | {n} |" for src, n in sorted(per_source.items())],
        "",
        f"Licences present (SPDX): {', '.join(licences)}. Each record keeps its own licence and source URL in",
        "`provenance`; attribution is required by several sources (Codeforces asks for a link next to the statement).",
        "",
        "| file | rows | sha256 |",
        "|---|---|---|",
        *[f"| `{name}` | {meta['rows']} | `{meta['sha256'][:16]}...` |" for name, meta in sorted(files.items())],
        "",
    ]
    return "\n".join(lines)


def write_version(
    problems: Iterable[Problem],
    root: str | os.PathLike[str],
    *,
    version: str | None = None,
    config: dict[str, Any] | None = None,
    stats: dict[str, Any] | None = None,
    update_latest: bool = True,
) -> Path:
    """Write a complete version folder and return its path."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    problems = sorted(problems, key=lambda p: p.task_id)
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
        for name, row_of in FORMATS.items():
            data, n = _jsonl_bytes(row_of(p) for p in problems)
            put(name, data, n)
        card = dataset_card(version, problems, files).encode("utf-8")
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
