"""What to mine: TARGET = a local path, a git URL, or `pypi:NAME[==VERSION]` (the sdist).

`parse_target(spec)` checks the spelling (bad input is an InputError); `fetch(target,
dest)` lays the project's source tree under `dest/src` and raises TargetFailed with a
short reason when it cannot (no such package, clone failed, bad archive). Archives are
unpacked with links, devices and members that would escape refused. Note that
`pip download` of an sdist prepares its metadata, which runs the project's build
backend (as installing it does): see venv.py on what runs outside the sandbox.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError

_PYPI_RE = re.compile(r"^pypi:(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)(==(?P<version>[A-Za-z0-9.+!_-]+))?$")
_GIT_RE = re.compile(r"^(git\+)?((https?|ssh|git|file)://.+|[\w.-]+@[\w.-]+:.+)$")
_COPY_IGNORE = shutil.ignore_patterns(".git", ".hg", ".tox", ".nox", ".venv", "venv", "__pycache__", "*.pyc",
                                      "build", "dist", "node_modules", ".mypy_cache", ".pytest_cache")
FETCH_TIMEOUT_S = 300


class TargetFailed(Exception):
    """A target that cannot be mined; `reason` is the short drop reason for the report."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason, self.detail = reason, detail


@dataclass(frozen=True)
class Target:
    spec: str  # as the user wrote it
    kind: str  # path | git | pypi
    location: str  # directory, URL or distribution name
    version: str | None = None  # pinned version (pypi) or ref (git)

    @property
    def slug(self) -> str:
        """A file-system-safe, stable name for the target's work directory."""
        if self.kind == "pypi":
            base = f"{self.location}-{self.version or 'latest'}"
        elif self.kind == "git":
            base = re.sub(r"\.git$", "", self.location.rstrip("/").rsplit("/", 1)[-1].rsplit(":", 1)[-1])
            base += f"-{self.version}" if self.version else ""
        else:
            base = Path(self.location).name or "project"
        return re.sub(r"[^A-Za-z0-9._-]+", "_", base).lower()


@dataclass
class Fetched:
    root: Path  # the project's source tree
    version: str | None  # from the archive name, for sdists
    commit: str | None
    url: str
    repo: str | None


def parse_target(spec: str) -> Target:
    spec = spec.strip()
    if spec.startswith("pypi:"):
        m = _PYPI_RE.match(spec)
        if not m:
            raise InputError("expected pypi:NAME or pypi:NAME==VERSION", field=f"target {spec!r}")
        return Target(spec, "pypi", m.group("name"), m.group("version"))
    if _GIT_RE.match(spec):
        url, ref = spec.removeprefix("git+"), None
        # pip's spelling: git+URL@REF (an @ after the last slash names a ref)
        tail = url.rsplit("/", 1)[-1]
        if "@" in tail and "://" in url:
            url, ref = url.rsplit("@", 1)
        return Target(spec, "git", url, ref)
    path = Path(spec).expanduser()
    if not path.is_dir():
        raise InputError("not a directory, a git URL or pypi:NAME[==VERSION]", field=f"target {spec!r}")
    return Target(spec, "path", str(path.resolve()))


def fetch(target: Target, dest: Path) -> Fetched:
    """Lay the target's source tree at dest/src (replacing an older copy)."""
    dest.mkdir(parents=True, exist_ok=True)
    src = dest / "src"
    if src.exists():
        shutil.rmtree(src)
    if target.kind == "pypi":
        return _fetch_sdist(target, dest, src)
    if target.kind == "git":
        return _fetch_git(target, src)
    shutil.copytree(target.location, src, ignore=_COPY_IGNORE, symlinks=True)
    commit = _git_head(Path(target.location))
    return Fetched(src, None, commit, Path(target.location).as_uri(), None)


