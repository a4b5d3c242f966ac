"""Reading and writing JSONL: errors name the file and line; writes are atomic."""
from __future__ import annotations

import gzip
import json
import os
import tempfile
import zlib
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, TypeVar

import jsonlines

from .errors import InputError
from .record import Problem, RecordError

T = TypeVar("T")


def _open_text(path: Path):
    if path.suffix == ".gz":
        return gzip.open(path, "rt", encoding="utf-8")
    return open(path, encoding="utf-8")


def read_jsonl(path: str | os.PathLike[str], parse: Callable[[dict[str, Any], int], T] | None = None) -> Iterator[T]:
    """Yield each line's object (through `parse(obj, lineno)` when given).

    Any malformed line raises InputError with file and line. Blank lines are skipped.
    """
    path = Path(path)
    if not path.exists():
        raise InputError("no such file", str(path))
    try:
        with _open_text(path) as fh:
            for lineno, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise InputError(f"invalid JSON ({exc.msg}, column {exc.colno})", str(path), lineno) from None
                if not isinstance(obj, dict):
                    raise InputError(f"expected a JSON object, got {type(obj).__name__}", str(path), lineno)
                yield parse(obj, lineno) if parse else obj  # type: ignore[misc]
    except (UnicodeDecodeError, OSError, EOFError, zlib.error) as exc:  # OSError covers BadGzipFile, directories
        raise InputError(f"unreadable ({exc.__class__.__name__}: {exc})", str(path)) from None


def read_problems(path: str | os.PathLike[str]) -> list[Problem]:
    """Read records (ours, or HumanEval's five fields) from JSONL; all lines are checked before returning."""
    from .humaneval import record_from_humaneval

    def parse(obj: dict[str, Any], lineno: int) -> Problem:
        try:
            if "source" not in obj and "kind" not in obj and "test" in obj:
                return record_from_humaneval(obj)
            return Problem.from_dict(obj)
        except RecordError as exc:
            raise InputError(exc.message, str(path), lineno, exc.field) from None
        except TypeError as exc:
            raise InputError(str(exc), str(path), lineno) from None

    return list(read_jsonl(path, parse))


def default_file_mode() -> int:
    """The mode `open(path, "w")` would give a new file under the current umask."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def write_jsonl_atomic(path: str | os.PathLike[str], rows: Iterable[dict[str, Any]]) -> int:
    """Write rows to `path` via a temporary file and rename; returns the row count."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.fchmod(fd, default_file_mode())  # mkstemp makes 0600; results are the user's files like any other
    count = 0
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as raw:
            with jsonlines.Writer(raw, compact=True, sort_keys=False) as writer:
                for row in rows:
                    writer.write(row)
                    count += 1
            raw.flush()
            os.fsync(raw.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return count
