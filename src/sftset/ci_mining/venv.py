"""One virtual environment per target, set up the way its CI does (see ci_config.TestPlan).

uv when it is on PATH, `python -m venv` + pip otherwise. Installs use the package index
(and so run the project's build backend with network access, outside the sandbox, as
`pip install` always does); the test suite itself runs later in the sandbox with none.
An environment whose inputs (interpreter, plan, requirement files) are unchanged is
reused, so a rerun does not reinstall.
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

from .ci_config import TestPlan
from .targets import TargetFailed

INSTALL_TIMEOUT_S = 900
_MARKER = ".sftset-env.json"


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
    if uv:
        _step(log, [uv, "venv", "--quiet", "--python", python, str(venv)], "could not create a virtualenv")
        pip = [uv, "pip", "install", "--python", str(venv / "bin" / "python")]
    else:
        _step(log, [python, "-m", "venv", str(venv)], "could not create a virtualenv")
        pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    test_deps = list(plan.requirements)
    if not any(r.split("[")[0].split("<")[0].split(">")[0].split("=")[0].strip().lower() == "pytest"
               for r in test_deps):
        test_deps.insert(0, "pytest")
    for name in plan.requirement_files:
        test_deps += ["-r", str(root / name)]
    if _step(log, pip + test_deps, None) != 0:
        notes.append("some test requirements did not install; retried one by one")
        for req in plan.requirements:
            if _step(log, pip + [req], None) != 0:
                notes.append(f"skipped requirement {req}")
        if _step(log, pip + ["pytest"], None) != 0:
            raise TargetFailed("install failed", "pytest does not install: " + _tail(log))
    _install_project(log, pip, root, plan.extras, notes)
    marker.write_text(json.dumps({"key": key, "tool": "uv" if uv else "pip", "notes": notes, "at": time.time()}))
    return TargetEnv(venv, venv / "bin" / "python", "uv" if uv else "pip", info["version"], info["prefix"], log, notes)


def _install_project(log: Path, pip: list[str], root: Path, extras: list[str], notes: list[str]) -> None:
    if not any((root / name).exists() for name in ("setup.py", "pyproject.toml", "setup.cfg")):
        notes.append("no build files: the suite imports the code from the source tree")
        return
    spec = f"{root}[{','.join(extras)}]" if extras else str(root)
    attempts = [["-e", spec], [spec]] + ([["-e", str(root)], [str(root)]] if extras else [])
    for args in attempts:
        if _step(log, pip + args, None) == 0:
            if args[-1] != spec:
                notes.append(f"installed without extras {extras}")
            if args[0] != "-e":
                notes.append("not installable in editable mode; installed a copy")
            return
    raise TargetFailed("does not build", _tail(log))


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
    h = hashlib.sha256(json.dumps([info, plan.requirements, plan.extras, plan.requirement_files]).encode())
    for name in plan.requirement_files + ["setup.py", "setup.cfg", "pyproject.toml"]:
        path = root / name
        if path.is_file():
            h.update(path.read_bytes())
    return h.hexdigest()


def _tail(log: Path) -> str:
    lines = [line.strip() for line in log.read_text(errors="replace").splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("ERROR") or "Error" in line or "error:" in line]
    return (errors or lines or ["(no output)"])[-1][:300]
