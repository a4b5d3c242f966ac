"""Wheels for a mined project's virtualenv, with no fetched code run outside the sandbox.

Installs with network are wheels only (`--only-binary :all:`; installing a wheel runs
no code). A tree is turned into a wheel by `pip wheel --no-build-isolation --no-index`
inside the sandbox (no network, writes only to its scratch folders). A dependency (of
the project or of a test requirement) that has no wheel on the index is built the same
way: its sdist is fetched through the JSON API (targets.fetch_sdist), its build
requirements installed wheels only, its wheel built in the sandbox under work/deps, and
its own requirements handled alike (MAX_DEP_DEPTH levels at most).

A wheel built from an untrusted tree (the project's, or a dependency's sdist) is never
handed to pip or uv: their next start of the venv's interpreter, outside the sandbox and
as root, would run whatever that wheel put there (a .pth file, sitecustomize, a replaced
bin/python). Such wheels are collected while everything else is installed, then, last,
inspected and unpacked by PyPA `installer` from the tool's own interpreter (no code of the
venv runs): .pth files, sitecustomize/usercustomize and `*.data/` scripts, data and headers
are left out (noted), and no launcher may take the name of the interpreter or an existing
script. After that the venv is sealed: `step` refuses to start its interpreter outside the
sandbox.
"""
from __future__ import annotations

import functools
import hashlib
import json
import os
import shutil
import subprocess
import zipfile
from dataclasses import dataclass, field
from email.parser import HeaderParser
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from ..sandbox.command import DEFAULT_DISK_MB
from .targets import TargetFailed, fetch_sdist

INSTALL_TIMEOUT_S = 900
BUILD_TIME_S = 300
BUILD_MEMORY_MB = 2048
WHEELS_ONLY = ["--only-binary", ":all:"]
MAX_DEP_DEPTH = 3  # levels of dependencies without a wheel built from their sdists


@dataclass
class Deps:
    """What building the dependencies that have no wheel needs, and what was built so far."""
    work: Path  # the target's work/deps
    venv: Path
    prefix: str
    log: Path
    pip: list[str]  # the wheels-only install command
    notes: list[str]
    refs: dict[str, str | None] = field(default_factory=dict)  # name seen -> direct reference to the wheel built
    failed: dict[str, TargetFailed] = field(default_factory=dict)  # name -> why it could not be provided
    env: dict | None = None  # the venv interpreter's PEP 508 marker environment, read once
    untrusted: list[Path] = field(default_factory=list)  # wheels built from untrusted trees, installed last
    cache: Path | None = None  # the shared cache of wheels built in the sandbox (see cached_wheel)

    def marker_env(self) -> dict:
        if self.env is None:
            self.env = _marker_env(self.venv / "bin" / "python")
        return self.env


def install_from_sdists(deps: Deps, req: Requirement) -> None:
    """Provide a requirement that failed wheels only: what has a wheel is installed now, what has none
    is built in the sandbox and installed last (see install_untrusted)."""
    _provide(deps, [req], 1)


def build_requirements(root: Path) -> list[str]:
    """`[build-system] requires` from pyproject.toml; PEP 518's default without one."""
    try:
        import tomllib
    except ImportError:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    try:
        data = tomllib.loads((root / "pyproject.toml").read_text(errors="replace"))
    except (OSError, ValueError):
        data = {}
    requires = data.get("build-system", {}).get("requires")
    if isinstance(requires, list) and all(isinstance(r, str) for r in requires):
        return requires
    return ["setuptools>=40.8.0", "wheel"]


