"""A project whose build tries to leave its folder and reach the network (a test case for the CI miner).

What each attempt gave is written into the package (buildescape/_build_report.py), so the
test can read it from the built wheel.
"""
import os
import socket
from pathlib import Path

from setuptools import setup

here = Path(__file__).resolve().parent
tried = {"uid": os.getuid()}
for key, target in (("outside", here.parent / "escaped-by-build.txt"), ("tmp", Path("/tmp/escaped-by-build.txt"))):
    try:
        target.write_text("written by build_escape's setup.py\n")
        tried[key] = "written"
    except OSError as exc:
        tried[key] = type(exc).__name__
try:  # the test listens on this port on the host's loopback
    port = int((here / "port.txt").read_text())
    socket.create_connection(("127.0.0.1", port), timeout=5).close()
    tried["network"] = "connected"
except (OSError, ValueError) as exc:
    tried["network"] = type(exc).__name__
(here / "buildescape" / "_build_report.py").write_text(f"TRIED = {tried!r}\n")

setup(name="buildescape", version="1.0", packages=["buildescape"])
