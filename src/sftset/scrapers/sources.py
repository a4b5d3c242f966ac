"""`scrapers/sources.toml`: which sites and datasets `--source contests` and a refresh collect.

Every table is one site (`[codeforces]`, `[aoj]`, ...) or dataset (`[apps]`, `[taco]`, ...);
`[defaults]` holds values every table inherits. A bad file is reported as one line naming the
file, the line and the key.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..config import find_reviewed_file, load_toml, toml_line_of
from ..errors import InputError
from . import DATASETS, SITES
from .base import CaseCaps

# key -> (type, default)
SOURCE_KEYS: dict[str, tuple[type | tuple[type, ...], Any]] = {
    "enabled": (bool, True),
    "ids": (list, None),
    "contests": (str, None),
    "limit": (int, None),
    "path": (str, None),
    "min_interval_s": ((int, float), None),
    "refresh_after_days": ((int, float), 30),
    "max_case_bytes": (int, CaseCaps.max_case_bytes),
    "max_hidden": (int, CaseCaps.max_hidden),
    "max_generated": (int, CaseCaps.max_generated),
}
URL_KEY = re.compile(r"^([a-z]+)_url$")  # base_url -> "web", api_url -> "api", dat_url -> "dat"


@dataclass
class SourceSpec:
    name: str
    local: bool  # a dataset on disk (or Kattis packages) rather than a web judge
    settings: dict[str, Any] = field(default_factory=dict)
    base_urls: dict[str, str] = field(default_factory=dict)

    def get(self, key: str) -> Any:
        return self.settings.get(key, SOURCE_KEYS[key][1])

    def caps(self) -> CaseCaps:
        return CaseCaps(self.get("max_case_bytes"), self.get("max_hidden"), self.get("max_generated"))


def load_sources(path: Path) -> list[SourceSpec]:
    path = Path(path)
    data = load_toml(path, "sources file not found")
    defaults = data.pop("defaults", {})
    specs = []
    for table, values in [("defaults", defaults)] + list(data.items()):
        if not isinstance(values, dict):
            raise InputError("must be a table", str(path), toml_line_of(path, table, None), table)
        if table != "defaults" and table not in SITES and table not in DATASETS:
            known = ", ".join(sorted(set(SITES) | set(DATASETS)))
            raise InputError(f"unknown site or dataset (known: {known})", str(path), toml_line_of(path, table, None), table)
        settings: dict[str, Any] = {}
        urls: dict[str, str] = {}
        for key, value in values.items():
            where = (str(path), toml_line_of(path, table, key), f"{table}.{key}")
            m = URL_KEY.match(key)
            if m and table != "defaults":
                if not isinstance(value, str) or not re.match(r"^https?://", value):
                    raise InputError(f"must be an http(s) URL, got {value!r}", *where)
                urls["web" if m.group(1) == "base" else m.group(1)] = value
                continue
            if key not in SOURCE_KEYS:
                raise InputError(f"unknown key (known: {', '.join(sorted(SOURCE_KEYS))}, *_url)", *where)
            typ = SOURCE_KEYS[key][0]
            if isinstance(value, bool) and typ is not bool or not isinstance(value, typ):
                raise InputError(f"wrong type {type(value).__name__}", *where)
            if key == "ids" and not all(isinstance(v, str) for v in value):
                raise InputError("must be a list of strings", *where)
            settings[key] = value
        if table == "defaults":
            defaults = settings
            continue
        local = table in DATASETS and (table not in SITES or "path" in settings)
        specs.append(SourceSpec(table, local, {**defaults, **settings}, urls))
    return specs


def find_sources_file(ctx) -> Path:
    """--sources > [scrape] sources in sftset.toml > ./scrapers/sources.toml > the checkout's copy."""
    return find_reviewed_file(ctx, ctx.flag("sources"), "scrape", "sources", "scrapers/sources.toml",
                              "--sources")
