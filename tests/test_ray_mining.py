"""Mining one real package (inflection 0.5.1, its sdist from the package index) one target per
Ray task gives the same records and report as the local executor."""
from __future__ import annotations

import copy

import pytest
from ray_support import needs_root
from ray_support import ray_runtime  # noqa: F401 - fixture

pytestmark = [needs_root, pytest.mark.slow, pytest.mark.network_pypi]

TARGET = "pypi:inflection==0.5.1"
REPORT_FIELDS = ("target", "status", "reason", "package", "version", "license", "tests_run", "calls_seen",
                 "functions", "candidates", "problems_kept", "drops", "median_coverage_lines",
                 "median_kill_rate")


@pytest.fixture(scope="module")
def mined(ray_runtime, tmp_path_factory):
    """(local ItemResult, Ray ItemResult) of mining TARGET once each way."""
    from sftset.ci_mining.miner import MineSettings
    from sftset.executors import LocalExecutor
    from sftset.ci_mining.spread import mine_targets
    from sftset.executors.ray_cluster import RayExecutor

    # One work folder: the second run reuses the target's environment; force mines it again.
    settings = MineSettings(work_dir=tmp_path_factory.mktemp("mine") / "work", force=True)
    with LocalExecutor(1) as ex:
        [(target, local)] = list(mine_targets([TARGET], settings, ex))
    with RayExecutor(1) as ex:
        [(_, remote)] = list(mine_targets([TARGET], settings, ex))
    assert target.spec == TARGET
    assert local.ok and remote.ok, (local.error, remote.error)
    return local.value, remote.value


def _records(problems, generated: bool):
    out = []
    for p in problems:
        d = copy.deepcopy(p.to_dict())
        d["provenance"].pop("retrieved_at", None)  # when it was mined, not what
        d["meta"].pop("reference_call_s", None)  # a timing of this run
        if not generated:  # the rendered check and the hash include the generated cases
            d["tests"] = [t for t in d["tests"] if t.get("split") != "generated"]
            d.pop("test", None)
            d.pop("content_hash", None)
        out.append(d)
    return sorted(out, key=lambda d: d["task_id"])


def test_mining_one_package_same_records_and_report_through_ray(mined):
    (local_report, local_problems, mined_here), (ray_report, ray_problems, mined_there) = mined
    assert mined_here and mined_there
    assert local_report.status == "ok" and len(local_problems) >= 5, local_report.to_dict()
    assert _records(ray_problems, generated=False) == _records(local_problems, generated=False)
    assert {k: ray_report.to_dict().get(k) for k in REPORT_FIELDS} == \
        {k: local_report.to_dict().get(k) for k in REPORT_FIELDS}


def test_mining_same_generated_tests_through_ray(mined):
    (_, local_problems, _), (_, ray_problems, _) = mined
    if _records(ray_problems, generated=True) != _records(local_problems, generated=True):
        # Known miner issue: Hypothesis (>= 6.131) mixes literals from the *local* modules loaded in the
        # process (sftset's own source when installed editable) into what it draws, so the inputs
        # ci_mining/generate.py proposes depend on which modules the mining process has imported.
        pytest.xfail("ci_mining/generate.py: Hypothesis draws constants from the process's loaded modules")
