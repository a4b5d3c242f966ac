"""Settings: defaults < sftset.toml < command-line flags.

`sftset.toml` is read from the current directory (or `--config FILE`, or $SFTSET_CONFIG).
Each command reads its own table (`[evaluate]`, `[export]`, ...); `[paths]` holds shared paths.
"""
from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from .errors import InputError

CONFIG_NAME = "sftset.toml"


def load_toml(path: Path, missing: str = "file not found") -> dict[str, Any]:
    """Read a TOML file (settings, site lists, targets); errors are one line naming file and line."""
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise InputError(missing, str(path)) from None
    except tomllib.TOMLDecodeError as exc:
        line = getattr(exc, "lineno", None)
        if line is None:  # Python < 3.14 puts "(at line N, column M)" in the message
            m = re.search(r"line (\d+)", str(exc))
            line = int(m.group(1)) if m else None
        raise InputError(f"invalid TOML ({str(exc).split(' (at')[0]})", str(path), line) from None


def toml_line_of(path: Path, table: str | None, key: str | None) -> int | None:
    """Best-effort line of `key` inside `[table]` (top level when table is None; the table's
    header when key is None), for error messages."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError:
        return None
    current = None
    for lineno, line in enumerate(lines, 1):
        text = line.strip()
        header = re.match(r"^\[\s*([^\[\]]+?)\s*\]", text)
        if header:
            current = header.group(1).strip('"')
            if key is None and current == table:
                return lineno
        elif key is not None and current == table and re.match(rf"^[\"']?{re.escape(key)}[\"']?\s*=", text):
            return lineno
    return None


def find_reviewed_file(ctx, flag: Any, section: str, key: str, relpath: str, flag_name: str = "") -> Path:
    """A reviewed data file (scrapers/sources.toml, ci_mining/targets.toml): the flag >
    `[section] key` in sftset.toml > ./relpath > the copy in this checkout."""
    configured = ctx.config.resolve(flag, section, key, None, str)
    if configured:
        return Path(configured)
    here = Path(relpath)
    if here.is_file():
        return here
    bundled = Path(__file__).resolve().parents[2] / relpath
    if bundled.is_file():
        return bundled
    named = f"give {flag_name} FILE or " if flag_name else ""
    raise InputError(f"no {relpath} here; {named}set [{section}] {key} in sftset.toml")


class Config:
    def __init__(self, data: dict[str, Any] | None = None, path: Path | None = None):
        self.data = data or {}
        self.path = path

    @classmethod
    def load(cls, path: str | os.PathLike[str] | None = None) -> "Config":
        explicit = path or os.environ.get("SFTSET_CONFIG")
        candidate = Path(explicit) if explicit else Path(CONFIG_NAME)
        if not candidate.exists():
            if explicit:
                raise InputError("config file not found", str(candidate))
            return cls({}, None)
        data = load_toml(candidate)
        return cls(data, candidate)

    def section(self, name: str) -> dict[str, Any]:
        value = self.data.get(name, {})
        if not isinstance(value, dict):
            raise InputError(f"must be a table [{name}]", str(self.path), self.line_of(None, name), name)
        return value

    def line_of(self, section: str | None, key: str) -> int | None:
        """Best-effort line number of `key` inside `[section]` (top level when None), for error messages."""
        if self.path is None:
            return None
        return toml_line_of(self.path, section, key)

    def get(self, section: str, key: str, default: Any = None) -> Any:
        return self.section(section).get(key, default)

    def resolve(self, flag: Any, section: str, key: str, default: Any = None, type_: type | None = None) -> Any:
        """A flag given on the command line wins; then the config; then the default."""
        if flag is not None:
            return flag
        value = self.get(section, key, None)
        if value is None:
            return default
        wrong_bool = isinstance(value, bool) and type_ in (int, float)
        if type_ is not None and (wrong_bool or not isinstance(value, type_)):
            if type_ is float and isinstance(value, int) and not isinstance(value, bool):
                return float(value)
            raise InputError(f"must be a {type_.__name__}, got {value!r}", str(self.path),
                             self.line_of(section, key), f"{section}.{key}")
        return value
