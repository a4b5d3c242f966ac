"""Dedup: exact copies, the same judge problem from several sources, near-duplicates; the record
with the stronger tests is kept and each drop names the record it duplicates. The vectorised
MinHash and the LSH pass keep datasketch's semantics (checked against datasketch itself)."""
from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest

from sftset.dataset.dedup import (
    MinHasher, NearDupSettings, canonical_problem_id, dedup, greedy_near_duplicates, lsh_bands, rank,
    shingle_hash, shingles, test_strength,
)
from sftset.record import Problem

FIXTURES = Path(__file__).parent / "fixtures" / "dataset"


def record(task_id: str, prompt: str, *, tests: int = 2, hidden: int = 0, solution: str = "    return 0\n",
           kind: str = "function", **extra) -> Problem:
    if kind == "stdio":
        cases = [{"input": f"{i}\n", "output": f"{i}\n", "split": "hidden" if i < hidden else "public"}
                 for i in range(tests)]
    else:
        cases = [{"args": f"({i},)", "expected": "0", "split": "hidden" if i < hidden else "public"}
                 for i in range(tests)]
    data = {"task_id": task_id, "source": task_id.split("/")[0], "kind": kind, "prompt": prompt,
            "entry_point": "solve" if kind == "stdio" else "f", "canonical_solution": solution, "tests": cases}
    data.update(extra)
    return Problem.from_dict(data)


def statement(i: int) -> str:
    rng = random.Random(i)
    words = [rng.choice(["array", "tree", "graph", "string", "query", "sum", "prime", "grid", "path", "cost",
                         "minimum", "maximum", "count", "number", "integer", "pair", "segment", "robot",
                         "coin", "color", "edge", "vertex", "order", "swap", "digit", "word", "bit"])
             + str(rng.randrange(50)) for _ in range(60)]
    return 'def f(x):\n    """' + " ".join(words) + '\n    """\n'


# ---- exact ---------------------------------------------------------------------------------

def test_exact_duplicates_keep_the_stronger_tests_and_name_it():
    weak = record("ci/a/f", statement(1), tests=2)
    strong = Problem.from_dict(dict(weak.to_dict(), task_id="apps/9", source="apps", content_hash="",
                                    canonical_solution="    return x * 0\n"))
    assert strong.content_hash == weak.content_hash  # same prompt and tests: same problem
    strong.filter = {"passed": 3, "n": 10, "stable": True}  # verified by the solve filter: stronger
    other = record("ci/b/g", statement(2))
    kept, drops = dedup([weak, strong, other])
    assert [p.task_id for p in kept] == ["apps/9", "ci/b/g"]
    assert len(drops) == 1
    d = drops[0]
    assert (d.task_id, d.kind, d.duplicate_of) == ("ci/a/f", "exact", "apps/9")
    assert d.reason == "exact duplicate of apps/9"
    assert d.detail()["duplicate_of"] == "apps/9"


# ---- same judge problem across sources ------------------------------------------------------

def apps_question(problem_id: str) -> tuple[str, str]:
    folder = FIXTURES / "apps" / problem_id
    meta = json.loads((folder / "metadata.json").read_text())
    return (folder / "question.txt").read_text(), meta["url"]


def as_stdio_prompt(text: str) -> str:
    return 'def solve(stdin: str) -> str:\n    """' + text.replace('"""', "'''") + '\n    """\n'


