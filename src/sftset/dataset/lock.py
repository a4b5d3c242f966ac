"""One writer of `<curated>` at a time, and never a half-published version.

- A lock (`<curated>/.refresh.lock`, fcntl `flock`) stops a second refresh or export while one runs
  (the file keeps its old name so that a lock left by an older build is still honoured). The file
  also holds the owner's pid and start time: the kernel drops the flock when its process dies, so
  a lock file left by a killed refresh is recognised as stale, reported, and taken over.
- Publishing is journalled: `<curated>/.refresh-pending` names the version before its folder is
  renamed into place, and is removed once `latest` points at it. A refresh killed in between is
  finished by the next one (it points `latest` at the complete version); one killed earlier left
  only a hidden `.partial-*` folder, which the next refresh removes.
"""
from __future__ import annotations

import errno
import fcntl
import json
import os
import re
import shutil
import socket
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import WorkFailed
from ..progress import log
from .export import is_complete, point_latest

LOCK_NAME = ".refresh.lock"
JOURNAL_NAME = ".refresh-pending"


def pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


class CuratedBusy(WorkFailed):
    """Another refresh or export holds the lock."""


@dataclass
class LockInfo:
    pid: int
    host: str
    started_at: str
    command: str

    @classmethod
    def parse(cls, text: str) -> "LockInfo | None":
        try:
            data = json.loads(text)
            return cls(int(data["pid"]), str(data.get("host", "")), str(data.get("started_at", "")),
                       str(data.get("command", "")))
        except (ValueError, KeyError, TypeError):
            return None


class CuratedLock:
    """`with CuratedLock(root, "refresh"):` -- raises CuratedBusy when another process holds it."""

    def __init__(self, root: Path, command: str = "refresh"):
        self.path = Path(root) / LOCK_NAME
        self.command = command
        self.fd: int | None = None
        self.took_over: LockInfo | None = None  # the stale owner, when there was one

    def acquire(self) -> "CuratedLock":
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            holder = LockInfo.parse(os.pread(fd, 4096, 0).decode("utf-8", "replace"))
            os.close(fd)
            if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise
            who = (f"pid {holder.pid} on {holder.host}: {holder.command}, started {holder.started_at}"
                   if holder else "another process")
            first = (holder.command.split() or [""])[0] if holder else ""
            what = first if first in ("refresh", "export") else "run"  # a --source run, or another tool's
            raise CuratedBusy(f"another {what} is running ({who}); lock {self.path}; try again when it has "
                              "finished") from None
        previous = LockInfo.parse(os.pread(fd, 4096, 0).decode("utf-8", "replace"))
        if previous is not None and previous.pid != os.getpid():
            # We got the flock, so its owner is gone: the file is what a killed run left behind.
            state = "no longer running" if not pid_alive(previous.pid) else "running but not holding the lock"
            log.warning("taking over a stale refresh lock: pid %d (%s), started %s", previous.pid, state,
                        previous.started_at)
            self.took_over = previous
        info = {"pid": os.getpid(), "host": socket.gethostname(),
                "started_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "command": self.command}
        os.ftruncate(fd, 0)
        os.pwrite(fd, (json.dumps(info) + "\n").encode(), 0)
        os.fsync(fd)
        self.fd = fd
        return self

    def release(self) -> None:
        if self.fd is None:
            return
        try:
            os.ftruncate(self.fd, 0)  # an empty lock file is a clean release
        finally:
            os.close(self.fd)  # closing drops the flock
            self.fd = None

    def __enter__(self) -> "CuratedLock":
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


# ---- the publishing journal ------------------------------------------------------------------

def write_journal(root: Path, version: str) -> None:
    tmp = root / f"{JOURNAL_NAME}.{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump({"version": version, "pid": os.getpid()}, fh)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, root / JOURNAL_NAME)


def clear_journal(root: Path) -> None:
    try:
        os.unlink(root / JOURNAL_NAME)
    except FileNotFoundError:
        pass


# Hidden leftovers of a killed run end in its pid: partial version folders, `latest` and journal temporaries.
_LEFTOVERS = (re.compile(r"^\.partial-.+-(\d+)$"), re.compile(r"^\.latest-(\d+)$"),
              re.compile(r"^\.refresh-pending\.(\d+)$"))


def recover(root: Path) -> dict[str, Any]:
    """Finish or undo what a killed refresh left (call with the lock held). Returns what was done."""
    done: dict[str, Any] = {}
    journal = root / JOURNAL_NAME
    if journal.exists():
        try:
            version = json.loads(journal.read_text(encoding="utf-8"))["version"]
        except (ValueError, KeyError, OSError):
            version = None
        target = root / version if isinstance(version, str) and version else None
        if target is not None and target.is_dir() and is_complete(target):
            link = root / "latest"
            if not (link.is_symlink() and os.readlink(link) == version):
                point_latest(root, version)
                log.warning("finished publishing %s, which an interrupted refresh had written", version)
                done["published"] = version
        clear_journal(root)
    removed = []
    for entry in sorted(root.iterdir()) if root.exists() else []:
        m = next((m for m in (p.match(entry.name) for p in _LEFTOVERS) if m), None)
        if m and not pid_alive(int(m.group(1))):
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)
            removed.append(entry.name)
    if removed:
        log.info("removed leftovers of interrupted runs: %s", ", ".join(removed))
        done["removed"] = removed
    return done
