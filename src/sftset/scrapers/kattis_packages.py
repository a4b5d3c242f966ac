"""Kattis/ICPC problem packages from a local folder or archive, behind the Site interface
(`build-sft-set scrape kattis --from DIR|ARCHIVE`). The parsing is `kattis.parse_package`."""
from __future__ import annotations

from pathlib import Path

from .apps import LocalSource
from .base import Page, ParsedProblem
from .kattis import find_packages, parse_package, unpacked


class KattisPackages(LocalSource):
    name = "kattis"
    notes = ("local problem packages: data/sample public, data/secret hidden; licence from problem.yaml; "
             "interactive and custom-validator problems skipped")

    def entries(self, ids=None, limit=None):
        wanted = set(ids) if ids else None
        n = 0
        with unpacked(self.path) as root:  # an archive stays unpacked while the run iterates
            for pkg in find_packages(root):
                if wanted is not None and pkg.name not in wanted:
                    continue
                yield pkg.name, (lambda pkg=pkg: Page(url="", docs={"package": pkg}))
                n += 1
                if limit and n >= limit:
                    return

    def parse(self, native_id: str, page: Page) -> ParsedProblem:
        pkg: Path = page.docs["package"]
        return parse_package(pkg, max_case_bytes=int(self.options.get("max_case_bytes", 1 << 20)),
                             max_hidden=int(self.options.get("max_hidden", 100)))
