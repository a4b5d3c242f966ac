"""The Ray executor on a real local Ray runtime (2 CPUs): the same verdicts, items and MinHash
signatures as the local executor, and lost workers retried without losing or changing results."""
from __future__ import annotations

import json

import pytest
from ray_support import crashing_runner, double_or_die_once, always_die, needs_root, raise_value_error
from ray_support import ray_runtime  # noqa: F401 - fixture

from sftset.evaluation import sample_job
from sftset.humaneval import humaneval_path, load_humaneval

N_PROBLEMS = 30


@pytest.fixture(scope="module")
def problems():
    return load_humaneval()[:N_PROBLEMS]


def _completions(p):
    """Right and wrong samples: canonical, `return None`, an off-by-one mutant."""
    return [p.canonical_solution, "    return None\n",
            p.canonical_solution.replace(" + 1", " + 2").replace(" < ", " <= ")]


@pytest.fixture(scope="module")
def jobs(problems):
    return [sample_job(p, c, (p.task_id, i)) for p in problems for i, c in enumerate(_completions(p))]


@pytest.fixture(scope="module")
def local_verdicts(jobs):
    from sftset.executors import LocalExecutor

    with LocalExecutor(2) as ex:
        return {v.key: (v.status, v.detail) for v in ex.run(jobs)}


def _read(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


@needs_root
def test_evaluate_humaneval_samples_same_through_ray(ray_runtime, run_cli, workdir, problems):
    samples = [{"task_id": p.task_id, "completion": c} for p in problems for c in _completions(p)]
    samples += [{"task_id": problems[0].task_id, "completion": "    while True:\n        pass\n"},
                {"task_id": problems[1].task_id, "completion": "    raise ValueError('nope')\n"}]
    (workdir / "samples.jsonl").write_text("".join(json.dumps(s) + "\n" for s in samples))
    common = ["evaluate", "--problems", humaneval_path(), "--samples", "samples.jsonl", "--workers", "2",
              "-k", "1,3"]
    local = run_cli(*common, "--out", "local.jsonl")
    on_ray = run_cli(*common, "--out", "ray.jsonl", "--executor", "ray")
    assert local.rc == 0 and on_ray.rc == 0, (local.err, on_ray.err)
    assert on_ray.out == local.out  # the same pass@k
    keep = ("task_id", "completion", "passed", "result", "status")
    rows_local = [{k: r[k] for k in keep} for r in _read(workdir / "local.jsonl")]
    rows_ray = [{k: r[k] for k in keep} for r in _read(workdir / "ray.jsonl")]
    assert rows_ray == rows_local
    assert len(rows_ray) == len(samples)
    assert sum(r["passed"] for r in rows_ray) >= N_PROBLEMS  # the canonical ones, at least
    assert {"passed", "failed", "timeout"} <= {r["status"] for r in rows_ray}


@needs_root
def test_actor_lost_mid_batch_is_retried_and_results_identical(ray_runtime, tmp_path, jobs, local_verdicts):
    from sftset.executors.ray_cluster import RayExecutor

    marker = tmp_path / "crash-once"
    marker.touch()
    crash_key = jobs[len(jobs) // 2].key
    with RayExecutor(2, batch_size=8, runner=crashing_runner(str(marker), crash_key)) as ex:
        verdicts = list(ex.run(jobs))
        assert ex.isolation.level == "full"
    assert not marker.exists()  # the actor really died once
    got = {v.key: (v.status, v.detail) for v in verdicts}
    assert len(verdicts) == len(jobs) == len(got)
    assert got == local_verdicts


@needs_root
def test_batch_lost_too_often_is_reported_per_job(ray_runtime, tmp_path, jobs, local_verdicts):
    from sftset.executors.ray_cluster import RayExecutor

    crash_key = jobs[5].key
    with RayExecutor(2, batch_size=8, retries=1, runner=crashing_runner("", crash_key, always=True)) as ex:
        got = {v.key: (v.status, v.detail) for v in ex.run(jobs)}
    lost = {k for k, (status, detail) in got.items() if "worker lost 2 times" in detail}
    assert lost == {job.key for job in jobs[:8]}  # its batch, and only its batch
    assert all(got[k][0] == "error" for k in lost)
    assert {k: v for k, v in got.items() if k not in lost} == {k: v for k, v in local_verdicts.items() if k not in lost}


def test_map_task_killed_is_retried_then_reported(ray_runtime, tmp_path):
    from sftset.executors.ray_cluster import RayExecutor

    marker = tmp_path / "die-once"
    marker.touch()
    with RayExecutor(2, retries=1) as ex:
        results = ex.map_all(double_or_die_once, [(n, str(marker) if n == 3 else "") for n in range(6)])
        assert [r.value for r in results] == [0, 2, 4, 6, 8, 10]
        assert [r.attempts for r in results] == [1, 1, 1, 2, 1, 1]
        [gone] = ex.map_all(always_die, [7])
        assert gone.lost and gone.attempts == 2 and "worker lost 2 times" in gone.error
        [bad] = ex.map_all(raise_value_error, [9])
        assert bad.attempts == 1 and not bad.lost and bad.error == "ValueError: bad item 9"


def test_minhash_signatures_same_through_ray(ray_runtime):
    from sftset.dataset.dedup import MinHasher
    from sftset.dataset.dedup import spread_signatures as signatures
    from sftset.executors.ray_cluster import RayExecutor

    texts = [p.prompt for p in load_humaneval()] * 2 + ["", "one two"]
    want_sig, want_nonempty = MinHasher(256, 5, 1).signatures(texts)
    with RayExecutor(2) as ex:
        sig, nonempty = signatures(texts, executor=ex, chunk_size=50)
    assert (sig == want_sig).all() and (nonempty == want_nonempty).all()


def test_unreachable_cluster_fails_fast_with_one_line():
    pytest.importorskip("ray", reason="ray is not installed (pip install 'build-sft-set[ray]')")
    import socket

    from sftset.errors import InputError, WorkFailed
    from sftset.executors.ray_cluster import _reachable

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(WorkFailed, match=rf"cannot join Ray at 127.0.0.1:{port}: nothing answers there"):
        _reachable(f"127.0.0.1:{port}", timeout_s=5)
    with pytest.raises(InputError, match="expected auto, HOST:PORT or ray://HOST:PORT"):
        _reachable("no-port-here")
    _reachable("auto")  # resolved by Ray itself
