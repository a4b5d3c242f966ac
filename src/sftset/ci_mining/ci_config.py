"""How a project's CI installs and tests it, read from its CI files (never run).

Sources, in order of trust: GitHub workflows, tox.ini, noxfile.py, .travis.yml; then
the pytest settings in pyproject.toml / setup.cfg / pytest.ini / tox.ini; then a
fallback (pytest when there are pytest settings or test_*.py files, unittest
discovery otherwise). The result is a TestPlan: what to pip-install next to the
project (requirements, requirement files, extras) and which runner with which
arguments. Options that need plugins we do not install (coverage, xdist, ...) are
left out, since they only change how the suite reports, not what it runs.
"""
from __future__ import annotations

import ast
import configparser
import re
import shlex
import sys
from dataclasses import dataclass, field
from pathlib import Path

import yaml

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

# CI-only tools: they lint, package, upload or orchestrate, and no test imports them.
_TOOLING = {"pip", "setuptools", "wheel", "tox", "nox", "codecov", "coveralls", "pre-commit", "twine", "build",
            "flake8", "mypy", "black", "isort", "ruff", "pylint", "pycodestyle", "pydocstyle", "bandit", "check-manifest",
            "sphinx", "tox-gh-actions", "virtualenv", "uv", "pytest-cov", "coverage", "pytest-xdist",
            "pytest-benchmark", "pytest-codspeed", "pytest-github-actions-annotate-failures", "pyright"}
_TEST_EXTRAS = ("test", "tests", "testing")
# Where projects without a CI file we read keep their suite's requirements (humanfriendly: requirements-tests.txt).
_TEST_REQUIREMENT_FILES = ("requirements-test.txt", "requirements-tests.txt", "requirements_test.txt",
                           "requirements_tests.txt", "test-requirements.txt", "test_requirements.txt",
                           "tests/requirements.txt", "requirements/test.txt", "requirements/tests.txt")
# pytest options (with their value, when they take one) that only change reporting or parallelism.
_DROP_WITH_VALUE = {"--cov", "--cov-report", "--cov-config", "--cov-fail-under", "-n", "--numprocesses", "--dist",
                    "--junitxml", "--junit-xml", "--color", "--durations", "--benchmark-json", "--cov-branch",
                    "--maxprocesses", "-p", "--basetemp", "--timeout", "--html", "--reruns", "--doctest-report"}
_DROP_FLAGS = {"--cov-append", "--no-cov", "--benchmark-skip", "--benchmark-disable", "--doctest-glob", "-v", "-vv",
               "-vvv", "-q", "-qq", "-s", "-x", "--exitfirst", "--verbose", "--quiet", "-rA", "-ra", "--strict",
               "--showlocals", "-l", "--codspeed", "--mypy", "--flake8", "--black", "--isort", "--ruff",
               "--ruff-format", "--pylint", "--lf", "--ff", "--sw", "--stepwise"}
_KEEP_WITH_VALUE = {"-k", "-m", "--ignore", "--ignore-glob", "--deselect", "--rootdir", "--import-mode",
                    "--doctest-glob", "-c", "--confcutdir"}


@dataclass
class TestPlan:
    runner: str = "pytest"  # pytest | unittest
    args: list[str] = field(default_factory=list)
    requirements: list[str] = field(default_factory=list)
    requirement_files: list[str] = field(default_factory=list)
    extras: list[str] = field(default_factory=list)
    pytest_addopts: str | None = None  # when set, replaces the ini `addopts` (filtered copy)
    found_in: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass
class _Found:
    """What one CI file said."""

    where: str
    installs: list[list[str]] = field(default_factory=list)  # argument lists of `pip install`
    commands: list[list[str]] = field(default_factory=list)  # test commands, tokenised
    delegate: str | None = None  # "tox" / "nox": the real steps are in that file


