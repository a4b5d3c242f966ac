"""CI mining breadth and throughput (issue 14): the reviewed list's groups, `--targets NAME|FILE`
(git repositories too), targets mined in parallel giving what one at a time gives, and exit status 1
for each kind of failed target."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import threading
import tomllib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from sftset.ci_mining.stage import load_targets
from sftset.ci_mining.target_lists import group_names, load_group, resolve
from sftset.errors import InputError

REPO = Path(__file__).resolve().parents[1]
PROJECTS = Path(__file__).parent / "projects"
REVIEWED = REPO / "ci_mining" / "targets.toml"
PERMISSIVE = ("MIT", "MIT-0", "BSD", "BSD-2-Clause", "BSD-3-Clause", "Apache-2.0", "ISC", "PSF-2.0", "Unlicense", "0BSD",
              "Zlib", "CC0-1.0")


def _group_lines(name: str) -> list[str]:
    """The entry lines of `name = [...]` in the reviewed file (each carries the review's comment)."""
    lines = REVIEWED.read_text().splitlines()
    start = lines.index(next(line for line in lines if line.startswith(f"{name} = [")))
    end = lines.index("]", start)
    return [line for line in lines[start + 1:end] if line.strip().startswith('"pypi:')]


@pytest.mark.parametrize("group, least", [("large", 300), ("xl", 800)])
def test_reviewed_list_keeps_the_small_default_and_large_pinned_permissive_groups(group, least):
    assert group_names(REVIEWED) == ["default", "large", "xl"]
    default = [t.spec for t, _ in load_group(REVIEWED, "default")]
    assert default == [t.spec for t, _ in load_targets(REVIEWED)] and len(default) == 9
    large = load_group(REVIEWED, group)
    assert len(large) >= least
    assert all(t.kind == "pypi" and t.version for t, _ in large)  # pinned: a rerun skips what is mined
    names = [t.location.lower() for t, _ in large]
    assert len(set(names)) == len(names)
    assert not set(names) & {t.location.lower() for t, _ in load_group(REVIEWED, "default")}
    named_by_tests = {m.lower() for p in Path(__file__).parent.glob("*.py")
                      for m in re.findall(r"pypi:([A-Za-z0-9._-]+)", p.read_text())}
    assert not set(names) & named_by_tests
    # every entry says its licence, where its tests are and its runner
    lines = _group_lines(group)
    assert len(lines) == len(large)
    for line in lines:
        licence, tests = (part.strip() for part in line.split("#", 1)[1].split(";")[:2])
        where, runner = tests.rsplit(",", 1)
        assert licence in PERMISSIVE and "test files)" in where and runner.strip() in ("pytest", "unittest"), line


def test_xl_is_large_unchanged_then_more_from_the_survey():
    """Figures measured on large stay valid for the first entries of xl; the rest were checked by
    choose_targets.py (kept in its survey) and none of them is one left out on review."""
    import sys
    sys.path.insert(0, str(REPO / "ci_mining"))
    from choose_targets import REVIEWED_OUT, norm, read_survey

    large, xl = _group_lines("large"), _group_lines("xl")
    assert xl[:len(large)] == large  # same entries, same comments, same order
    more = [t for t, _ in load_group(REVIEWED, "xl")[len(large):]]
    assert len(more) >= 400
    survey = {norm(r["name"]): r for r in read_survey(REPO / "ci_mining" / "targets_survey.tsv")}
    for target in more:
        row = survey[norm(target.location)]
        assert (row["kept"], row["version"]) == ("yes", target.version), row
        assert norm(target.location) not in REVIEWED_OUT
    assert not {norm(t.location) for t, _ in load_group(REVIEWED, "large")} & set(REVIEWED_OUT)
    # a group xl through the CLI's own resolution: --targets xl names these targets
    assert [t.spec for t, _ in resolve("xl", REVIEWED)] == [t.spec for t, _ in load_group(REVIEWED, "xl")]


def test_targets_name_a_group_or_a_file(tmp_path):
    project = tmp_path / "lists" / "proj"
    shutil.copytree(PROJECTS / "unittest_only", project)
    reviewed = tmp_path / "targets.toml"
    reviewed.write_text('[[target]]\nspec = "pypi:inflection==0.5.1"\n\n[group]\n'
                        'few = ["pypi:toolz==1.2.0", {spec = "file:///srv/r.git", suite_time_s = 30}]\n')
    few = resolve("few", reviewed)
    assert [(t.kind, t.spec) for t, _ in few] == [("pypi", "pypi:toolz==1.2.0"), ("git", "file:///srv/r.git")]
    assert few[1][1]["suite_time_s"] == 30
    assert [t.spec for t, _ in resolve("default", reviewed)] == ["pypi:inflection==0.5.1"]

    listing = tmp_path / "lists" / "mine.txt"
    listing.write_text("# one TARGET a line\npypi:toolz==1.2.0  # a comment\n\nproj\nfile:///srv/r.git\n")
    got = resolve(str(listing), reviewed)
    assert [(t.kind, t.location) for t, _ in got] == [("pypi", "toolz"), ("path", str(project.resolve())),
                                                      ("git", "file:///srv/r.git")]  # a path beside the list
    with pytest.raises(InputError, match=r"no target group 'nope' in .*targets.toml; groups: default, few"):
        resolve("nope", reviewed)
    with pytest.raises(InputError, match="no such targets file"):
        resolve(str(tmp_path / "missing.txt"), reviewed)
    listing.write_text("pypi:toolz==1.2.0\npypi:bad name\n")
    with pytest.raises(InputError) as err:
        resolve(str(listing), reviewed)
    assert str(err.value).startswith(f"{listing}:2: line 2: ")


def test_a_missing_group_is_a_one_line_error_naming_the_groups(run_cli):
    res = run_cli("mine", "--targets", "nope")
    assert res.rc == 2 and len(res.err_lines) == 1
    assert "no target group 'nope'" in res.err and "groups: default, large, xl" in res.err
    Path("sftset.toml").write_text('[mine]\ntargets = "nope"\n')
    res = run_cli("mine")
    assert res.rc == 2 and res.err_lines[0].startswith("build-sft-set: error: sftset.toml:2: mine.targets: ")
    res = run_cli("mine", "--target-workers", "0", "pypi:toolz")
    assert res.rc == 2 and "--target-workers: must be at least 1" in res.err


def _git_repo(src: Path, dest: Path) -> Path:
    shutil.copytree(src, dest)
    git = ["git", "-C", str(dest), "-c", "user.name=t", "-c", "user.email=t@example.invalid"]
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "initial"]):
        subprocess.run(git + args, check=True, capture_output=True)
    return dest


