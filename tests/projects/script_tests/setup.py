# An old-style setup.py that imports pkg_resources, which setuptools 81 dropped (html5lib 1.1 does so):
# the miner installs setuptools<81 for such a project.
import pkg_resources  # noqa: F401
from setuptools import setup

setup(name="scripttools", version="0.1", packages=["scripttools"])