def read_plan(root: Path) -> TestPlan:
    plan = TestPlan()
    found = [f for f in (_github(root), _tox(root), _nox(root), _travis(root)) if f is not None]
    command_source: _Found | None = None
    for f in found:
        if f.delegate and not f.commands:
            target = "tox.ini" if f.delegate == "tox" else "noxfile.py"
            delegated = next((g for g in found if g.where == target), None)
            if delegated is not None:
                plan.found_in.append(f"{f.where} -> {target}")
                f = delegated
        if f.commands:
            command_source = f
            break
    sources = [command_source] if command_source else found
    for f in sources:
        for tokens in f.installs:
            _add_install(plan, tokens, root)
        if f.where not in plan.found_in:
            plan.found_in.append(f.where)
    if command_source:
        for tokens in command_source.commands:
            if _set_command(plan, tokens, root):
                break
    _apply_pytest_settings(plan, root)
    if not plan.found_in or not command_source:
        plan.runner = "pytest" if _looks_like_pytest(root) else "unittest"
        plan.found_in.append(f"fallback: {plan.runner}")
        if not plan.requirement_files:  # no CI says what the suite needs: a test requirements file does
            for name in _TEST_REQUIREMENT_FILES:
                _add_requirement_file(plan, name, root)
    for extra in _declared_test_extras(root):
        if extra not in plan.extras:
            plan.extras.append(extra)
    for requirement in dependency_group(root):
        name = re.split(r"[\[<>=!~; ]", requirement, maxsplit=1)[0].lower()
        if name not in _TOOLING and requirement not in plan.requirements:
            plan.requirements.append(requirement)
    if _imports_pkg_resources(root) and not any(r.startswith("setuptools") for r in plan.requirements):
        plan.requirements.append(_SETUPTOOLS_WITH_PKG_RESOURCES)  # installed before the build requirements
        plan.found_in.append(f"the code imports pkg_resources: {_SETUPTOOLS_WITH_PKG_RESOURCES}")
    if _py_path_hooks(root) and not any(re.match(r"pytest\s*[<>=!~]", r) for r in plan.requirements):
        plan.requirements.append(_PYTEST_WITH_PY_PATH)
        plan.found_in.append(f"conftest.py hooks take py.path arguments: {_PYTEST_WITH_PY_PATH}")
    return plan


# pytest 9 dropped the py.path arguments of hooks (`pytest_collect_file(path, parent)`): a conftest.py that
# still takes them stops collection (html5lib 1.1: PluginValidationError).
_PYTEST_WITH_PY_PATH = "pytest<9"
_PY_PATH_HOOK = re.compile(r"def\s+pytest_(?:collect_file|pycollect_makemodule|ignore_collect|report_header|"
                           r"report_collectionfinish)\s*\(([^)]*)\)")


# setuptools 81 dropped pkg_resources, which older setup.py files and test suites import (html5lib 1.1).
_SETUPTOOLS_WITH_PKG_RESOURCES = "setuptools<81"
_IMPORTS_PKG_RESOURCES = re.compile(r"^\s*(?:import|from)\s+pkg_resources\b", re.M)


def _imports_pkg_resources(root: Path) -> bool:
    for path in root.rglob("*.py"):
        if any(p.startswith(".") or p == "site-packages" for p in path.relative_to(root).parts):
            continue
        if _IMPORTS_PKG_RESOURCES.search(path.read_text(errors="replace")):
            return True
    return False


def _py_path_hooks(root: Path) -> bool:
    for path in root.rglob("conftest.py"):
        if any(p.startswith(".") or p == "site-packages" for p in path.relative_to(root).parts):
            continue
        for m in _PY_PATH_HOOK.finditer(path.read_text(errors="replace")):
            if re.search(r"\b(path|startdir)\b", m.group(1)):
                return True
    return False


# ---- the CI files ---------------------------------------------------------------------------
def _github(root: Path) -> _Found | None:
    folder = root / ".github" / "workflows"
    if not folder.is_dir():
        return None
    best: _Found | None = None
    for path in sorted(folder.glob("*.y*ml")):
        data = _yaml(path)
        for job in (data.get("jobs") or {}).values() if isinstance(data, dict) else ():
            if not isinstance(job, dict):
                continue
            f = _Found(f".github/workflows/{path.name}")
            for step in job.get("steps") or ():
                if isinstance(step, dict) and isinstance(step.get("run"), str):
                    _scan_script(f, step["run"])
            if f.commands or f.delegate:
                return f
            best = best or (f if f.installs else None)
    return best


