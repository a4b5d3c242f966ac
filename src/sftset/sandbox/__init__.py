"""Running untrusted code: the sandboxed executor, isolated commands, pass@k.

Imports are lazy so that a sandbox worker, which imports this package, starts light.
"""
from __future__ import annotations

from .api import STATUSES, IsolationReport, Job, Verdict

__all__ = ["Executor", "Job", "Verdict", "IsolationReport", "STATUSES", "run_isolated", "CommandResult",
           "estimate_pass_at_k"]


def __getattr__(name: str):
    if name == "Executor":
        from .pool import Executor

        return Executor
    if name in ("run_isolated", "CommandResult"):
        from . import command

        return getattr(command, name)
    if name == "estimate_pass_at_k":
        from .passk import estimate_pass_at_k

        return estimate_pass_at_k
    raise AttributeError(name)