def build_wheel(src: Path, out: Path, tmp: Path, venv: Path, prefix: str, log: Path) -> Path:
    """Build the wheel of the tree at `src` into `out` with its own backend, in the sandbox:
    no network, writes only to `src`, `out` and the scratch folder `tmp`."""
    from ..sandbox import run_isolated

    for folder in (out, tmp):
        if folder.exists():
            shutil.rmtree(folder)
    for folder in (out, tmp / "home", tmp / "tmp"):
        folder.mkdir(parents=True)
    cmd = [str(venv / "bin" / "python"), "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
           "--disable-pip-version-check", "-w", str(out), str(src)]
    env = {"PATH": f"{venv / 'bin'}:/usr/local/bin:/usr/bin:/bin", "HOME": str(tmp / "home"),
           "TMPDIR": str(tmp / "tmp"), "PIP_NO_INPUT": "1", "PYTHONDONTWRITEBYTECODE": "1", "LANG": "C.UTF-8",
           "VIRTUAL_ENV": str(venv)}
    had_build_dir = (src / "build").exists()
    res = run_isolated(cmd, cwd=src, time_s=BUILD_TIME_S, memory_mb=BUILD_MEMORY_MB, env=env,
                       writable=[src, out, tmp], readable=[venv, prefix])
    if not had_build_dir:  # setuptools' build/ copy of the code is not the project's source
        shutil.rmtree(src / "build", ignore_errors=True)
    with open(log, "a", encoding="utf-8") as fh:
        fh.write(f"$ (sandbox, {res.isolation}) {' '.join(cmd)}\n{res.stdout}{res.stderr}"
                 f"exit status {res.returncode}\n")
    wheels = sorted(out.glob("*.whl"))
    if res.timed_out:
        raise TargetFailed("does not build", f"the build took longer than {BUILD_TIME_S}s")
    if res.disk_exceeded:
        raise TargetFailed("does not build", f"the build wrote more than {DEFAULT_DISK_MB} MB")
    if res.returncode != 0 or len(wheels) != 1:
        raise TargetFailed("does not build", _last_useful(res.stdout + "\n" + res.stderr))
    return wheels[0]


def cached_wheel(cache: Path | None, key: str) -> Path | None:
    """The wheel cached under `key` (a hash of what it was built from), if any."""
    if cache is None:
        return None
    return next(iter(sorted((cache / key).glob("*.whl"))), None)


def cache_wheel(cache: Path | None, key: str, wheel: Path) -> Path:
    """Keep a wheel built in the sandbox under `key` for the next target or run; returns the cached copy.
    Only this process writes the cache (the sandboxed build cannot), and a copy appears whole or not at all."""
    if cache is None:
        return wheel
    folder = cache / key
    if not folder.exists():
        cache.mkdir(parents=True, exist_ok=True)
        tmp = cache / f".{key}.{os.getpid()}.tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
        shutil.copy2(wheel, tmp / wheel.name)
        try:
            os.rename(tmp, folder)
        except OSError:  # another worker cached it first
            shutil.rmtree(tmp, ignore_errors=True)
    return cached_wheel(cache, key) or wheel


def wheel_key(*parts: str) -> str:
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()[:24]


def install_wheel(deps: Deps, wheel: Path, extras: list[str]) -> None:
    """Provide the requirements of the project's wheel (wheels only; failing that, building those that
    have none); the wheel itself, built from the untrusted tree, is installed last (install_untrusted)."""
    env = deps.marker_env()
    try:
        _provide_all(deps, _wheel_requirements(wheel, extras, env))
    except TargetFailed:
        if not extras:
            raise
        _provide_all(deps, _wheel_requirements(wheel, [], env))
        deps.notes.append(f"installed without extras {extras}")
    deps.untrusted.append(wheel)


def _provide_all(deps: Deps, reqs: list[Requirement]) -> None:
    """Install `reqs` wheels only, all at once; failing that, one by one, building those without a wheel."""
    if not reqs or step(deps.log, deps.pip + [_plain(r) for r in reqs], None) == 0:
        return
    _say(deps.log, "not every requirement installs wheels only: building those that have no wheel")
    _provide(deps, reqs, 1)


def _provide(deps: Deps, reqs: list[Requirement], depth: int) -> list[str]:
    """Make `reqs` installable: each is installed wheels only where it can be; one with no wheel is
    built from its sdist in the sandbox, and its own requirements handled alike. Returns direct
    references to the wheels built, to install together (a cycle among them installs at once)."""
    refs: list[str] = []
    for req in reqs:
        key = canonicalize_name(req.name)
        if key in deps.failed:
            raise deps.failed[key]
        if key in deps.refs:  # seen already (a cycle guard too)
            refs += [deps.refs[key]] if deps.refs[key] else []
            continue
        deps.refs[key] = None
        try:
            refs += _provide_one(deps, req, key, depth)
        except TargetFailed as exc:
            deps.failed[key] = exc
            raise
    return list(dict.fromkeys(refs))


