"""Importers for local APPS, CodeContests and TACO copies: native formats in, valid records out,
and every canonical solution they produce passes its own tests in the sandbox."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from sftset.record import Problem
from sftset.scrapers.apps import Apps
from sftset.scrapers.base import Skip
from sftset.scrapers.code_contests import CodeContests
from sftset.scrapers.convert import to_problem
from sftset.scrapers.taco import Taco

DATASETS = Path(__file__).parent / "fixtures" / "datasets"
needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="the sandbox runs code as other uids (needs root)")


def convert_all(source) -> tuple[dict[str, Problem], dict[str, str]]:
    records, skipped = {}, {}
    for native_id, load in source.entries():
        try:
            record = to_problem(source.parse(native_id, load()))
        except Skip as exc:
            skipped[native_id] = exc.reason
            continue
        Problem.from_dict(record.to_dict())
        records[record.task_id] = record
    return records, skipped


def test_apps_native_folders():
    records, skipped = convert_all(Apps(DATASETS / "apps"))
    assert sorted(records) == ["apps/train/0001", "apps/train/0111", "apps/train/2404", "apps/train/4184"]
    assert "several answers" in skipped["train/2287"]  # "any of those is accepted"
    stdio = records["apps/train/0001"]
    assert stdio.kind == "stdio" and stdio.entry_point == "solve" and stdio.canonical_solution
    assert stdio.tests == [{"input": "3\n2 2 3\n4 3 7\n10 1 9\n", "output": "1\n6\n-1\n", "split": "public"}]
    assert stdio.meta["difficulty"] == "interview" and stdio.provenance["license"] == "MIT"
    assert "https://codeforces.com/problemset/problem/1036/B" in stdio.provenance["attribution"]
    # LeetCode `class Solution` starter: a plain function with the starter's signature.
    lc = records["apps/train/2404"]
    assert lc.kind == "function" and lc.entry_point == "findKthPositive"
    assert lc.prompt.startswith("from typing import List\n\n\ndef findKthPositive(arr: List[int], k: int) -> int:")
    assert lc.tests == [{"args": "([2, 3, 4, 7, 11], 5)", "expected": "9", "split": "public"}]
    # Codewars wraps expected values in a list: unwrapped.
    cw = records["apps/train/4184"]
    assert cw.entry_point == "is_prime" and cw.tests[0] == {"args": "(1,)", "expected": "False", "split": "hidden"}


def write_parquet(rows: list[dict], path: Path) -> Path:
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    pq.write_table(pa.Table.from_pylist(rows), path)
    return path


def test_code_contests_rows_jsonl_and_parquet(tmp_path):
    jsonl = DATASETS / "code_contests" / "valid.jsonl"
    records, skipped = convert_all(CodeContests(jsonl))
    assert skipped == {"1001_C._Guess_the_Hidden_Number": "interactive problem"}
    even = records["code_contests/4_A._Even_Split"]
    assert even.meta["tests"] == {"public": 1, "hidden": 4, "generated": 5}
    assert even.limits == {"time_s": 1, "memory_mb": 64}
    assert even.meta["cf_rating"] == 800 and even.meta["difficulty"] == "A" and even.meta["original_source"] == "codeforces"
    assert even.provenance["license"] == "CC-BY-4.0"
    assert even.provenance["url"] == "https://codeforces.com/problemset/problem/4/A"
    assert "print 'YES'" not in even.canonical_solution  # the Python 2 solution is not used
    digits = records["code_contests/p00001_Sum_of_Digits"]
    assert digits.meta["solution_index"] == 1 and digits.limits["time_s"] == 2.5  # first one used `global`
    assert records["code_contests/1000_B._Circle_Area"].checker == "float:1e-06"
    rows = [json.loads(line) for line in jsonl.read_text().splitlines()]
    parquet = write_parquet(rows, tmp_path / "train-00000-of-00001.parquet")
    from_parquet, _ = convert_all(CodeContests(parquet))
    assert {k: v.content_hash for k, v in from_parquet.items()} == {k: v.content_hash for k, v in records.items()}


def test_taco_rows():
    records, skipped = convert_all(Taco(DATASETS / "taco"))
    assert sorted(records) == ["taco/train/0", "taco/train/1", "taco/train/2", "taco/train/3"] and not skipped
    assert records["taco/train/0"].limits == {"time_s": 2, "memory_mb": 256}
    assert ".buffer" in records["taco/train/0"].canonical_solution
    vowels = records["taco/train/1"]
    assert vowels.kind == "function" and vowels.tests[0] == {"args": "('hello',)", "expected": "2", "split": "public"}
    two_sum = records["taco/train/2"]
    assert two_sum.tests[0]["expected"] == "[0, 1]"  # LeetCode results are not unwrapped
    py2_only = records["taco/train/3"]
    assert py2_only.canonical_solution == "" and "not Python 3" in py2_only.meta["solutions_not_converted"][0]
    assert vowels.provenance["license"] == "Apache-2.0"


def test_bad_rows_are_reported(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"name": "x", "description": "", "public_tests": {"input": [], "output": []}}) + "\n")
    source = CodeContests(bad)
    (native_id, load), = list(source.entries())
    from sftset.scrapers.base import ParseError

    with pytest.raises(ParseError, match="no description"):
        source.parse(native_id, load())
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"name": "ok"}\n{not json\n')
    with pytest.raises(ParseError, match=r"broken.jsonl:2: invalid JSON"):
        list(CodeContests(broken).entries())


@needs_root
def test_every_imported_reference_passes_in_the_sandbox():
    from sftset.evaluation import sample_job
    from sftset.sandbox import Executor

    records = {}
    for source in (Apps(DATASETS / "apps"), CodeContests(DATASETS / "code_contests"), Taco(DATASETS / "taco")):
        records.update(convert_all(source)[0])
    with_reference = [r for r in records.values() if r.canonical_solution]
    assert len(with_reference) == 10
    with Executor(workers=2) as ex:
        verdicts = ex.run_all(sample_job(r, r.canonical_solution, r.task_id) for r in with_reference)
    assert {v.key: (v.status, v.detail[:200]) for v in verdicts if not v.passed} == {}


def test_arrow_stream_rows(tmp_path):
    pa = pytest.importorskip("pyarrow")
    rows = [json.loads(line) for line in (DATASETS / "taco" / "train.jsonl").read_text().splitlines()]
    path = tmp_path / "data-00000-of-00001.arrow"
    table = pa.Table.from_pylist(rows)
    with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)  # the format of a `datasets` cache file
    records, _ = convert_all(Taco(path))
    assert sorted(records) == [f"taco/data-00000-of-00001/{i}" for i in range(4)]
