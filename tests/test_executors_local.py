"""The local executor's `map` (lost children retried, errors reported per item), parallel MinHash,
and how `--executor` / `--ray-address` / sftset.toml choose an executor. No Ray needed."""
from __future__ import annotations

import argparse

import pytest
from ray_support import always_die, double_or_die_once, raise_value_error

from sftset.config import Config
from sftset.context import Context
from sftset.errors import InputError
from sftset.executors import LocalExecutor, add_arguments, settings_from_context


def choose(ctx):
    return settings_from_context(ctx).as_dict()


def test_local_map_retries_a_lost_child_then_reports(tmp_path):
    marker = tmp_path / "die-once"
    marker.touch()
    with LocalExecutor(2, retries=1) as ex:
        results = ex.map_all(double_or_die_once, [(n, str(marker) if n == 2 else "") for n in range(5)])
        assert [r.value for r in results] == [0, 2, 4, 6, 8]
        assert [r.attempts for r in results] == [1, 1, 2, 1, 1]
        assert not marker.exists()
        [gone] = ex.map_all(always_die, [1])
        assert gone.lost and gone.attempts == 2 and not gone.ok and "worker lost 2 times" in gone.error
        [bad] = ex.map_all(raise_value_error, [4])
        assert (bad.error, bad.attempts, bad.lost) == ("ValueError: bad item 4", 1, False)
        # the pool still works after all that
        assert [r.value for r in ex.map_all(double_or_die_once, [(5, "")])] == [10]


def test_minhash_in_parallel_chunks_equals_one_hasher():
    from sftset.dataset.dedup import MinHasher
    from sftset.dataset.dedup import spread_signatures as signatures
    from sftset.humaneval import load_humaneval

    texts = [p.prompt for p in load_humaneval()] + ["", "a b c"]
    want = MinHasher(128, 5, 1).signatures(texts)
    with LocalExecutor(2) as ex:
        got = signatures(texts, num_perm=128, executor=ex, chunk_size=40)
    assert (got[0] == want[0]).all() and (got[1] == want[1]).all()


def _ctx(tmp_path, argv, toml=""):
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    path = None
    if toml:
        path = tmp_path / "sftset.toml"
        path.write_text(toml)
    return Context(parser.parse_args(argv), Config.load(path) if path else Config())


def test_choose_executor_from_flags_and_config(tmp_path):
    assert choose(_ctx(tmp_path, [])) == {"kind": "local", "retries": 2}
    ray_cfg = '[executor]\nkind = "ray"\nretries = 4\n[ray]\naddress = "auto"\nbatch_size = 32\n'
    assert choose(_ctx(tmp_path, [], ray_cfg)) == {"kind": "ray", "retries": 4, "address": "auto",
                                                   "batch_size": 32, "num_cpus": None}
    assert choose(_ctx(tmp_path, ["--executor", "local"], ray_cfg))["kind"] == "local"  # flags win
    implied = choose(_ctx(tmp_path, ["--ray-address", "10.0.0.1:6379"]))
    assert implied["kind"] == "ray" and implied["address"] == "10.0.0.1:6379"


def test_bad_executor_in_config_is_one_line_input_error(tmp_path):
    with pytest.raises(InputError) as err:
        choose(_ctx(tmp_path, [], '[paths]\ncurated = "x"\n\n[executor]\nkind = "slurm"\n'))
    assert str(err.value).endswith("sftset.toml:5: executor.kind: must be one of local, ray, got 'slurm'")