def _provide_one(deps: Deps, req: Requirement, key: str, depth: int) -> list[str]:
    plain, extras = _plain(req), sorted(req.extras)
    if req.url:  # a direct reference: pip would fetch and build it outside the sandbox
        deps.notes.append(f"left out {req.name}: a direct reference ({req.url[:80]})")
        return []
    if step(deps.log, deps.pip + [plain], None) == 0:
        return []
    if depth > MAX_DEP_DEPTH:
        raise TargetFailed("install failed", f"dependency {req.name} has no wheel, {depth} levels down "
                                             f"(at most {MAX_DEP_DEPTH} are built)")
    if step(deps.log, deps.pip + ["--no-deps", plain], None) == 0:
        # it has a wheel: one of its own requirements has none
        meta = _installed_metadata(deps.venv, key)
        return _provide(deps, _requirements(meta, extras, deps.marker_env()), depth + 1)
    wheel = _build_dependency(deps, req)
    deps.refs[key] = str(wheel)
    deps.untrusted.append(wheel)
    return [deps.refs[key]] + _provide(deps, _wheel_requirements(wheel, extras, deps.marker_env()), depth + 1)


def _build_dependency(deps: Deps, req: Requirement) -> Path:
    """Fetch the newest sdist that `req` allows, install its build requirements (wheels only) and
    build its wheel in the sandbox, under work/deps."""
    _say(deps.log, f"{_plain(req)} has no wheel that installs: building it from its sdist in the sandbox")
    try:
        version, src = fetch_sdist(req.name, req.specifier, deps.work)
    except TargetFailed as exc:
        raise TargetFailed("install failed", f"dependency {req.name} has no wheel and no sdist to build: "
                                             f"{exc.detail}") from None
    env = deps.marker_env()
    key = wheel_key("dep", src.name, env.get("python_full_version", ""), env.get("platform_machine", ""),
                    tree_hash(src))
    cached = cached_wheel(deps.cache, key)
    if cached is not None:
        deps.notes.append(f"dependency {req.name} {version}: wheel built from its sdist by an earlier run (cached)")
        return cached
    build_reqs = build_requirements(src)
    if step(deps.log, deps.pip + build_reqs, None) != 0:
        raise TargetFailed("install failed", f"dependency {req.name} has no wheel and its build requirements "
                                             f"do not install: {tail(deps.log)}")
    try:
        wheel = build_wheel(src, deps.work / "wheels" / src.name, deps.work / "build-tmp", deps.venv, deps.prefix,
                             deps.log)
    except TargetFailed as exc:
        raise TargetFailed("install failed", f"dependency {req.name} has no wheel and its sdist does not build: "
                                             f"{exc.detail}") from None
    deps.notes.append(f"built dependency {req.name} {version} from its sdist in the sandbox")
    return cache_wheel(deps.cache, key, wheel)


