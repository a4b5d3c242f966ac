"""Run one untrusted command (a mined project's test suite) in isolation.

    res = run_isolated([venv_python, "-m", "pytest", "-q"], cwd=workdir, time_s=600, memory_mb=4096)

The command runs in its own user (plain user only), network (loopback up, no route
anywhere else), IPC, PID and mount namespaces, in a minimal read-only tree (sftset.
sandbox.tree) holding the system's /usr, its interpreter and venv, `readable` folders,
and `writable` ones (cwd by default) writable; /tmp and /dev/shm are private tmpfs of
`tmp_mb`. As root it runs as a fresh uid (the writable folders are handed to it and
back). A memory/CPU/pids cgroup covers its whole process tree and a seccomp filter
refuses new namespaces, mounts and the like. When the command ends, or at the
deadline (SIGTERM, then SIGKILL STALL_GRACE_S later), everything it started dies with its PID namespace. With `stall_s` a command
whose processes stop using CPU (waiting forever) is ended early (sandbox.stall); one whose
writable folders grow past `disk_mb` is ended too (sandbox.disk).
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
STALL_GRACE_S = 15  # after SIGTERM to a stalled or timed-out command, before SIGKILL
DEFAULT_DISK_MB = 4096  # what a command may hold in its writable folders (0: unbounded)


@dataclass
class CommandResult:
    returncode: int
    stdout: str
    stderr: str
    timed_out: bool
    isolation: str
    duration_s: float
    notes: list[str]
    stalled: bool = False  # ended early: no progress for stall_s (see sandbox.stall)
    disk_exceeded: bool = False  # ended early: its writable folders held more than disk_mb (sandbox.disk)


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
    tmp_mb: int = 1024,
    fsize_mb: int = 512,
    stall_s: float = 0,
    disk_mb: int = DEFAULT_DISK_MB,
) -> CommandResult:
    """stall_s > 0: end the command (SIGTERM, then SIGKILL after STALL_GRACE_S) once its process tree
    used under 1% CPU for stall_s seconds (sandbox.stall); the result then says `stalled`.
    disk_mb > 0: kill it once its writable folders hold more than that (`disk_exceeded`)."""
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
            "report": os.path.join(tmp, "report.json"), "tmp_mb": tmp_mb, "fsize_mb": fsize_mb,
            "stall_s": stall_s, "disk_mb": disk_mb,
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
            stalled=report.get("stalled", False), disk_exceeded=report.get("disk_exceeded", False),
        )


def _tail(path: str) -> str:
    size = os.path.getsize(path)
    with open(path, "rb") as fh:
        if size > KEEP_OUTPUT:
            fh.seek(size - KEEP_OUTPUT)
        return fh.read().decode("utf-8", "replace")


def _launch(spec_path: str) -> None:
    """Inside the launcher process: namespaces and the minimal tree, then the command.

    The launcher forks once into new namespaces (see tree.enter_private_tree); the child,
    PID 1 there, starts the command and waits for it. When the command ends (or its time
    is up) PID 1 exits, and the kernel kills everything else in the PID namespace before
    that exit completes: daemons die and every pipe they held is closed.
    """
    import resource
    import signal

    from . import cgroups, disk, host, seccomp, stall, tree

    spec = json.loads(Path(spec_path).read_text())
    report_fd = os.open(spec["report"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # before / is replaced
    notes: list[str] = []
    root = os.geteuid() == 0
    uid = spec["uid"] if root else 0  # a plain user is root of its own user namespace, with no capabilities
    if root:
        for path in spec["writable"]:
            _chown_tree(path, uid)
    cage = cgroups.Cgroup(f"cmd-{os.getpid()}-{secrets.token_hex(3)}", pids_max=spec["nproc"] + 8,
                          memory_mb=spec["memory_mb"])
    try:
        bpf = seccomp.compile_filter()
    except OSError as exc:
        bpf = None
        notes.append(f"no syscall filter: libseccomp unusable ({exc})")
    readable = spec["readable"] + _interpreter_of(spec["argv"][0])
    features = tree.enter_private_tree(notes, readonly=readable, writable=spec["writable"], tmp_mode="1777",
                                       tmp_size_mb=spec["tmp_mb"], loopback=True, cgroup=cage,
                                       on_exit=(lambda: [_chown_tree(p, 0) for p in spec["writable"]]) if root else None)
    # -- from here on we are PID 1 of the command's PID namespace, in the minimal tree --
    os.makedirs(spec["env"]["HOME"], exist_ok=True)
    if root:
        os.chown(spec["env"]["HOME"], uid, uid)
    host.set_subreaper()
    pid = os.fork()
    if pid == 0:
        try:
            os.setsid()
            os.chdir(spec["cwd"])
            host.set_limits(spec["time_s"], spec["memory_mb"], spec["nproc"], spec["fsize_mb"], 1024)
            if root:
                host.drop_privileges(uid)
            elif features["userns"]:
                host.drop_all_capabilities()
            if bpf is not None:
                seccomp.load(bpf)
            os.execve(spec["argv"][0] if os.path.isabs(spec["argv"][0]) else _which(spec["argv"][0], spec["env"]),
                      spec["argv"], spec["env"])
        except BaseException as exc:
            print(f"sftset sandbox: could not start {spec['argv'][0]}: {exc}", file=sys.stderr)
            os._exit(127)
    deadline = time.monotonic() + spec["time_s"]
    status, timed_out, ending_at = None, False, None
    watch = stall.StallWatch(spec["stall_s"]) if spec.get("stall_s", 0) > 0 else None
    sample_every, next_sample, stalled_at = min(1.0, spec.get("stall_s", 0) / 10), 0.0, None
    space = disk.DiskWatch(spec["writable"], spec["disk_mb"]) if spec.get("disk_mb", 0) > 0 else None
    disk_exceeded = False
    while status is None:
        try:
            got, st = os.waitpid(-1, os.WNOHANG)  # orphans of the command are ours to reap
        except ChildProcessError:
            break
        if got == pid:
            status = st
            break
        if got:
            continue
        now = time.monotonic()
        if watch is not None and stalled_at is None and now >= next_sample:
            next_sample = now + sample_every
            if watch.stalled(now, stall.tree_cpu_s()):
                stalled_at = now  # SIGTERM first: the tracer writes what it recorded (tracer.flush_on_term)
                os.kill(pid, signal.SIGTERM)
        if space is not None and space.over(now):
            disk_exceeded = True
            notes.append(f"its writable folders held {space.used >> 20} MB, over {spec['disk_mb']} MB; killed")
            os.kill(pid, signal.SIGKILL)
            status = os.waitpid(pid, 0)[1]
            break
        if now > deadline and not timed_out and stalled_at is None:
            # SIGTERM first here too: a traced suite writes what it recorded before the limit (tracer.flush_on_term)
            timed_out, ending_at = True, now
            os.kill(pid, signal.SIGTERM)
        ending = stalled_at if stalled_at is not None else ending_at
        if ending is not None and now > ending + STALL_GRACE_S:
            os.kill(pid, signal.SIGKILL)
            status = os.waitpid(pid, 0)[1]
            break
        time.sleep(0.02)
    code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else -os.WTERMSIG(status)
    missing = [name for name in ("netns", "mountns", "pidns", "ipcns", "tree") if not features.get(name)]
    if not root:
        missing.append("unprivileged")
    if bpf is None:
        missing.append("seccomp")
    missing += [f"{c}_cgroup" for c in cage.missing]
    level = "full" if not missing else "partial(no " + ",".join(missing) + ")"
    with os.fdopen(report_fd, "w") as fh:
        fh.write(json.dumps({"returncode": code, "timed_out": timed_out, "isolation": level, "notes": notes,
                            "stalled": stalled_at is not None, "disk_exceeded": disk_exceeded}))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    os._exit(0)  # the kernel now kills what is left in our PID namespace; our parent hands the folders back


def _interpreter_of(exe: str) -> list[str]:
    """A venv's python needs its venv (pyvenv.cfg, site-packages) and its base installation."""
    if not os.path.isabs(exe):
        return []
    out = [exe, os.path.realpath(exe)]
    venv = os.path.dirname(os.path.dirname(exe))
    if os.path.exists(os.path.join(venv, "pyvenv.cfg")):
        out.append(venv)
    real_prefix = os.path.dirname(os.path.dirname(os.path.realpath(exe)))
    if os.path.isdir(os.path.join(real_prefix, "lib")) and real_prefix not in ("/", "/usr"):
        out.append(real_prefix)
    return out


def _chown_tree(path: str, uid: int) -> None:
    for dirpath, dirnames, filenames in os.walk(path):
        os.lchown(dirpath, uid, uid)
        for name in dirnames + filenames:
            os.lchown(os.path.join(dirpath, name), uid, uid)


def _which(name: str, env: dict[str, str]) -> str:
    for d in env.get("PATH", "").split(":"):
        candidate = os.path.join(d, name)
        if os.access(candidate, os.X_OK):
            return candidate
    return name
