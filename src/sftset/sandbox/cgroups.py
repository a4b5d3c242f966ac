"""Control groups for a worker slot or a run_isolated call: memory, CPU share, process count.

cgroup v2 (one tree with the memory, cpu and pids controllers enabled for us) is
preferred; otherwise the v1 hierarchies that are mounted and writable (memory, cpu,
pids, each under our own path in that hierarchy, read from /proc/self/cgroup).
The memory limit covers the whole process tree and every page it charges: anonymous
memory, page cache, tmpfs and /dev/shm files, SysV shm and memfds. The CPU share is
the kernel's default weight per group, so 30 spinning children of one sample get one
slot's share, not 30.

Every directory is held open (O_PATH-free dir fds), so the group can be managed after
the process has pivoted into a tree without /sys. What could not be set up is listed
in `missing`, never hidden.
"""
from __future__ import annotations

import os
import time

ROOT = "/sys/fs/cgroup"
CONTROLLERS = ("memory", "cpu", "pids")


def _own_paths() -> dict[str, str]:
    """hierarchy -> our path in it, from /proc/self/cgroup ('' key for v2)."""
    out = {}
    with open("/proc/self/cgroup") as fh:
        for line in fh:
            _, names, path = line.rstrip("\n").split(":", 2)
            for name in names.split(",") if names else [""]:
                out[name] = path
    return out


def _v2_root() -> str | None:
    for cand in (ROOT, ROOT + "/unified"):
        if os.path.exists(cand + "/cgroup.controllers"):
            return cand
    return None