def tree_hash(root: Path) -> str:
    """sha256 over a source tree's file names and contents (.egg-info left out: a build writes it)."""
    h = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file() and ".egg-info" not in str(p)):
        h.update(str(path.relative_to(root)).encode() + b"\0")
        h.update(hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()


def _wheel_requirements(wheel: Path, extras: list[str], env: dict) -> list[Requirement]:
    """The requirements a wheel's METADATA names that apply to this interpreter and these extras."""
    try:
        with zipfile.ZipFile(wheel) as zf:
            name = next(n for n in zf.namelist() if n.count("/") == 1 and n.endswith(".dist-info/METADATA"))
            text = zf.read(name).decode("utf-8", "replace")
    except (OSError, zipfile.BadZipFile, StopIteration):
        return []
    return _requirements(text, extras, env)


def _installed_metadata(venv: Path, key: str) -> str:
    """The METADATA of the distribution named `key` installed in the venv ("" if none is found)."""
    for info in (venv / "lib").glob("python*/site-packages/*.dist-info"):
        if canonicalize_name(info.name.split("-")[0]) == key and (info / "METADATA").is_file():
            return (info / "METADATA").read_text(errors="replace")
    return ""


def _requirements(metadata: str, extras: list[str], env: dict) -> list[Requirement]:
    out = []
    for line in HeaderParser().parsestr(metadata).get_all("Requires-Dist") or []:
        try:
            req = Requirement(line)
        except InvalidRequirement:
            continue
        # "" covers the requirements that name no extra
        if req.marker is None or any(req.marker.evaluate({**env, "extra": e}) for e in ["", *extras]):
            out.append(req)
    return out


def _plain(req: Requirement) -> str:
    """`req` without its marker (already evaluated for the venv's interpreter)."""
    copy = Requirement(str(req))
    copy.marker = None
    return str(copy)


# PEP 508's environment markers, as the venv's interpreter sees them (-S: no .pth file of an installed package runs)
_MARKER_ENV_SCRIPT = """\
import json, os, platform, sys
v = sys.implementation.version
iv = f"{v.major}.{v.minor}.{v.micro}" + ("" if v.releaselevel == "final" else v.releaselevel[0] + str(v.serial))
print(json.dumps({
    "implementation_name": sys.implementation.name, "implementation_version": iv, "os_name": os.name,
    "platform_machine": platform.machine(), "platform_python_implementation": platform.python_implementation(),
    "platform_release": platform.release(), "platform_system": platform.system(),
    "platform_version": platform.version(), "python_full_version": platform.python_version(),
    "python_version": ".".join(platform.python_version_tuple()[:2]), "sys_platform": sys.platform}))
"""


def _marker_env(python: Path) -> dict:
    try:
        out = subprocess.run([str(python), "-I", "-S", "-c", _MARKER_ENV_SCRIPT], capture_output=True, text=True,
                             timeout=60, check=False)
        return json.loads(out.stdout)
    except (OSError, ValueError, subprocess.TimeoutExpired) as exc:
        raise TargetFailed("install failed", f"cannot read the marker environment of {python}: {exc}") from None


def _say(log: Path, text: str) -> None:
    with open(log, "a", encoding="utf-8") as fh:
        fh.write(f"# {text}\n")


# ---- wheels built from untrusted trees: inspected, unpacked without running anything -------------
_SEALED: set[str] = set()  # venvs with untrusted code installed: their interpreter starts in the sandbox only
_REFUSED_TOP = ("sitecustomize.py", "usercustomize.py", "sitecustomize", "usercustomize")


def install_untrusted(deps: Deps) -> None:
    """Install the wheels built from untrusted trees (collected in deps.untrusted), then seal the venv."""
    from installer import install
    from installer.sources import WheelFile
    from installer.utils import get_launcher_kind

    site = next((deps.venv / "lib").glob("python*/site-packages"))
    seal(deps.venv)
    for wheel in dict.fromkeys(deps.untrusted):
        dest = _inspecting_destination()(
            scheme_dict={"purelib": str(site), "platlib": str(site), "scripts": str(deps.venv / "bin"),
                         "data": str(deps.venv), "headers": str(deps.venv / "include" / "site")},
            interpreter=str(deps.venv / "bin" / "python"), script_kind=get_launcher_kind())
        dest.left_out = []
        try:
            with WheelFile.open(wheel) as source:
                _uninstall(site, source.distribution)  # an index release of the same name, if one came in
                install(source, dest, {"INSTALLER": b"sftset (installer, untrusted wheel)\n"})
        except (OSError, ValueError, KeyError, zipfile.BadZipFile, StopIteration) as exc:
            raise TargetFailed("install failed", f"{wheel.name} does not install: {type(exc).__name__}: "
                                                 f"{str(exc)[:200]}") from None
        _say(deps.log, f"installed {wheel.name} (built from untrusted source) with installer")
        if dest.left_out:
            note = f"{wheel.name}: left out {', '.join(sorted(dest.left_out)[:5])}" + \
                   (f" and {len(dest.left_out) - 5} more" if len(dest.left_out) > 5 else "") + \
                   " (code that would run outside the sandbox)"
            deps.notes.append(note)
            _say(deps.log, note)
    deps.untrusted.clear()


@functools.lru_cache(maxsize=None)
def _inspecting_destination():
    from installer.destinations import SchemeDictionaryDestination

    class InspectingDestination(SchemeDictionaryDestination):
        """Writes a wheel's files, leaving out those that would run code when any interpreter of
        the venv starts or that replace its executables."""

        def write_file(self, scheme, path, stream, is_executable):
            path_ = os.fspath(path)
            top = "/" not in path_
            if scheme in ("scripts", "data", "headers") or (
                    scheme in ("purelib", "platlib") and top and (path_.endswith(".pth") or path_ in _REFUSED_TOP)) \
                    or (scheme in ("purelib", "platlib") and path_.split("/")[0] in _REFUSED_TOP):
                self.left_out.append(f"{scheme}/{path_}" if scheme != "purelib" else path_)
                return None
            return super().write_file(scheme, path, stream, is_executable)

        def write_script(self, name, module, attr, section):
            taken = os.path.lexists(os.path.join(self.scheme_dict["scripts"], name))
            if taken or name.startswith(("python", "pip", "activate")) or "/" in name:
                self.left_out.append(f"script {name}")
                return None
            return super().write_script(name, module, attr, section)

        def finalize_installation(self, scheme, record_file_path, records):
            super().finalize_installation(scheme, record_file_path, [(s, r) for s, r in records if r is not None])

    return InspectingDestination


def _uninstall(site: Path, distribution: str) -> None:
    """Remove an installed distribution of this name by its RECORD (no uninstaller runs)."""
    key = canonicalize_name(distribution)
    for info in site.glob("*.dist-info"):
        if canonicalize_name(info.name[:-len(".dist-info")].split("-", 1)[0]) != key:  # NAME-VERSION.dist-info
            continue
        record = info / "RECORD"
        lines = record.read_text(errors="replace").splitlines() if record.is_file() else []
        for line in lines:
            target = (site / line.split(",", 1)[0]).resolve()
            if target.is_relative_to(site.parent.parent.parent) and target.is_file():
                target.unlink()
        shutil.rmtree(info, ignore_errors=True)


def seal(venv: Path) -> None:
    """The venv at this path holds code built from untrusted sources (a kept one, reused by a later run)."""
    _SEALED.add(os.path.abspath(venv))


def unseal(venv: Path) -> None:
    """The venv at this path is being removed: a new one there starts clean."""
    _SEALED.discard(os.path.abspath(venv))


def _check_unsealed(cmd: list[str]) -> None:
    """No interpreter of a sealed venv starts outside the sandbox (uv's --python starts it too)."""
    for i, arg in enumerate(cmd):
        if i == 0 or cmd[i - 1] == "--python":
            path = os.path.abspath(arg)
            if any(path == v or path.startswith(v + "/") for v in _SEALED):
                raise TargetFailed("install failed", f"refused to start {arg} outside the sandbox: the venv holds "
                                                     f"code built from untrusted sources")


def step(log: Path, cmd: list[str], reason: str | None) -> int:
    _check_unsealed(cmd)
    with open(log, "a", encoding="utf-8") as fh:
        fh.write(f"$ {' '.join(cmd)}\n")
        fh.flush()
        try:
            proc = subprocess.run(cmd, stdout=fh, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                  timeout=INSTALL_TIMEOUT_S, env={**os.environ, "PIP_NO_INPUT": "1"})
            code = proc.returncode
        except subprocess.TimeoutExpired:
            fh.write(f"timed out after {INSTALL_TIMEOUT_S}s\n")
            code = -1
        except OSError as exc:
            fh.write(f"{exc}\n")
            code = -1
    if code != 0 and reason:
        raise TargetFailed("install failed", f"{reason}: {tail(log)}")
    return code


def tail(log: Path) -> str:
    lines = [line.strip() for line in log.read_text(errors="replace").splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("ERROR") or "Error" in line or "error:" in line]
    return (errors or lines or ["(no output)"])[-1][:300]


def _last_useful(text: str) -> str:
    """The line of a build's output that says why it failed: the backend's own last words if pip quoted them."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    quoted, inside = [], False
    for line in lines:  # pip frames the backend's output: "[N lines of output]" ... "[end of output]"
        if line.endswith("lines of output]"):
            inside = True
        elif line == "[end of output]":
            inside = False
        elif inside:
            quoted.append(line)
    errors = [line for line in lines if "Error" in line or line.startswith(("ERROR", "error:"))]
    return (quoted or errors or lines or ["(no output)"])[-1][:300]
