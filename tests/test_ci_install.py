"""Target environments without running the target's code outside the sandbox: sdists fetched
through the JSON simple API (sha256 checked), wheels built in the sandbox, wheels-only installs."""
from __future__ import annotations

import ast
import base64
import hashlib
import io
import json
import os
import shutil
import socket
import subprocess
import tarfile
import threading
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from packaging.specifiers import SpecifierSet

from sftset.ci_mining.ci_config import TestPlan as Plan
from sftset.ci_mining.ci_config import read_plan
from sftset.ci_mining.targets import TargetFailed, fetch, parse_target, pick_sdist_for
from sftset.ci_mining.venv import _named_requirements, default_python, prepare_env
from sftset.ci_mining.wheels import _requirements, build_requirements

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
    """A PEP 691 index on 127.0.0.1 ($PIP_INDEX_URL); returns `publish` to add an sdist (`fakepkg` unless named)."""
    routes: dict[str, tuple[str, bytes]] = {}
    pages: dict[str, list[dict]] = {}

    def publish(version: str, *, sha256: str | None = None, yanked=False, data: bytes | None = None,
                name: str = "fakepkg", filename: str | None = None):
        data = data if data is not None else _sdist(name, version)
        filename = filename or f"{name}-{version}.tar.gz"
        routes[f"/files/{filename}"] = ("application/octet-stream", data)
        pages.setdefault(name, []).append({"filename": filename, "url": f"../../files/{filename}", "yanked": yanked,
                                           "hashes": {"sha256": sha256 or hashlib.sha256(data).hexdigest()}})

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            name = self.path.removeprefix("/simple/").rstrip("/")
            if self.path.startswith("/simple/") and name in pages:
                ctype, body = SIMPLE_JSON, json.dumps({"meta": {"api-version": "1.0"}, "name": name,
                                                       "files": pages[name]}).encode()
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
    publish.url = os.environ["PIP_INDEX_URL"]
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


# ---- dependencies that have no wheel: built from their sdists, in the sandbox ---------------------
DEP = "sftset-sdistonly-dep"


def test_pick_sdist_for_a_specifier():
    files = [{"filename": f"{DEP}-{v}.tar.gz", "yanked": v == "1.9"} for v in ("1.0", "1.5", "1.9", "2.0", "2.1rc1")]

    def pick(spec: str) -> str:
        return pick_sdist_for(DEP, SpecifierSet(spec), files)["filename"]

    assert pick("<2") == f"{DEP}-1.5.tar.gz"  # 1.9 is yanked
    assert pick("") == f"{DEP}-2.0.tar.gz"  # not the pre-release...
    assert pick(">=2.1rc1") == f"{DEP}-2.1rc1.tar.gz"  # ...unless asked for
    assert pick("==1.9") == f"{DEP}-1.9.tar.gz"  # a pin takes a yanked release
    with pytest.raises(TargetFailed, match="no sdist of sftset-sdistonly-dep>3"):
        pick(">3")


def test_requirements_follow_markers_and_extras():
    meta = ("Metadata-Version: 2.1\nName: x\nVersion: 1\nRequires-Dist: a>=1\n"
            "Requires-Dist: b; python_version < '3'\nRequires-Dist: c; extra == 'cli'\n"
            "Requires-Dist: d; sys_platform == 'linux' and extra == 'cli'\n")
    env = {"python_version": "3.11", "sys_platform": "linux"}
    assert [r.name for r in _requirements(meta, [], env)] == ["a"]
    assert [r.name for r in _requirements(meta, ["cli"], env)] == ["a", "c", "d"]


def _dep_sdist(version: str, setup: str | None = None) -> bytes:
    """An sdist of the dependency in tests/projects/sdist_dep (its setup.py replaced by `setup` if given)."""
    buf, base = io.BytesIO(), PROJECTS / "sdist_dep" / "dependency"
    files = {p.relative_to(base).as_posix(): p.read_bytes() for p in base.rglob("*") if p.is_file()}
    files["version.txt"] = version.encode()
    if setup is not None:
        files["setup.py"] = setup.encode()
    with tarfile.open(fileobj=buf, mode="w:gz") as tf:
        for path, data in files.items():
            info = tarfile.TarInfo(f"sftset_sdistonly_dep-{version}/{path}")
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return buf.getvalue()


