"""What to mine: TARGET = a local path, a git URL, or `pypi:NAME[==VERSION]` (the sdist).

`parse_target(spec)` checks the spelling (bad input is an InputError); `fetch(target,
dest)` lays the project's source tree under `dest/src` and raises TargetFailed with a
short reason when it cannot (no such package, clone failed, bad archive). An sdist is
found through the index's JSON simple API (PEP 691; `$PIP_INDEX_URL`, else PyPI),
downloaded and checked against the index's sha256: no project code runs to get it
(`pip download` would run the build backend to prepare metadata). `fetch_sdist` gets a
dependency's sdist the same way, for a build in the sandbox (wheels.py). Archives are
unpacked with links, devices and members that would escape refused.
"""
from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin

from packaging.specifiers import SpecifierSet
from packaging.version import InvalidVersion, Version

from ..errors import InputError

_PYPI_RE = re.compile(r"^pypi:(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)(==(?P<version>[A-Za-z0-9.+!_-]+))?$")
_GIT_RE = re.compile(r"^(git\+)?((https?|ssh|git|file)://.+|[\w.-]+@[\w.-]+:.+)$")
_COPY_IGNORE = shutil.ignore_patterns(".git", ".hg", ".tox", ".nox", ".venv", "venv", "__pycache__", "*.pyc",
                                      "build", "dist", "node_modules", ".mypy_cache", ".pytest_cache")
FETCH_TIMEOUT_S = 300
DEFAULT_INDEX = "https://pypi.org/simple"
MAX_SDIST_BYTES = 512 << 20
_SIMPLE_JSON = "application/vnd.pypi.simple.v1+json"
_SDIST_SUFFIXES = (".tar.gz", ".zip")


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
    downloads.mkdir()
    entry = _pick_sdist(target, _index_files(target.location))
    archive = downloads / Path(entry["filename"]).name
    _download(entry, archive)
    _unpack_tree(archive, dest / "unpack", src)
    version = target.version or _version_from_archive(archive.name, target.location)
    url = f"https://pypi.org/project/{target.location}/{version}/" if version else \
        f"https://pypi.org/project/{target.location}/"
    return Fetched(src, version, None, url, None)


def fetch_sdist(name: str, specifier: SpecifierSet, dest: Path) -> tuple[str, Path]:
    """Download (sha256 checked) and unpack under `dest` the newest sdist of `name` that `specifier` allows.

    Returns (version, source tree at dest/NAME-VERSION). Used for dependencies that have no wheel.
    """
    entry = pick_sdist_for(name, specifier, _index_files(name))
    version = _version_from_archive(entry["filename"], name) or "unknown"
    dest.mkdir(parents=True, exist_ok=True)
    archive = dest / Path(entry["filename"]).name
    _download(entry, archive)
    src = dest / f"{re.sub(r'[-_.]+', '-', name).lower()}-{version}"
    _unpack_tree(archive, dest / "unpack", src)
    return version, src


def _unpack_tree(archive: Path, unpack: Path, src: Path) -> None:
    """Unpack `archive` and move its single top folder (the sdist's tree) to `src`."""
    for folder in (unpack, src):
        if folder.exists():
            shutil.rmtree(folder)
    unpack_archive(archive, unpack)
    entries = list(unpack.iterdir())
    root = entries[0] if len(entries) == 1 and entries[0].is_dir() else unpack
    shutil.move(str(root), src)
    shutil.rmtree(unpack, ignore_errors=True)


def index_url() -> str:
    return (os.environ.get("PIP_INDEX_URL") or DEFAULT_INDEX).rstrip("/")


