"""The filter as a pipeline stage: off without a model (problems marked unfiltered, one log
line), on with a server from $SFTSET_MODEL_URL and [sampling] in sftset.toml."""
from __future__ import annotations

import argparse
import socket

from completions_server import CompletionsServer
from sftset.config import Config
from sftset.context import Context
from sftset.filtering.stage import filter_stage
from sftset.progress import setup_logging
from sftset.record import Problem


def _ctx(workdir) -> Context:
    return Context(argparse.Namespace(), Config.load(workdir / "sftset.toml" if (workdir / "sftset.toml").exists()
                                                     else None))


def _store_records(ctx, records):
    ctx.store.put_problems([Problem.from_dict(r) for r in records])


def test_without_a_model_problems_are_marked_unfiltered(workdir, handwritten_records, capsys, monkeypatch):
    monkeypatch.delenv("SFTSET_MODEL_URL", raising=False)
    setup_logging(0)
    ctx = _ctx(workdir)
    _store_records(ctx, handwritten_records)
    capsys.readouterr()
    stats = filter_stage(ctx, "all")
    err = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert len(err) == 1 and "no model or samples file configured" in err[0] and "3 problems" in err[0]
    assert stats["unfiltered"] == 3
    assert all("unfiltered" in p.flags for p in ctx.store.problems())
    ctx.close()


def _answer(records):
    solutions = {r["prompt"]: r["canonical_solution"] for r in records if r["task_id"] == "handwritten/pairs"}
    return lambda body, seq, i: solutions.get(body["prompt"], "    return None\n")


def test_with_a_server_from_the_environment(workdir, handwritten_records, monkeypatch):
    (workdir / "sftset.toml").write_text('[sampling]\nmodel = "m1"\nn = 4\nn_per_request = 2\n'
                                         '[filter]\nworkers = 2\n')
    ctx = _ctx(workdir)
    records = handwritten_records
    _store_records(ctx, records)
    filter_stage_records = ctx.store.problems()
    for p in filter_stage_records:  # flagged by an earlier run without a model
        p.flags.append("unfiltered")
        ctx.store.put_problems([p])
    ctx.store.set_verdict("handwritten/mean", "validate", "dropped", "reference fails",
                          ctx.store.get_problem("handwritten/mean").content_hash)
    with CompletionsServer(model="m1", answer=_answer(records)) as srv:
        monkeypatch.setenv("SFTSET_MODEL_URL", srv.url)
        stats = filter_stage(ctx, "all")
    assert srv.errors == []
    assert {r["body"]["prompt"] for r in srv.requests} == {records[0]["prompt"], records[2]["prompt"]}  # not mean
    assert stats["kept"] == 1 and stats["dropped"] == 1 and stats["unfiltered"] == 0 and stats["failures"] == 0
    pairs = ctx.store.get_problem("handwritten/pairs")
    assert pairs.filter["model"] == "m1" and pairs.filter["n"] == 4 and pairs.filter["passed"] == 4
    assert pairs.filter["temperature"] == 0.8 and pairs.filter["top_p"] == 0.95
    assert "unfiltered" not in pairs.flags
    assert ctx.store.verdict("handwritten/sum-pairs", "filter")["status"] == "dropped"
    ctx.close()


def test_a_server_that_stays_down_ends_the_stage_softly(workdir, handwritten_records, monkeypatch):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{sock.getsockname()[1]}"
    (workdir / "sftset.toml").write_text(f'[sampling]\nurl = "{dead}"\nmodel = "m1"\nmax_retries = 1\n'
                                         'backoff_s = 0.01\n')
    monkeypatch.delenv("SFTSET_MODEL_URL", raising=False)
    ctx = _ctx(workdir)
    _store_records(ctx, handwritten_records)
    stats = filter_stage(ctx, "all")
    assert stats["failures"] == 1 and "Connection" in stats["server_error"]
    assert stats["unfiltered"] == 3  # exported, but marked
    assert all("unfiltered" in p.flags for p in ctx.store.problems())
    ctx.close()
