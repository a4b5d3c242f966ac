"""How much disk a command's writable folders hold, for run_isolated's size bound.

The writable folders are plain folders on the host's disk (a project's checkout, its run
folder), so nothing in the kernel bounds what a command writes there in total: RLIMIT_FSIZE
bounds one file, not a thousand. run_isolated's PID 1 therefore measures the folders every
few seconds and ends the command once they hold more than its `disk_mb`. Between two looks
a command can write at most its disk's speed times the interval; the interval grows with the
cost of a look, so a huge tree does not turn the watch into the work.
"""
from __future__ import annotations

import os
import stat
import time


def tree_bytes(paths: list[str]) -> int:
    """Bytes allocated (st_blocks) under `paths`, symlinks not followed; a folder the command
    made unreadable to its own uid is opened up first (it is the command's, not ours to skip)."""
    total, todo = 0, list(paths)
    while todo:
        path = todo.pop()
        try:
            entries = os.scandir(path)
        except PermissionError:
            try:
                os.chmod(path, 0o700)
                entries = os.scandir(path)
            except OSError:
                continue
        except OSError:  # gone meanwhile
            continue
        with entries:
            for entry in entries:
                try:
                    st = entry.stat(follow_symlinks=False)
                except OSError:
                    continue
                total += st.st_blocks * 512
                if stat.S_ISDIR(st.st_mode):
                    todo.append(entry.path)
    return total


class DiskWatch:
    """`over(now)` is True once the folders hold more than limit_mb; looks at most every interval_s,
    and never spends more than about a tenth of the time looking."""

    def __init__(self, paths: list[str], limit_mb: int, interval_s: float = 2.0):
        self.paths, self.limit = list(paths), limit_mb << 20
        self.interval_s, self.next_look, self.used = interval_s, 0.0, 0

    def over(self, now: float) -> bool:
        if now < self.next_look:
            return False
        t0 = time.monotonic()
        self.used = tree_bytes(self.paths)
        cost = time.monotonic() - t0
        self.next_look = now + max(self.interval_s, 10 * cost)
        return self.used > self.limit
