"""`curated/<version>/`: exactly DESIGN.md's files, a manifest whose sha256s match, rows that
trainers load as they are, and atomic writes (a crash never leaves a version that looks complete)."""
from __future__ import annotations

import gzip
import hashlib
import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from sftset.dataset import export as export_mod
from sftset.dataset.export import is_complete, write_version
from sftset.dataset.select import select_for_export
from sftset.record import Problem

DESIGN_FILES = {"problems.jsonl.gz", "humaneval.jsonl", "sft_prompt_completion.jsonl", "sft_messages.jsonl",
                "manifest.json", "README.md"}


@pytest.fixture
def problems(handwritten_records):
    return [Problem.from_dict(d) for d in handwritten_records]


def read_jsonl(path: Path) -> list[dict]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def listing(root: Path) -> set[str]:
    return {p.name for p in root.iterdir()} if root.exists() else set()


def test_version_has_exactly_the_design_files(tmp_path, problems):
    out = write_version(problems, tmp_path / "curated", version="v1")
    assert out == tmp_path / "curated" / "v1"
    assert listing(out) == DESIGN_FILES
    assert listing(tmp_path / "curated") == {"v1", "latest"}
    assert os.readlink(tmp_path / "curated" / "latest") == "v1"
    assert is_complete(out)


def test_manifest_sha256_counts_and_config(tmp_path, problems):
    out = write_version(problems, tmp_path, version="v1", config={"source": "ci"},
                        stats={"per_stage": {"mine": {"added": 3}}, "drops": {"filter: no sample passed": 2}})
    manifest = json.loads((out / "manifest.json").read_text())
    assert set(manifest["files"]) == DESIGN_FILES - {"manifest.json"}
    for name, meta in manifest["files"].items():
        data = (out / name).read_bytes()
        assert meta["sha256"] == hashlib.sha256(data).hexdigest() and meta["bytes"] == len(data)
    assert manifest["files"]["humaneval.jsonl"]["rows"] == 3
    assert manifest["version"] == "v1" and manifest["config"] == {"source": "ci"}
    assert manifest["counts"]["problems"] == 3 and manifest["counts"]["per_source"] == {"handwritten": 3}
    assert manifest["counts"]["tests"] == sum(len(p.tests) for p in problems)
    assert manifest["per_stage"] == {"mine": {"added": 3}}
    assert manifest["drops"] == {"filter: no sample passed": 2}
    assert manifest["tool_version"]


def test_rows_of_each_format(tmp_path, problems):
    out = write_version(problems, tmp_path, version="v1")
    full = read_jsonl(out / "problems.jsonl.gz")
    assert [Problem.from_dict(r) for r in full] == sorted(problems, key=lambda p: p.task_id)
    by_id = {p.task_id: p for p in problems}
    for row in read_jsonl(out / "humaneval.jsonl"):
        assert list(row) == ["task_id", "prompt", "canonical_solution", "test", "entry_point"]
        p = by_id[row["task_id"]]
        assert (row["prompt"], row["canonical_solution"], row["test"], row["entry_point"]) == (
            p.prompt, p.canonical_solution, p.test, p.entry_point)
    for row, p in zip(read_jsonl(out / "sft_prompt_completion.jsonl"), [Problem.from_dict(r) for r in full]):
        assert row == {"prompt": p.prompt, "completion": p.canonical_solution}
    for row, p in zip(read_jsonl(out / "sft_messages.jsonl"), [Problem.from_dict(r) for r in full]):
        user, assistant = row["messages"]
        assert user["role"] == "user" and p.prompt in user["content"]
        assert assistant["role"] == "assistant"
        # the assistant's answer is the whole function, and it passes the problem's own check
        code = re.fullmatch(r"```python\n(.*)\n```", assistant["content"], re.S).group(1)
        namespace: dict = {}
        exec(code + "\n" + p.test + "\n" + f"check({p.entry_point})", namespace)


def test_trainers_load_the_files_unedited(tmp_path, problems):
    datasets = pytest.importorskip("datasets")
    out = write_version(problems, tmp_path, version="v1")
    card = (out / "README.md").read_text()
    front = yaml.safe_load(card.split("---\n")[1])
    assert front["license"] and front["configs"]
    for config in front["configs"]:
        for data_file in config["data_files"]:
            path = out / data_file["path"]
            assert path.exists()
            ds = datasets.load_dataset("json", data_files=str(path), split="train",
                                       cache_dir=str(tmp_path / "hf-cache"))
            assert ds.num_rows == 3
    messages = datasets.load_dataset("json", data_files=str(out / "sft_messages.jsonl"), split="train",
                                     cache_dir=str(tmp_path / "hf-cache"))
    assert messages[0]["messages"][0]["role"] == "user"
    pc = datasets.load_dataset("json", data_files=str(out / "sft_prompt_completion.jsonl"), split="train",
                               cache_dir=str(tmp_path / "hf-cache"))
    assert pc.column_names == ["prompt", "completion"]


def test_rows_in_natural_task_order(tmp_path, problems):
    ids = ["x/10", "x/2", "x/1/b", "x/1/a", "HumanEval/100", "HumanEval/9"]
    many = [Problem.from_dict(dict(problems[0].to_dict(), task_id=t, source=t.split("/")[0])) for t in ids]
    out = write_version(many, tmp_path, version="v1")
    assert [r["task_id"] for r in read_jsonl(out / "humaneval.jsonl")] == [
        "HumanEval/9", "HumanEval/100", "x/1/a", "x/1/b", "x/2", "x/10"]


def test_same_input_same_bytes(tmp_path, problems):
    a = write_version(problems, tmp_path, version="a")
    b = write_version(list(reversed(problems)), tmp_path, version="b")
    for name in DESIGN_FILES - {"manifest.json", "README.md"}:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    assert os.readlink(tmp_path / "latest") == "b"
    assert is_complete(a) and is_complete(b)


