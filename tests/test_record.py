"""The problem record: JSON round trip, validation naming the bad field, content_hash."""
from __future__ import annotations

import json
import random
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sftset.record import Problem, RecordError, content_hash

# ---- strategies ------------------------------------------------------------------------

text = st.text(max_size=40)
ident = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,12}", fullmatch=True)
native_id = st.from_regex(r"[A-Za-z0-9_.-]{1,12}(/[A-Za-z0-9_.-]{1,8})?", fullmatch=True)
literal_atoms = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=8), st.binary(max_size=8),
)
literals = st.recursive(
    literal_atoms,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.lists(inner, max_size=3).map(tuple),
        st.dictionaries(st.text(max_size=4), inner, max_size=3),
    ),
    max_leaves=8,
)
json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6), st.text(max_size=10)),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=6), inner, max_size=3)),
    max_leaves=6,
)
splits = st.sampled_from(["public", "hidden", "generated"])


@st.composite
def function_cases(draw):
    case = {"args": repr(tuple(draw(st.lists(literals, max_size=3)))), "split": draw(splits)}
    if draw(st.booleans()):
        case["kwargs"] = repr(draw(st.dictionaries(ident, literals, max_size=2)))
    if draw(st.booleans()):
        case["expected"] = repr(draw(literals))
    else:
        case["raises"] = draw(st.sampled_from(["ValueError", "KeyError", "MyError"]))
    return case


stdio_cases = st.fixed_dictionaries({"input": text, "output": text, "split": splits})


@st.composite
def records(draw):
    kind = draw(st.sampled_from(["function", "stdio"]))
    source = draw(st.from_regex(r"[a-z][a-z_]{0,10}", fullmatch=True))
    tests = draw(st.lists(function_cases() if kind == "function" else stdio_cases, min_size=1, max_size=4))
    data = {
        "task_id": f"{source}/{draw(native_id)}",
        "source": source,
        "kind": kind,
        "prompt": draw(text),
        "entry_point": draw(ident),
        "canonical_solution": draw(text),
        "tests": tests,
        "checker": draw(st.sampled_from(["exact", "tokens", "float:1e-6", "float:0.5"])),
        "limits": {"time_s": draw(st.integers(1, 60)), "memory_mb": draw(st.integers(64, 8192))},
        "provenance": draw(st.dictionaries(st.sampled_from(["url", "repo", "license", "lineno"]), json_values)),
        "filter": draw(st.one_of(st.none(), st.dictionaries(st.sampled_from(["model", "n", "passed"]), json_values))),
        "flags": draw(st.lists(st.sampled_from(["no_docstring", "unfiltered"]), unique=True)),
        "meta": draw(st.dictionaries(st.text(max_size=6), json_values, max_size=3)),
    }
    return data


def shuffled(value, rng: random.Random):
    """The same JSON value with every object's keys in another order."""
    if isinstance(value, dict):
        items = list(value.items())
        rng.shuffle(items)
        return {k: shuffled(v, rng) for k, v in items}
    if isinstance(value, list):
        return [shuffled(v, rng) for v in value]
    return value


# ---- round trip ------------------------------------------------------------------------

@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(records())
def test_json_round_trip(data):
    p = Problem.from_dict(data)
    again = Problem.from_json(p.to_json())
    assert again == p
    assert again.to_dict() == p.to_dict()
    assert json.loads(again.to_json()) == json.loads(p.to_json())
    # every field of DESIGN.md's table is present in the JSON form
    assert {"task_id", "source", "kind", "prompt", "entry_point", "canonical_solution", "tests", "test",
            "checker", "limits", "provenance", "filter", "content_hash"} <= set(p.to_dict())
    assert p.test.startswith("def ") or "def check(candidate):" in p.test  # rendered from the tests


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(records(), st.randoms(use_true_random=False))
def test_content_hash_ignores_key_order(data, rnd):
    p = Problem.from_dict(data)
    q = Problem.from_dict(shuffled(data, random.Random(rnd.random())))
    assert p.content_hash == q.content_hash
    assert len(p.content_hash) == 64
    # ... and it reflects the prompt and the tests
    last = data["tests"][-1]
    flipped = dict(last, split="public" if last["split"] != "public" else "hidden")
    assert Problem.from_dict(dict(data, tests=data["tests"][:-1] + [flipped])).content_hash != p.content_hash
    assert Problem.from_dict(dict(data, prompt=data["prompt"] + "x")).content_hash != p.content_hash


def test_content_hash_ignores_fields_outside_prompt_and_tests(handwritten_records):
    data = handwritten_records[0]
    base = Problem.from_dict(data).content_hash
    for field, value in [("canonical_solution", "    return []\n"), ("provenance", {}), ("meta", {"x": 1}),
                         ("limits", {"time_s": 9}), ("flags", ["unfiltered"])]:
        assert Problem.from_dict(dict(data, **{field: value})).content_hash == base, field
    # whitespace at line ends and CRLF do not make a new problem
    crlf = data["prompt"].replace("\n", "  \r\n")
    assert Problem.from_dict(dict(data, prompt=crlf)).content_hash == base


# Pinned: content_hash is a storage key (dedup, "changed since last refresh"); if this changes,
# every stored problem looks new. Change it only with a store migration.
PINNED_RECORD = {
    "task_id": "demo/add",
    "source": "demo",
    "kind": "function",
    "prompt": 'def add(a, b):\n    """Return a + b."""\n',
    "entry_point": "add",
    "canonical_solution": "    return a + b\n",
    "tests": [{"args": "(1, 2)", "expected": "3", "split": "public"},
              {"args": "((1,), (2,))", "expected": "(1, 2)", "split": "hidden"}],
}
PINNED_HASH = "c828184e53dce5e6895de7a53f872a7fa197c42a1f92bc5b07896d83eeb6e69c"


