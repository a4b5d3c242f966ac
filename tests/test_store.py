"""The SQLite state store: WAL, schema version, refusing newer or damaged files untouched,
problems / verdicts / samples / runs, and a rerun seeing what is done."""
from __future__ import annotations

import hashlib
import random
import sqlite3

import pytest

from sftset.record import Problem
from sftset.store import SCHEMA_VERSION, StateStore, StoreError, params_hash


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def problems(handwritten_records):
    return [Problem.from_dict(d) for d in handwritten_records]


@pytest.fixture
def filled_store(tmp_path, problems):
    """A closed store file with problems, verdicts, samples and a run in it."""
    path = tmp_path / "state.sqlite"
    with StateStore(path) as store:
        store.put_problems(problems)
        for i, p in enumerate(problems):
            store.set_verdict(p.task_id, "validate", "kept" if i else "dropped", "flaky" if not i else "", p.content_hash)
        store.put_samples(problems[0].content_hash, "m", params_hash({"t": 0.8}), [(i, f"x{i}" * 300) for i in range(200)])
        run = store.start_run("test")
        store.finish_run(run, "ok", {"n": 3})
    return path


def test_wal_mode_and_schema_version(tmp_path):
    path = tmp_path / "sub" / "state.sqlite"
    with StateStore(path) as store:
        assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"  # persistent in the file
    assert db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()[0] == str(SCHEMA_VERSION)
    db.close()


def test_reopen_keeps_everything(filled_store, problems):
    with StateStore(filled_store) as store:
        assert store.count_problems() == len(problems)
        assert [p.task_id for p in store.problems()] == sorted(p.task_id for p in problems)
        assert store.get_problem(problems[0].task_id) == problems[0]
        assert list(store.problems("handwritten")) == list(store.problems(["handwritten", "other"]))
        assert list(store.problems("other")) == []
        assert store.verdict(problems[0].task_id, "validate")["status"] == "dropped"
        assert store.verdicts("validate")[problems[1].task_id]["validate"]["status"] == "kept"
        assert len(store.samples(problems[0].content_hash, "m", params_hash({"t": 0.8}))) == 200
        assert store.runs()[-1]["stats"] == {"n": 3} and store.runs()[-1]["status"] == "ok"


def test_put_problems_counts_added_changed_unchanged(tmp_path, problems):
    with StateStore(tmp_path / "s.sqlite") as store:
        assert store.put_problems(problems) == {"added": 3, "changed": 0, "unchanged": 0}
        assert store.put_problems(problems) == {"added": 0, "changed": 0, "unchanged": 3}
        edited = Problem.from_dict(dict(problems[0].to_dict(), prompt=problems[0].prompt + "# new\n", content_hash=""))
        assert store.put_problems([edited]) == {"added": 0, "changed": 1, "unchanged": 0}
        assert store.get_problem(edited.task_id).content_hash == edited.content_hash


def test_is_done_follows_content_hash(tmp_path, problems):
    p = problems[0]
    with StateStore(tmp_path / "s.sqlite") as store:
        assert not store.is_done(p.task_id, "validate", p.content_hash)
        store.set_verdict(p.task_id, "validate", "kept", content_hash=p.content_hash, detail={"secs": 1.5})
        assert store.is_done(p.task_id, "validate", p.content_hash)
        assert not store.is_done(p.task_id, "validate", "0" * 64)  # the problem changed: redo
        assert not store.is_done(p.task_id, "filter", p.content_hash)
        store.set_verdict(p.task_id, "validate", "error", "crash", p.content_hash)
        assert not store.is_done(p.task_id, "validate", p.content_hash)  # errors are retried
        store.delete_problem(p.task_id)
        assert store.get_problem(p.task_id) is None and store.verdict(p.task_id, "validate") is None


def test_samples_are_never_duplicated(tmp_path):
    with StateStore(tmp_path / "s.sqlite") as store:
        ph = params_hash({"temperature": 0.8, "top_p": 0.95})
        assert ph == params_hash({"top_p": 0.95, "temperature": 0.8})
        assert store.put_samples("h", "m", ph, [(0, "a"), (1, "b")]) == 2
        assert store.put_samples("h", "m", ph, [(1, "changed"), (2, "c")]) == 1
        store.set_sample_result("h", "m", ph, 1, "passed", {"secs": 0.1})
        rows = store.samples("h", "m", ph)
        assert [(r["idx"], r["completion"], r["status"]) for r in rows] == [(0, "a", None), (1, "b", "passed"), (2, "c", None)]
        assert rows[1]["detail"] == {"secs": 0.1}


