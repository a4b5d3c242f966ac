"""What a project's source tree says about itself: name, version, SPDX licence, import packages.

Read from static files only (PKG-INFO, pyproject.toml, setup.cfg, *.egg-info, LICENSE),
never by running setup.py.
"""
from __future__ import annotations

import configparser
import re
import sys
from dataclasses import dataclass, field
from email.parser import HeaderParser
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from .tracer import is_test_module

_NOT_PACKAGES = {"test", "tests", "testing", "docs", "doc", "examples", "example", "benchmarks", "bench", "build",
                 "dist", "scripts", "tools", "venv", ".venv", "site-packages"}
_NOT_MODULES = {"setup", "conftest", "noxfile", "tasks", "fabfile", "manage", "runtests", "run_tests", "bootstrap",
                "ez_setup", "versioneer", "_version_build"}

# Trove classifiers that name exactly one SPDX licence ("BSD License" does not: see the file).
_CLASSIFIERS = {
    "MIT License": "MIT", "MIT No Attribution License (MIT-0)": "MIT-0", "Apache Software License": "Apache-2.0",
    "ISC License (ISCL)": "ISC", "Python Software Foundation License": "PSF-2.0",
    "GNU General Public License v2 (GPLv2)": "GPL-2.0-only", "GNU General Public License v3 (GPLv3)": "GPL-3.0-only",
    "GNU Lesser General Public License v3 (LGPLv3)": "LGPL-3.0-only",
    "GNU Lesser General Public License v2 (LGPLv2)": "LGPL-2.0-only",
    "Mozilla Public License 2.0 (MPL 2.0)": "MPL-2.0", "The Unlicense (Unlicense)": "Unlicense",
    "Zope Public License": "ZPL-2.1", "Academic Free License (AFL)": "AFL-3.0",
}
_ALIASES = {
    "mit": "MIT", "mit license": "MIT", "the mit license": "MIT", "expat": "MIT", "bsd-3-clause": "BSD-3-Clause",
    "bsd 3-clause": "BSD-3-Clause", "new bsd": "BSD-3-Clause", "new bsd license": "BSD-3-Clause",
    "3-clause bsd": "BSD-3-Clause", "modified bsd": "BSD-3-Clause", "bsd-2-clause": "BSD-2-Clause",
    "simplified bsd": "BSD-2-Clause", "2-clause bsd": "BSD-2-Clause", "apache-2.0": "Apache-2.0",
    "apache 2.0": "Apache-2.0", "apache license 2.0": "Apache-2.0", "apache license, version 2.0": "Apache-2.0",
    "apache software license": "Apache-2.0", "isc": "ISC", "isc license": "ISC", "psf": "PSF-2.0",
    "psf-2.0": "PSF-2.0", "mpl-2.0": "MPL-2.0", "unlicense": "Unlicense", "0bsd": "0BSD", "zlib": "Zlib",
    "gpl-3.0": "GPL-3.0-only", "gplv3": "GPL-3.0-only", "gpl-2.0": "GPL-2.0-only", "gplv2": "GPL-2.0-only",
    "lgpl-3.0": "LGPL-3.0-only", "lgplv3": "LGPL-3.0-only", "lgpl-2.1": "LGPL-2.1-only",
}
_SPDX_RE = re.compile(r"^[A-Za-z0-9.+-]+( (AND|OR|WITH) [A-Za-z0-9.+-]+)*$")
_LICENSE_FILES = ("LICENSE", "LICENSE.txt", "LICENSE.md", "LICENSE.rst", "LICENCE", "LICENCE.txt", "COPYING",
                  "COPYING.txt", "license.txt", "LICENSES.txt")


@dataclass
class ProjectInfo:
    name: str
    version: str | None
    license: str  # SPDX id, or NOASSERTION
    packages: list[str] = field(default_factory=list)  # top-level import names of the project's code
    source_roots: list[Path] = field(default_factory=list)  # where those import names live (root, or root/src)


def read_project(root: Path, fallback_name: str = "") -> ProjectInfo:
    pkg_info = _pkg_info(root)
    pyproject = _toml(root / "pyproject.toml").get("project", {})
    setup_cfg = _cfg(root / "setup.cfg")
    meta = setup_cfg["metadata"] if setup_cfg.has_section("metadata") else {}
    name = (pkg_info.get("Name") or pyproject.get("name") or meta.get("name") or _setup_py_kw(root, "name")
            or fallback_name or root.name)
    version = pkg_info.get("Version") or (pyproject.get("version") if isinstance(pyproject.get("version"), str)
                                          else None) or _plain_version(meta.get("version"))
    packages, roots = find_packages(root)
    return ProjectInfo(name=str(name), version=version, license=detect_license(root, pkg_info, pyproject, meta),
                       packages=packages, source_roots=roots)


