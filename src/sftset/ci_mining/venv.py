"""One virtual environment per target, set up the way its CI does (see ci_config.TestPlan).

uv when it is on PATH (or next to our interpreter), `python -m venv` + pip otherwise.
No project code runs outside the sandbox: pytest, the test and build requirements are
installed as wheels only, and the project's wheel is built in the sandbox; it and any
dependency built from an sdist are installed last, inspected, without starting the venv's
interpreter, which from then on starts only in the sandbox (see wheels.py). Both paths
build alike: the pip path first brings pip, setuptools and wheel up to date, as uv's
--seed does (a Python 3.11 venv's own setuptools 65 has no bdist_wheel without `wheel`).
The source tree is put first on sys.path (as an editable install would) so the suite
runs the code in the tree. An environment whose inputs (interpreter, plan, build and
requirement files) are unchanged is reused, so a rerun does not reinstall.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement

from .ci_config import TestPlan
from .project import find_packages
from .targets import TargetFailed
from .wheels import (WHEELS_ONLY, Deps, build_requirements, build_wheel, cache_wheel, cached_wheel,
                     install_from_sdists, install_untrusted, install_wheel, seal, step, tail, unseal,
                     wheel_key)

_MARKER = ".sftset-env.json"
_LAYOUT = 4  # bump when the way environments are built changes: older ones are rebuilt
_BUILD_FILES = ("setup.py", "setup.cfg", "pyproject.toml")


@dataclass
class TargetEnv:
    path: Path
    python: Path
    tool: str  # uv | pip
    version: str  # the interpreter's X.Y.Z
    prefix: str  # the base interpreter's installation (the sandbox must be able to read it)
    log: Path
    notes: list[str]


def default_python(python: str | None = None) -> str:
    """The interpreter to build target environments from: given, else the one running us."""
    if python:
        path = shutil.which(os.path.expanduser(python)) or os.path.expanduser(python)
        if not os.path.exists(path):
            from ..errors import InputError

            raise InputError(f"no such interpreter: {python}", field="python")
        return path
    return getattr(sys, "_base_executable", None) or sys.executable


def find_uv() -> str | None:
    """uv on PATH, or installed next to this interpreter (a virtualenv that is not activated)."""
    found = shutil.which("uv")
    if found:
        return found
    sibling = Path(sys.executable).parent / "uv"
    return str(sibling) if sibling.exists() else None


def prepare_env(work: Path, root: Path, plan: TestPlan, python: str, *, use_uv: bool | None = None,
                wheel_cache: Path | None = None, source_hash: str = "") -> TargetEnv:
    """Create (or reuse) work/venv with pytest, the plan's requirements and the project installed.

    Wheels built in the sandbox (the project's, keyed by `source_hash` and the interpreter; dependencies
    without a wheel, by their sdist's contents) are kept in `wheel_cache`, so rebuilding a removed venv
    builds nothing again. Wheels downloaded from the index are cached by uv or pip in their own cache."""
    work.mkdir(parents=True, exist_ok=True)
    venv = work / "venv"
    log = work / "install.log"
    uv = find_uv() if use_uv in (None, True) else None
    info = _interpreter(python)
    key = _key(info, plan, root)
    marker = venv / _MARKER
    if marker.exists():
        try:
            saved = json.loads(marker.read_text())
        except ValueError:
            saved = {}
        if saved.get("key") == key:
            seal(venv)  # built by an earlier run: its interpreter starts in the sandbox only
            return TargetEnv(venv, venv / "bin" / "python", saved.get("tool", "pip"), info["version"], info["prefix"],
                             log, saved.get("notes", []))
    unseal(venv)
    for old in (venv, work / "deps"):
        if old.exists():
            shutil.rmtree(old)
    log.write_text("")
    notes: list[str] = []
    vpython = venv / "bin" / "python"
    if uv:  # --seed: the sandboxed build needs pip in the venv
        step(log, [uv, "venv", "--quiet", "--seed", "--python", python, str(venv)], "could not create a virtualenv")
        pip = [uv, "pip", "install", "--python", str(vpython)] + WHEELS_ONLY
    else:
        step(log, [python, "-m", "venv", str(venv)], "could not create a virtualenv")
        pip = [str(vpython), "-m", "pip", "install", "--disable-pip-version-check", "-q"] + WHEELS_ONLY
        step(log, pip + ["--upgrade", "pip", "setuptools", "wheel"], "could not update pip, setuptools and wheel")
    deps = Deps(work / "deps", venv, info["prefix"], log, pip, notes, cache=wheel_cache)
    _install_test_deps(deps, root, plan)
    if any((root / name).exists() for name in _BUILD_FILES):
        reqs = build_requirements(root)
        if step(log, pip + reqs, None) != 0:
            _one_by_one(log, pip, reqs, "build requirement", notes)
        built_from = wheel_key("project", source_hash, info["version"], info["prefix"], os.uname().machine, *reqs)
        wheel = cached_wheel(wheel_cache, built_from) if source_hash else None
        if wheel is None:
            wheel = build_wheel(root, work / "wheel", work / "build-tmp", venv, info["prefix"], log)
            wheel = cache_wheel(wheel_cache, built_from, wheel) if source_hash else wheel
        else:
            notes.append(f"the project's wheel was built by an earlier run (cached: {wheel.name})")
        install_wheel(deps, wheel, plan.extras)
        install_untrusted(deps)  # last: from here on the venv's interpreter starts only in the sandbox
        _put_source_first(venv, root, wheel, notes)
    else:
        install_untrusted(deps)
        notes.append("no build files: the suite imports the code from the source tree")
    marker.write_text(json.dumps({"key": key, "tool": "uv" if uv else "pip", "notes": notes, "at": time.time()}))
    return TargetEnv(venv, vpython, "uv" if uv else "pip", info["version"], info["prefix"], log, notes)


# What prepare_env and the suite leave in a target's work folder that a rerun can rebuild.
ENV_FOLDERS = ("venv", "deps", "wheel", "build-tmp", "run")


def remove_envs(work: Path) -> None:
    """Remove the target's venv, build and run folders (a rerun rebuilds them; built wheels stay cached)."""
    for name in ENV_FOLDERS:
        shutil.rmtree(work / name, ignore_errors=True)


def disk_usage(path: Path) -> int:
    """Bytes the folder takes on disk (allocated blocks; a file with several links counts once)."""
    seen, total = set(), 0
    for dirpath, dirnames, filenames in os.walk(path):
        for name in dirnames + filenames:
            try:
                st = os.lstat(os.path.join(dirpath, name))
            except OSError:
                continue
            if (st.st_dev, st.st_ino) not in seen:
                seen.add((st.st_dev, st.st_ino))
                total += st.st_blocks * 512
    return total


def _install_test_deps(deps: Deps, root: Path, plan: TestPlan) -> None:
    log, pip, notes = deps.log, deps.pip, deps.notes
    reqs = list(plan.requirements)
    for name in plan.requirement_files:
        reqs += _named_requirements(root / name, root, notes)
    if not any(_name(r) == "pytest" for r in reqs):
        reqs.insert(0, "pytest")
    if step(log, pip + reqs, None) == 0:
        return
    notes.append("some test requirements did not install; retried one by one")
    _one_by_one(log, pip, [r for r in reqs if _name(r) != "pytest"], "requirement", notes, deps)
    # The plan's own pytest pins (a conftest that needs pytest<9) are kept; a failed requirement file's pins are
    # not: they tend to be old (html5lib 1.1's pytest<6 does not run on Python 3.11).
    pins = [r for r in plan.requirements if _name(r) == "pytest" and r != "pytest"]
    if pins and step(log, pip + pins, None) == 0:
        return
    if step(log, pip + ["pytest"], None) != 0:
        raise TargetFailed("install failed", "pytest does not install: " + tail(log))


def _one_by_one(log: Path, pip: list[str], reqs: list[str], what: str, notes: list[str],
                deps: Deps | None = None) -> None:
    """Install `reqs` one at a time; with `deps`, those without a wheel are built from their sdists."""
    for req in reqs:
        if step(log, pip + [req], None) == 0:
            continue
        if deps is None:
            notes.append(f"skipped {what} {req}: no wheel installs")
            continue
        try:
            install_from_sdists(deps, Requirement(req))
        except InvalidRequirement:
            notes.append(f"skipped {what} {req}: not a requirement")
        except TargetFailed as exc:  # a test requirement that does not install is skipped, as before
            notes.append(f"skipped {what} {req}: {exc.detail}")


def _named_requirements(path: Path, root: Path, notes: list[str], seen: set | None = None) -> list[str]:
    """The `name[extras] specifier; marker` lines of a requirement file (and the files it includes).

    Paths, URLs and `-e` lines are left out: pip would build them, running their code outside the sandbox.
    """
    seen = seen if seen is not None else set()
    path = path.resolve()
    if path in seen or not path.is_file() or not path.is_relative_to(root.resolve()):
        return []
    seen.add(path)
    out: list[str] = []
    text = path.read_text(errors="replace").replace("\\\n", " ")
    for raw in text.splitlines():
        line = raw.split(" #", 1)[0].split(" --", 1)[0].strip()  # comments, per-line options (--hash)
        if not line or line.startswith("#"):
            continue
        if line.startswith(("-r ", "--requirement ", "--requirement=")):
            include = line.split(None, 1)[1] if " " in line else line.split("=", 1)[1]
            out += _named_requirements(path.parent / include.strip(), root, notes, seen)
            continue
        if line.startswith("-"):
            continue  # index options, constraints, -e
        try:
            req = Requirement(line)
        except InvalidRequirement:
            req = None
        if req is None or req.url:
            notes.append(f"{path.name}: left out {line[:80]!r} (not a named requirement)")
            continue
        out.append(line)
    return out


def _put_source_first(venv: Path, root: Path, wheel: Path, notes: list[str]) -> None:
    """A .pth that puts the tree's package folders first on sys.path, as an editable install would."""
    if not wheel.name.endswith("-none-any.whl"):
        notes.append("built a platform wheel: the suite imports the installed copy")
        return
    _, folders = find_packages(root)
    site = next((venv / "lib").glob("python*/site-packages"), None)
    if site is None or not folders:
        return
    paths = [str(f) for f in folders]
    (site / "_sftset_source_first.pth").write_text(f"import sys; sys.path[0:0] = {paths!r}\n")


def _interpreter(python: str) -> dict:
    try:
        out = subprocess.run([python, "-c", "import sys, json; print(json.dumps({'version': '.'.join(map(str, "
                              "sys.version_info[:3])), 'prefix': sys.base_prefix}))"],
                             capture_output=True, text=True, timeout=60)
        return json.loads(out.stdout)
    except (OSError, ValueError, subprocess.TimeoutExpired) as exc:
        raise TargetFailed("install failed", f"cannot run {python}: {exc}") from None


def _key(info: dict, plan: TestPlan, root: Path) -> str:
    h = hashlib.sha256(json.dumps([_LAYOUT, info, plan.requirements, plan.extras, plan.requirement_files]).encode())
    for name in plan.requirement_files + list(_BUILD_FILES):
        path = root / name
        if path.is_file():
            h.update(path.read_bytes())
    return h.hexdigest()


def _name(req: str) -> str:
    return req.split("[")[0].split("<")[0].split(">")[0].split("=")[0].split("~")[0].split(";")[0].strip().lower()
