"""Test values must not carry the mining machine's state, and outcomes must not depend on it.

Two checks:

- `MachineState` knows the strings that are this machine's (environment variable names and
  values of the miner and of the traced suite, paths under the work, venv and home folders,
  hostname, user, kernel and platform strings) and recognises times near now (epoch seconds or
  milliseconds, today's dates). A recorded call whose arguments or result contain one is not a
  test: it is dropped (a test value that differs on the trainer's machine is no test of the
  function, and it makes the record's content hash depend on who mined it).
- `elsewhere(program)` is the program as run on another machine: other working folder, HOME,
  PATH, USER, TZ, temporary folder and environment variables, set before the module's own code
  runs. Validation runs the reference that way once more; a problem whose outcomes change
  depends on its environment and is dropped.
"""
from __future__ import annotations

import ast
import getpass
import os
import platform
import re
import socket
import sys
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

# Names too common as ordinary words or values to count as machine state on their own.
_COMMON = {"true", "false", "none", "null", "1", "0", "yes", "no", "utf-8", "c.utf-8", "en_us.utf-8", "utc",
           "linux", "posix", "root", "user", "home", "path", "lang", "term", "shell", "xterm", "dumb",
           "bin", "usr", "/usr/bin", "/bin", "/usr/local/bin", "/tmp", "/"}
MIN_MARKER = 4  # shorter strings are words, not fingerprints
RECENT_S = 3 * 86400  # a number of epoch seconds this close to now is a time stamp of the run


@dataclass
class MachineState:
    """What identifies the mining machine and run; `found(text)` names the first marker in a value text."""

    strings: set[str] = field(default_factory=set)
    now: float = field(default_factory=time.time)

    @classmethod
    def here(cls, *folders: Path | str, suite_env: dict[str, str] | None = None) -> "MachineState":
        state = cls()
        add = state.add
        for name, value in {**os.environ, **(suite_env or {})}.items():
            if "_" in name or len(name) >= 8:  # PATH or HOME alone are words; SFTSET_TRACE_OUT is not
                add(name)
            for part in value.split(os.pathsep) if os.pathsep in value else [value]:
                add(part)
        for value in (socket.gethostname(), platform.node(), platform.release(), platform.version(),
                      platform.platform(), sys.prefix, sys.base_prefix, sys.exec_prefix, os.getcwd(),
                      str(Path.home()), os.environ.get("TMPDIR", "")):
            add(value)
        try:
            add(getpass.getuser())
        except (KeyError, OSError):  # no passwd entry
            pass
        for folder in folders:
            add(str(folder))
            add(str(Path(folder).resolve()))
        return state

    def add(self, value: str) -> None:
        value = value.strip()
        if len(value) >= MIN_MARKER and value.lower() not in _COMMON:
            self.strings.add(value)

    def found(self, text: str) -> str | None:
        """The machine string or run time that a value text contains, or None."""
        for marker in self._ordered():
            if marker in text and _bounded(text, marker):
                return marker
        return _recent_time(text, self.now)

    def _ordered(self) -> list[str]:
        if getattr(self, "_cache", None) is None or self._cache[0] != len(self.strings):
            self._cache = (len(self.strings), sorted(self.strings, key=lambda s: (-len(s), s)))
        return self._cache[1]


def _bounded(text: str, marker: str) -> bool:
    """The marker appears as a whole token (a user name inside a longer word is no match)."""
    pattern = (r"(?<![A-Za-z0-9_])" if marker[0].isalnum() else "") + re.escape(marker) + \
        (r"(?![A-Za-z0-9_])" if marker[-1].isalnum() else "")
    return re.search(pattern, text) is not None


_NUMBER = re.compile(r"(?<![\w.])(\d{10}(?:\.\d+)?|\d{13})(?![\w])")
_DATE = re.compile(r"\b(?:date|datetime)\((\d{4}), (\d{1,2}), (\d{1,2})")


def _recent_time(text: str, now: float) -> str | None:
    for m in _NUMBER.finditer(text):
        value = float(m.group(1))
        if len(m.group(1)) == 13:
            value /= 1000
        if abs(value - now) <= RECENT_S:
            return f"time stamp {m.group(1)}"
    today = date.fromtimestamp(now)
    near = {today + timedelta(days=d) for d in (-1, 0, 1)}
    for m in _DATE.finditer(text):
        try:
            if date(int(m.group(1)), int(m.group(2)), int(m.group(3))) in near:
                return f"today's date {m.group(0)})"
        except ValueError:
            continue
    return None