def test_default_version_names_never_collide(tmp_path, problems):
    names = {write_version(problems, tmp_path).name for _ in range(3)}
    assert len(names) == 3
    assert all(re.fullmatch(r"\d{8}T\d{6}Z(-\d+)?", n) for n in names)


def test_existing_version_is_never_overwritten(tmp_path, problems):
    write_version(problems, tmp_path, version="v1")
    before = (tmp_path / "v1" / "manifest.json").read_bytes()
    with pytest.raises(FileExistsError):
        write_version(problems[:1], tmp_path, version="v1")
    assert (tmp_path / "v1" / "manifest.json").read_bytes() == before


def test_cli_refuses_an_existing_version(run_cli, jsonl_file, handwritten_records):
    records = jsonl_file("ok.jsonl", handwritten_records)
    assert run_cli("export", "--problems", records, "--version", "v1", "-q").rc == 0
    result = run_cli("export", "--problems", records, "--version", "v1")
    assert result.rc == 2 and "already exists" in result.err


def test_tampered_file_makes_a_version_incomplete(tmp_path, problems):
    out = write_version(problems, tmp_path, version="v1")
    with open(out / "humaneval.jsonl", "a") as fh:
        fh.write("\n")
    assert not is_complete(out)


# ---- selection ----------------------------------------------------------------------------

def test_select_for_export_drops_with_reasons(problems):
    no_solution = Problem.from_dict(dict(problems[0].to_dict(), task_id="handwritten/empty", canonical_solution=""))
    flagged = Problem.from_dict(dict(problems[0].to_dict(), task_id="handwritten/flagged", flags=["no_docstring"]))
    verdicts = {
        problems[0].task_id: {"filter": {"status": "dropped", "reason": "no sample passed",
                                         "content_hash": problems[0].content_hash}},
        # a verdict about an older version of the problem does not count
        problems[1].task_id: {"filter": {"status": "dropped", "reason": "old", "content_hash": "0" * 64}},
        problems[2].task_id: {"validate": {"status": "kept", "reason": "", "content_hash": problems[2].content_hash}},
    }
    kept, drops = select_for_export(problems + [no_solution, flagged], verdicts)
    assert [p.task_id for p in kept] == [problems[1].task_id, problems[2].task_id]
    assert drops == {"filter: no sample passed": 1, "no reference solution": 1, "flagged no_docstring": 1}
    kept, _ = select_for_export([flagged], {}, excluded_flags=())
    assert kept == [flagged]


# ---- atomicity ----------------------------------------------------------------------------

@pytest.mark.parametrize("fail_at", [1, 2, 5, 6])
def test_crash_mid_write_leaves_no_version(tmp_path, problems, monkeypatch, fail_at):
    root = tmp_path / "curated"
    write_version(problems, root, version="v1")
    before = listing(root)
    real_write = export_mod._write
    calls = []

    def failing_write(path, data):
        calls.append(path.name)
        if len(calls) == fail_at:
            raise OSError(28, "No space left on device")
        real_write(path, data)

    monkeypatch.setattr(export_mod, "_write", failing_write)
    with pytest.raises(OSError, match="No space left"):
        write_version(problems, root, version="v2")
    assert listing(root) == before  # no v2, no leftover partial folder
    assert os.readlink(root / "latest") == "v1" and is_complete(root / "v1")
    if fail_at == 6:
        assert calls[-1] == "manifest.json"  # the manifest is written last


def test_crash_before_rename_leaves_no_version(tmp_path, problems, monkeypatch):
    root = tmp_path / "curated"
    write_version(problems, root, version="v1")
    monkeypatch.setattr(export_mod.os, "rename", lambda *a: (_ for _ in ()).throw(KeyboardInterrupt()))
    with pytest.raises(KeyboardInterrupt):
        write_version(problems, root, version="v2")
    assert listing(root) == {"v1", "latest"} and os.readlink(root / "latest") == "v1"


KILLED_EXPORT = r"""
import sys, time
from sftset.dataset import export as ex
real, calls = ex._write, []
def slow(path, data):
    real(path, data)
    calls.append(path.name)
    if len(calls) == 2:
        print("WROTE", path.parent, flush=True)
        time.sleep(120)
ex._write = slow
from sftset.cli import main
sys.exit(main(["export", "--problems", sys.argv[1], "--curated", sys.argv[2], "-q"]))
"""


def test_sigkill_mid_export_leaves_no_version(tmp_path, jsonl_file, handwritten_records, run_cli):
    records = jsonl_file("ok.jsonl", handwritten_records)
    root = tmp_path / "curated"
    assert run_cli("export", "--problems", records, "--curated", root, "--version", "v1", "-q").rc == 0
    proc = subprocess.Popen([sys.executable, "-c", KILLED_EXPORT, str(records), str(root)],
                            stdout=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        assert line.startswith("WROTE"), line
        partial = Path(line.split(" ", 1)[1].strip())
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.stdout.close()
    assert proc.returncode == -signal.SIGKILL
    # only a hidden, incomplete partial folder is left; `latest` and v1 are as they were
    visible = {n for n in listing(root) if not n.startswith(".")}
    assert visible == {"v1", "latest"}
    assert partial.name.startswith(".partial-") and partial.exists() and not is_complete(partial)
    assert os.readlink(root / "latest") == "v1" and is_complete(root / "v1")
    # the next export is unaffected by the leftover
    assert run_cli("export", "--problems", records, "--curated", root, "--version", "v2", "-q").rc == 0
    assert os.readlink(root / "latest") == "v2" and is_complete(root / "v2")