@pytest.fixture
def sdist_only(fake_index, monkeypatch):
    """The fake index serves the dependency; uv looks there first, then on PyPI (pytest, setuptools)."""
    monkeypatch.setenv("UV_EXTRA_INDEX_URL", fake_index.url)
    monkeypatch.setenv("PIP_EXTRA_INDEX_URL", "https://pypi.org/simple")  # for pip, when uv is not used
    return lambda version, **kw: fake_index(version, name=DEP, data=_dep_sdist(version, **kw))


def _installed_version(env, name: str) -> str:
    out = subprocess.run([str(env.python), "-c", f"import importlib.metadata as m; print(m.version({name!r}))"],
                         capture_output=True, text=True, timeout=60, check=False)
    return out.stdout.strip()


@pytest.mark.network_pypi
def test_dependency_without_wheel_is_built_in_the_sandbox(tmp_path, sdist_only):
    for version in ("1.0", "1.5", "2.0"):
        sdist_only(version)
    root = tmp_path / "project"
    shutil.copytree(PROJECTS / "sdist_dep" / "project", root)
    Path("/tmp/escaped-by-dep.txt").unlink(missing_ok=True)
    work = tmp_path / "work"
    env = prepare_env(work, root, read_plan(root), default_python())

    assert env.notes == [f"built dependency {DEP} 1.5 from its sdist in the sandbox"]  # the newest below 2
    (wheel,) = (work / "deps" / "wheels").glob("*/*.whl")
    with zipfile.ZipFile(wheel) as zf:
        tried = ast.literal_eval(zf.read("sdistonlydep/_build_report.py").decode().removeprefix("TRIED = "))
    assert tried["uid"] not in (0, os.getuid())  # the sandbox's own user
    assert tried["outside"] != "written" and not (work / "deps" / "escaped-by-dep.txt").exists()
    assert not Path("/tmp/escaped-by-dep.txt").exists()
    log = (work / "install.log").read_text()
    assert log.count("(sandbox, full)") == 2  # the project's build and the dependency's
    assert f"{DEP}<2 has no wheel that installs: building it from its sdist in the sandbox" in log
    assert _installed_version(env, DEP) == "1.5" and _installed_version(env, "needsdep") == "1.0"

    again = prepare_env(work, root, read_plan(root), default_python())  # unchanged: reused, not rebuilt
    assert again.notes == env.notes and (work / "install.log").read_text() == log


@pytest.mark.network_pypi
def test_test_requirement_without_wheel_is_built(tmp_path, sdist_only):
    sdist_only("1.0")
    root = tmp_path / "project"
    (root / "tests").mkdir(parents=True)  # no build files: only the test requirement is installed
    env = prepare_env(tmp_path / "work", root, Plan(requirements=[DEP]), default_python())
    assert f"built dependency {DEP} 1.0 from its sdist in the sandbox" in env.notes
    assert _installed_version(env, DEP) == "1.0"


def _wheel(name: str, version: str, requires: list[str]) -> tuple[str, bytes]:
    """A pure-Python wheel (filename, bytes) with an empty package and these Requires-Dist."""
    dist = f"{name.replace('-', '_')}-{version}"
    files = {f"{name.replace('-', '_')}/__init__.py": b"",
             f"{dist}.dist-info/METADATA": "".join([f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
                                                   *(f"Requires-Dist: {r}\n" for r in requires)]).encode(),
             f"{dist}.dist-info/WHEEL": b"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\n"
                                          b"Tag: py3-none-any\n"}
    record = [f"{path},sha256={base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b'=').decode()},"
              f"{len(data)}" for path, data in files.items()]
    files[f"{dist}.dist-info/RECORD"] = ("\n".join(record) + f"\n{dist}.dist-info/RECORD,,\n").encode()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for path, data in files.items():
            zf.writestr(path, data)
    return f"{dist}-py3-none-any.whl", buf.getvalue()


