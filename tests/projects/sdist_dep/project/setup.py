"""A project whose one dependency exists only as an sdist (a test case for the CI miner)."""
from setuptools import setup

setup(name="needsdep", version="1.0", packages=["needsdep"], install_requires=["sftset-sdistonly-dep<2"])