def find_packages(root: Path) -> tuple[list[str], list[Path]]:
    """Top-level import names of the project's own code, and the folders they live in."""
    names: set[str] = set()
    for top_level in list(root.glob("*.egg-info/top_level.txt")) + list(root.glob("src/*.egg-info/top_level.txt")):
        names.update(line.strip() for line in top_level.read_text(errors="replace").splitlines() if line.strip())
    roots = [root / "src"] if (root / "src").is_dir() else []
    roots.append(root)
    found: set[str] = set()
    for base in roots:
        for child in sorted(base.iterdir()):
            name = child.name
            if child.is_dir() and (child / "__init__.py").exists() and name.isidentifier():
                if name.lower() not in _NOT_PACKAGES and not is_test_module(name):
                    found.add(name)
            elif child.suffix == ".py" and child.stem.isidentifier():
                stem = child.stem
                if stem not in _NOT_MODULES and not is_test_module(stem) and not stem.startswith("test"):
                    found.add(stem)
    names = {n for n in names if n.isidentifier() and not is_test_module(n)} or found
    return sorted(names), [r for r in roots if any((r / n).exists() or (r / f"{n}.py").exists() for n in names)]


def module_file(roots: list[Path], module: str) -> Path | None:
    """The source file of a dotted module name inside the project's source roots. The name comes from the
    trace, which the untrusted suite writes: anything but dotted identifiers (`/etc/x`, `..`) names no file."""
    parts = module.split(".")
    if not all(p.isidentifier() for p in parts):
        return None
    for base in roots:
        for candidate in (base.joinpath(*parts).with_suffix(".py"), base.joinpath(*parts, "__init__.py")):
            if candidate.is_file():
                return candidate
    return None


# ---- licence ---------------------------------------------------------------------------------
def detect_license(root: Path, pkg_info: dict, pyproject: dict, meta) -> str:
    for value in (pkg_info.get("License-Expression"), pyproject.get("license") if isinstance(
            pyproject.get("license"), str) else None):
        if value and _SPDX_RE.match(value.strip()):
            return value.strip()
    texts = [pkg_info.get("License"), meta.get("license") if meta else None]
    if isinstance(pyproject.get("license"), dict):
        texts.append(pyproject["license"].get("text"))
    for text in texts:
        spdx = _ALIASES.get((text or "").strip().lower())
        if spdx:
            return spdx
    classifiers = pkg_info.get_all("Classifier") if hasattr(pkg_info, "get_all") else None
    classifiers = (classifiers or []) + list(pyproject.get("classifiers", []))
    if meta and meta.get("classifiers"):
        classifiers += [c.strip() for c in meta["classifiers"].splitlines() if c.strip()]
    from_classifier = {_CLASSIFIERS[c.split(" :: ")[-1]] for c in classifiers
                       if c.startswith("License ::") and c.split(" :: ")[-1] in _CLASSIFIERS}
    if len(from_classifier) == 1:
        return from_classifier.pop()
    for name in _LICENSE_FILES:
        path = root / name
        if path.is_file():
            spdx = license_from_text(path.read_text(errors="replace"))
            if spdx:
                return spdx
    return "NOASSERTION"


def license_from_text(text: str) -> str | None:
    t = re.sub(r"\s+", " ", text).lower()
    if "permission is hereby granted, free of charge" in t:
        return "MIT"
    if "apache license" in t and "version 2.0" in t:
        return "Apache-2.0"
    if "redistribution and use in source and binary forms" in t:
        if "neither the name" in t or "may not be used to endorse" in t:
            return "BSD-3-Clause"
        return "BSD-2-Clause"
    if "permission to use, copy, modify, and/or distribute this software for any purpose" in t:
        return "ISC" if "with or without fee" in t and "copyright notice" in t else "0BSD"
    if "mozilla public license version 2.0" in t:
        return "MPL-2.0"
    if "gnu lesser general public license" in t:
        return "LGPL-3.0-or-later" if "version 3" in t else "LGPL-2.1-or-later"
    if "gnu general public license" in t:
        return "GPL-3.0-or-later" if "version 3" in t else "GPL-2.0-or-later"
    if "this is free and unencumbered software released into the public domain" in t:
        return "Unlicense"
    return None


# ---- reading files -------------------------------------------------------------------------------
def _pkg_info(root: Path):
    for path in (root / "PKG-INFO", *root.glob("*.egg-info/PKG-INFO"), *root.glob("src/*.egg-info/PKG-INFO")):
        if path.is_file():
            return HeaderParser().parsestr(path.read_text(encoding="utf-8", errors="replace"))
    return HeaderParser().parsestr("")


def _toml(path: Path) -> dict:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    except (tomllib.TOMLDecodeError, UnicodeDecodeError):
        return {}


def _cfg(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    if path.is_file():
        try:
            parser.read_string(path.read_text(encoding="utf-8", errors="replace"))
        except configparser.Error:
            pass
    return parser


def _plain_version(value: str | None) -> str | None:
    return value if value and re.match(r"^[0-9][0-9A-Za-z.+!-]*$", value) else None


def _setup_py_kw(root: Path, key: str) -> str | None:
    path = root / "setup.py"
    if not path.is_file():
        return None
    m = re.search(rf"\b{key}\s*=\s*['\"]([^'\"]+)['\"]", path.read_text(errors="replace"))
    return m.group(1) if m else None
