"""Targets that gave nothing in the 100-package run (issue 14): tests that are scripts (casefy), TestCases
in a src/<pkg>/tests package (croniter, json-stream), `uv run` commands in tox.ini, PDM dev dependencies
(a2wsgi), and code that imports pkg_resources (html5lib)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from sftset.ci_mining.ci_config import read_plan
from sftset.ci_mining.suite import install_runtime

PROJECTS = Path(__file__).parent / "projects"


def test_script_tests_and_src_layout_testcases_are_mined(tmp_path, run_cli):
    rc = run_cli("mine", PROJECTS / "script_tests", PROJECTS / "src_unittest", "--suite-time", "60",
                 "--report", "r.json", "--workers", "2", "--max-mutants", "10").rc
    reports = {Path(t["target"]).name: t for t in json.loads((tmp_path / "r.json").read_text())["targets"]}
    assert rc == 0, {k: (v["reason"], v["detail"]) for k, v in reports.items()}
    scripts = reports["script_tests"]
    # pytest and unittest find no test in a script with a main(); run as a script, its calls are mined
    assert (scripts["status"], scripts["runner"], scripts["tests_run"]) == ("ok", "scripts", 1)
    assert scripts["problems_kept"] >= 1
    # (its conftest's deprecation notice under filterwarnings=error did not end pytest: it found no test)
    assert "pytest and unittest found no tests; ran the test*.py files as scripts" in scripts["notes"]
    # its setup.py imports pkg_resources, which setuptools 81 dropped: it is built (and tested) with an older one
    assert "the code imports pkg_resources: setuptools<81" in scripts["ci_sources"]
    src = reports["src_unittest"]
    # unittest discovery from the root does not enter src/ (not a package); pytest finds the TestCases there
    assert (src["status"], src["runner"], src["tests_run"]) == ("ok", "pytest", 2)
    assert src["problems_kept"] >= 1


def test_the_script_hook_counts_a_script_that_fails_or_exits_non_zero_as_failed(tmp_path):
    project = tmp_path / "p"
    for rel, text in {"tests/test_ok.py": "assert 1 + 1 == 2\n",
                      "tests/test_main.py": "import sys\nif __name__ == '__main__':\n    sys.exit(0)\n",
                      "tests/test_bad.py": "assert 1 + 1 == 3\n",
                      "test_exit.py": "raise SystemExit(3)\n",
                      ".tox/test_hidden.py": "raise SystemExit(4)\n",
                      "build/test_copy.py": "raise SystemExit(4)\n"}.items():
        (project / rel).parent.mkdir(parents=True, exist_ok=True)
        (project / rel).write_text(text)
    runtime = install_runtime(tmp_path / "runtime")
    env = {**os.environ, "PYTHONPATH": str(runtime), "SFTSET_TRACE_OUT": str(tmp_path / "trace.json"),
           "SFTSET_TRACE_PACKAGES": "nothing"}
    res = subprocess.run([sys.executable, "-m", "sftset_trace.unittest_hook", "--scripts"], cwd=project, env=env,
                         capture_output=True, text=True, timeout=60)
    assert res.returncode == 1, res.stderr
    ran = [line for line in res.stdout.splitlines() if line.endswith(("passed", "FAILED"))]
    assert ran == ["script ./test_exit.py: FAILED", "script ./tests/test_bad.py: FAILED",
                   "script ./tests/test_main.py: passed", "script ./tests/test_ok.py: passed"]
    tests = json.loads((tmp_path / "trace.json").read_text())["tests"]
    assert tests == {"collected": 4, "passed": 2, "failed": 2, "errors": 0, "skipped": 0}
    empty = tmp_path / "empty"
    empty.mkdir()
    res = subprocess.run([sys.executable, "-m", "sftset_trace.unittest_hook", "--scripts"], cwd=empty, env=env,
                         capture_output=True, text=True, timeout=60)
    assert res.returncode == 5  # no script: "no tests", as pytest says it


def test_commands_run_through_uv_run_and_tox_test_factors_are_read(tmp_path):
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_x.py").write_text("def test_x():\n    pass\n")
    (tmp_path / "tox.ini").write_text("[tox]\nenvlist = lint,test\n\n[testenv]\ncommands =\n"
                                      "    lint: ruff check .\n    test: uv run --active --with pytz py.test -v tests\n")
    plan = read_plan(tmp_path)
    assert (plan.runner, plan.args, plan.found_in) == ("pytest", ["tests"], ["tox.ini"])
    (tmp_path / "tox.ini").write_text("[testenv]\ncommands = poetry run python -m unittest discover -s tests\n")
    plan = read_plan(tmp_path)
    assert (plan.runner, plan.args) == ("unittest", ["discover", "-s", "tests"])


def test_pdm_dev_dependencies_for_tests_are_installed(tmp_path):
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\nversion = "1"\n\n[tool.pdm.dev-dependencies]\n'
        'dev = ["black", "httpx<1.0.0,>=0.22.0"]\nbenchmark = ["uvicorn"]\ntest = ["pytest>=7", "starlette"]\n')
    assert read_plan(tmp_path).requirements == ["pytest>=7", "starlette", "httpx<1.0.0,>=0.22.0"]


def _hook(project: Path, tmp_path: Path, *args: str) -> tuple[subprocess.CompletedProcess, dict]:
    runtime = install_runtime(tmp_path / "runtime")
    env = {**os.environ, "PYTHONPATH": str(runtime), "SFTSET_TRACE_OUT": str(tmp_path / "trace.json"),
           "SFTSET_TRACE_PACKAGES": "nothing"}
    res = subprocess.run([sys.executable, "-m", "sftset_trace.unittest_hook", *args], cwd=project, env=env,
                         capture_output=True, text=True, timeout=60)
    trace = tmp_path / "trace.json"
    return res, (json.loads(trace.read_text())["tests"] if trace.exists() else {})


def test_a_testcase_class_that_raises_while_loaded_fails_alone(tmp_path):
    """hjson's TestAssets reads a data file the sdist lacks in __init__: unittest let that end the run."""
    project = tmp_path / "p"
    (project / "tests").mkdir(parents=True)
    (project / "tests" / "__init__.py").write_text("")
    (project / "tests" / "test_assets.py").write_text(
        "import unittest\n\nclass TestAssets(unittest.TestCase):\n    def __init__(self, *a, **k):\n"
        "        super().__init__(*a, **k)\n        open('assets/missing.txt')\n\n    def test_a(self):\n"
        "        pass\n")
    (project / "tests" / "test_fine.py").write_text(
        "import unittest\n\nclass TestFine(unittest.TestCase):\n    def test_one(self):\n        self.assertTrue(1)\n\n"
        "    def test_two(self):\n        self.assertFalse(0)\n")
    res, tests = _hook(project, tmp_path)
    assert res.returncode == 1 and "FileNotFoundError" in res.stderr
    assert tests == {"collected": 3, "passed": 2, "failed": 0, "errors": 1, "skipped": 0}


