"""How the CI miner reads a project's CI: real CI files of the default targets, and small made-up ones."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from sftset.ci_mining.ci_config import read_plan

FIXTURES = Path(__file__).parent / "fixtures" / "ci_mining"


@pytest.fixture
def project(tmp_path):
    def make(files: dict[str, str]) -> Path:
        for name, text in files.items():
            path = tmp_path / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        return tmp_path

    return make


def test_isodate_workflow_delegates_to_tox(tmp_path):
    shutil.copytree(FIXTURES / "isodate", tmp_path / "p")
    plan = read_plan(tmp_path / "p")
    assert plan.runner == "pytest"
    assert plan.found_in[0] == ".github/workflows/test.yml -> tox.ini"
    assert plan.requirements == []  # pytest-cov is CI tooling, and pytest is always installed


def test_slugify_tox_and_pytest_settings(tmp_path):
    shutil.copytree(FIXTURES / "python-slugify", tmp_path / "p")
    (tmp_path / "p" / "tests").mkdir()
    plan = read_plan(tmp_path / "p")
    assert plan.runner == "pytest"
    assert plan.args == ["tests"]  # from `coverage run -m pytest {posargs:tests}`
    assert "pytest>=8" in plan.requirements
    assert plan.pytest_addopts == ""  # --color=yes dropped from addopts
    assert "tox.ini" in plan.found_in


def test_titlecase_workflow_runs_unittest(tmp_path):
    shutil.copytree(FIXTURES / "titlecase", tmp_path / "p")
    plan = read_plan(tmp_path / "p")
    assert plan.runner == "unittest"
    assert plan.args == []
    assert plan.found_in[0] == ".github/workflows/ci.yml"


def test_toolz_pytest_settings_keep_strict_options(tmp_path):
    shutil.copytree(FIXTURES / "toolz", tmp_path / "p")
    plan = read_plan(tmp_path / "p")
    assert plan.runner == "pytest"
    assert plan.pytest_addopts == "--strict-config --strict-markers"
    assert "pytest" not in [r.split(">")[0] for r in plan.requirements if r != "pytest"]


def test_workflow_install_steps(project):
    root = project({
        ".github/workflows/ci.yml": """
jobs:
  lint:
    runs-on: ubuntu-latest
    steps:
      - run: pip install flake8 && flake8
  test:
    runs-on: ${{ matrix.os }}
    steps:
      - uses: actions/checkout@v4
      - run: |
          python -m pip install --upgrade pip
          pip install -r requirements-test.txt -e .[test,yaml] "numpy>=1.24" ${{ matrix.extra }}
      - run: python -m pytest -n auto --cov=pkg --cov-report xml tests -k "not slow" -p no:warnings
""",
        "requirements-test.txt": "pytest\nhypothesis\n",
        "tests/test_a.py": "",
    })
    plan = read_plan(root)
    assert plan.runner == "pytest"
    assert plan.args == ["tests", "-k", "not slow"]
    assert plan.requirement_files == ["requirements-test.txt"]
    assert plan.extras == ["test", "yaml"]
    assert plan.requirements == ["numpy>=1.24"]


def test_noxfile(project):
    root = project({
        "noxfile.py": """
import nox

@nox.session
def tests(session):
    session.install("-e", ".[dev]", "attrs")
    session.run("pytest", "src/tests", "--cov")
""",
        "src/tests/test_x.py": "",
    })
    plan = read_plan(root)
    assert plan.found_in[0] == "noxfile.py"
    assert plan.args == ["src/tests"] and plan.extras == ["dev"] and plan.requirements == ["attrs"]


def test_travis(project):
    root = project({".travis.yml": "install:\n  - pip install six\nscript: python -m unittest discover -s t -v\n"})
    plan = read_plan(root)
    assert plan.runner == "unittest" and plan.args == ["discover", "-s", "t"] and plan.requirements == ["six"]


def test_fallbacks(project, tmp_path):
    assert read_plan(project({"pkg/__init__.py": "", "tests/test_a.py": "def test(): pass\n"})).runner == "pytest"
    other = tmp_path / "other"
    (other / "pkg").mkdir(parents=True)
    (other / "pkg" / "tests.py").write_text("import unittest\nclass T(unittest.TestCase):\n    pass\n")
    plan = read_plan(other)
    assert plan.runner == "unittest" and plan.found_in == ["fallback: unittest"]


def test_declared_test_extras_and_dependency_groups(project):
    root = project({
        "pyproject.toml": '[project]\nname = "x"\n[project.optional-dependencies]\ntests = ["pytest"]\n'
                          '[dependency-groups]\ntest = ["hypothesis>=6", "coverage"]\n',
    })
    plan = read_plan(root)
    assert plan.extras == ["tests"] and plan.requirements == ["hypothesis>=6"]


def test_pytest_settings_are_read_where_pytest_reads_them(project):
    # semver 3.1.2 keeps its coverage options in .pytest.ini, which wins over pyproject.toml
    root = project({
        ".pytest.ini": "[pytest]\naddopts =\n    --import-mode=importlib\n    --no-cov-on-fail\n    --cov=semver\n"
                       "    --doctest-modules\n    --doctest-report ndiff\n",
        "pyproject.toml": '[tool.pytest.ini_options]\naddopts = "--strict-markers"\n',
        "tests/test_a.py": "def test(): pass\n",
    })
    plan = read_plan(root)
    assert plan.runner == "pytest" and ".pytest.ini (pytest settings)" in plan.found_in
    assert plan.pytest_addopts == "--import-mode=importlib --doctest-modules"


def test_list_addopts_keep_their_items_whole(project):
    # packaging 26.4: addopts = [..., "-m", "not property"] must not become "-m not"
    root = project({
        "pyproject.toml": '[tool.pytest.ini_options]\naddopts = ["-r", "s", "--strict-markers", "-m", '
                          '"not property", "--cov=x"]\n',
        "tests/test_a.py": "def test(): pass\n",
    })
    assert read_plan(root).pytest_addopts == "--strict-markers -m 'not property'"


def test_a_suite_that_collected_tests_but_ran_none_crashed():
    from sftset.ci_mining.suite import SuiteRun, check_suite
    from sftset.ci_mining.targets import TargetFailed

    # nameparser 2.6.0's sdist: pytest collects 13142 tests, then stops on collection errors
    trace = {"tests": {"collected": 13142, "passed": 0, "failed": 0, "skipped": 0, "errors": 0}, "functions": []}
    run = SuiteRun("pytest", [], 2, False, 9.0, "full", trace, "ERROR tests/v2/x.py - FileNotFoundError: no data\n"
                   "!!! Interrupted: 18 errors during collection !!!")
    with pytest.raises(TargetFailed) as info:
        check_suite(run, 900)
    assert info.value.reason == "suite crashed" and "13142 tests collected, none ran" in info.value.detail
    ran = {"tests": {**trace["tests"], "passed": 3}, "functions": []}
    check_suite(SuiteRun("pytest", [], 1, False, 9.0, "full", ran, ""), 900)  # some ran: fine