def test_same_codeforces_problem_from_apps_code_contests_and_taco():
    text, url = apps_question("0001")  # https://codeforces.com/problemset/problem/1036/B
    assert url.endswith("/1036/B")
    # Three sources, three slightly different statements and test sets (so neither exact nor
    # necessarily near duplicates): the ids say it is one Codeforces problem.
    apps = record("apps/0001", as_stdio_prompt(text), kind="stdio", tests=3, provenance={"url": url})
    code_contests = record("code_contests/1036_B", as_stdio_prompt("Mikhail walks. " + text[:200]), kind="stdio",
                           tests=9, hidden=6, meta={"cf_contest_id": 1036, "cf_index": "B"})
    taco = record("taco/1234", as_stdio_prompt(text[:300]), kind="stdio", tests=4,
                  provenance={"url": "https://codeforces.com/contest/1036/problem/B"})
    native = record("codeforces/1036/B", as_stdio_prompt(text[:100] + " (Codeforces)"), kind="stdio", tests=2)
    other_text, other_url = apps_question("0111")  # codeforces 838/A: a different problem
    other = record("apps/0111", as_stdio_prompt(other_text), kind="stdio", provenance={"url": other_url})
    assert {canonical_problem_id(p) for p in (apps, code_contests, taco, native)} == {"codeforces/1036/B"}
    assert canonical_problem_id(other) == "codeforces/838/A"
    kept, drops = dedup([apps, code_contests, taco, native, other], near=False)
    assert sorted(p.task_id for p in kept) == ["apps/0111", "code_contests/1036_B"]  # most tests kept
    by = {d.task_id: d for d in drops}
    assert set(by) == {"apps/0001", "taco/1234", "codeforces/1036/B"}
    for d in by.values():
        assert d.kind == "same_problem" and d.duplicate_of == "code_contests/1036_B"
        assert d.reason == "same problem (codeforces/1036/B) as code_contests/1036_B"


@pytest.mark.parametrize("url, expected", [
    ("https://codeforces.com/contest/1520/problem/a", "codeforces/1520/A"),
    ("https://codeforces.com/problemset/problem/25/A", "codeforces/25/A"),
    ("https://codeforces.com/gym/100001/problem/B1", "codeforces/100001/B1"),
    ("https://atcoder.jp/contests/abc264/tasks/abc264_c", "atcoder/abc264_c"),
    ("https://open.kattis.com/problems/mappingtheundercity", "kattis/mappingtheundercity"),
    ("https://judge.u-aizu.ac.jp/onlinejudge/description.jsp?id=ITP1_1_A", "aoj/ITP1_1_A"),
    ("https://onlinejudge.u-aizu.ac.jp/courses/lesson/2/ITP1/1/problems/ITP1_1_A", "aoj/ITP1_1_A"),
    ("https://leetcode.com/problems/kth-missing-positive-number/", "leetcode/kth-missing-positive-number"),
    ("https://www.codechef.com/problems/FLOW001", "codechef/FLOW001"),
    ("https://example.org/x", None),
])
def test_canonical_ids_from_urls(url, expected):
    assert canonical_problem_id(record("x/1", statement(1), provenance={"url": url})) == expected


def test_ci_records_have_no_canonical_id():
    assert canonical_problem_id(record("ci/pkg/f", statement(3), provenance={"repo": "https://github.com/a/b"})) is None


# ---- near-duplicates -----------------------------------------------------------------------

def edit(prompt: str, every: int, seed: int = 0) -> str:
    words = prompt.split(" ")
    rng = random.Random(seed)
    for k in range(0, len(words), every):
        words[k] = rng.choice(["alpha", "beta", "gamma"]) + words[k]
    return " ".join(words)


def test_near_duplicates_are_found_and_name_the_kept_record():
    base = [record(f"src/{i}", statement(i), tests=2) for i in range(30)]
    light = record("other/light", edit(statement(5), every=30), tests=5)  # ~2 words of 60 changed
    heavy = record("other/heavy", edit(statement(6), every=2), tests=5)  # half the words changed: a new text
    kept, drops = dedup(base + [light, heavy])
    by = {d.task_id: d for d in drops}
    # the edited copy has the stronger tests, so the original is the one dropped
    assert set(by) == {"src/5"}
    d = by["src/5"]
    assert d.kind == "near" and d.duplicate_of == "other/light" and 0.7 <= d.similarity < 1.0
    assert d.reason.startswith("near-duplicate of other/light (Jaccard ~0.")
    assert len(kept) == 31 and "other/heavy" in {p.task_id for p in kept}


