"""Target environments without running the target's code outside the sandbox: sdists fetched
through the JSON simple API (sha256 checked), wheels built in the sandbox, wheels-only installs."""
from __future__ import annotations

import hashlib
import io
import json
import shutil
import socket
import tarfile
import threading
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from sftset.ci_mining.ci_config import TestPlan as Plan, read_plan
from sftset.ci_mining.targets import TargetFailed, fetch, parse_target
from sftset.ci_mining.venv import _named_requirements, build_requirements, default_python, prepare_env

PROJECTS = Path(__file__).parent / "projects"
SIMPLE_JSON = "application/vnd.pypi.simple.v1+json"


# ---- fetching an sdist through a (fake, local) package index ----------------------------------
def _sdist(name: str, version: str) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tf:
        for path, text in {"setup.py": "raise SystemExit('never run')\n", f"{name}/__init__.py": f"V = {version!r}\n"}.items():
            data = text.encode()
            info = tarfile.TarInfo(f"{name}-{version}/{path}")
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return buf.getvalue()


@pytest.fixture
def fake_index(monkeypatch):
    """A PEP 691 index on 127.0.0.1 serving `fakepkg`; returns (routes, files) to adjust."""
    routes: dict[str, tuple[str, bytes]] = {}
    files: list[dict] = []

    def publish(version: str, *, sha256: str | None = None, yanked=False, data: bytes | None = None):
        data = data if data is not None else _sdist("fakepkg", version)
        name = f"fakepkg-{version}.tar.gz"
        routes[f"/files/{name}"] = ("application/octet-stream", data)
        files.append({"filename": name, "url": f"../../files/{name}", "yanked": yanked,
                      "hashes": {"sha256": sha256 or hashlib.sha256(data).hexdigest()}})

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            if self.path == "/simple/fakepkg/":
                ctype, body = SIMPLE_JSON, json.dumps({"meta": {"api-version": "1.0"}, "name": "fakepkg",
                                                       "files": files}).encode()
            elif self.path in routes:
                ctype, body = routes[self.path]
            else:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("PIP_INDEX_URL", f"http://127.0.0.1:{server.server_address[1]}/simple/")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    yield publish
    server.shutdown()
    server.server_close()


def test_fetch_checks_the_sha256(fake_index, tmp_path):
    fake_index("1.0")
    fake_index("1.1", sha256="0" * 64)
    fetched = fetch(parse_target("pypi:fakepkg==1.0"), tmp_path / "ok")
    assert fetched.version == "1.0" and (fetched.root / "fakepkg" / "__init__.py").read_text() == "V = '1.0'\n"
    with pytest.raises(TargetFailed) as err:
        fetch(parse_target("pypi:fakepkg==1.1"), tmp_path / "bad")
    assert err.value.reason == "download failed" and "sha256" in err.value.detail
    assert not (tmp_path / "bad" / "src").exists()


def test_fetch_unpinned_takes_the_newest_release(fake_index, tmp_path):
    for version, yanked in (("1.0", False), ("1.2", False), ("1.10", False), ("2.0", True), ("3.0rc1", False)):
        fake_index(version, yanked=yanked)
    fetched = fetch(parse_target("pypi:fakepkg"), tmp_path / "w")
    assert fetched.version == "1.10"  # 2.0 is yanked, 3.0rc1 a pre-release
    assert fetch(parse_target("pypi:FakePkg==2.0"), tmp_path / "w2").version == "2.0"  # pinned: yanked is fine


def test_fetch_missing(fake_index, tmp_path):
    fake_index("1.0")
    with pytest.raises(TargetFailed) as err:
        fetch(parse_target("pypi:fakepkg==9.9"), tmp_path / "a")
    assert err.value.reason == "missing package" and "no sdist for version 9.9" in err.value.detail
    with pytest.raises(TargetFailed) as err:
        fetch(parse_target("pypi:otherpkg"), tmp_path / "b")
    assert err.value.reason == "missing package" and "no such package on the index" in err.value.detail


# ---- what is installed with network ---------------------------------------------------------------
def test_requirement_files_keep_only_named_requirements(tmp_path):
    (tmp_path / "more.txt").write_text("attrs>=22\n-r more.txt\n")
    (tmp_path / "req.txt").write_text(
        "# test deps\n-e .\n.\n./sub\ngit+https://example.invalid/x.git\nthing @ https://example.invalid/t.tar.gz\n"
        "--index-url https://example.invalid/simple\nrequests>=2 --hash=sha256:abc\n"
        "hypothesis[cli]; python_version >= '3.8'  # comment\n-r more.txt\n-r ../outside.txt\n")
    notes: list[str] = []
    assert _named_requirements(tmp_path / "req.txt", tmp_path, notes) == [
        "requests>=2", "hypothesis[cli]; python_version >= '3.8'", "attrs>=22"]
    assert len(notes) == 4 and all("not a named requirement" in n for n in notes)


def test_build_requirements(tmp_path):
    assert build_requirements(tmp_path) == ["setuptools>=40.8.0", "wheel"]
    (tmp_path / "pyproject.toml").write_text('[build-system]\nrequires = ["hatchling>=1.5"]\n'
                                             'build-backend = "hatchling.build"\n')
    assert build_requirements(tmp_path) == ["hatchling>=1.5"]


# ---- the build, in the sandbox -------------------------------------------------------------------
@pytest.fixture
def listener():
    """A TCP server on the host's loopback counting the connections it gets."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    sock.settimeout(0.2)
    got, stop = [], threading.Event()

    def accept():
        while not stop.is_set():
            try:
                got.append(sock.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield sock.getsockname()[1], got
    stop.set()
    thread.join()
    sock.close()


@pytest.mark.network_pypi
def test_build_runs_in_the_sandbox(tmp_path, listener):
    port, connections = listener
    root = tmp_path / "project"
    shutil.copytree(PROJECTS / "build_escape", root)
    (root / "port.txt").write_text(str(port))
    Path("/tmp/escaped-by-build.txt").unlink(missing_ok=True)
    work = tmp_path / "work"
    env = prepare_env(work, root, read_plan(root), default_python())

    (wheel,) = (work / "wheel").glob("*.whl")
    with zipfile.ZipFile(wheel) as zf:
        tried = zf.read("buildescape/_build_report.py").decode()
    assert "'network': 'connected'" not in tried and not connections
    assert "'outside': 'written'" not in tried and not (tmp_path / "escaped-by-build.txt").exists()
    assert not Path("/tmp/escaped-by-build.txt").exists()  # the sandbox's /tmp is its own
    assert "(sandbox, full)" in (work / "install.log").read_text() and "'uid': 0" not in tried
    assert not (root / "build").exists()

    import subprocess

    out = subprocess.run([str(env.python), "-c", "import buildescape, pytest; print(buildescape.__file__)"],
                         capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == str(root / "buildescape" / "__init__.py"), out.stderr  # the tree comes first

    log_before = (work / "install.log").read_text()
    again = prepare_env(work, root, read_plan(root), default_python())  # unchanged: reused, not rebuilt
    assert again.python == env.python and (work / "install.log").read_text() == log_before


@pytest.mark.network_pypi
def test_failing_build_does_not_build(tmp_path):
    root = tmp_path / "project"
    shutil.copytree(PROJECTS / "bad_build", root)
    with pytest.raises(TargetFailed) as err:
        prepare_env(tmp_path / "work", root, Plan(), default_python())
    assert err.value.reason == "does not build"
    assert "this project does not build" in err.value.detail
