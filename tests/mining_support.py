"""Mine one of tests/projects in-process, the way the module-scoped `mined` fixtures need it."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from sftset.record import Problem

PROJECTS = Path(__file__).parent / "projects"


def mine_project(work: Path, name: str, *extra: str) -> tuple[int, dict, list[Problem]]:
    """(exit status, the target's report, its problems): `mine` of PROJECTS/name run in `work`
    (sandboxed suite, validation on 2 executor workers, at most 15 mutants)."""
    from sftset.cli import main

    old = os.getcwd()
    os.chdir(work)
    try:
        rc = main(["-q", "mine", str(PROJECTS / name), "--out", "out.jsonl", "--report", "report.json",
                   "--workers", "2", "--max-mutants", "15", *extra])
    finally:
        os.chdir(old)
    report = json.loads((work / "report.json").read_text())["targets"][0]
    records = [Problem.from_dict(json.loads(line)) for line in (work / "out.jsonl").read_text().splitlines()]
    return rc, report, records


def traced_driver(root: Path, module_file: str, module_text: str, driver: str) -> Path:
    """A folder under `root` for tracer tests: the tracer package as suite.py installs it (`runtime`), the
    module under test (`mod/<module_file>`) and `driver.py`, which a test runs as
    `python driver.py ROOT/runtime ROOT/mod OUT ENGINE`."""
    import textwrap

    from sftset.ci_mining.suite import install_runtime

    install_runtime(root / "runtime")
    (root / "mod").mkdir()
    (root / "mod" / module_file).write_text(textwrap.dedent(module_text))
    (root / "driver.py").write_text(driver)
    return root


def run_driver(root: Path, python: str, engine: str, out: Path) -> dict:
    """Run a traced_driver folder's driver with `python` and tracer `engine` ("" for the default); its trace."""
    subprocess.run([python, str(root / "driver.py"), str(root / "runtime"), str(root / "mod"), str(out), engine],
                   check=True, timeout=60)
    return json.loads(out.read_text())


def assert_sandbox_verdicts(problems: dict, wrong: dict) -> None:
    """Each problem's rendered check passes its reference and fails its wrong body (`wrong[name]`) in the sandbox."""
    from sftset.evaluation import sample_job
    from sftset.sandbox import Executor

    jobs = [sample_job(problems[name], problems[name].canonical_solution, (name, "right")) for name in wrong]
    jobs += [sample_job(problems[name], body, (name, "wrong")) for name, body in wrong.items()]
    with Executor(workers=2) as ex:
        verdicts = {v.key: v for v in ex.run(jobs)}
    assert len(verdicts) == 2 * len(wrong)
    for (name, kind), v in verdicts.items():
        assert v.passed == (kind == "right"), (name, kind, v.status, v.detail)


def assert_plain_interpreter_verdicts(problems: dict, wrong: dict, folder: Path) -> None:
    """prompt + completion + test + check(entry_point), run by `python -I -S` (no site-packages): exit 0 with the
    reference, not with the wrong body (our own test projects only: this runs outside the sandbox)."""
    for name, body in wrong.items():
        p = problems[name]
        for kind, completion in (("right", p.canonical_solution), ("wrong", body)):
            path = folder / f"{name}_{kind}.py"
            path.write_text(p.prompt + completion + "\n" + p.test + "\n" + f"check({p.entry_point})\n")
            proc = subprocess.run([sys.executable, "-I", "-S", str(path)], capture_output=True, text=True,
                                  timeout=30, cwd=folder)
            assert (proc.returncode == 0) == (kind == "right"), (name, kind, proc.stderr[-500:])