def test_near_dedup_of_a_cluster_keeps_one_and_is_deterministic():
    original = record("a/0", statement(100), tests=1)
    copies = [record(f"a/{i}", edit(statement(100), every=40, seed=i), tests=1) for i in range(1, 8)]
    strongest = record("b/best", edit(statement(100), every=40, seed=99), tests=6, hidden=3)
    problems = [original, *copies, strongest]
    kept, drops = dedup(problems)
    assert [p.task_id for p in kept] == ["b/best"]
    # some copies are exact copies of each other; every drop names the record finally kept
    assert {d.detail()["kept"] for d in drops} == {"b/best"}
    for d in drops:
        assert d.duplicate_of == "b/best" or d.reason.endswith(", kept as b/best")
    again = dedup(list(reversed(problems)))
    assert [(d.task_id, d.duplicate_of, d.similarity) for d in again[1]] == [
        (d.task_id, d.duplicate_of, d.similarity) for d in drops]


def test_empty_and_tiny_prompts_are_not_near_duplicates_of_each_other():
    a = record("x/a", "def f(x):\n    pass\n")
    b = record("x/b", "def g(y):\n    pass\n")
    kept, drops = dedup([a, b])
    assert len(kept) == 2 and drops == []


def test_strength_orders_by_tests_then_hidden_then_verification():
    few = record("z/1", statement(1), tests=2)
    many = record("z/2", statement(1), tests=5)
    hidden = record("z/3", statement(1), tests=5, hidden=2)
    verified = record("z/4", statement(1), tests=5, hidden=2, filter={"passed": 1, "n": 5})
    assert [p.task_id for p in rank([few, many, hidden, verified])] == ["z/4", "z/3", "z/2", "z/1"]
    assert test_strength(verified) > test_strength(hidden) > test_strength(many) > test_strength(few)


# ---- the same semantics as datasketch -------------------------------------------------------

def test_signatures_equal_datasketch_minhash_with_the_same_shingles():
    from datasketch import MinHash

    texts = [statement(i) for i in range(5)] + ["", "two words", "Ünïcode wörds and_under 42 x"]
    sig, nonempty = MinHasher(chunk_shingles=50).signatures(texts)  # small chunks: several per call
    for text, row, has in zip(texts, sig, nonempty):
        m = MinHash(num_perm=256, seed=1, hashfunc=shingle_hash)
        m.update_batch(shingles(text))
        assert np.array_equal(m.hashvalues, row)
        assert has == bool(shingles(text))


def test_lsh_pass_matches_datasketch_minhashlsh_used_greedily():
    from datasketch import LeanMinHash, MinHashLSH

    rng = random.Random(7)
    texts = [statement(i) for i in range(60)]
    texts += [edit(texts[rng.randrange(60)], every=rng.choice([8, 15, 30, 60]), seed=i) for i in range(60)]
    sig, nonempty = MinHasher().signatures(texts)
    ours = greedy_near_duplicates(sig, nonempty, 0.7)
    # the reference: datasketch's own index, holding the documents kept so far
    lsh = MinHashLSH(threshold=0.7, num_perm=256)
    reference = []
    for i in range(len(texts)):
        m = LeanMinHash(seed=1, hashvalues=sig[i], scheme="affine32")
        sims = [(float(np.mean(sig[j] == sig[i])), -j) for j in lsh.query(m)]
        sims = [s for s in sims if s[0] >= 0.7]
        if sims:
            sim, neg = max(sims)
            reference.append((i, -neg, sim))
        else:
            lsh.insert(i, m)
    assert ours == reference
    assert len(ours) >= 15  # the lightly edited copies were found
    assert lsh_bands(0.7, 256) == (lsh.b, lsh.r)


def test_settings_are_bigcodes():
    s = NearDupSettings()
    assert (s.threshold, s.num_perm, s.ngram) == (0.7, 256, 5)


def test_a_threshold_of_one_is_a_one_line_error_not_a_crash(tmp_path):
    from sftset.config import Config
    from types import SimpleNamespace

    from sftset.dataset.assemble import settings_from_context
    from sftset.errors import InputError

    ctx = SimpleNamespace(config=Config({"dedup": {"threshold": 1}}), flag=lambda name: None)
    with pytest.raises(InputError, match="below 1"):
        settings_from_context(ctx)
