"""One virtual environment per target, set up the way its CI does (see ci_config.TestPlan).

uv when it is on PATH (or next to our interpreter), `python -m venv` + pip otherwise.
No project code runs outside the sandbox: with network, only wheels are installed
(`--only-binary :all:`: pytest, the plan's test requirements and the project's build
requirements); the project's own wheel is built by `pip wheel --no-build-isolation
--no-index` inside the sandbox (no network, writes only to its scratch folders), then
installed with its dependencies, again wheels only (installing a wheel runs no code).
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

INSTALL_TIMEOUT_S = 900
BUILD_TIME_S = 300
BUILD_MEMORY_MB = 2048
WHEELS_ONLY = ["--only-binary", ":all:"]
_MARKER = ".sftset-env.json"
_LAYOUT = 2  # bump when the way environments are built changes: older ones are rebuilt
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


def prepare_env(work: Path, root: Path, plan: TestPlan, python: str, *, use_uv: bool | None = None) -> TargetEnv:
    """Create (or reuse) work/venv with pytest, the plan's requirements and the project installed."""
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
            return TargetEnv(venv, venv / "bin" / "python", saved.get("tool", "pip"), info["version"], info["prefix"],
                             log, saved.get("notes", []))
    if venv.exists():
        shutil.rmtree(venv)
    log.write_text("")
    notes: list[str] = []
    vpython = venv / "bin" / "python"
    if uv:  # --seed: the sandboxed build needs pip in the venv
        _step(log, [uv, "venv", "--quiet", "--seed", "--python", python, str(venv)], "could not create a virtualenv")
        pip = [uv, "pip", "install", "--python", str(vpython)] + WHEELS_ONLY
    else:
        _step(log, [python, "-m", "venv", str(venv)], "could not create a virtualenv")
        pip = [str(vpython), "-m", "pip", "install", "--disable-pip-version-check", "-q"] + WHEELS_ONLY
    _install_test_deps(log, pip, root, plan, notes)
    if any((root / name).exists() for name in _BUILD_FILES):
        reqs = build_requirements(root)
        if _step(log, pip + reqs, None) != 0:
            _one_by_one(log, pip, reqs, "build requirement", notes)
        wheel = _build_wheel(work, root, venv, info["prefix"], log)
        _install_wheel(log, pip, wheel, plan.extras, notes)
        _put_source_first(venv, root, wheel, notes)
    else:
        notes.append("no build files: the suite imports the code from the source tree")
    marker.write_text(json.dumps({"key": key, "tool": "uv" if uv else "pip", "notes": notes, "at": time.time()}))
    return TargetEnv(venv, vpython, "uv" if uv else "pip", info["version"], info["prefix"], log, notes)


def _install_test_deps(log: Path, pip: list[str], root: Path, plan: TestPlan, notes: list[str]) -> None:
    reqs = list(plan.requirements)
    for name in plan.requirement_files:
        reqs += _named_requirements(root / name, root, notes)
    if not any(_name(r) == "pytest" for r in reqs):
        reqs.insert(0, "pytest")
    if _step(log, pip + reqs, None) == 0:
        return
    notes.append("some test requirements did not install; retried one by one")
    _one_by_one(log, pip, [r for r in reqs if _name(r) != "pytest"], "requirement", notes)
    if _step(log, pip + ["pytest"], None) != 0:
        raise TargetFailed("install failed", "pytest does not install: " + _tail(log))


def _one_by_one(log: Path, pip: list[str], reqs: list[str], what: str, notes: list[str]) -> None:
    for req in reqs:
        if _step(log, pip + [req], None) != 0:
            notes.append(f"skipped {what} {req}: no wheel installs")


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


def _build_wheel(work: Path, root: Path, venv: Path, prefix: str, log: Path) -> Path:
    """Build the project's wheel with its own backend, in the sandbox: no network, scratch folders only."""
    from ..sandbox import run_isolated

    out, tmp = work / "wheel", work / "build-tmp"
    for folder in (out, tmp):
        if folder.exists():
            shutil.rmtree(folder)
    for folder in (out, tmp / "home", tmp / "tmp"):
        folder.mkdir(parents=True)
    cmd = [str(venv / "bin" / "python"), "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
           "--disable-pip-version-check", "-w", str(out), str(root)]
    env = {"PATH": f"{venv / 'bin'}:/usr/local/bin:/usr/bin:/bin", "HOME": str(tmp / "home"),
           "TMPDIR": str(tmp / "tmp"), "PIP_NO_INPUT": "1", "PYTHONDONTWRITEBYTECODE": "1", "LANG": "C.UTF-8",
           "VIRTUAL_ENV": str(venv)}
    had_build_dir = (root / "build").exists()
    res = run_isolated(cmd, cwd=root, time_s=BUILD_TIME_S, memory_mb=BUILD_MEMORY_MB, env=env,
                       writable=[root, out, tmp], readable=[venv, prefix])
    if not had_build_dir:  # setuptools' build/ copy of the code is not the project's source
        shutil.rmtree(root / "build", ignore_errors=True)
    with open(log, "a", encoding="utf-8") as fh:
        fh.write(f"$ (sandbox, {res.isolation}) {' '.join(cmd)}\n{res.stdout}{res.stderr}"
                 f"exit status {res.returncode}\n")
    wheels = sorted(out.glob("*.whl"))
    if res.timed_out:
        raise TargetFailed("does not build", f"the build took longer than {BUILD_TIME_S}s")
    if res.returncode != 0 or len(wheels) != 1:
        raise TargetFailed("does not build", _last_useful(res.stdout + "\n" + res.stderr))
    return wheels[0]


def _install_wheel(log: Path, pip: list[str], wheel: Path, extras: list[str], notes: list[str]) -> None:
    # a direct reference to the file, so an index release of the same name and version is not taken instead
    name = wheel.name.split("-")[0]
    spec = f"{name}[{','.join(extras)}] @ {wheel.resolve().as_uri()}" if extras else None
    if spec and _step(log, pip + [spec], None) == 0:
        return
    if _step(log, pip + [f"{name} @ {wheel.resolve().as_uri()}"], None) != 0:
        raise TargetFailed("install failed", "the built wheel does not install: " + _tail(log))
    if spec:
        notes.append(f"installed without extras {extras}")


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


def _step(log: Path, cmd: list[str], reason: str | None) -> int:
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
        raise TargetFailed("install failed", f"{reason}: {_tail(log)}")
    return code


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


def _tail(log: Path) -> str:
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


def _name(req: str) -> str:
    return req.split("[")[0].split("<")[0].split(">")[0].split("=")[0].split("~")[0].split(";")[0].strip().lower()