class Cgroup:
    """One group per controller (v1) or one v2 group; the creating process is not moved in."""

    def __init__(self, name: str, *, pids_max: int, memory_mb: int | None = None):
        self.kind, self.missing = "none", []
        self._dirs: dict[str, int] = {}  # controller (or "v2") -> dir fd
        self._parents: dict[str, int] = {}
        self._name = name
        self.memory_mb = None
        try:
            own = _own_paths()
        except OSError:
            own = {}
        v2 = _v2_root()
        if v2 is not None:
            self._try_v2(v2, own.get("", "/"))
        if self.kind == "none":
            self._try_v1(own)
        if self.kind == "none":
            self.missing = list(CONTROLLERS)
        if "pids" not in self.missing:
            self._set("pids", "pids.max", str(pids_max))
        if memory_mb is not None:
            self.set_memory(memory_mb)

    # ---- setup ---------------------------------------------------------------------------
    def _try_v2(self, root: str, own: str) -> None:
        base = os.path.join(root + own.rstrip("/"), "sftset")
        try:
            avail = set(open(os.path.join(root + own.rstrip("/"), "cgroup.controllers")).read().split())
            wanted = [c for c in CONTROLLERS if c in avail]
            if not wanted:
                return
            os.makedirs(base, exist_ok=True)
            # A v2 group with processes cannot delegate controllers, so the slots sit in a
            # group of their own; give it the CPU weight of one process per core, what
            # the pool's workers (one per core) would weigh as plain processes.
            with open(os.path.join(base, "cgroup.subtree_control"), "w") as fh:
                fh.write(" ".join("+" + c for c in wanted))
            if "cpu" in wanted:
                try:
                    with open(os.path.join(base, "cpu.weight"), "w") as fh:
                        fh.write(str(min(10000, 100 * (os.cpu_count() or 1))))
                except OSError:
                    pass
            path = os.path.join(base, self._name)
            os.makedirs(path, exist_ok=True)
        except OSError:
            return
        self.kind = "v2"
        self._dirs["v2"] = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
        self._parents["v2"] = os.open(base, os.O_RDONLY | os.O_DIRECTORY)
        self.missing = [c for c in CONTROLLERS if c not in wanted]

    def _try_v1(self, own: dict[str, str]) -> None:
        for ctrl in CONTROLLERS:
            mount = os.path.join(ROOT, ctrl)
            # A hierarchy mounted at our own group (a cgroup namespace) shows our path as /.
            rel = own.get(ctrl, "/")
            candidates = [mount + rel.rstrip("/"), mount]
            base = next((c for c in candidates if os.path.isdir(c) and os.access(c, os.W_OK)), None)
            if base is None or not os.path.exists(os.path.join(base, "cgroup.procs")):
                self.missing.append(ctrl)
                continue
            try:
                # Flat, right beside our own processes: a slot then weighs as much as one
                # process for the CPU scheduler (below a shared parent group, all slots
                # together would weigh as one, and lose to every busy neighbour process).
                path = os.path.join(base, f"sftset-{self._name}")
                os.makedirs(path, exist_ok=True)
                self._dirs[ctrl] = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
                self._parents[ctrl] = os.open(base, os.O_RDONLY | os.O_DIRECTORY)
            except OSError:
                self.missing.append(ctrl)
        if self._dirs:
            self.kind = "v1"

    def _fd(self, ctrl: str) -> int | None:
        return self._dirs.get("v2" if self.kind == "v2" else ctrl)

    def _set(self, ctrl: str, filename: str, value: str) -> bool:
        fd = self._fd(ctrl)
        if fd is None:
            return False
        try:
            _write_at(fd, filename, value)
            return True
        except OSError:
            if ctrl not in self.missing:
                self.missing.append(ctrl)
            return False

    # ---- use -------------------------------------------------------------------------------
    def add(self, pid: int = 0) -> None:
        """Move `pid` (0: the caller) into every group."""
        for key, fd in self._dirs.items():
            try:
                _write_at(fd, "cgroup.procs", str(pid))
            except OSError:
                name = key if key != "v2" else "cgroup"
                if name not in self.missing:
                    self.missing.append(name)

    def set_memory(self, memory_mb: int) -> None:
        """Limit the whole group, swap included, to `memory_mb`."""
        if memory_mb == self.memory_mb or "memory" in self.missing:
            return
        limit = str(int(memory_mb) << 20)
        if self.kind == "v2":
            ok = self._set_optional("memory", "memory.max", limit)
            self._set_optional("memory", "memory.swap.max", "0")
        else:
            # memsw (memory + swap) must stay >= the memory limit: which goes first
            # depends on whether the limit grows or shrinks.
            ok = self._set_optional("memory", "memory.limit_in_bytes", limit)
            self._set_optional("memory", "memory.memsw.limit_in_bytes", limit)
            ok = ok or self._set_optional("memory", "memory.limit_in_bytes", limit)
        if ok:
            self.memory_mb = memory_mb
        elif self.memory_mb is None and "memory" not in self.missing:
            self.missing.append("memory")  # never set: no memory limit at all
        # else the group keeps its previous limit (shrinking below what is in use fails)

    def _set_optional(self, ctrl: str, filename: str, value: str) -> bool:
        fd = self._fd(ctrl)
        try:
            _write_at(fd, filename, value)
            return True
        except (OSError, TypeError):
            return False

    def pids(self) -> list[int]:
        """Processes in the group, as numbered in the caller's PID namespace."""
        fd = self._fd("pids") if "pids" not in self.missing else None
        fd = fd if fd is not None else next(iter(self._dirs.values()), None)
        if fd is None:
            return []
        try:
            return [int(p) for p in _read_at(fd, "cgroup.procs").split() if int(p) > 0]
        except OSError:
            return []

    def memory_bytes(self) -> int | None:
        fd = self._fd("memory")
        if fd is None or "memory" in self.missing:
            return None
        try:
            name = "memory.current" if self.kind == "v2" else "memory.usage_in_bytes"
            return int(_read_at(fd, name))
        except (OSError, ValueError):
            return None

    def oom_kills(self) -> int | None:
        """How many processes the group's memory limit has killed so far (None: not known)."""
        fd = self._fd("memory")
        if fd is None or "memory" in self.missing:
            return None
        try:
            text = _read_at(fd, "memory.events" if self.kind == "v2" else "memory.oom_control")
        except OSError:
            return None
        for line in text.splitlines():
            name, _, value = line.partition(" ")
            if name == "oom_kill":
                return int(value)
        return None

    def strays(self, known: set[int]) -> list[int]:
        return [pid for pid in self.pids() if pid not in known]

    def fds(self) -> list[int]:
        return list(self._dirs.values()) + list(self._parents.values())

    def remove(self, wait_s: float = 2.0) -> None:
        """Remove the groups (they must be empty: the caller left or killed everything)."""
        for key, fd in list(self._dirs.items()):
            parent = self._parents.get(key)
            os.close(fd)
            if parent is None:
                continue
            name = f"sftset-{self._name}" if key != "v2" else self._name
            for _ in range(max(1, int(wait_s / 0.01))):  # killed members take a moment to go
                try:
                    os.rmdir(name, dir_fd=parent)
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.01)
            os.close(parent)
        self._dirs, self._parents = {}, {}


def remove_leftovers(prefix: str) -> None:
    """Remove the empty groups named for `prefix` (a pool's): a worker killed from outside
    (SIGKILL to its wrapper) cannot remove its own."""
    try:
        own = _own_paths()
    except OSError:
        return
    bases = [os.path.join(ROOT, c) + own.get(c, "/").rstrip("/") for c in CONTROLLERS]
    v2 = _v2_root()
    if v2 is not None:
        bases.append(v2 + own.get("", "/").rstrip("/") + "/sftset")
    for base in bases:
        try:
            names = os.listdir(base)
        except OSError:
            continue
        for name in names:
            if name.startswith((f"sftset-{prefix}", prefix)):
                try:
                    os.rmdir(os.path.join(base, name))
                except OSError:
                    pass


def _write_at(dir_fd: int, name: str, value: str) -> None:
    fd = os.open(name, os.O_WRONLY, dir_fd=dir_fd)
    try:
        os.write(fd, value.encode())
    finally:
        os.close(fd)


def _read_at(dir_fd: int, name: str) -> str:
    fd = os.open(name, os.O_RDONLY, dir_fd=dir_fd)
    try:
        # 64 KiB reads until the end: a 1 MiB buffer is mapped and unmapped on every read
        # (this runs for every job: memory events, the group's processes).
        chunks = []
        while chunk := os.read(fd, 1 << 16):
            chunks.append(chunk)
        return b"".join(chunks).decode()
    finally:
        os.close(fd)
