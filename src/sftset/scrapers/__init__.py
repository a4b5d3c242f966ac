"""Scrapers for contest judges and importers for public dataset dumps.

One module per site behind one interface (`base.Site`: list ids, fetch one, parse it), a shared
polite HTTP layer (`http.Fetcher`), the conversion to problem records (`convert`), and the
pipeline stage (`stage.scrape_stage`) that `build-sft-set --source contests` runs over
`scrapers/sources.toml`. Adding a judge is adding a module and a line in `SITES`.
"""
from __future__ import annotations

import importlib

# name -> (module, class). Web judges first, then local datasets.
SITES = {
    "codeforces": ("codeforces", "Codeforces"),
    "atcoder": ("atcoder", "AtCoder"),
    "aoj": ("aoj", "Aoj"),
    "kattis": ("kattis", "Kattis"),
    "leetcode": ("leetcode", "LeetCode"),
    "codechef": ("codechef", "CodeChef"),
}
DATASETS = {
    "apps": ("apps", "Apps"),
    "code_contests": ("code_contests", "CodeContests"),
    "taco": ("taco", "Taco"),
    "kattis": ("kattis_packages", "KattisPackages"),  # `scrape kattis --from DIR`: local problem packages
}


def site_class(name: str, local: bool = False):
    table = DATASETS if local else SITES
    module, cls = table[name]
    return getattr(importlib.import_module(f"{__name__}.{module}"), cls)