def _kept(path: Path) -> dict[str, tuple]:
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    return {r["task_id"]: (r["prompt"], r["test"]) for r in rows}


@pytest.mark.slow
def test_two_targets_at_a_time_give_what_one_at_a_time_gives(tmp_path, run_cli):
    """A list file naming a local git repository and a project folder; mined one target at a time and two
    at a time, the problems are the same; a rerun skips both (a killed run resumes after what it stored)."""
    repo = _git_repo(PROJECTS / "unittest_only", tmp_path / "lists" / "numrepo")
    shutil.copytree(PROJECTS / "stalls", tmp_path / "lists" / "stalls")
    listing = tmp_path / "lists" / "two.txt"
    listing.write_text(f"{repo.as_uri()}\nstalls\n")
    Path("sftset.toml").write_text("[mine]\nstall_s = 5\n")
    common = ("--targets", listing, "--max-mutants", "8", "--max-generated", "0", "--workers", "1")
    assert run_cli("mine", *common, "--out", "one.jsonl", "--work-dir", "w1", "--state", "s1.sqlite").rc == 0
    res = run_cli("mine", *common, "--target-workers", "2", "--out", "two.jsonl", "--report", "r.json",
                  "--work-dir", "w2", "--state", "s2.sqlite")
    assert res.rc == 0, res.err
    one, two = _kept(tmp_path / "one.jsonl"), _kept(tmp_path / "two.jsonl")
    assert len(one) == 4 and one == two
    reports = json.loads((tmp_path / "r.json").read_text())["targets"]
    assert {r["status"] for r in reports} == {"ok"}
    git_report = next(r for r in reports if r["target"].startswith("file://"))
    assert git_report["commit"] and len(git_report["commit"]) == 40  # mined from the repository's HEAD
    again = run_cli("mine", *common, "--target-workers", "2", "--report", "r.json", "--work-dir", "w2",
                    "--state", "s2.sqlite")
    assert again.rc == 0
    assert [r["status"] for r in json.loads((tmp_path / "r.json").read_text())["targets"]] == ["skipped"] * 2


@pytest.fixture
def empty_index(monkeypatch):
    """A package index on 127.0.0.1 that has no packages ($PIP_INDEX_URL)."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(404)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("PIP_INDEX_URL", f"http://127.0.0.1:{server.server_port}/simple")
    yield
    server.shutdown()


def test_a_package_missing_from_the_index_makes_the_run_exit_1(run_cli, tmp_path, empty_index):
    res = run_cli("mine", "pypi:sftset-no-such-package==1.0", "--report", "r.json")
    assert res.rc == 1, res.err
    (report,) = json.loads((tmp_path / "r.json").read_text())["targets"]
    assert (report["status"], report["reason"]) == ("dropped", "missing package")


def test_failed_targets_mined_two_at_a_time_make_the_run_exit_1(run_cli, tmp_path, empty_index):
    """Missing from the index, does not build, suite crashes (each alone: tests/test_ci_mine.py,
    tests/test_orchestrator.py): two at a time, each is reported and the run exits 1."""
    expected = {"pypi:sftset-no-such-package==1.0": ("dropped", "missing package"),
                str(PROJECTS / "bad_build"): ("dropped", "does not build"),
                str(PROJECTS / "suite_crash"): ("dropped", "suite crashed")}
    res = run_cli("mine", *expected, "--report", "r.json", "--workers", "1", "--target-workers", "2")
    assert res.rc == 1, res.err
    reports = json.loads((tmp_path / "r.json").read_text())["targets"]
    assert {r["target"]: (r["status"], r["reason"]) for r in reports} == expected
    assert "targets done: 3/3" in res.err


def test_unittest_cases_outside_a_package_are_run_by_pytest(tmp_path):
    """unittest discovery from the root never enters a test folder that is not a package (convertdate's
    tests/: "unittest found no tests"); the fallback runs pytest there, which runs TestCase classes too."""
    from sftset.ci_mining.ci_config import read_plan

    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("def one():\n    return 1\n")
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_one.py").write_text(
        "import unittest\nfrom pkg import one\n\nclass T(unittest.TestCase):\n"
        "    def test_one(self):\n        self.assertEqual(one(), 1)\n")
    assert read_plan(tmp_path).runner == "pytest"
    (tmp_path / "tests" / "__init__.py").write_text("")
    assert read_plan(tmp_path).runner == "unittest"  # a package: discovery finds it, as before