def _travis(root: Path) -> _Found | None:
    data = _yaml(root / ".travis.yml")
    if not isinstance(data, dict):
        return None
    f = _Found(".travis.yml")
    for key in ("before_install", "install", "script"):
        value = data.get(key)
        for line in [value] if isinstance(value, str) else value or ():
            if isinstance(line, str):
                _scan_script(f, line)
    return f


def _tox(root: Path) -> _Found | None:
    path = root / "tox.ini"
    cfg = _read_ini(path)
    if cfg is None:
        return None
    envs = [s for s in cfg.sections() if s == "testenv" or s.startswith("testenv:")]
    wanted = [s for s in envs if s == "testenv" or re.match(r"testenv:(py|pypy|test|unit)", s)] or envs
    if not wanted:
        return None
    f = _Found("tox.ini")

    def value(section: str, key: str) -> str:
        text = cfg.get(section, key, fallback="") or (cfg.get("testenv", key, fallback="") if section != "testenv"
                                                     else "")
        return re.sub(r"\{\[([^\]]+)\]([\w-]+)\}", lambda m: cfg.get(m.group(1), m.group(2), fallback=""), text)

    section = wanted[0]
    for line in value(section, "deps").splitlines():
        line = line.strip()
        if not line or line.startswith("#") or re.match(r"^[\w.{},-]+:\s", line):  # factor-conditional
            continue
        line = line.replace("{toxinidir}/", "").replace("{toxinidir}", ".")
        f.installs.append(shlex.split(line, comments=True) if line.startswith("-") else [line])
    extras = [e.strip() for e in re.split(r"[\s,]+", value(section, "extras")) if e.strip() and ":" not in e]
    if extras:
        f.installs.append([f".[{','.join(extras)}]"])
    for line in value(section, "commands").splitlines():
        line = _test_factor_line(line.strip())
        if not line or line.startswith("#") or re.match(r"^[\w.{},-]+:\s", line):
            continue
        line = re.sub(r"\{posargs:?([^}]*)\}", lambda m: m.group(1), line)
        line = line.replace("{envpython}", "python").replace("{toxinidir}/", "").replace("{toxinidir}", ".")
        _scan_line(f, line)
    return f


