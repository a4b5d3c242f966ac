"""Kattis/ICPC problem packages from a local folder or archive, behind the Site interface
(`build-sft-set scrape kattis --from DIR|ARCHIVE`). The parsing is `kattis.parse_package`."""
from __future__ import annotations

from pathlib import Path

from .base import LocalSource, Page, ParsedProblem
from .kattis import find_packages, parse_package, unpacked


class KattisPackages(LocalSource):
    name = "kattis"
    notes = ("local problem packages: data/sample public, data/secret hidden; licence from problem.yaml; "
             "interactive and custom-validator problems skipped")

    def items(self):
        with unpacked(self.path) as root:  # an archive stays unpacked while the run iterates
            for pkg in find_packages(root):
                yield pkg.name, (lambda pkg=pkg: Page(url="", docs={"package": pkg}))

    def parse(self, native_id: str, page: Page) -> ParsedProblem:
        pkg: Path = page.docs["package"]
        return parse_package(pkg, self.caps)
