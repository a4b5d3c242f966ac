"""Notice a command that stopped making progress: its process tree's CPU time stands still.

A test suite waiting forever (a server thread in accept(), a sleep, a lock) uses almost
no CPU; one doing work uses some. run_isolated's PID 1 samples the CPU time of every
process below it (live ones from /proc, reaped ones from its own rusage: it is their
subreaper) and ends the command when, over a whole window, that time grew by less than
1% of the window.
"""
from __future__ import annotations

import os
import resource
from collections import deque

_TICK = os.sysconf("SC_CLK_TCK")


def tree_cpu_s(root: int | None = None) -> float:
    """CPU seconds used so far by the descendants of `root` (default: the caller, which must reap them)."""
    root = os.getpid() if root is None else root
    parent, ticks = {}, {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as fh:
                data = fh.read()
        except OSError:  # gone meanwhile
            continue
        fields = data[data.rindex(b")") + 2:].split()  # the name in (...) may hold spaces
        pid = int(name)
        parent[pid] = int(fields[1])
        ticks[pid] = sum(int(x) for x in fields[11:15])  # utime stime cutime cstime
    children: dict[int, list[int]] = {}
    for pid, ppid in parent.items():
        children.setdefault(ppid, []).append(pid)
    total, todo = 0, list(children.get(root, ()))
    while todo:
        pid = todo.pop()
        total += ticks[pid]
        todo += children.get(pid, ())
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)  # descendants already reaped by the caller
    return total / _TICK + usage.ru_utime + usage.ru_stime


class StallWatch:
    """Feed it (time, CPU seconds) samples; `stalled` says when a whole window passed with almost no CPU."""

    def __init__(self, window_s: float, min_cpu_s: float | None = None):
        self.window_s = window_s
        self.min_cpu_s = max(0.01 * window_s, 0.1) if min_cpu_s is None else min_cpu_s
        self.samples: deque[tuple[float, float]] = deque()

    def stalled(self, now: float, cpu_s: float) -> bool:
        self.samples.append((now, cpu_s))
        while len(self.samples) > 1 and now - self.samples[1][0] >= self.window_s:
            self.samples.popleft()  # keep the newest sample that is at least a window old
        then, cpu_then = self.samples[0]
        return now - then >= self.window_s and cpu_s - cpu_then < self.min_cpu_s
