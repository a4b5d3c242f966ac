"""Near-dedup with MinHash signatures computed on Ray drops exactly what the local run drops."""
from __future__ import annotations

import pytest

from ray_support import ray_runtime  # noqa: F401 - fixture

from sftset.dataset.dedup import dedup
from sftset.record import Problem


def _problems():
    out = []
    base = "Return the number of vowels in the word, counting y only when it is the last letter of the word"
    for i in range(40):
        text = base if i % 4 == 0 else f"Problem {i}: compute the {i}-th value of a sequence defined by rule {i * 7}"
        if i % 4 == 0 and i:
            text = base + f" (variant {i})"
        out.append(Problem.from_dict({
            "task_id": f"t/{i}", "source": "t", "kind": "function", "entry_point": "f",
            "prompt": f'def f(x):\n    """{text}"""\n', "canonical_solution": "    return x\n",
            "tests": [{"args": f"({j},)", "expected": f"{j}"} for j in range(1 + i % 3)]}))
    return out


def test_near_dedup_on_ray_matches_local(ray_runtime):  # noqa: F811
    local_kept, local_drops = dedup(_problems())
    from sftset.executors import make

    with make("ray", workers=2) as ex:
        ray_kept, ray_drops = dedup(_problems(), executor=ex)
    assert [p.task_id for p in ray_kept] == [p.task_id for p in local_kept]
    assert ray_drops == local_drops
    assert any(d.kind == "near" for d in local_drops)