def test_transaction_rolls_back(tmp_path, problems):
    with StateStore(tmp_path / "s.sqlite") as store:
        with pytest.raises(RuntimeError):
            with store.transaction() as db:
                db.execute("INSERT INTO meta(key, value) VALUES ('x', 'y')")
                raise RuntimeError("boom")
        assert store.db.execute("SELECT COUNT(*) FROM meta WHERE key='x'").fetchone()[0] == 0


def test_two_connections_see_each_others_writes(tmp_path, problems):
    path = tmp_path / "s.sqlite"
    with StateStore(path) as a, StateStore(path) as b:
        a.put_problems(problems[:1])
        assert b.count_problems() == 1


# ---- refusing files it must not touch ----------------------------------------------------

def _bump_schema(path, version) -> None:
    db = sqlite3.connect(path)
    db.execute("UPDATE meta SET value=? WHERE key='schema_version'", (str(version),))
    db.commit()
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()


def test_newer_schema_is_refused_untouched(filled_store):
    _bump_schema(filled_store, SCHEMA_VERSION + 1)
    before = digest(filled_store)
    with pytest.raises(StoreError, match=r"newer build-sft-set \(schema 2"):
        StateStore(filled_store)
    assert digest(filled_store) == before


def corrupt_files(tmp_path, filled_store):
    rng = random.Random(7)
    random_bytes = tmp_path / "random.sqlite"
    random_bytes.write_bytes(bytes(rng.randrange(256) for _ in range(8192)))
    data = filled_store.read_bytes()
    truncated = tmp_path / "truncated.sqlite"
    truncated.write_bytes(data[: len(data) // 2])
    header_only = tmp_path / "header.sqlite"
    header_only.write_bytes(data[:60])
    scribbled = tmp_path / "scribbled.sqlite"  # a valid header, page 2 onward overwritten
    scribbled.write_bytes(data[:4096] + bytes(rng.randrange(256) for _ in range(len(data) - 4096)))
    foreign = tmp_path / "foreign.sqlite"
    db = sqlite3.connect(foreign)
    db.execute("CREATE TABLE t (x)")
    db.commit()
    db.close()
    text = tmp_path / "notes.sqlite"
    text.write_text("these are my notes, not a database\n" * 50)
    return [random_bytes, truncated, header_only, scribbled, foreign, text]


def test_corrupt_files_are_refused_untouched(tmp_path, filled_store):
    assert filled_store.stat().st_size > 3 * 4096  # big enough that truncation loses pages
    for path in corrupt_files(tmp_path, filled_store):
        before = digest(path)
        with pytest.raises(StoreError) as info:
            StateStore(path)
        message = str(info.value)
        assert str(path) in message and "\n" not in message, message
        assert digest(path) == before, path.name
        assert not (path.parent / (path.name + "-journal")).exists()


def test_cli_refuses_newer_and_corrupt_store_with_one_line(tmp_path, filled_store, run_cli, jsonl_file,
                                                           handwritten_records):
    _bump_schema(filled_store, SCHEMA_VERSION + 5)
    records = jsonl_file("ok.jsonl", handwritten_records)
    for path in [filled_store] + corrupt_files(tmp_path, filled_store):
        before = digest(path)
        for argv in (["export", "--state", path], ["import", records, "--state", path]):
            result = run_cli(*argv)
            assert result.rc == 2, (argv, result)
            assert len(result.err_lines) == 1 and "Traceback" not in result.err
            assert result.err_lines[0].startswith("build-sft-set: error: ") and str(path) in result.err_lines[0]
            assert digest(path) == before
    assert not (tmp_path / "curated").exists() or not any((tmp_path / "curated").iterdir())


def test_empty_file_becomes_a_store(tmp_path):
    path = tmp_path / "empty.sqlite"
    path.write_bytes(b"")
    with StateStore(path) as store:
        assert store.count_problems() == 0
