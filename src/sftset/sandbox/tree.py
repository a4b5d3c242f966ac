"""The minimal filesystem a sandbox sees, and the namespaces it lives in.

`pivot_into_minimal_root` (called once per worker and once per run_isolated call, in a
private mount namespace where we hold CAP_SYS_ADMIN: as root, or as root of a user
namespace for a plain user) replaces `/` by a fresh tmpfs holding only:

  * read-only binds of the system's executables and libraries (/usr, and /bin, /lib,
    /lib64, /sbin as links or binds), a few harmless /etc files, the interpreter's
    prefixes and the exact import paths or folders the caller names;
  * writable binds of the folders the caller names (a mined project's checkout);
  * /dev with null, zero, full, random, urandom; a private /tmp and /dev/shm (tmpfs,
    size-limited); /proc of the caller's own PID namespace.

The root itself is remounted read-only; the old root is detached, so nothing else of
the host (homes, /run and its sockets, /work, the state store, other targets) exists
in that mount namespace. Read-only binds keep the source mount's nosuid/nodev/noexec
flags: inside a user namespace the kernel refuses to drop them.

`enter_sample_namespaces` is the cheap per-sample part: new IPC, PID and mount
namespaces, a fresh /proc, /tmp and /dev/shm.
"""
from __future__ import annotations

import ctypes
import os
import platform
import resource
import sys

from . import host

CLONE_NEWIPC, CLONE_NEWPID = 0x08000000, 0x20000000
MS_NOEXEC, MS_NOATIME, MS_NODIRATIME, MS_RELATIME = 8, 1024, 2048, 1 << 21
MNT_DETACH = 2
_KEEP_FLAGS = host.MS_NOSUID | host.MS_NODEV | MS_NOEXEC | MS_NOATIME | MS_NODIRATIME | MS_RELATIME
_PIVOT_ROOT = {"x86_64": 155, "aarch64": 41, "ppc64le": 203, "s390x": 217, "riscv64": 41}
SYSTEM_PATHS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
ETC_FILES = ("ld.so.cache", "ld.so.conf", "localtime", "passwd", "group", "nsswitch.conf", "hosts", "mime.types",
             "protocols", "services")
DEV_NODES = ("null", "zero", "full", "random", "urandom")
STAGE = "/tmp"  # where the new root is assembled (shadowed only in our mount namespace)


def pivot_root(new_root: str, put_old: str) -> None:
    nr = _PIVOT_ROOT.get(platform.machine())
    if nr is None:
        raise OSError(38, f"pivot_root: unknown syscall number on {platform.machine()}")
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.syscall(nr, new_root.encode(), put_old.encode()) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"pivot_root: {os.strerror(err)}")


def interpreter_paths() -> list[str]:
    """This interpreter's installation (its standard library), not a virtualenv's packages."""
    paths = {sys.base_prefix, sys.base_exec_prefix, os.path.dirname(os.path.realpath(sys.executable))}
    return sorted(p for p in paths if p and os.path.isdir(p))


def _components_links(path: str) -> list[tuple[str, str]]:
    """Symlinks met while walking `path` from the root: (link, its text)."""
    out, cur = [], "/"
    for part in path.strip("/").split("/"):
        if not part:
            continue
        cur = os.path.join(cur, part)
        if os.path.islink(cur):
            out.append((cur, os.readlink(cur)))
            cur = os.path.realpath(cur)
    return out


def _covered(path: str, by: list[str]) -> bool:
    return any(path == b or path.startswith(b.rstrip("/") + "/") for b in by)


def _entered(readonly: list[str]) -> list[str]:
    """`readonly`, with each folder that other users may not enter (a venv in mktemp -d's 0700 folder,
    say) replaced by its entries: they are bound under a fresh 0755 folder, so a sample or command
    running as another uid can reach what it was meant to read, and nothing else of the host's changes."""
    out = []
    for path in readonly:
        try:
            closed = os.path.isdir(path) and not os.path.islink(path) and (os.stat(path).st_mode & 0o005) != 0o005
            entries = sorted(os.listdir(path)) if closed else []
        except OSError:
            closed, entries = False, []
        out += [os.path.join(path, e) for e in entries] if closed else [path]
    return out


