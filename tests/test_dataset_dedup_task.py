"""Near-dedup judges the task (signature, docstring, body), not the module context; verified matches
are clustered (union-find); near-identical bodies under other names are duplicates (issue 13)."""
from __future__ import annotations

import ast
from pathlib import Path

import numpy as np

from sftset.dataset.dedup import MinHasher, clustered_near_duplicates, dedup, near_dup_text
from sftset.record import Problem

INFLECTION = (Path(__file__).parent / "fixtures" / "quality" / "inflection_0_5_1.py").read_text()

ABI3 = '''def _abi3_applies(python_version: PythonVersion, threading: bool) -> bool:
    """
    Determine if the Python version supports abi3.

    PEP 384 was first implemented in Python 3.2. The free-threaded
    builds do not support abi3.
    """
'''
ABI3_BODY = "    return len(python_version) > 1 and tuple(python_version) >= (3, 2) and not threading\n"
ABI3T = '''def _abi3t_applies(python_version: PythonVersion, threading: bool) -> bool:
    """
    Determine if the Python version supports abi3t.

    PEP 803 was first implemented in Python 3.15 but, per PEP 803, this
    returns tags going back to Python 3.2 to mirror the abi3
    implementation and leave open the possibility of abi3t wheels
    supporting older Python versions.

    """
'''
ABI3T_BODY = "    return len(python_version) > 1 and tuple(python_version) >= (3, 2) and threading\n"


def mined(name: str, prompt: str, body: str, tests: int = 3) -> Problem:
    return Problem.from_dict({
        "task_id": f"ci/pkg/m.{name}", "source": "ci", "kind": "function", "prompt": prompt, "entry_point": name,
        "canonical_solution": body, "provenance": {"license": "MIT"},
        "tests": [{"args": f"({i},)", "expected": str(i)} for i in range(tests)]})


def inflection_problem(name: str) -> Problem:
    """The function as the miner makes it: the module's tables as context, then signature and docstring."""
    tree = ast.parse(INFLECTION)
    lines = INFLECTION.splitlines(keepends=True)
    tables = [s for s in tree.body if isinstance(s, ast.Assign)
              and {t.id for t in s.targets if isinstance(t, ast.Name)} & {"PLURALS", "SINGULARS", "UNCOUNTABLES"}]
    context = "import re\n\n" + "".join("".join(lines[s.lineno - 1:s.end_lineno]) for s in tables)
    fn = next(s for s in tree.body if isinstance(s, ast.FunctionDef) and s.name == name)
    doc_end = fn.body[0].end_lineno
    header = "".join(lines[fn.lineno - 1:doc_end])
    body = "".join(lines[doc_end:fn.end_lineno])
    return mined(name, context + "\n\n" + header, body)


def test_inverse_functions_sharing_tables_are_not_duplicates():
    plural, singular = inflection_problem("pluralize"), inflection_problem("singularize")
    assert len(plural.prompt) > 2000 and "PLURALS = [" in plural.prompt and "PLURALS = [" in singular.prompt
    assert "PLURALS = [" not in near_dup_text(plural)  # the task, not the module's tables
    kept, drops = dedup([plural, singular])
    assert len(kept) == 2 and drops == []


def test_bodies_that_differ_by_one_not_are_duplicates():
    a = mined("_abi3_applies", ABI3, ABI3_BODY, tests=5)
    b = mined("_abi3t_applies", ABI3T, ABI3T_BODY, tests=3)
    kept, drops = dedup([a, b])
    assert [p.task_id for p in kept] == [a.task_id]  # the one with more tests
    (d,) = drops
    assert d.task_id == b.task_id and d.kind == "body" and d.duplicate_of == a.task_id
    assert d.reason.startswith(f"near-identical body to {a.task_id}")


def test_same_body_under_another_name_is_a_near_duplicate():
    a = mined("clamp", 'def clamp(x, lo, hi):\n    """Clamp x into the closed interval [lo, hi], the bounds included."""\n',
              "    if x < lo:\n        return lo\n    if x > hi:\n        return hi\n    return x\n", tests=4)
    b = mined("bound", 'def bound(x, lo, hi):\n    """Clamp x into the closed interval [lo, hi], the bounds included."""\n',
              a.canonical_solution)
    kept, drops = dedup([a, b])
    assert [p.task_id for p in kept] == [a.task_id] and drops[0].kind == "near"


def test_a_chain_of_matches_is_one_cluster():
    # b matches a and c; a and c do not match each other: greedy matching against kept records
    # keeps both a and c, clustering keeps only the strongest
    rng = np.random.default_rng(3)
    words = [f"w{i}" for i in rng.integers(0, 10_000, size=200)]
    b_words = list(words)
    for k in range(0, 200, 40):
        b_words[k] = "x" + b_words[k]
    c_words = list(b_words)
    for k in range(20, 200, 40):
        c_words[k] = "y" + c_words[k]
    texts = [" ".join(words), " ".join(b_words), " ".join(c_words)]
    sig, nonempty = MinHasher().signatures(texts)
    jac = lambda i, j: float(np.mean(sig[i] == sig[j]))  # noqa: E731
    assert jac(0, 1) >= 0.7 and jac(1, 2) >= 0.7 and jac(0, 2) < 0.7
    drops = clustered_near_duplicates(sig, nonempty, 0.7)
    assert [(i, j) for i, j, _ in drops] == [(1, 0), (2, 1)]  # both go; c names b, whose match is a