def test_without_a_ci_file_a_test_requirements_file_is_installed(tmp_path):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "tests.py").write_text("import unittest\nimport capturer\n")
    (tmp_path / "requirements-tests.txt").write_text("# Test suite requirements.\ncapturer >= 2.1\nmock >= 3.0.5\n")
    plan = read_plan(tmp_path)
    assert plan.requirement_files == ["requirements-tests.txt"] and plan.found_in == ["fallback: unittest"]


def test_a_conftest_with_py_path_hook_arguments_gets_a_pytest_that_takes_them(tmp_path):
    (tmp_path / "tests").mkdir()
    conftest = tmp_path / "tests" / "conftest.py"
    conftest.write_text("def pytest_collect_file(file_path, parent):\n    return None\n")
    assert "pytest<9" not in read_plan(tmp_path).requirements
    conftest.write_text("def pytest_collect_file(path, parent):\n    return None\n")  # as html5lib 1.1's
    plan = read_plan(tmp_path)
    assert plan.requirements == ["pytest<9"] and plan.found_in[-1].startswith("conftest.py hooks take py.path")


def test_modules_named_by_filterwarnings_categories_are_installed(tmp_path):
    """versioningit: `ignore:...:coverage.exceptions.CoverageWarning` with `error`, and coverage not installed,
    ended the run before any test (PytestConfigWarning: Failed to import filter module 'coverage')."""
    (tmp_path / "tox.ini").write_text(
        "[pytest]\nfilterwarnings =\n    error\n    ignore:.*No source for code:coverage.exceptions.CoverageWarning\n"
        "    ignore::DeprecationWarning:xdist\n    ignore::pytest.PytestUnraisableExceptionWarning\n"
        "    ignore:x:json.decoder.JSONDecodeError\n")
    assert read_plan(tmp_path).requirements == ["coverage"]
