"""The state store: one SQLite file (WAL) that every stage reads and writes.

Tables
  problems   one row per task_id: the record as JSON, its content hash, and source
  verdicts   one row per (task_id, stage): status (kept/dropped/error/...), reason, detail
  samples    model samples keyed by (problem hash, model, params hash, index), with results
  runs       one row per invocation of the tool, with its stats
  meta       schema_version

A rerun reads what is done from here and skips it; a newer or damaged file is refused
with a clear error instead of being touched.
"""
from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterable, Iterator

from .record import Problem

SCHEMA_VERSION = 1
DEFAULT_PATH = Path("curated") / "state.sqlite"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS problems (
    task_id TEXT PRIMARY KEY,
    content_hash TEXT NOT NULL,
    source TEXT NOT NULL,
    record TEXT NOT NULL,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS problems_hash ON problems(content_hash);
CREATE INDEX IF NOT EXISTS problems_source ON problems(source);
CREATE TABLE IF NOT EXISTS verdicts (
    task_id TEXT NOT NULL,
    stage TEXT NOT NULL,
    status TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    content_hash TEXT NOT NULL DEFAULT '',
    detail TEXT NOT NULL DEFAULT '{}',
    updated_at REAL NOT NULL,
    PRIMARY KEY (task_id, stage)
);
CREATE TABLE IF NOT EXISTS samples (
    problem_hash TEXT NOT NULL,
    model TEXT NOT NULL,
    params_hash TEXT NOT NULL,
    idx INTEGER NOT NULL,
    completion TEXT NOT NULL,
    status TEXT,
    detail TEXT,
    created_at REAL NOT NULL,
    PRIMARY KEY (problem_hash, model, params_hash, idx)
);
CREATE TABLE IF NOT EXISTS runs (
    run_id INTEGER PRIMARY KEY AUTOINCREMENT,
    command TEXT NOT NULL,
    started_at REAL NOT NULL,
    finished_at REAL,
    status TEXT NOT NULL DEFAULT 'running',
    stats TEXT NOT NULL DEFAULT '{}'
);
"""


class StoreError(RuntimeError):
    """The state file cannot be used as it is (newer schema, corrupt, not SQLite)."""


class StoreBusy(StoreError):
    """Another process holds the state file; it is healthy, try again later (exit status 1)."""


FINAL = ("kept", "dropped")  # a judging stage's verdicts that settle a problem


def is_current(verdict: dict[str, Any] | None, *, content_hash: str | None = None,
               statuses: Iterable[str] | None = None, detail: dict[str, Any] | None = None,
               max_age_s: float | None = None) -> bool:
    """The one rule for "this stage need not judge this problem again".

    A verdict is current when it exists, has one of `statuses` (default: anything but "error",
    which is always retried), was made for this exact record (`content_hash`, when given),
    with the same settings (every item of `detail`, e.g. {"key": k}, equals the stored detail's)
    and, with `max_age_s`, less than that long ago (detail["at"], else when it was written).
    """
    if verdict is None:
        return False
    if statuses is None:
        if verdict["status"] == "error":
            return False
    elif verdict["status"] not in set(statuses):
        return False
    if content_hash is not None and verdict["content_hash"] != content_hash:
        return False
    if detail and any(verdict["detail"].get(k) != v for k, v in detail.items()):
        return False
    if max_age_s:
        at = verdict["detail"].get("at", verdict.get("updated_at", 0))
        if time.time() - float(at or 0) >= max_age_s:
            return False
    return True


def dropped_elsewhere(verdicts: dict[str, dict[str, Any]], content_hash: str,
                      ignore: Iterable[str] = ()) -> tuple[str, dict[str, Any]] | None:
    """The one rule for "another stage dropped this problem": the first (by stage name) of a
    problem's `verdicts` ({stage: verdict}) that dropped this version of it (or any version,
    when the verdict names none), skipping the stages in `ignore`."""
    skip = set(ignore)
    for stage, v in sorted(verdicts.items()):
        if stage not in skip and v["status"] == "dropped" and v.get("content_hash", "") in ("", content_hash):
            return stage, v
    return None


def _holders(path: Path) -> list[int]:
    """Pids (other than ours) that have `path` open, read from /proc (Linux; empty elsewhere)."""
    pids = []
    try:
        target = os.path.realpath(path)
        for entry in os.listdir("/proc"):
            if not entry.isdigit() or int(entry) == os.getpid():
                continue
            try:
                fds = os.listdir(f"/proc/{entry}/fd")
            except OSError:
                continue
            for fd in fds:
                try:
                    if os.readlink(f"/proc/{entry}/fd/{fd}") == target:
                        pids.append(int(entry))
                        break
                except OSError:
                    continue
    except OSError:
        return []
    return pids


def _busy(exc: sqlite3.DatabaseError) -> bool:
    return isinstance(exc, sqlite3.OperationalError) and ("locked" in str(exc) or "busy" in str(exc))


def params_hash(params: dict[str, Any]) -> str:
    blob = json.dumps(params, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


class StateStore:
    def __init__(self, path: str | os.PathLike[str] = DEFAULT_PATH, *, busy_timeout_s: float = 30,
                 open_wait_s: float = 2):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        existed = self.path.exists() and self.path.stat().st_size > 0
        if not self.path.exists():
            # It holds hidden tests: owner-only, whatever the umask (SQLite gives -wal/-shm the same mode).
            os.close(os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600))
        try:
            # a short wait to open (a writer that keeps us out for long is reported), then the full one
            self.db = sqlite3.connect(self.path, timeout=min(open_wait_s, busy_timeout_s), isolation_level=None,
                                      check_same_thread=False)
            if existed:
                self._check_existing()
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.execute("PRAGMA foreign_keys=ON")
            tables = {r[0] for r in self.db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            if not {"meta", "problems", "verdicts", "samples", "runs"} <= tables:  # no write when all exist
                self.db.executescript(_SCHEMA)
                self.db.execute(
                    "INSERT OR IGNORE INTO meta(key, value) VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),)
                )
            self.db.execute(f"PRAGMA busy_timeout={int(busy_timeout_s * 1000)}")
        except sqlite3.DatabaseError as exc:
            self._close_quietly()
            if _busy(exc):  # a healthy file that another process is writing: never advise moving it
                holders = _holders(self.path)
                who = f"process {', '.join(map(str, holders))}" if holders else "another process"
                raise StoreBusy(f"{self.path}: the state store is in use by {who} ({exc}); "
                                 "try again when that run has finished") from None
            raise StoreError(f"{self.path}: not a usable state file ({exc}); move it aside to start afresh") from None
        except StoreError:
            self._close_quietly()
            raise

    def _close_quietly(self) -> None:
        db = getattr(self, "db", None)
        if db is not None:
            db.close()

    def _check_existing(self) -> None:
        ok = self.db.execute("PRAGMA quick_check").fetchone()
        if not ok or ok[0] != "ok":
            raise StoreError(f"{self.path}: the state file is damaged ({ok and ok[0]}); move it aside to start afresh")
        try:
            row = self.db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        except sqlite3.OperationalError:
            raise StoreError(f"{self.path}: not a build-sft-set state file (no schema version)") from None
        if row is None:
            raise StoreError(f"{self.path}: not a build-sft-set state file (no schema version)")
        try:
            version = int(row[0])
        except ValueError:
            raise StoreError(f"{self.path}: not a build-sft-set state file (schema version {row[0]!r})") from None
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"{self.path}: written by a newer build-sft-set (schema {version}, this one knows {SCHEMA_VERSION}); upgrade the tool"
            )

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> "StateStore":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        else:
            self.db.execute("COMMIT")

    # ---- problems -----------------------------------------------------------------
    def put_problems(self, problems: Iterable[Problem]) -> dict[str, int]:
        """Insert or update records. Returns counts of added, changed and unchanged."""
        counts = {"added": 0, "changed": 0, "unchanged": 0}
        now = time.time()
        with self.transaction() as db:
            for p in problems:
                row = db.execute("SELECT content_hash, record FROM problems WHERE task_id=?", (p.task_id,)).fetchone()
                blob = p.to_json()
                if row is None:
                    db.execute(
                        "INSERT INTO problems(task_id, content_hash, source, record, created_at, updated_at) VALUES (?,?,?,?,?,?)",
                        (p.task_id, p.content_hash, p.source, blob, now, now),
                    )
                    counts["added"] += 1
                elif row[1] != blob:
                    db.execute(
                        "UPDATE problems SET content_hash=?, source=?, record=?, updated_at=? WHERE task_id=?",
                        (p.content_hash, p.source, blob, now, p.task_id),
                    )
                    counts["changed" if row[0] != p.content_hash else "unchanged"] += 1
                else:
                    counts["unchanged"] += 1
        return counts

    def get_problem(self, task_id: str) -> Problem | None:
        row = self.db.execute("SELECT record FROM problems WHERE task_id=?", (task_id,)).fetchone()
        return Problem.from_dict(json.loads(row[0])) if row else None

    def problems(self, source: str | Iterable[str] | None = None) -> Iterator[Problem]:
        if source is None:
            rows = self.db.execute("SELECT record FROM problems ORDER BY task_id").fetchall()
        else:
            sources = [source] if isinstance(source, str) else list(source)
            marks = ",".join("?" * len(sources))
            rows = self.db.execute(
                f"SELECT record FROM problems WHERE source IN ({marks}) ORDER BY task_id", sources
            ).fetchall()
        for (blob,) in rows:
            yield Problem.from_dict(json.loads(blob))

    def count_problems(self) -> int:
        return self.db.execute("SELECT COUNT(*) FROM problems").fetchone()[0]

    def delete_problem(self, task_id: str) -> None:
        with self.transaction() as db:
            db.execute("DELETE FROM problems WHERE task_id=?", (task_id,))
            db.execute("DELETE FROM verdicts WHERE task_id=?", (task_id,))

    # ---- verdicts -----------------------------------------------------------------
    def set_verdict(
        self, task_id: str, stage: str, status: str, reason: str = "", content_hash: str = "", detail: dict | None = None
    ) -> None:
        with self.transaction() as db:
            db.execute(
                "INSERT OR REPLACE INTO verdicts(task_id, stage, status, reason, content_hash, detail, updated_at) VALUES (?,?,?,?,?,?,?)",
                (task_id, stage, status, reason, content_hash, json.dumps(detail or {}, sort_keys=True), time.time()),
            )

    def set_verdicts(self, rows: Iterable[tuple[str, str, str, str, str, dict | None]]) -> None:
        """Many (task_id, stage, status, reason, content_hash, detail) verdicts in one transaction."""
        now = time.time()
        data = [(t, st, s, r, h, json.dumps(d or {}, sort_keys=True), now) for t, st, s, r, h, d in rows]
        with self.transaction() as db:
            db.executemany(
                "INSERT OR REPLACE INTO verdicts(task_id, stage, status, reason, content_hash, detail, updated_at) VALUES (?,?,?,?,?,?,?)",
                data,
            )

    def verdict(self, task_id: str, stage: str) -> dict[str, Any] | None:
        row = self.db.execute(
            "SELECT status, reason, content_hash, detail FROM verdicts WHERE task_id=? AND stage=?", (task_id, stage)
        ).fetchone()
        if row is None:
            return None
        return {"status": row[0], "reason": row[1], "content_hash": row[2], "detail": json.loads(row[3])}

    def verdicts(self, stage: str | None = None) -> dict[str, dict[str, dict[str, Any]]]:
        """{task_id: {stage: verdict}} for all (or one) stage."""
        query = "SELECT task_id, stage, status, reason, content_hash, detail FROM verdicts"
        rows = self.db.execute(query + (" WHERE stage=?" if stage else ""), (stage,) if stage else ()).fetchall()
        out: dict[str, dict[str, dict[str, Any]]] = {}
        for task_id, st, status, reason, chash, detail in rows:
            out.setdefault(task_id, {})[st] = {
                "status": status, "reason": reason, "content_hash": chash, "detail": json.loads(detail)
            }
        return out

    def is_done(self, task_id: str, stage: str, content_hash: str | None = None, **rule: Any) -> bool:
        """True when `stage`'s verdict on this problem is current (see `is_current` for `rule`)."""
        return is_current(self.verdict(task_id, stage), content_hash=content_hash, **rule)

    # ---- samples ------------------------------------------------------------------
    def put_samples(self, problem_hash: str, model: str, phash: str, completions: Iterable[tuple[int, str]]) -> int:
        """Store samples; an index already stored is kept (never duplicated). Returns rows added."""
        now = time.time()
        added = 0
        with self.transaction() as db:
            for idx, text in completions:
                cur = db.execute(
                    "INSERT OR IGNORE INTO samples(problem_hash, model, params_hash, idx, completion, created_at) VALUES (?,?,?,?,?,?)",
                    (problem_hash, model, phash, idx, text, now),
                )
                added += cur.rowcount
        return added

    def samples(self, problem_hash: str, model: str, phash: str) -> list[dict[str, Any]]:
        rows = self.db.execute(
            "SELECT idx, completion, status, detail FROM samples WHERE problem_hash=? AND model=? AND params_hash=? ORDER BY idx",
            (problem_hash, model, phash),
        ).fetchall()
        return [
            {"idx": i, "completion": c, "status": s, "detail": json.loads(d) if d else None} for i, c, s, d in rows
        ]

    def set_sample_result(self, problem_hash: str, model: str, phash: str, idx: int, status: str, detail: dict) -> None:
        self.set_sample_results(model, phash, [(problem_hash, idx, status, detail)])

    def set_sample_results(self, model: str, phash: str, results: Iterable[tuple[str, int, str, dict]]) -> None:
        """Many (problem_hash, idx, status, detail) results in one transaction."""
        rows = [(status, json.dumps(detail, sort_keys=True), h, model, phash, idx) for h, idx, status, detail in results]
        if not rows:
            return
        with self.transaction() as db:
            db.executemany(
                "UPDATE samples SET status=?, detail=? WHERE problem_hash=? AND model=? AND params_hash=? AND idx=?", rows
            )

    # ---- runs ---------------------------------------------------------------------
    def start_run(self, command: str) -> int:
        with self.transaction() as db:
            cur = db.execute("INSERT INTO runs(command, started_at) VALUES (?, ?)", (command, time.time()))
            return int(cur.lastrowid)

    def finish_run(self, run_id: int, status: str, stats: dict[str, Any]) -> None:
        with self.transaction() as db:
            db.execute(
                "UPDATE runs SET finished_at=?, status=?, stats=? WHERE run_id=?",
                (time.time(), status, json.dumps(stats, sort_keys=True, default=str), run_id),
            )

    def runs(self) -> list[dict[str, Any]]:
        rows = self.db.execute("SELECT run_id, command, started_at, finished_at, status, stats FROM runs ORDER BY run_id").fetchall()
        return [
            {"run_id": r[0], "command": r[1], "started_at": r[2], "finished_at": r[3], "status": r[4], "stats": json.loads(r[5])}
            for r in rows
        ]
