"""Errors the CLI turns into exit codes: InputError -> 2 (bad usage or input), WorkFailed -> 1."""
from __future__ import annotations


class InputError(Exception):
    """Bad input: reported as one line naming the file, line and field (exit status 2)."""

    def __init__(self, message: str, path: str | None = None, line: int | None = None, field: str | None = None):
        self.path, self.line, self.field, self.message = path, line, field, message
        where = ""
        if path:
            where = f"{path}:{line}: " if line else f"{path}: "
        super().__init__(f"{where}{field + ': ' if field else ''}{message}")


class WorkFailed(Exception):
    """The work ran but some of it failed (exit status 1)."""