@pytest.mark.network_pypi
def test_requirement_with_a_wheel_whose_dependency_has_none(tmp_path, fake_index, sdist_only):
    sdist_only("1.0")
    filename, data = _wheel("sftset-wheel-dep", "1.0", [DEP, "sftset-never-needed; python_version < '3'"])
    fake_index("1.0", name="sftset-wheel-dep", filename=filename, data=data)
    root = tmp_path / "project"
    (root / "tests").mkdir(parents=True)
    env = prepare_env(tmp_path / "work", root, Plan(requirements=["sftset-wheel-dep"]), default_python())
    built = [n for n in env.notes if n.startswith("built dependency")]
    assert built == [f"built dependency {DEP} 1.0 from its sdist in the sandbox"]  # sftset-wheel-dep has a wheel
    assert _installed_version(env, "sftset-wheel-dep") == "1.0" and _installed_version(env, DEP) == "1.0"


@pytest.mark.network_pypi
def test_dependency_whose_sdist_does_not_build(tmp_path, sdist_only):
    sdist_only("1.0", setup="raise SystemExit('this dependency does not build')\n")
    root = tmp_path / "project"
    shutil.copytree(PROJECTS / "sdist_dep" / "project", root)
    with pytest.raises(TargetFailed) as err:
        prepare_env(tmp_path / "work", root, read_plan(root), default_python())
    assert err.value.reason == "install failed"
    assert err.value.detail.startswith(f"dependency {DEP} has no wheel and its sdist does not build: ")
    assert "this dependency does not build" in err.value.detail


# ---- a hostile dependency: what its wheel carries never runs outside the sandbox ----------------
HOSTILE_SETUP = '''\
"""A dependency whose wheel carries code that runs whenever an interpreter of the venv starts."""
import os
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

here = Path(__file__).resolve().parent
MARK = {mark!r}
payload = "import os; open(" + repr(MARK) + ", 'a').write('ran as uid %d' % os.getuid())\\n"
(here / "sitecustomize.py").write_text(payload)
(here / "evil-script").write_text("#!/bin/sh\\necho evil\\n")
(here / "python-data").write_text("#!/bin/sh\\necho evil\\n")


class WithPth(build_py):
    def run(self):
        super().run()
        Path(self.build_lib, "zz_hostile.pth").write_text(payload)


setup(name="sftset-sdistonly-dep", version=(here / "version.txt").read_text().strip(), packages=["sdistonlydep"],
      py_modules=["sitecustomize"], scripts=["evil-script"], data_files=[("bin", ["python-data"])],
      entry_points={{"console_scripts": ["python=sdistonlydep:twice", "sdistonly-cli=sdistonlydep:twice"]}},
      cmdclass={{"build_py": WithPth}})
'''


@pytest.mark.network_pypi
@pytest.mark.parametrize("use_uv", [False, True], ids=["pip", "uv-cold-cache"])
def test_a_hostile_dependency_never_runs_outside_the_sandbox(tmp_path, sdist_only, monkeypatch, use_uv):
    from sftset.ci_mining.wheels import step

    if use_uv:
        monkeypatch.setenv("UV_CACHE_DIR", str(tmp_path / "uv-cache"))  # uv queries the interpreter afresh
    mark = f"/tmp/sftset-pth-ran-{os.getpid()}-{use_uv}"
    Path(mark).unlink(missing_ok=True)
    sdist_only("1.0", setup=HOSTILE_SETUP.format(mark=mark))
    root = tmp_path / "project"
    shutil.copytree(PROJECTS / "sdist_dep" / "project", root)
    # A test requirement built from the hostile sdist, then more installs (build requirements, the
    # project's own): each would start the venv's interpreter, and so the .pth, as root.
    env = prepare_env(tmp_path / "work", root, Plan(requirements=[DEP]), default_python(), use_uv=use_uv)
    assert not Path(mark).exists(), Path(mark).read_text()
    site = next((env.path / "lib").glob("python*/site-packages"))
    assert not list(site.glob("zz_hostile*")) and not (site / "sitecustomize.py").exists()
    assert list(site.glob("sftset_sdistonly_dep-1.0.dist-info")) and (site / "sdistonlydep" / "__init__.py").exists()
    assert list(site.glob("needsdep-1.0.dist-info"))
    bin_dir = env.path / "bin"
    assert not (bin_dir / "evil-script").exists() and not (bin_dir / "python-data").exists()
    assert (bin_dir / "python").is_symlink() and (bin_dir / "sdistonly-cli").exists()
    [note] = [n for n in env.notes if "left out" in n]
    assert "zz_hostile.pth" in note and "sitecustomize.py" in note and "script python" in note
    # From now on the venv's interpreter starts in the sandbox only.
    with pytest.raises(TargetFailed, match="outside the sandbox"):
        step(env.log, [str(env.python), "-c", "pass"], None)
    with pytest.raises(TargetFailed, match="outside the sandbox"):
        step(env.log, ["uv", "pip", "install", "--python", str(env.python), "x"], None)
    assert not Path(mark).exists()