def _fetch_sdist(target: Target, dest: Path, src: Path) -> Fetched:
    downloads = dest / "sdist"
    if downloads.exists():
        shutil.rmtree(downloads)
    requirement = target.location + (f"=={target.version}" if target.version else "")
    cmd = [sys.executable, "-m", "pip", "download", "--no-binary", ":all:", "--no-deps",
           "--disable-pip-version-check", "-q", "-d", str(downloads), requirement]
    proc = _run(cmd, "download failed")
    if proc.returncode != 0:
        text = proc.stderr + proc.stdout
        if "No matching distribution" in text or "Could not find a version" in text:
            raise TargetFailed("missing package", f"no sdist of {requirement} on the package index")
        raise TargetFailed("download failed", _last_line(text))
    archives = [p for p in downloads.iterdir() if p.name.endswith((".tar.gz", ".tgz", ".zip", ".tar.bz2"))]
    if len(archives) != 1:
        raise TargetFailed("download failed", f"expected one sdist, got {[p.name for p in downloads.iterdir()]}")
    archive = archives[0]
    unpack = dest / "unpack"
    if unpack.exists():
        shutil.rmtree(unpack)
    unpack_archive(archive, unpack)
    entries = [p for p in unpack.iterdir()]
    root = entries[0] if len(entries) == 1 and entries[0].is_dir() else unpack
    shutil.move(str(root), src)
    shutil.rmtree(unpack, ignore_errors=True)
    version = target.version or _version_from_archive(archive.name, target.location)
    url = f"https://pypi.org/project/{target.location}/{version}/" if version else \
        f"https://pypi.org/project/{target.location}/"
    return Fetched(src, version, None, url, None)


def unpack_archive(archive: Path, into: Path) -> None:
    """Unpack an sdist, refusing members that would land outside `into` or are links/devices."""
    into.mkdir(parents=True)
    base = os.path.realpath(into)

    def safe(name: str) -> bool:
        full = os.path.realpath(os.path.join(base, name))
        return full == base or full.startswith(base + os.sep)

    try:
        if archive.name.endswith(".zip"):
            with zipfile.ZipFile(archive) as zf:
                bad = [n for n in zf.namelist() if not safe(n)]
                if bad:
                    raise TargetFailed("bad archive", f"{archive.name}: member {bad[0]!r} escapes the archive")
                zf.extractall(into)
            return
        with tarfile.open(archive) as tf:
            members = []
            for m in tf.getmembers():
                if not safe(m.name) or m.issym() or m.islnk() or m.isdev():
                    continue  # an sdist needs none of these
                members.append(m)
            if hasattr(tarfile, "data_filter"):
                tf.extractall(into, members=members, filter="data")
            else:  # pragma: no cover - Pythons without extraction filters
                tf.extractall(into, members=members)
    except (tarfile.TarError, zipfile.BadZipFile, OSError, EOFError) as exc:
        raise TargetFailed("bad archive", f"{archive.name}: {exc}") from None


def _version_from_archive(filename: str, name: str) -> str | None:
    stem = re.sub(r"\.(tar\.gz|tgz|zip|tar\.bz2)$", "", filename)
    norm = re.sub(r"[-_.]+", "[-_.]", re.escape(name).replace("\\", ""))
    m = re.match(rf"^{norm}-(.+)$", stem, re.IGNORECASE)
    return m.group(1) if m else None


def _fetch_git(target: Target, src: Path) -> Fetched:
    cmd = ["git", "clone", "--quiet", "--depth", "1"]
    if target.version:
        cmd += ["--branch", target.version]
    cmd += [target.location, str(src)]
    proc = _run(cmd, "clone failed", env={**os.environ, "GIT_TERMINAL_PROMPT": "0"})
    if proc.returncode != 0:
        raise TargetFailed("clone failed", _last_line(proc.stderr))
    commit = _git_head(src)
    shutil.rmtree(src / ".git", ignore_errors=True)  # the suite gets the files, not the history
    return Fetched(src, None, commit, target.location, target.location)


def _git_head(path: Path) -> str | None:
    if not (path / ".git").exists():
        return None
    try:
        proc = subprocess.run(["git", "-C", str(path), "rev-parse", "HEAD"], capture_output=True, text=True,
                              timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return proc.stdout.strip() or None if proc.returncode == 0 else None


def _run(cmd: list[str], reason: str, env: dict | None = None) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=FETCH_TIMEOUT_S, env=env,
                              stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise TargetFailed(reason, f"took longer than {FETCH_TIMEOUT_S}s") from None
    except OSError as exc:
        raise TargetFailed(reason, str(exc)) from None


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("ERROR") or "error" in line.lower()]
    return (errors or lines or [""])[-1][:300]
