"""TARGET spellings, fetching (local path, git, sdist archives), and what a source tree says about itself."""
from __future__ import annotations

import io
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest

from sftset.ci_mining.project import find_packages, license_from_text, read_project
from sftset.ci_mining.targets import TargetFailed, fetch, parse_target, unpack_archive
from sftset.errors import InputError

PROJECTS = Path(__file__).parent / "projects"
FIXTURES = Path(__file__).parent / "fixtures" / "ci_mining"


def test_parse_target_spellings(tmp_path):
    t = parse_target("pypi:inflection==0.5.1")
    assert (t.kind, t.location, t.version, t.slug) == ("pypi", "inflection", "0.5.1", "inflection-0.5.1")
    assert parse_target("pypi:toolz").version is None
    g = parse_target("git+https://github.com/owner/repo.git@v1.2")
    assert (g.kind, g.location, g.version, g.slug) == ("git", "https://github.com/owner/repo.git", "v1.2", "repo-v1.2")
    assert parse_target("git@github.com:owner/thing.git").kind == "git"
    p = parse_target(str(tmp_path))
    assert p.kind == "path" and p.location == str(tmp_path.resolve())


@pytest.mark.parametrize("spec", ["pypi:", "pypi:bad name", "pypi:x>=1", "/no/such/dir", "notaurl"])
def test_bad_targets_are_input_errors(spec):
    with pytest.raises(InputError) as err:
        parse_target(spec)
    assert "target" in str(err.value)


def _tar(path: Path, members: dict[str, bytes], link: tuple[str, str] | None = None) -> Path:
    with tarfile.open(path, "w:gz") as tf:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
        if link:
            info = tarfile.TarInfo(link[0])
            info.type, info.linkname = tarfile.SYMTYPE, link[1]
            tf.addfile(info)
    return path


def test_unpack_refuses_escapes_and_links(tmp_path):
    archive = _tar(tmp_path / "evil-1.0.tar.gz", {"evil-1.0/setup.py": b"", "../../escaped.txt": b"x",
                                                 "/abs.txt": b"y"}, link=("evil-1.0/key", "/etc/passwd"))
    unpack_archive(archive, tmp_path / "out")
    assert (tmp_path / "out" / "evil-1.0" / "setup.py").exists()
    assert not (tmp_path / "escaped.txt").exists() and not (tmp_path.parent / "escaped.txt").exists()
    assert not (tmp_path / "out" / "evil-1.0" / "key").exists()


def test_unpack_bad_archive(tmp_path):
    bad = tmp_path / "x-1.tar.gz"
    bad.write_bytes(b"not a tarball")
    with pytest.raises(TargetFailed) as err:
        unpack_archive(bad, tmp_path / "out")
    assert err.value.reason == "bad archive"


def test_fetch_local_path_copies(tmp_path):
    fetched = fetch(parse_target(str(PROJECTS / "unittest_only")), tmp_path / "work")
    assert (fetched.root / "numtools" / "__init__.py").exists()
    assert fetched.root == tmp_path / "work" / "src" and fetched.commit is None


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_fetch_git_url(tmp_path):
    repo = tmp_path / "repo"
    shutil.copytree(PROJECTS / "unittest_only", repo)
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t",
           "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    for cmd in (["git", "init", "-q"], ["git", "add", "."], ["git", "commit", "-qm", "x"]):
        subprocess.run(cmd, cwd=repo, check=True, env=env)
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True).stdout.strip()
    fetched = fetch(parse_target(f"file://{repo}"), tmp_path / "work")
    assert fetched.commit == head and (fetched.root / "numtools").is_dir() and not (fetched.root / ".git").exists()
    with pytest.raises(TargetFailed) as err:
        fetch(parse_target(f"file://{tmp_path}/nope.git"), tmp_path / "work2")
    assert err.value.reason == "clone failed"


def test_read_project_from_static_files():
    info = read_project(PROJECTS / "hardcases", "hardcases")
    assert (info.name, info.license, info.packages) == ("hardcases", "MIT", ["hardcases"])
    slug = read_project(FIXTURES / "python-slugify")
    assert (slug.name, slug.license) == ("python-slugify", "MIT")
    assert read_project(FIXTURES / "toolz").name == "toolz"
    assert read_project(FIXTURES / "titlecase").license == "MIT"  # setup.cfg: license = MIT


def test_packages_skip_tests_and_tooling(tmp_path):
    for name in ("pkg/__init__.py", "tests/__init__.py", "setup.py", "conftest.py", "tool.py", "test_x.py"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("")
    names, roots = find_packages(tmp_path)
    assert names == ["pkg", "tool"] and roots == [tmp_path]


def test_license_texts():
    assert license_from_text((PROJECTS / "hardcases" / "LICENSE").read_text()) == "MIT"
    bsd3 = "Redistribution and use in source and binary forms ... Neither the name of the copyright holder"
    assert license_from_text(bsd3) == "BSD-3-Clause"
    assert license_from_text("Apache License\nVersion 2.0, January 2004") == "Apache-2.0"
    assert license_from_text("all rights reserved") is None
