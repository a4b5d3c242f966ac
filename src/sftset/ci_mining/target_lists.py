"""Named groups and files of targets: `mine --targets NAME|FILE`, `[mine] targets = "NAME"|"FILE"`.

A reviewed targets file (ci_mining/targets.toml) holds groups: its `[[target]]` entries are the group
"default", and each array of its `[group]` table is a group of that name:

    [[target]]
    spec = "pypi:inflection==0.5.1"
    [group]
    large = ["pypi:toolz==1.2.0", {spec = "https://github.com/o/r.git", suite_time_s = 300}]

A FILE is either such a TOML file (its default group) or a text file with one TARGET a line (`#` starts
a comment). In both, a relative local path is read from the file's folder, so a list can name the git
repositories or project folders beside it.
"""
from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from ..errors import InputError
from .targets import Target, parse_target

DEFAULT_GROUP = "default"
Entries = list[tuple[Target, dict[str, Any]]]


def looks_like_file(ref: str) -> bool:
    return Path(ref).is_file() or "/" in ref or ref.endswith((".toml", ".txt", ".list"))


def resolve(ref: str, reviewed: Path) -> Entries:
    """The targets `ref` names: a FILE of targets, else a group of the reviewed file `reviewed`."""
    if looks_like_file(ref):
        path = Path(ref).expanduser()
        if not path.is_file():
            raise InputError(f"no such targets file (groups of {reviewed}: {', '.join(group_names(reviewed))})",
                             field=f"targets {ref!r}")
        return load_file(path)
    return load_group(reviewed, ref)


def group_names(path: Path) -> list[str]:
    data = _read(path)
    names = [DEFAULT_GROUP] if data.get("target") else []
    groups = data.get("group", {})
    return names + sorted(groups) if isinstance(groups, dict) else names


def load_group(path: Path, name: str) -> Entries:
    data = _read(path)
    if name == DEFAULT_GROUP and "target" in data:
        return _entries(path, data["target"], "target", tables_only=True)
    groups = data.get("group", {})
    if not isinstance(groups, dict) or name not in groups:
        raise InputError(f"no target group {name!r} in {path}; groups: {', '.join(group_names(path)) or 'none'}",
                         field="targets")
    return _entries(path, groups[name], f"group.{name}")


def load_file(path: Path) -> Entries:
    if path.suffix == ".toml":
        data = _read(path)
        if "target" not in data:
            names = ", ".join(group_names(path)) or "none"
            raise InputError(f"no [[target]] entries (its groups: {names}; name one with [mine] targets_file "
                             f"and --targets NAME)", str(path), field="target")
        return _entries(path, data["target"], "target", tables_only=True)
    out: Entries = []
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        spec = line.split("#", 1)[0].strip()
        if spec:
            out.append((_parse(spec, path, lineno, f"line {lineno}"), {}))
    if not out:
        raise InputError("no targets listed", str(path))
    return out


def _read(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError("targets file not found", str(path)) from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"not valid TOML: {exc}", str(path)) from None


def _entries(path: Path, entries: Any, where: str, tables_only: bool = False) -> Entries:
    if not isinstance(entries, list) or not entries:
        raise InputError("must be a non-empty list of targets", str(path), field=where)
    out: Entries = []
    for i, entry in enumerate(entries):
        field = f"{where}[{i}]"
        if isinstance(entry, str) and not tables_only:
            spec, options = entry, {}
        elif isinstance(entry, dict) and isinstance(entry.get("spec"), str):
            spec, options = entry["spec"], entry
        else:
            raise InputError('each entry needs spec = "..."' if tables_only else
                             'each entry is a TARGET string or {spec = "..."}', str(path), field=field)
        out.append((_parse(spec, path, _line_of(path, spec), field), options))
    return out


def _parse(spec: str, path: Path, line: int | None, field: str) -> Target:
    candidate = Path(spec).expanduser()
    if not spec.startswith("pypi:") and "://" not in spec and "@" not in spec and not candidate.is_absolute():
        local = path.parent / candidate
        if local.is_dir():
            spec = str(local.resolve())  # a folder or git repository beside the list
    try:
        return parse_target(spec)
    except InputError as exc:
        raise InputError(exc.message, str(path), line, field) from None


def _line_of(path: Path, spec: str) -> int | None:
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if f'"{spec}"' in line:
            return lineno
    return None