def _nox(root: Path) -> _Found | None:
    path = root / "noxfile.py"
    if not path.is_file():
        return None
    try:
        tree = ast.parse(path.read_text(encoding="utf-8", errors="replace"))
    except SyntaxError:
        return None
    f = _Found("noxfile.py")
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        strings = [a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
        if not strings:
            continue
        if node.func.attr == "install":
            f.installs.append(strings)
        elif node.func.attr == "run":
            _scan_tokens(f, strings)
    return f


# ---- shell lines ----------------------------------------------------------------------------
def _scan_script(f: _Found, script: str) -> None:
    for line in script.replace("\\\n", " ").splitlines():
        for part in re.split(r"&&|;|\|\|", line):
            _scan_line(f, part)


def _test_factor_line(line: str) -> str:
    """`test: pytest .` (a command for the envs with the factor test, py3x or unit) -> `pytest .`; other lines as
    they are (a factor-conditional line for other envs stays one, and is left out)."""
    m = re.match(r"^([\w.{},-]+):\s+(.*)$", line)
    if m and any(re.fullmatch(r"tests?|unit|py(py)?\d*", factor) for factor in re.split(r"[{},-]+", m.group(1))):
        return m.group(2)
    return line


def _scan_line(f: _Found, line: str) -> None:
    line = re.sub(r"\$\{\{.*?\}\}", "", line).strip()  # workflow expressions: unknown here
    if not line or line.startswith("#"):
        return
    try:
        tokens = shlex.split(line, comments=True)
    except ValueError:
        return
    _scan_tokens(f, tokens)


def _scan_tokens(f: _Found, tokens: list[str]) -> None:
    tokens = [t for t in tokens if "${{" not in t and "$" not in t[:1]]
    while tokens and (tokens[0] in ("sudo", "env", "time") or re.match(r"^\w+=", tokens[0])):
        tokens = tokens[1:]
    if not tokens:
        return
    head = tokens[0].rsplit("/", 1)[-1]
    rest = tokens[1:]
    if head in _RUN_TOOLS and rest[:1] == ["run"]:  # `uv run --active pytest`: the command it runs
        _scan_tokens(f, _after_options(rest[1:], _RUN_TOOLS[head]))
        return
    if head in ("python", "python3") or re.match(r"^python3\.\d+$", head):
        if rest[:2] == ["-m", "pip"]:
            head, rest = "pip", rest[2:]
        elif rest[:1] == ["-m"] and len(rest) > 1:
            head, rest = rest[1], rest[2:]
        elif rest[:2] == ["setup.py", "test"]:
            f.commands.append(["pytest"])
            return
    if head == "uv" and rest[:2] == ["pip", "install"]:
        head, rest = "pip", rest[1:]
    if head in ("pip", "pip3") and rest[:1] == ["install"]:
        f.installs.append(rest[1:])
    elif head == "coverage" and rest[:1] == ["run"]:
        args = rest[1:]
        while args and args[0].startswith("-") and args[0] != "-m":
            args = args[1:]
        if args[:1] == ["-m"] and len(args) > 1:
            _scan_tokens(f, ["python", *args])
    elif head in ("pytest", "py.test"):
        f.commands.append(["pytest", *rest])
    elif head == "unittest":
        f.commands.append(["unittest", *rest])
    elif head in ("tox", "nox"):
        f.delegate = f.delegate or head


# Environment managers whose `TOOL run [options] COMMAND` runs COMMAND, with their options that take a value.
_RUN_TOOLS = {
    "uv": {"--with", "--with-requirements", "--with-editable", "--extra", "--group", "--only-group", "--python", "-p",
           "--package", "--directory", "--project", "--env-file", "--index", "--index-url", "--extra-index-url"},
    "poetry": {"--directory", "-C", "--project", "-P"}, "pdm": {"-p", "--project", "-G", "--group"},
    "pipenv": set(), "rye": {"--pyproject"}, "hatch": {"-e", "--env"},
}


def _after_options(tokens: list[str], with_value: set[str]) -> list[str]:
    """The command after a tool's options (`--` ends them)."""
    i = 0
    while i < len(tokens) and tokens[i].startswith("-"):
        if tokens[i] == "--":
            return tokens[i + 1:]
        i += 2 if tokens[i] in with_value else 1
    return tokens[i:]


def _add_install(plan: TestPlan, tokens: list[str], root: Path) -> None:
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        value = tokens[i + 1] if i + 1 < len(tokens) else ""
        if tok in ("-r", "--requirement"):
            _add_requirement_file(plan, value, root)
            i += 2
            continue
        if tok.startswith("-r") and len(tok) > 2:
            _add_requirement_file(plan, tok[2:], root)
        elif tok in ("-e", "--editable"):
            _add_project_spec(plan, value)
            i += 2
            continue
        elif tok in ("-c", "--constraint", "-i", "--index-url", "--extra-index-url", "-f", "--find-links"):
            i += 2
            continue
        elif tok.startswith("-"):
            pass
        elif tok == "." or tok.startswith(".[") or tok.startswith("./"):
            _add_project_spec(plan, tok)
        elif re.match(r"^[A-Za-z0-9][A-Za-z0-9._-]*(\[[^\]]*\])?\s*([<>=!~;].*)?$", tok):
            name = re.split(r"[\[<>=!~; ]", tok, maxsplit=1)[0].lower()
            if name not in _TOOLING and tok not in plan.requirements and name != "pytest":
                plan.requirements.append(tok)
            elif name == "pytest" and any(c in tok for c in "<>=~") and tok not in plan.requirements:
                plan.requirements.append(tok)  # the suite may need a particular pytest
        i += 1


def _add_project_spec(plan: TestPlan, spec: str) -> None:
    m = re.match(r"^\.?/?\.?\[([^\]]+)\]$", spec.strip("'\""))
    if m:
        for extra in m.group(1).split(","):
            extra = extra.strip()
            if extra and extra not in plan.extras:
                plan.extras.append(extra)


def _add_requirement_file(plan: TestPlan, name: str, root: Path) -> None:
    name = name.strip().removeprefix("./")
    if name and "{" not in name and (root / name).is_file() and name not in plan.requirement_files:
        plan.requirement_files.append(name)


def _set_command(plan: TestPlan, tokens: list[str], root: Path) -> bool:
    runner, args = tokens[0], tokens[1:]
    if runner == "pytest":
        plan.runner, plan.args = "pytest", _pytest_args(args, root)
        return True
    if runner == "unittest":
        plan.runner = "unittest"
        plan.args = [a for a in args if a not in ("-v", "--verbose", "-q", "--quiet", "-b", "--buffer")]
        return True
    return False


def _pytest_args(args: list[str], root: Path) -> list[str]:
    out: list[str] = []
    i = 0
    while i < len(args):
        a = args[i]
        nxt = args[i + 1] if i + 1 < len(args) else ""
        name = a.split("=", 1)[0]
        takes_value = "=" not in a and (name in _DROP_WITH_VALUE or name in _KEEP_WITH_VALUE)
        if a == "--cov":  # its value is optional: a package, not a test path
            i += 2 if nxt and not nxt.startswith("-") and "test" not in nxt else 1
            continue
        if name in _DROP_WITH_VALUE or a.startswith("--cov") or a in _DROP_FLAGS or re.match(r"^-[vqsx]+$", a):
            i += 2 if takes_value else 1
            continue
        if name in _KEEP_WITH_VALUE:
            out += [a, nxt] if takes_value else [a]
            i += 2 if takes_value else 1
            continue
        if a.startswith("-"):
            if a in ("--doctest-modules", "--strict-markers", "--strict-config", "--doctest-continue-on-failure") \
                    or a.startswith("--import-mode="):
                out.append(a)
        elif (root / a.split("::")[0]).exists():
            out.append(a)
        i += 1
    return out


# ---- pytest settings and the fallback --------------------------------------------------------
def _pytest_ini(root: Path) -> tuple[str, dict] | None:
    """The settings pytest itself would use, in its order: pytest.ini and .pytest.ini (even
    empty), pyproject.toml, tox.ini, setup.cfg."""
    for name in ("pytest.ini", ".pytest.ini"):
        if (root / name).is_file():
            return name, _ini_section(root / name, "pytest") or {}
    pytest_table = _toml(root / "pyproject.toml").get("tool", {}).get("pytest", {})
    opts = pytest_table.get("ini_options")
    if isinstance(opts, dict):
        return "pyproject.toml", opts
    if isinstance(pytest_table, dict) and pytest_table:  # pytest 9's native [tool.pytest]
        return "pyproject.toml", pytest_table
    for name, section in (("tox.ini", "pytest"), ("setup.cfg", "tool:pytest")):
        found = _ini_section(root / name, section)
        if found is not None:
            return name, found
    return None


def _ini_section(path: Path, section: str) -> dict | None:
    cfg = _read_ini(path)
    return dict(cfg[section]) if cfg is not None and cfg.has_section(section) else None


def _read_ini(path: Path) -> configparser.ConfigParser | None:
    """An ini file as pytest and tox read it (no interpolation), or None when absent or unreadable."""
    if not path.is_file():
        return None
    cfg = configparser.ConfigParser(interpolation=None, strict=False)
    try:
        cfg.read_string(path.read_text(encoding="utf-8", errors="replace"))
    except configparser.Error:
        return None
    return cfg


def _apply_pytest_settings(plan: TestPlan, root: Path) -> None:
    found = _pytest_ini(root)
    if found is None:
        return
    where, opts = found
    plan.found_in.append(f"{where} (pytest settings)")
    addopts = opts.get("addopts")
    tokens: list[str] = []
    if isinstance(addopts, list):  # TOML: each item is one argument already ("-m", "not property")
        tokens = [str(a) for a in addopts]
    elif isinstance(addopts, str) and addopts.strip():
        try:
            tokens = shlex.split(addopts)
        except ValueError:
            tokens = addopts.split()
    if tokens:
        kept = _pytest_args(tokens, root)
        kept += [t for t in tokens if t.startswith("--doctest") and t not in kept
                 and t.split("=", 1)[0] not in _DROP_WITH_VALUE]
        if kept != tokens:
            plan.pytest_addopts = shlex.join(kept)
    plugins = opts.get("required_plugins")
    if isinstance(plugins, str):
        plugins = plugins.split()
    for plugin in plugins or ():
        if plugin.split("[")[0].split(">")[0].split("=")[0].lower() not in _TOOLING and plugin not in plan.requirements:
            plan.requirements.append(plugin)
    for module in _filterwarnings_modules(opts.get("filterwarnings")):
        if module not in plan.requirements:  # named even when it is tooling (coverage): see the function
            plan.requirements.append(module)


def _filterwarnings_modules(value) -> list[str]:
    """Third-party modules named by the categories of pytest's `filterwarnings` (versioningit's
    `ignore:...:coverage.exceptions.CoverageWarning`): one that does not import makes pytest warn while it
    applies the settings, which `error` in the same settings turns into the end of the run."""
    lines = value.splitlines() if isinstance(value, str) else [str(v) for v in value or ()]
    out = []
    for line in lines:
        parts = line.strip().split(":")
        category = parts[2].strip() if len(parts) > 2 else ""
        module = category.split(".", 1)[0]
        if "." in category and module not in sys.stdlib_module_names and module not in ("pytest", "_pytest") \
                and re.fullmatch(r"[A-Za-z_][\w]*", module) and module not in out:
            out.append(module)
    return out


def _looks_like_pytest(root: Path) -> bool:
    if _pytest_ini(root) is not None or (root / "conftest.py").exists():
        return True
    for path in root.rglob("*.py"):
        if "site-packages" in path.parts or any(p.startswith(".") for p in path.relative_to(root).parts):
            continue
        if path.name == "conftest.py":
            return True
        if path.name.startswith("test_") or path.stem.endswith("_test"):
            text = path.read_text(errors="replace")
            if "unittest.TestCase" not in text and "TestCase)" not in text:
                return True
            if path.parent != root and not (path.parent / "__init__.py").exists():
                return True  # unittest discovery from the root skips a folder that is not a package; pytest runs it
    return False


def _declared_test_extras(root: Path) -> list[str]:
    """Test extras the project declares (installed with it so the suite finds its test dependencies)."""
    declared: set[str] = set()
    project = _toml(root / "pyproject.toml").get("project", {})
    declared.update((project.get("optional-dependencies") or {}).keys())
    cfg = configparser.ConfigParser(interpolation=None, strict=False)
    if (root / "setup.cfg").is_file():
        try:
            cfg.read_string((root / "setup.cfg").read_text(encoding="utf-8", errors="replace"))
        except configparser.Error:
            pass
    if cfg.has_section("options.extras_require"):
        declared.update(cfg["options.extras_require"].keys())
    return [e for e in _TEST_EXTRAS if e in declared]


def dependency_group(root: Path, names=("test", "tests", "testing", "dev")) -> list[str]:
    """Requirements of a PEP 735 dependency group used for tests (plain strings only); without one, those of
    the test groups of PDM's `[tool.pdm.dev-dependencies]` (all of them: a suite's needs are often split over
    `test` and `dev`) or of uv's `[tool.uv] dev-dependencies`."""
    data = _toml(root / "pyproject.toml")
    groups = data.get("dependency-groups", {})
    for name in names:
        items = groups.get(name)
        if isinstance(items, list):
            return [i for i in items if isinstance(i, str)]
    tool = data.get("tool", {})
    pdm = (tool.get("pdm") or {}).get("dev-dependencies") if isinstance(tool, dict) else None
    out: list[str] = []
    if isinstance(pdm, dict):
        for name in names:
            if isinstance(pdm.get(name), list):
                out += [i for i in pdm[name] if isinstance(i, str) and not i.startswith("-") and i not in out]
    uv = (tool.get("uv") or {}).get("dev-dependencies") if isinstance(tool, dict) else None
    if not out and isinstance(uv, list):
        out = [i for i in uv if isinstance(i, str)]
    return out


def _yaml(path: Path):
    if not path.is_file():
        return None
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8", errors="replace"))
    except yaml.YAMLError:
        return None


def _toml(path: Path) -> dict:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    except (tomllib.TOMLDecodeError, UnicodeDecodeError):
        return {}
