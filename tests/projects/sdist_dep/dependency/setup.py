"""The dependency: served by the tests' fake index as an sdist only (no wheel).

Its build records who ran it and whether it could write outside its folder, into the package
(sdistonlydep/_build_report.py), so the test can read it from the built wheel.
"""
import os
from pathlib import Path

from setuptools import setup

here = Path(__file__).resolve().parent
tried = {"uid": os.getuid()}
for key, target in (("outside", here.parent / "escaped-by-dep.txt"), ("tmp", Path("/tmp/escaped-by-dep.txt"))):
    try:
        target.write_text("written by sdistonlydep's setup.py\n")
        tried[key] = "written"
    except OSError as exc:
        tried[key] = type(exc).__name__
(here / "sdistonlydep" / "_build_report.py").write_text(f"TRIED = {tried!r}\n")

setup(name="sftset-sdistonly-dep", version=(here / "version.txt").read_text().strip(), packages=["sdistonlydep"])