def machine_state_in(case: dict, state: MachineState) -> str | None:
    """The machine string in a recorded call's arguments or result, or None."""
    for key in ("args", "kwargs", "expected"):
        text = case.get(key)
        if isinstance(text, str):
            hit = state.found(text)
            if hit:
                return hit
    return None


# ---- the reference on "another machine" ---------------------------------------------------------
OTHER_ENVIRONMENT = {
    "HOME": "/nonexistent/sftset-other-home", "PATH": "/opt/sftset-other/bin:/usr/bin:/bin",
    "USER": "sftset-other", "LOGNAME": "sftset-other", "TZ": "Pacific/Kiritimati", "LANG": "C.UTF-8",
    "SFTSET_OTHER_MACHINE": "1", "TMPDIR": "other-tmp", "PWD": "",
}

_PROLOGUE = """import os as _sftset_os, time as _sftset_time
_sftset_os.makedirs("sftset-other-cwd/other-tmp", exist_ok=True)
_sftset_os.chdir("sftset-other-cwd")
for _sftset_k in [k for k in _sftset_os.environ if k not in ("LANG", "LC_ALL", "PYTHONDONTWRITEBYTECODE")]:
    del _sftset_os.environ[_sftset_k]
_sftset_os.environ.update({env!r})
_sftset_os.environ["PWD"] = _sftset_os.getcwd()
_sftset_time.tzset()
del _sftset_os, _sftset_time, _sftset_k
"""


def elsewhere(program: str) -> str:
    """`program` with a prologue that moves it to another folder, HOME, PATH, user, time zone and
    environment before its own module code runs (after its `from __future__` imports and docstring,
    which must come first). The lines after the prologue keep their text; only their numbers move."""
    prologue = _PROLOGUE.format(env={k: v for k, v in OTHER_ENVIRONMENT.items() if v})
    try:
        tree = ast.parse(program)
    except SyntaxError:
        return prologue + program
    split = 0
    for i, stmt in enumerate(tree.body):
        is_doc = i == 0 and isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant) \
            and isinstance(stmt.value.value, str)
        if is_doc or (isinstance(stmt, ast.ImportFrom) and stmt.module == "__future__"):
            split = stmt.end_lineno
        else:
            break
    lines = program.splitlines(keepends=True)
    head = "".join(lines[:split])
    if head and not head.endswith("\n"):
        head += "\n"
    return head + prologue + "".join(lines[split:])


# ---- the hash seed ------------------------------------------------------------------------------
def hash_order_dependent(case: dict) -> bool:
    """Whether a call's arguments hold a set whose iteration order depends on the hash seed (two or
    more str/bytes elements, or tuples of them). Validation's fresh runs are forks of one worker and
    share its seed; a trainer's harness draws another, so an ordered result may change."""
    from ..values import ObjectValue
    from .literals import MISSING, parse

    def seeded(x, depth=0) -> bool:
        if depth > 20:
            return False
        if isinstance(x, (set, frozenset)):
            return (len(x) > 1 and any(_hash_randomized(e) for e in x)) or any(seeded(e, depth + 1) for e in x)
        if isinstance(x, (list, tuple)):
            return any(seeded(e, depth + 1) for e in x)
        if isinstance(x, dict):
            return any(seeded(k, depth + 1) or seeded(v, depth + 1) for k, v in x.items())
        if isinstance(x, ObjectValue) and x.args is not None:  # the fields of a namedtuple, dataclass, ...
            return any(seeded(v, depth + 1) for v in [*x.args, *(v for _, v in x.kwargs)])
        return False

    for key in ("args", "kwargs"):
        value = parse(case.get(key, "()" if key == "args" else "{}"))
        if value is not MISSING and seeded(value):
            return True
    return False


def _hash_randomized(x) -> bool:
    if isinstance(x, (str, bytes)):
        return True
    if isinstance(x, (tuple, frozenset)):
        return any(_hash_randomized(e) for e in x)
    return False
