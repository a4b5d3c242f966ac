"""Linux isolation primitives: namespaces, mounts, privileges, resource limits, cgroups.

Used by the worker (sftset.sandbox.worker) before and around each sample. Everything
that the host may refuse is probed, and what was refused is reported, never hidden.
Only the standard library is imported.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import errno
import os
import resource
import signal

CLONE_NEWNS = 0x00020000
CLONE_NEWUSER = 0x10000000
CLONE_NEWNET = 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 1, 2, 4, 32, 4096, 16384, 1 << 18
PR_SET_PDEATHSIG, PR_SET_CHILD_SUBREAPER, PR_SET_NO_NEW_PRIVS, PR_GET_NO_NEW_PRIVS = 1, 36, 38, 39

_libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
_libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p]
_libc.prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]

# World-writable places a sample could otherwise write to; each gets a private tmpfs.
SHADOWED_DIRS = ("/tmp", "/var/tmp", "/dev/shm", "/run/lock", "/dev/mqueue")


def _check(ret: int, what: str) -> None:
    if ret != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def unshare(flags: int) -> None:
    _check(_libc.unshare(flags), "unshare")


def mount(source: str, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    _check(
        _libc.mount(source.encode(), target.encode(), fstype.encode() if fstype else None, flags,
                    data.encode() if data else None),
        f"mount {target}",
    )


def umount2(target: str, flags: int) -> None:
    _check(_libc.umount2(target.encode(), flags), f"umount {target}")


def prctl(option: int, arg: int = 0) -> int:
    ret = _libc.prctl(option, arg, 0, 0, 0)
    if ret < 0:
        err = ctypes.get_errno()
        raise OSError(err, f"prctl({option}): {os.strerror(err)}")
    return ret


def set_subreaper() -> None:
    prctl(PR_SET_CHILD_SUBREAPER, 1)


def die_with_parent() -> None:
    prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


# ---- namespaces -----------------------------------------------------------------------
def enter_private_namespaces(notes: list[str], tmp_mode: str = "0711", keep: list[str] = ()) -> dict[str, bool]:
    """Give this process (a worker) its own network and mount namespace.

    As root: plain unshare. Otherwise: a user namespace first (maps us to root inside).
    The new network namespace has only a loopback device, left down: no route anywhere.
    """
    features = {"netns": False, "mountns": False, "userns": False}
    flags = CLONE_NEWNET | CLONE_NEWNS
    try:
        if os.geteuid() != 0:
            uid, gid = os.geteuid(), os.getegid()
            unshare(CLONE_NEWUSER | flags)
            with open("/proc/self/setgroups", "w") as fh:
                fh.write("deny")
            with open("/proc/self/uid_map", "w") as fh:
                fh.write(f"0 {uid} 1")
            with open("/proc/self/gid_map", "w") as fh:
                fh.write(f"0 {gid} 1")
            features["userns"] = True
        else:
            unshare(flags)
        features["netns"] = features["mountns"] = True
    except OSError as exc:
        notes.append(f"network/mount namespaces refused by the host ({exc.strerror}); samples keep the host network")
        try:
            unshare(CLONE_NEWNS)
            features["mountns"] = True
        except OSError:
            pass
    if features["mountns"]:
        try:
            mount("none", "/", None, MS_REC | MS_PRIVATE)
            # Folders we must still see below a shadowed one (a workdir in /tmp): hold
            # them open, and bind them back onto the fresh tmpfs afterwards.
            shadowed = sorted({p for p in keep if any(p == d or p.startswith(d + "/") for d in SHADOWED_DIRS)
                               and os.path.exists(p)}, key=len)
            outermost = [p for i, p in enumerate(shadowed)
                         if not any(p.startswith(q.rstrip("/") + "/") for q in shadowed[:i])]
            held = {p: os.open(p, os.O_PATH) for p in outermost}
            for path in SHADOWED_DIRS:
                if os.path.isdir(path) and not os.path.islink(path):
                    # 0711: a sample reaches its own scratch folder below and writes nothing
                    # else; 1777 for a whole test suite, whose /tmp is thrown away with it
                    mount("sftset-sandbox", path, "tmpfs", MS_NOSUID | MS_NODEV, f"size=1g,mode={tmp_mode}")
            for path, fd in held.items():
                if os.path.isdir(f"/proc/self/fd/{fd}"):
                    os.makedirs(path, exist_ok=True)
                elif not os.path.lexists(path):
                    os.makedirs(os.path.dirname(path), exist_ok=True)
                    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW, 0o600))
                mount(f"/proc/self/fd/{fd}", path, None, MS_BIND | MS_REC)
                os.close(fd)
        except OSError as exc:
            notes.append(f"private /tmp refused by the host ({exc.strerror})")
            features["mountns"] = False
    return features


def expose_paths(paths: list[str], notes: list[str], writable: list[str] = ()) -> None:
    """Let a dropped uid reach `paths` (e.g. the interpreter and its import path), and
    nothing else of a private home. Call inside a private mount namespace.

    A Python under a 0700 home (e.g. /root/.pyenv) is unreachable for an unprivileged
    uid. The closed folder is covered with an empty tmpfs (0711) and only the needed
    children are bind-mounted back, read-only; the rest of that home (keys, histories)
    disappears from view.
    """
    closed: dict[str, set[str]] = {}
    for entry in paths:
        parts = os.path.abspath(entry).split(os.sep)
        for i in range(2, len(parts)):
            folder = os.sep.join(parts[:i])
            if any(folder == w or folder.startswith(w.rstrip("/") + "/") for w in writable):
                break  # handed to the sandbox uid already
            if not os.stat(folder).st_mode & 0o001:
                closed.setdefault(folder, set()).add(parts[i])
                break
    for n, (folder, children) in enumerate(sorted(closed.items())):
        stage = f"/tmp/.sftset-stage-{n}"
        try:
            for child in children:
                os.makedirs(os.path.join(stage, child))
                mount(os.path.join(folder, child), os.path.join(stage, child), None, MS_BIND | MS_REC)
            mount("sftset-sandbox", folder, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,mode=0711")
            for child in children:
                target = os.path.join(folder, child)
                os.mkdir(target)
                mount(os.path.join(stage, child), target, None, MS_BIND | MS_REC)
                if not any(w == target or w.startswith(target + "/") for w in writable):
                    mount("none", target, None, MS_BIND | MS_REMOUNT | MS_RDONLY)
        except OSError as exc:
            notes.append(f"could not expose {folder} to samples ({exc.strerror})")


# ---- privileges and limits ---------------------------------------------------------------
def drop_privileges(uid: int) -> None:
    """Become an unprivileged uid with no supplementary groups and no capabilities."""
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)  # leaving uid 0 clears all capability sets
    prctl(PR_SET_NO_NEW_PRIVS, 1)


def set_limits(time_s: float, memory_mb: int, nproc: int, fsize_mb: int, nofile: int) -> None:
    cpu = int(time_s) + 1
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    mem = int(memory_mb) << 20
    resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
    resource.setrlimit(resource.RLIMIT_NPROC, (nproc, nproc))
    resource.setrlimit(resource.RLIMIT_FSIZE, (fsize_mb << 20, fsize_mb << 20))
    resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


CAP_SETPCAP, SECBIT_NOROOT_ALL = 8, 0x3 | 0xC | 0x30  # NOROOT, NO_SETUID_FIXUP, KEEP_CAPS locked
PR_CAPBSET_DROP, PR_SET_SECUREBITS, PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL = 24, 28, 47, 4


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]


def drop_all_capabilities() -> None:
    """Keep our uid (root of a user namespace, for a plain user) but lose every capability,
    for good: the bounding set is emptied and root's execve no longer grants any."""
    with open("/proc/sys/kernel/cap_last_cap") as fh:
        last = int(fh.read())
    for cap in range(last + 1):
        try:
            prctl(PR_CAPBSET_DROP, cap)
        except OSError:
            pass
    try:
        prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL)
    except OSError:
        pass
    try:
        prctl(PR_SET_SECUREBITS, 0x1 | 0x2 | 0x4 | 0x8)  # NOROOT and NO_SETUID_FIXUP, both locked
    except OSError:
        pass
    header = _CapHeader(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3
    data = (_CapData * 2)()
    _check(_libc.capset(ctypes.byref(header), data), "capset")
    prctl(PR_SET_NO_NEW_PRIVS, 1)


def loopback_up() -> None:
    """Bring `lo` up in our (new, empty) network namespace: 127.0.0.1 then reaches only
    servers started in the same namespace."""
    import fcntl
    import socket
    import struct

    SIOCGIFFLAGS, SIOCSIFFLAGS, IFF_UP = 0x8913, 0x8914, 0x1
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        ifreq = struct.pack("16sH14s", b"lo", 0, b"")
        flags = struct.unpack("16sH14s", fcntl.ioctl(s.fileno(), SIOCGIFFLAGS, ifreq))[1]
        fcntl.ioctl(s.fileno(), SIOCSIFFLAGS, struct.pack("16sH14s", b"lo", flags | IFF_UP, b""))


def capabilities_effective() -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("CapEff:"):
                return int(line.split()[1], 16)
    return -1


# ---- cgroups ---------------------------------------------------------------------------
class ProcessCage:
    """A pids cgroup per worker slot, holding the worker and everything it forks.

    The worker moves itself in once (moving a process between cgroups costs
    milliseconds; being born in one costs nothing), so pids.max bounds a fork bomb
    and `strays()` lists what a job left behind. Killing is by uid (see kill_uid),
    which the kernel does atomically with respect to fork.
    """

    def __init__(self, name: str, pids_max: int):
        self.kind = "none"
        self.dir: str | None = None
        try:
            if os.path.isdir("/sys/fs/cgroup/pids") and os.access("/sys/fs/cgroup/pids", os.W_OK):
                self.dir = _make_cgroup("/sys/fs/cgroup/pids", name)
                self.kind = "v1"
            elif os.path.exists("/sys/fs/cgroup/cgroup.controllers"):
                self.dir = _make_cgroup(os.path.dirname("/sys/fs/cgroup" + _own_v2_path()), name)
                self.kind = "v2"
            if self.dir:
                _write(os.path.join(self.dir, "pids.max"), str(pids_max))
                _write(os.path.join(self.dir, "cgroup.procs"), str(os.getpid()))
        except OSError:
            self.kind, self.dir = "none", None

    def strays(self, known: set[int]) -> list[int]:
        if not self.dir:
            return []
        try:
            with open(os.path.join(self.dir, "cgroup.procs")) as fh:
                return [pid for pid in map(int, fh.read().split()) if pid not in known]
        except OSError:
            return []

    def remove(self) -> None:
        if self.dir:
            parent = os.path.dirname(os.path.dirname(self.dir))
            try:  # leave the cage so that it can be removed
                _write(os.path.join(parent, "cgroup.procs"), str(os.getpid()))
                os.rmdir(self.dir)
            except OSError:
                pass


def _own_v2_path() -> str:
    with open("/proc/self/cgroup") as fh:
        for line in fh:
            if line.startswith("0::"):
                return line.strip()[3:]
    return "/"


def _make_cgroup(root: str, name: str) -> str:
    path = os.path.join(root, "sftset", name)
    os.makedirs(path, exist_ok=True)
    return path


def _write(path: str, value: str) -> None:
    with open(path, "w") as fh:
        fh.write(value)


def kill_uid(uid: int, reap) -> None:
    """Kill every process of `uid`: a helper process becomes that uid and kill(-1)s.

    kill(-1) walks the task list under the lock that fork takes, so a fork bomb
    cannot outrun it.
    """
    for _ in range(2):
        pid = os.fork()
        if pid == 0:
            try:
                os.setresgid(uid, uid, uid)
                os.setresuid(uid, uid, uid)
                for _ in range(5):
                    try:
                        os.kill(-1, signal.SIGKILL)  # every process of this uid but the caller
                    except OSError as exc:
                        if exc.errno == errno.ESRCH:
                            break
            finally:
                os._exit(0)
        os.waitpid(pid, 0)
        reap()