def test_content_hash_is_pinned():
    assert Problem.from_dict(PINNED_RECORD).content_hash == PINNED_HASH


def test_content_hash_stable_across_processes():
    # A fresh interpreter (new hash seed) computes the same hash.
    code = ("import json,sys; from sftset.record import Problem; "
            "print(Problem.from_dict(json.loads(sys.argv[1])).content_hash)")
    for seed in ("0", "12345"):
        out = subprocess.run([sys.executable, "-c", code, json.dumps(PINNED_RECORD)], capture_output=True,
                             text=True, check=True, env={"PYTHONHASHSEED": seed, "PATH": "/usr/bin:/bin"})
        assert out.stdout.strip() == PINNED_HASH


def test_content_hash_function_matches_record():
    p = Problem.from_dict(PINNED_RECORD)
    assert content_hash(p.prompt, p.tests) == p.content_hash


def test_given_content_hash_is_kept_and_rehash_recomputes():
    p = Problem.from_dict(dict(PINNED_RECORD, content_hash="a" * 64))
    assert p.content_hash == "a" * 64
    assert p.rehash().content_hash == PINNED_HASH


def test_humaneval_style_record_hashes_its_test_code():
    base = {"task_id": "HumanEval/0", "source": "humaneval", "kind": "function", "prompt": "def f():\n",
            "entry_point": "f", "test": "def check(candidate):\n    assert candidate() == 1\n"}
    a = Problem.from_dict(base)
    b = Problem.from_dict(dict(base, test=base["test"].replace("1", "2")))
    assert a.tests == [] and a.content_hash != b.content_hash


# ---- validation names the bad field ----------------------------------------------------

def _valid() -> dict:
    return json.loads(json.dumps(PINNED_RECORD))


@pytest.mark.parametrize(
    "change, field",
    [
        ({"task_id": "noslash"}, "task_id"),
        ({"task_id": 5}, "task_id"),
        ({"source": ""}, "source"),
        ({"kind": "lambda"}, "kind"),
        ({"prompt": None}, "prompt"),
        ({"entry_point": "not an identifier"}, "entry_point"),
        ({"checker": "float:abc"}, "checker"),
        ({"checker": "approx"}, "checker"),
        ({"tests": "nope"}, "tests"),
        ({"tests": [], "test": ""}, "tests"),
        ({"tests": [{"args": "(1,", "expected": "3"}]}, "tests[0].args"),
        ({"tests": [{"args": "(1, 2)", "expected": "3"}, {"args": "[1]", "expected": "3"}]}, "tests[1].args"),
        ({"tests": [{"args": "(1,)", "kwargs": "{1: 2}", "expected": "3"}]}, "tests[0].kwargs"),
        ({"tests": [{"args": "(1,)", "expected": "open('x')"}]}, "tests[0].expected"),
        ({"tests": [{"args": "(1,)", "expected": "nan"}]}, "tests[0].expected"),
        ({"tests": [{"args": "(1,)"}]}, "tests[0]"),
        ({"tests": [{"args": "(1,)", "expected": "1", "raises": "ValueError"}]}, "tests[0]"),
        ({"tests": [{"args": "(1,)", "raises": "not a name"}]}, "tests[0].raises"),
        ({"tests": [{"args": "(1,)", "expected": "1", "split": "train"}]}, "tests[0].split"),
        ({"tests": [{"args": "(1,)", "expected": "1", "input": "x"}]}, "tests[0].input"),
        ({"kind": "stdio", "tests": [{"input": "1", "output": 1}]}, "tests[0].output"),
        ({"kind": "stdio", "tests": [{"input": "1", "output": "1", "args": "()"}]}, "tests[0].args"),
        ({"limits": {"time_s": -1}}, "limits.time_s"),
        ({"limits": {"memory_mb": True}}, "limits.memory_mb"),
        ({"limits": []}, "limits"),
        ({"provenance": "github"}, "provenance"),
        ({"filter": 3}, "filter"),
        ({"flags": "no_docstring"}, "flags"),
        ({"meta": []}, "meta"),
        ({"content_hash": "xyz"}, "content_hash"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_validation_names_the_field(change, field):
    data = _valid()
    data.update(change)
    with pytest.raises(RecordError) as info:
        Problem.from_dict(data)
    assert info.value.field == field
    assert str(info.value).startswith(field + ": ")


@pytest.mark.parametrize("missing", ["task_id", "source", "kind", "prompt", "entry_point"])
def test_missing_required_field(missing):
    data = _valid()
    del data[missing]
    with pytest.raises(RecordError) as info:
        Problem.from_dict(data)
    assert info.value.field == missing


def test_not_an_object_and_bad_json():
    with pytest.raises(RecordError) as info:
        Problem.from_dict([1, 2])
    assert info.value.field == "<record>"
    with pytest.raises(RecordError) as info:
        Problem.from_json("{not json")
    assert info.value.field == "<json>"


def test_defaults_and_extensions():
    p = Problem.from_dict({"task_id": "demo/x", "source": "demo", "kind": "stdio", "prompt": "def solve(s):\n",
                           "entry_point": "solve", "tests": [{"input": "1\n", "output": "1\n"}]})
    assert p.checker == "exact" and p.limits == {"time_s": 3, "memory_mb": 1024}
    assert p.filter is None and p.flags == [] and p.meta == {}
    assert "def check(candidate):" in p.test
    # a stdio case without a split is public by default and validates
    assert Problem.from_dict(p.to_dict()) == p
