"""Mine one of tests/projects in-process, the way the module-scoped `mined` fixtures need it."""
from __future__ import annotations

import json
import os
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
