"""Run one untrusted command (a mined project's test suite) in isolation.

    res = run_isolated([venv_python, "-m", "pytest", "-q"], cwd=workdir, time_s=600, memory_mb=4096)

The command runs as a fresh unprivileged uid in its own network namespace (no route
anywhere) and mount namespace (a private, throw-away /tmp), with resource limits, and
can write only to `writable` folders (cwd by default, handed to that uid) and its
private /tmp. At the deadline every process of that uid is killed.
"""
from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

_SFTSET_PARENT = str(Path(__file__).resolve().parents[2])
_LAUNCHER = (
    "import sys; sys.path.insert(0, sys.argv[1]); "
    "from sftset.sandbox.command import _launch; _launch(sys.argv[2])"
)
KEEP_OUTPUT = 256 << 10


@dataclass
class CommandResult:
    returncode: int
    stdout: str
    stderr: str
    timed_out: bool
    isolation: str
    duration_s: float
    notes: list[str]


def run_isolated(
    argv: list[str],
    cwd: str | os.PathLike[str],
    *,
    time_s: float = 600,
    memory_mb: int = 4096,
    env: dict[str, str] | None = None,
    writable: list[str | os.PathLike[str]] | None = None,
    readable: list[str | os.PathLike[str]] | None = None,
    nproc: int = 256,
) -> CommandResult:
    cwd = os.path.abspath(cwd)
    writable = [os.path.abspath(p) for p in (writable or [cwd])]
    readable = [os.path.abspath(p) for p in (readable or [])]
    exe = argv[0] if os.path.isabs(argv[0]) else None
    if exe:
        readable.append(exe)
        readable.append(os.path.realpath(exe))
    with tempfile.TemporaryDirectory(prefix="sftset-cmd-") as tmp:
        spec = {
            "argv": argv, "cwd": cwd, "time_s": time_s, "memory_mb": memory_mb, "nproc": nproc,
            "env": {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": os.path.join(cwd, ".home"),
                    **(env or {})},
            "writable": writable, "readable": readable, "uid": 500_000_000 + secrets.randbelow(1 << 20),
            "report": os.path.join(tmp, "report.json"),
        }
        spec_path = os.path.join(tmp, "spec.json")
        Path(spec_path).write_text(json.dumps(spec))
        out_path, err_path = os.path.join(tmp, "stdout"), os.path.join(tmp, "stderr")
        t0 = time.monotonic()
        with open(out_path, "wb") as out, open(err_path, "wb") as err:
            proc = subprocess.run(
                [sys.executable, "-I", "-c", _LAUNCHER, _SFTSET_PARENT, spec_path],
                stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                env={"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8"},
                timeout=time_s + 60, start_new_session=True,
            )
        try:
            report = json.loads(Path(spec["report"]).read_text())
        except (OSError, ValueError):
            raise RuntimeError(f"the sandbox launcher failed (exit {proc.returncode}): {_tail(err_path)[-500:]}") from None
        return CommandResult(
            returncode=report.get("returncode", proc.returncode),
            stdout=_tail(out_path), stderr=_tail(err_path),
            timed_out=report.get("timed_out", False), isolation=report.get("isolation", "unknown"),
            duration_s=time.monotonic() - t0, notes=report.get("notes", []),
        )


def _tail(path: str) -> str:
    size = os.path.getsize(path)
    with open(path, "rb") as fh:
        if size > KEEP_OUTPUT:
            fh.seek(size - KEEP_OUTPUT)
        return fh.read().decode("utf-8", "replace")


def _launch(spec_path: str) -> None:
    """Inside the launcher process: namespaces, then the command as an unprivileged uid."""
    import signal

    from . import host

    spec = json.loads(Path(spec_path).read_text())
    report_fd = os.open(spec["report"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # before /tmp is hidden
    notes: list[str] = []
    features = host.enter_private_namespaces(notes, tmp_mode="1777", keep=spec["writable"] + spec["readable"])
    root = os.geteuid() == 0 and not features["userns"]
    uid = spec["uid"] if root else os.getuid()
    if root:
        for path in spec["writable"]:
            for dirpath, dirnames, filenames in os.walk(path):
                os.lchown(dirpath, uid, uid)
                for name in dirnames + filenames:
                    os.lchown(os.path.join(dirpath, name), uid, uid)
        if features["mountns"]:
            host.expose_paths(spec["writable"] + spec["readable"] + [p for p in sys.path if os.path.isdir(p)], notes,
                              writable=spec["writable"])
    os.makedirs(spec["env"]["HOME"], exist_ok=True)
    if root:
        os.chown(spec["env"]["HOME"], uid, uid)
    cage = host.ProcessCage(f"cmd-{os.getpid()}", spec["nproc"] + 8)
    host.set_subreaper()
    pid = os.fork()
    if pid == 0:
        try:
            os.setsid()
            os.chdir(spec["cwd"])
            host.set_limits(spec["time_s"], spec["memory_mb"], spec["nproc"], 512, 1024)
            if root:
                host.drop_privileges(uid)
            os.execve(spec["argv"][0] if os.path.isabs(spec["argv"][0]) else _which(spec["argv"][0], spec["env"]),
                      spec["argv"], spec["env"])
        except BaseException as exc:
            print(f"sftset sandbox: could not start {spec['argv'][0]}: {exc}", file=sys.stderr)
            os._exit(127)
    deadline = time.monotonic() + spec["time_s"]
    status, timed_out = None, False
    while status is None:
        got, st = os.waitpid(pid, os.WNOHANG)
        if got == pid:
            status = st
            break
        if time.monotonic() > deadline:
            timed_out = True
            break
        time.sleep(0.05)

    def reap():
        nonlocal status
        try:
            while True:
                got, st = os.waitpid(-1, os.WNOHANG)
                if got <= 0:
                    break
                if got == pid and status is None:
                    status = st
        except ChildProcessError:
            pass

    # Nothing the suite started may outlive it.
    if root:
        host.kill_uid(uid, reap)
    else:
        try:
            os.killpg(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    reap()
    if status is None:
        try:
            status = os.waitpid(pid, 0)[1]
        except ChildProcessError:
            status = 9  # killed and reaped

    cage.remove()
    if root:  # hand the folders back
        for path in spec["writable"]:
            for dirpath, dirnames, filenames in os.walk(path):
                os.lchown(dirpath, 0, 0)
                for name in dirnames + filenames:
                    os.lchown(os.path.join(dirpath, name), 0, 0)
    code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else -os.WTERMSIG(status)
    level = "full" if root and features["netns"] and features["mountns"] else \
        "partial(" + ",".join(k for k, v in features.items() if v) + ")"
    with os.fdopen(report_fd, "w") as fh:
        fh.write(json.dumps({"returncode": code, "timed_out": timed_out, "isolation": level, "notes": notes}))


def _which(name: str, env: dict[str, str]) -> str:
    for d in env.get("PATH", "").split(":"):
        candidate = os.path.join(d, name)
        if os.access(candidate, os.X_OK):
            return candidate
    return name