@pytest.mark.network_pypi
def test_pip_path_builds_a_setuptools_project_that_does_not_name_wheel(tmp_path):
    # A Python 3.11 venv comes with setuptools 65, which has no bdist_wheel without `wheel`; a
    # project asking for "setuptools>=61" only (isodate, validators) built only on the uv path.
    root = tmp_path / "project"
    (root / "modernpkg").mkdir(parents=True)
    (root / "modernpkg" / "__init__.py").write_text("def f():\n    return 1\n")
    (root / "tests").mkdir()
    (root / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["setuptools>=61"]\nbuild-backend = "setuptools.build_meta"\n\n'
        '[project]\nname = "modernpkg"\nversion = "1.0"\n\n[tool.setuptools]\npackages = ["modernpkg"]\n')
    env = prepare_env(tmp_path / "work", root, Plan(), default_python(), use_uv=False)
    assert env.tool == "pip"
    site = next((env.path / "lib").glob("python*/site-packages"))
    assert list(site.glob("modernpkg-1.0.dist-info"))


def test_an_index_release_of_the_project_is_replaced_by_its_own_wheel(tmp_path):
    # packaging comes into a pip-path venv as a dependency of wheel; the project's own packaging wheel must
    # then replace it (found by its NAME-VERSION.dist-info, whose "dist-info" holds a hyphen too).
    from sftset.ci_mining.wheels import _uninstall

    site = tmp_path / "venv" / "lib" / "python3.11" / "site-packages"
    (site / "packaging").mkdir(parents=True)
    (site / "packaging" / "__init__.py").write_text("")
    info = site / "packaging-26.4.dist-info"
    info.mkdir()
    (info / "RECORD").write_text("packaging/__init__.py,,\npackaging-26.4.dist-info/RECORD,,\n")
    other = site / "packaging_extra-1.0.dist-info"
    other.mkdir()
    _uninstall(site, "packaging")
    assert not (site / "packaging" / "__init__.py").exists() and not info.exists()
    assert other.exists()


@pytest.mark.network_pypi
def test_wheels_built_in_the_sandbox_are_cached_for_a_rebuilt_venv(tmp_path, sdist_only):
    """Issue 14: venvs are removed after mining; rebuilding one takes the built wheels from the shared cache."""
    from sftset.ci_mining.venv import remove_envs
    from sftset.ci_mining.wheels import tree_hash

    sdist_only("1.5")
    root = tmp_path / "project"
    shutil.copytree(PROJECTS / "sdist_dep" / "project", root)
    work, cache = tmp_path / "work", tmp_path / "cache"
    source = tree_hash(root)
    env = prepare_env(work, root, read_plan(root), default_python(), wheel_cache=cache, source_hash=source)
    assert env.notes == [f"built dependency {DEP} 1.5 from its sdist in the sandbox"]
    assert len(list(cache.glob("*/*.whl"))) == 2  # the project's wheel and the dependency's

    remove_envs(work)
    assert not (work / "venv").exists() and not (work / "deps" / "wheels").exists()
    again = prepare_env(work, root, read_plan(root), default_python(), wheel_cache=cache, source_hash=source)
    assert "(sandbox" not in (work / "install.log").read_text()  # nothing built again
    assert any("built by an earlier run (cached" in n for n in again.notes)
    assert _installed_version(again, DEP) == "1.5" and _installed_version(again, "needsdep") == "1.0"
    log = (work / "install.log").read_text()
    third = prepare_env(work, root, read_plan(root), default_python(), wheel_cache=cache, source_hash=source)
    assert third.python == again.python and (work / "install.log").read_text() == log  # kept venv: reused