def _index_files(name: str) -> list[dict]:
    """The file entries of a project's page on the index (absolute URLs)."""
    import requests

    page = f"{index_url()}/{re.sub(r'[-_.]+', '-', name).lower()}/"
    try:
        resp = requests.get(page, headers={"Accept": _SIMPLE_JSON}, timeout=60)
    except requests.RequestException as exc:
        raise TargetFailed("download failed", f"{page}: {exc}") from None
    if resp.status_code == 404:
        raise TargetFailed("missing package", f"no such package on the index: {name}")
    if resp.status_code != 200 or not resp.headers.get("Content-Type", "").startswith(_SIMPLE_JSON):
        raise TargetFailed("download failed", f"{page}: HTTP {resp.status_code} "
                                              f"({resp.headers.get('Content-Type', 'no content type')})")
    try:
        files = resp.json()["files"]
        return [{**f, "url": urljoin(resp.url, f["url"])} for f in files]
    except (ValueError, KeyError, TypeError) as exc:
        raise TargetFailed("download failed", f"{page}: not a PEP 691 answer ({exc})") from None


def _pick_sdist(target: Target, files: list[dict]) -> dict:
    """The pinned version's sdist, or the newest release's (not yanked, not a pre-release)."""
    candidates = _sdists(target.location, files)
    if target.version:
        wanted = _parse_version(target.version)
        # a pinned version is taken even when yanked, as pip does for ==
        found = [f for v, f in candidates if v == wanted or str(v) == target.version]
        if not found:
            raise TargetFailed("missing package", f"no sdist for version {target.version} of {target.location}")
        return _prefer_tar(found)
    released = [(v, f) for v, f in candidates if not f.get("yanked") and not v.is_prerelease]
    if not released:
        raise TargetFailed("missing package", f"no sdist of a release of {target.location} on the index")
    newest = max(v for v, _ in released)
    return _prefer_tar([f for v, f in released if v == newest])


def pick_sdist_for(name: str, specifier: SpecifierSet, files: list[dict]) -> dict:
    """The newest sdist that `specifier` allows: not yanked (unless pinned with ==, as pip does),
    not a pre-release unless the specifier names one."""
    asks = bool(specifier.prereleases)  # explicit: an empty set would take pre-releases in recent `packaging`
    allowed = [(v, f) for v, f in _sdists(name, files) if specifier.contains(v, prereleases=asks)]
    released = [(v, f) for v, f in allowed if not f.get("yanked")]
    if not released and any(s.operator in ("==", "===") for s in specifier):
        released = allowed
    if not released:
        raise TargetFailed("missing package", f"no sdist of {name}{specifier} on the index")
    newest = max(v for v, _ in released)
    return _prefer_tar([f for v, f in released if v == newest])


def _sdists(name: str, files: list[dict]) -> list[tuple[Version, dict]]:
    """(version, entry) for each sdist of `name` among an index page's files."""
    out = []
    for f in files:
        filename = f.get("filename", "")
        if not filename.endswith(_SDIST_SUFFIXES):
            continue
        version = _parse_version(_version_from_archive(filename, name))
        if version is not None:
            out.append((version, f))
    return out


def _prefer_tar(files: list[dict]) -> dict:
    return sorted(files, key=lambda f: not f["filename"].endswith(".tar.gz"))[0]


def _download(entry: dict, archive: Path) -> None:
    """Download one file entry to `archive`, checking its size and its sha256 from the index."""
    import requests

    expected = (entry.get("hashes") or {}).get("sha256")
    if not expected:
        raise TargetFailed("download failed", f"{entry['filename']}: the index gives no sha256")
    digest, size = hashlib.sha256(), 0
    try:
        with requests.get(entry["url"], stream=True, timeout=60) as resp, open(archive, "wb") as fh:
            if resp.status_code != 200:
                raise TargetFailed("download failed", f"{entry['url']}: HTTP {resp.status_code}")
            for chunk in resp.iter_content(1 << 16):
                size += len(chunk)
                if size > MAX_SDIST_BYTES:
                    raise TargetFailed("download failed", f"{entry['filename']}: larger than {MAX_SDIST_BYTES} bytes")
                digest.update(chunk)
                fh.write(chunk)
    except requests.RequestException as exc:
        raise TargetFailed("download failed", f"{entry['url']}: {exc}") from None
    if digest.hexdigest() != expected.lower():
        archive.unlink(missing_ok=True)
        raise TargetFailed("download failed", f"{entry['filename']}: sha256 does not match the index")


def _parse_version(text: str | None) -> Version | None:
    try:
        return Version(text) if text else None
    except InvalidVersion:
        return None


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
