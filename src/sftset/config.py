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


# Reviewed data files shipped inside the package (sftset/data/...), kept byte-equal to the
# top-level copies by tests/test_settings.py, so a wheel finds them as a checkout does.
_PACKAGED = Path(__file__).resolve().parent / "data"


def packaged_file(relpath: str) -> Path:
    """The package's copy of a reviewed file (`scrapers/sources.toml` -> sftset/data/scrapers/sources.toml)."""
    return _PACKAGED / relpath


def find_reviewed_file(ctx, flag: Any, section: str, key: str, relpath: str, flag_name: str = "") -> Path:
    """A reviewed data file (scrapers/sources.toml, ci_mining/targets.toml): the flag >
    `[section] key` in sftset.toml > ./relpath > the copy shipped with the package."""
    configured = ctx.config.resolve(flag, section, key, None, str)
    if configured:
        return Path(configured)
    here = Path(relpath)
    if here.is_file():
        return here
    bundled = packaged_file(relpath)
    if bundled.is_file():
        return bundled
    named = f"give {flag_name} FILE or " if flag_name else ""
    raise InputError(f"no {relpath} here; {named}set [{section}] {key} in sftset.toml")


# ---- the settings file's schema -------------------------------------------------------------
# Every table and key sftset.toml may hold, with its type. Adding a setting is one line here
# (then read it where its stage reads its settings). A float key also takes an integer.
NUMBER = (int, float)
SCHEMA: dict[str, dict[str, type | tuple[type, ...]]] = {
    "paths": {"curated": str, "state": str},
    "executor": {"kind": str, "retries": int},
    "ray": {"address": str, "batch_size": int, "num_cpus": int},
    "sandbox": {"sample_python": str},
    "evaluate": {"k": (str, int), "workers": int, "sample_time_s": NUMBER, "timeout": NUMBER},
    "export": {"exclude_flags": list, "licenses": list, "formats": list, "validation_fraction": NUMBER,
               "report": bool},
    "quality": {"max_line_length": int, "mean_line_length": NUMBER, "min_alnum_fraction": NUMBER},
    "decontam": {"benchmarks": list, "humaneval": bool, "keep_benchmark_items": bool, "ngram": int},
    "dedup": {"near": bool, "threshold": NUMBER},
    "mine": {"targets": (list, str), "targets_file": str, "work_dir": str, "python": str, "suite_time_s": NUMBER,
             "suite_memory_mb": int, "calls_per_function": int, "engine": str, "use_uv": bool, "workers": int,
             "validation_runs": int, "max_call_s": NUMBER, "min_kill_rate": NUMBER, "job_time_s": NUMBER,
             "memory_mb": int, "problem_time_s": NUMBER, "generate": int, "max_generated": int,
             "max_mutants": int, "max_dominant_share": NUMBER, "other_machine": bool, "boundary": int,
             "max_prompt_lines": int, "max_prompt_chars": int, "drop_trivial": bool, "stall_s": NUMBER,
             "keep_envs": bool, "suite_disk_mb": int, "docstrings": bool, "docstring_model": str,
             "docstring_max_chars": int, "target_workers": int},
    "scrape": {"sources": str, "cache": str, "contact": str, "user_agent": str, "min_interval_s": NUMBER,
               "timeout_s": NUMBER, "retries": int, "backoff_s": NUMBER, "max_backoff_s": NUMBER,
               "max_retry_after_s": NUMBER, "expire_after_s": int},
    "filter": {"reruns": int, "min_pass_rate": NUMBER, "max_pass_rate": NUMBER, "keep_solutions": int,
               "workers": int, "group_size": int, "generated_tests": bool, "generated_by_model": bool,
               "generated_max_inputs": int, "generated_max_input_bytes": int, "generated_max_size": int,
               "agreement_min_programs": int, "agreement_max_dissent": NUMBER},
    "sampling": {"url": (str, list), "api_key": str, "samples": str, "model": str, "backend": str, "n": int,
                 "temperature": NUMBER, "top_p": NUMBER, "max_tokens": int, "stop": list, "extra_body": dict,
                 "n_per_request": int, "concurrency": int, "timeout_s": NUMBER, "connect_timeout_s": NUMBER,
                 "max_retries": int, "backoff_s": NUMBER, "backoff_max_s": NUMBER, "device": str,
                 "batch_size": int, "dtype": str, "seed": int, "tensor_parallel_size": int,
                 "gpu_memory_utilization": NUMBER, "max_model_len": int, "prompts_per_call": int},
}
DEPRECATED = {("evaluate", "timeout"): "evaluate.sample_time_s"}


def _type_name(expected: type | tuple[type, ...]) -> str:
    names = {str: "str", int: "int", float: "float", bool: "bool", list: "list", dict: "table"}
    if expected == NUMBER:
        return "number"
    if isinstance(expected, tuple):
        return " or ".join(names[t] for t in expected)
    return names[expected]


def _type_ok(value: Any, expected: type | tuple[type, ...]) -> bool:
    kinds = expected if isinstance(expected, tuple) else (expected,)
    if isinstance(value, bool):  # TOML's true is not a number
        return bool in kinds
    return isinstance(value, kinds)


def closest(name: str, known) -> str | None:
    import difflib

    found = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.6)
    return found[0] if found else None


def validate(data: dict[str, Any], path: Path) -> None:
    """Unknown tables and keys (with the closest known name), wrong types: one line naming file, line, key."""
    for table, body in data.items():
        if table not in SCHEMA:
            hint = closest(table, SCHEMA)
            raise InputError(f"unknown table [{table}]" + (f"; did you mean [{hint}]?" if hint else
                             f"; known tables: {', '.join(sorted(SCHEMA))}"),
                             str(path), toml_line_of(path, table, None) or toml_line_of(path, None, table), table)
        if not isinstance(body, dict):
            raise InputError(f"must be a table [{table}]", str(path), toml_line_of(path, None, table), table)
        keys = SCHEMA[table]
        for key, value in body.items():
            line = toml_line_of(path, table, key)
            if key not in keys:
                hint = closest(key, keys)
                raise InputError("unknown key" + (f"; did you mean {table}.{hint}?" if hint else
                                 f"; [{table}] knows: {', '.join(sorted(keys))}"), str(path), line,
                                 f"{table}.{key}")
            if not _type_ok(value, keys[key]):
                raise InputError(f"must be a {_type_name(keys[key])}, got {value!r}", str(path), line,
                                 f"{table}.{key}")


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
        validate(data, candidate)
        for (table, key), instead in DEPRECATED.items():
            if key in data.get(table, {}):
                from .progress import log

                log.warning("%s: %s.%s is deprecated; call it %s", candidate, table, key, instead)
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
