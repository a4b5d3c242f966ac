"""A `build-sft-set filter` process killed (SIGKILL) in the middle of sampling resumes
without asking again for a stored sample, without duplicates and without losing any."""
from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time

from completions_server import CompletionsServer
from sftset.humaneval import iter_humaneval_rows

N = 10
PROBLEMS = 8
GOOD = {"HumanEval/0", "HumanEval/2", "HumanEval/4", "HumanEval/7"}


def _rows():
    return list(iter_humaneval_rows())[:PROBLEMS]


def _answer_for(rows):
    by_prompt = {r["prompt"]: r for r in rows}

    def answer(body, seq, i):
        row = by_prompt[body["prompt"]]
        tag = f"    # answer {seq}.{i}\n"  # unique per choice, so every stored text can be traced
        body_ = row["canonical_solution"] if row["task_id"] in GOOD else "    return None\n"
        return body_ + tag + "\ndef unused():\n    pass\n"  # past a stop sequence: cut client-side

    return answer


def _stored(db_path):
    with sqlite3.connect(db_path) as db:
        return db.execute("SELECT problem_hash, idx, completion FROM samples").fetchall()


def _cli(workdir, *args):
    env = {k: v for k, v in os.environ.items() if k not in ("SFTSET_CONFIG", "SFTSET_MODEL_URL", "OPENAI_API_KEY")}
    return subprocess.Popen([sys.executable, "-m", "sftset", *args], cwd=workdir, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_kill_during_sampling_then_resume(workdir):
    rows = _rows()
    (workdir / "he.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (workdir / "sftset.toml").write_text("[filter]\ngroup_size = 3\n")  # several groups: sampled ahead
    assert _cli(workdir, "import", "he.jsonl").wait(60) == 0
    db = workdir / "curated" / "state.sqlite"

    with CompletionsServer(answer=_answer_for(rows), delay_s=0.04) as srv:
        args = ["filter", "--url", srv.url, "--model", "test-model", "--n", str(N), "--n-per-request", "2",
                "--concurrency", "2", "--workers", "2", "-q"]
        proc = _cli(workdir, *args, "--sample-only")
        deadline = time.monotonic() + 60
        while len(srv.sent) < 16 and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.01)
        proc.kill()  # SIGKILL: no cleanup, no flush
        proc.wait(10)
        assert proc.returncode == -9
        time.sleep(0.3)  # let the server finish reading what the dead process had sent
        before = _stored(db)
        requests_before = len(srv.requests)  # the dead process sends nothing more
        assert 0 < len(before) < PROBLEMS * N, "the kill must land in the middle of sampling"

        # Resume: sample what is missing, then execute and judge everything.
        proc = _cli(workdir, *args)
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        assert srv.errors == []

    after = _stored(db)
    # Nothing lost: every sample stored before the kill is still there, unchanged.
    assert set(before) <= set(after)
    # Nothing missing or doubled: exactly indices 0..N-1 for each problem.
    per_problem: dict[str, list[int]] = {}
    for h, idx, _ in after:
        per_problem.setdefault(h, []).append(idx)
    assert len(per_problem) == PROBLEMS
    assert all(sorted(v) == list(range(N)) for v in per_problem.values())
    # Nothing paid twice: after the kill, the server was asked only for the samples not stored.
    assert sum(r["body"]["n"] for r in srv.requests[requests_before:]) == PROBLEMS * N - len(before)
    # Every stored text is one the server sent (cut at the stop sequence), each at most once.
    texts = [c for _, _, c in after]
    assert len(set(texts)) == len(texts)
    sent_cut = {t.split("\ndef unused")[0] for t in srv.sent}
    assert set(texts) <= sent_cut

    # The judged result: kept exactly the problems answered with their canonical solution.
    with sqlite3.connect(db) as con:
        verdicts = dict(con.execute("SELECT task_id, status FROM verdicts WHERE stage='filter'").fetchall())
    assert {t for t, s in verdicts.items() if s == "kept"} == GOOD
    assert {t for t, s in verdicts.items() if s == "dropped"} == {r["task_id"] for r in rows} - GOOD