def pivot_into_minimal_root(readonly: list[str], writable: list[str], notes: list[str], *, tmp_mode: str = "0711",
                            tmp_size_mb: int = 1024, mount_proc: bool = True, tmp_writable: bool = True,
                            scratch: str | None = None) -> None:
    """Replace / by a minimal tree (see the module doc). Raises OSError if a mount fails."""
    host.mount("none", "/", None, host.MS_REC | host.MS_PRIVATE)
    os.umask(0o022)
    links: dict[str, str] = {}
    binds: dict[str, bool] = {}  # real path -> writable
    wanted = [(p, False) for p in list(SYSTEM_PATHS) + [f"/etc/{f}" for f in ETC_FILES] + _entered(readonly)]
    wanted += [(p, True) for p in writable]
    for path, rw in wanted:
        path = os.path.abspath(path)
        if not os.path.lexists(path):
            continue
        for link, text in _components_links(path):
            links.setdefault(link, text)
        real = os.path.realpath(path)
        if os.path.exists(real):
            binds[real] = binds.get(real, False) or rw
    # A read-only folder inside a writable one is bound again on top (read-only);
    # a path already inside a bound folder needs no bind of its own unless its mode differs.
    order = sorted(binds, key=lambda p: (p.count("/"), p))
    plan: list[tuple[str, bool]] = []
    for path in order:
        parents = [q for q, _ in plan if _covered(path, [q])]
        if parents and binds[max(parents, key=len)] == binds[path]:
            continue
        plan.append((path, binds[path]))
    held = {path: os.open(path, os.O_PATH) for path, _ in plan}
    devs = {name: os.open(f"/dev/{name}", os.O_PATH) for name in DEV_NODES if os.path.exists(f"/dev/{name}")}
    try:
        host.mount("sftset-root", STAGE, "tmpfs", host.MS_NOSUID | host.MS_NODEV, "size=4m,mode=0755")
        root = STAGE
        dev = root + "/dev"
        os.makedirs(dev, exist_ok=True)
        host.mount("sftset-dev", dev, "tmpfs", host.MS_NOSUID | MS_NOEXEC, "size=64k,mode=0755")
        for name, fd in devs.items():
            os.close(os.open(f"{dev}/{name}", os.O_WRONLY | os.O_CREAT, 0o666))
            host.mount(f"/proc/self/fd/{fd}", f"{dev}/{name}", None, host.MS_BIND)
        for name, target in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"), ("stdout", "/proc/self/fd/1"),
                             ("stderr", "/proc/self/fd/2")):
            os.symlink(target, f"{dev}/{name}")
        os.mkdir(f"{dev}/shm")
        host.mount("sftset-shm", f"{dev}/shm", "tmpfs", host.MS_NOSUID | host.MS_NODEV,
                   f"size={tmp_size_mb}m,mode=1777")
        os.makedirs(root + "/tmp", exist_ok=True)
        host.mount("sftset-tmp", root + "/tmp", "tmpfs", host.MS_NOSUID | host.MS_NODEV,
                   f"size={tmp_size_mb}m,mode={tmp_mode}")
        os.makedirs(root + "/proc", exist_ok=True)
        if mount_proc:
            host.mount("proc", root + "/proc", "proc", host.MS_NOSUID | host.MS_NODEV | MS_NOEXEC)
        if scratch:
            # Writable only with CAP_DAC_OVERRIDE (mode 0111): the worker makes a folder per
            # sample here and hands it over; a sample can neither list nor write the rest.
            os.makedirs(root + scratch, exist_ok=True)
            host.mount("sftset-scratch", root + scratch, "tmpfs", host.MS_NOSUID | host.MS_NODEV,
                       f"size={tmp_size_mb}m,mode=0111")
        for path, rw in plan:
            dest = root + path
            src = f"/proc/self/fd/{held[path]}"
            if os.path.isdir(src):
                os.makedirs(dest, exist_ok=True)
            else:
                os.makedirs(os.path.dirname(dest), exist_ok=True)
                if not os.path.exists(dest):
                    os.close(os.open(dest, os.O_WRONLY | os.O_CREAT, 0o644))
            host.mount(src, dest, None, host.MS_BIND | host.MS_REC)
            if not rw:
                _remount_readonly(dest)
        for link, text in sorted(links.items()):
            dest = root + link
            if not os.path.lexists(dest):
                os.makedirs(os.path.dirname(dest), exist_ok=True)
                os.symlink(text, dest)
    finally:
        for fd in list(held.values()) + list(devs.values()):
            os.close(fd)
    os.chdir(root)
    pivot_root(".", ".")  # the old root now sits on top of the new one at "/"
    host.umount2(".", MNT_DETACH)
    os.chdir("/")
    _remount_readonly("/", bind=False)
    _remount_readonly("/dev", bind=False)
    if not tmp_writable:
        _remount_readonly("/tmp", bind=False)


def _remount_readonly(path: str, bind: bool = True) -> None:
    keep = os.statvfs(path).f_flag & _KEEP_FLAGS
    host.mount("none", path, None, host.MS_REMOUNT | host.MS_RDONLY | keep | (host.MS_BIND if bind else 0))


def remount_fresh(path: str, fstype: str, options: str | None, flags: int = 0) -> None:
    host.mount(fstype, path, fstype, flags or (host.MS_NOSUID | host.MS_NODEV), options)


class SampleForker:
    """fork() whose child is PID 1 of a new PID namespace, at the cost of one fork.

    unshare(CLONE_NEWPID) changes only where our *next* child is born; right after the
    fork we return to our own namespace with setns, so the checker and helpers we fork
    later stay beside us. (Forking twice, once to unshare and once to enter, costs a
    second copy of the warm interpreter's page tables per sample.)
    """

    def __init__(self):
        self._own = os.open("/proc/self/ns/pid", os.O_RDONLY | os.O_CLOEXEC)
        libc = ctypes.CDLL(None, use_errno=True)
        self._setns = libc.setns
        self._setns.argtypes = [ctypes.c_int, ctypes.c_int]

    def fork(self) -> int:
        host.unshare(CLONE_NEWPID)
        pid = os.fork()
        if pid:
            if self._setns(self._own, CLONE_NEWPID) != 0:
                err = ctypes.get_errno()
                raise OSError(err, f"setns back to our PID namespace: {os.strerror(err)}")
        else:
            os.close(self._own)
        return pid


def enter_sample_namespaces(shm_size_mb: int) -> None:
    """In a sample forked by SampleForker (PID 1 of its own PID namespace): new IPC and
    mount namespaces, a fresh /proc and an empty /dev/shm (POSIX shared memory lives
    there, not in the IPC namespace). All of it is gone when the sample's PID 1 ends."""
    host.unshare(CLONE_NEWIPC | host.CLONE_NEWNS)
    host.mount("proc", "/proc", "proc", host.MS_NOSUID | host.MS_NODEV | MS_NOEXEC)
    host.mount("sftset-shm", "/dev/shm", "tmpfs", host.MS_NOSUID | host.MS_NODEV, f"size={shm_size_mb}m,mode=1777")


def _mirror_exit(pid: int, keep: list[int] = (), after=None) -> None:
    """Wait for `pid` and end the same way (exit code or signal); never returns."""
    import signal

    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    low = 0
    for fd in sorted(keep) + [1 << 16]:  # hold nothing of the child's: its pipes must close when it ends
        if fd > low:
            os.closerange(low, fd)
        low = max(low, fd + 1)
    while True:
        try:
            _, status = os.waitpid(pid, 0)
            break
        except InterruptedError:
            continue
        except ChildProcessError:
            os._exit(70)
    if after is not None:
        try:
            after()
        except Exception:
            pass
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        try:
            signal.signal(sig, signal.SIG_DFL)
        except (OSError, ValueError, RuntimeError):
            pass
        signal.pthread_sigmask(signal.SIG_UNBLOCK, [sig])
        os.kill(os.getpid(), sig)
        os.kill(os.getpid(), signal.SIGKILL)
    os._exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else 70)


def enter_private_tree(notes: list[str], *, readonly: list[str], writable: list[str] = (), tmp_mode: str = "0711",
                       tmp_size_mb: int = 1024, loopback: bool = False, cgroup=None,
                       on_exit=None, scratch: str | None = None) -> dict[str, bool]:
    """Give this process its own user (plain user only), mount, network, IPC and PID
    namespaces and the minimal tree. Forks once: the caller continues as PID 1 of the new
    PID namespace (the original process waits, removes `cgroup`, calls `on_exit`, and
    ends as the child ends).

    Returns which parts are in force; what the host refused is added to `notes`.
    """
    features = {"userns": False, "netns": False, "mountns": False, "ipcns": False, "pidns": False, "tree": False}
    base = host.CLONE_NEWNS | host.CLONE_NEWNET | CLONE_NEWIPC
    uid, gid = os.geteuid(), os.getegid()
    if uid != 0:
        base |= host.CLONE_NEWUSER
    try:
        host.unshare(base | CLONE_NEWPID)
    except OSError as exc:
        notes.append(f"namespaces refused by the host ({exc.strerror}): no private tree, network or PID namespace")
        return features
    if uid != 0:
        with open("/proc/self/setgroups", "w") as fh:
            fh.write("deny")
        with open("/proc/self/uid_map", "w") as fh:
            fh.write(f"0 {uid} 1")
        with open("/proc/self/gid_map", "w") as fh:
            fh.write(f"0 {gid} 1")
        features["userns"] = True
    features.update(netns=True, mountns=True, ipcns=True, pidns=True)
    keep = cgroup.fds() if cgroup is not None else []
    pid = os.fork()
    if pid:
        def after():
            if cgroup is not None:
                cgroup.remove()
            if on_exit is not None:
                on_exit()

        _mirror_exit(pid, keep=keep, after=after)
    host.die_with_parent()
    if cgroup is not None:
        cgroup.add(0)
    if loopback:
        try:
            host.loopback_up()
        except OSError as exc:
            notes.append(f"loopback could not be brought up ({exc.strerror})")
    try:
        pivot_into_minimal_root(readonly, list(writable), notes, tmp_mode=tmp_mode, tmp_size_mb=tmp_size_mb,
                                tmp_writable=scratch is None, scratch=scratch)
        features["tree"] = True
    except OSError as exc:
        notes.append(f"minimal tree refused by the host ({exc}): the host's files stay visible")
    return features
