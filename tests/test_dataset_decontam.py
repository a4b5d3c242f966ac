"""Decontamination: a HumanEval problem slipped into the input, verbatim or lightly edited (renamed
variables, reworded docstring), is dropped naming the benchmark item; unrelated problems are kept;
MBPP is checked when its file is named; benchmark files in several formats are read."""
from __future__ import annotations

import ast
import gzip
import json
import shutil
import sysconfig
import textwrap
from pathlib import Path

import pytest

from sftset.dataset.decontam import build_decontaminator, code_ngrams, load_benchmark_file, _Vocabulary
from sftset.humaneval import humaneval_path, iter_humaneval_rows
from sftset.record import Problem
from sftset.store import StateStore

FIXTURES = Path(__file__).parent / "fixtures" / "dataset"
MBPP = FIXTURES / "mbpp_first10.jsonl"

HE0 = next(r for r in iter_humaneval_rows() if r["task_id"] == "HumanEval/0")

# HumanEval/0 and /12, edited the way a copied problem usually is: names changed throughout,
# docstring reworded; the doctest data stays (numbers alone never count as a text match).
EDITED_0 = {
    "prompt": 'from typing import List\n\n\ndef any_pair_within(values: List[float], limit: float) -> bool:\n'
              '    """ Tell whether some two of the given values lie nearer to one another than the limit.\n'
              '    >>> any_pair_within([1.0, 2.0, 3.0], 0.5)\n    False\n'
              '    >>> any_pair_within([1.0, 2.8, 3.0, 4.0, 5.0, 2.0], 0.3)\n    True\n    """\n',
    "canonical_solution": "    for i, a in enumerate(values):\n        for j, b in enumerate(values):\n"
                          "            if i != j:\n                gap = abs(a - b)\n                if gap < limit:\n"
                          "                    return True\n\n    return False\n",
    "entry_point": "any_pair_within",
    "tests": [{"args": "([1.0, 2.0, 3.0], 0.5)", "expected": "False"},
              {"args": "([1.0, 2.8, 3.0, 4.0, 5.0, 2.0], 0.3)", "expected": "True"}],
}
EDITED_12 = {
    "prompt": 'from typing import List, Optional\n\n\ndef pick_longest(words: List[str]) -> Optional[str]:\n'
              '    """Give back the longest word; on a tie the earliest wins, and None for no words at all."""\n',
    "canonical_solution": "    if not words:\n        return None\n\n    best = max(len(w) for w in words)\n"
                          "    for word in words:\n        if len(word) == best:\n            return word\n",
    "entry_point": "pick_longest",
    "tests": [{"args": "(['a', 'bb', 'cc'],)", "expected": "'bb'"}, {"args": "([],)", "expected": "None"}],
}
# MBPP task 2 (similar_elements), renamed
EDITED_MBPP_2 = {
    "prompt": 'def common_items(first, second):\n    """Items that both tuples contain, as a tuple."""\n',
    "canonical_solution": "  result = tuple(set(first) & set(second))\n  return (result) \n",
    "entry_point": "common_items",
    "tests": [{"args": "((3, 4, 5, 6), (5, 7, 4, 10))", "expected": "(4, 5)"}],
}


def ci_record(name: str, fields: dict, source: str = "ci") -> dict:
    return {"task_id": f"{source}/mylib/{name}", "source": source, "kind": "function", "checker": "exact",
            "provenance": {"url": f"https://example.invalid/{name}", "license": "MIT"}, **fields}


def verbatim_humaneval_0() -> dict:
    return ci_record("has_close_elements", {
        "prompt": HE0["prompt"], "canonical_solution": HE0["canonical_solution"], "entry_point": HE0["entry_point"],
        "tests": [{"args": "([1.0, 2.0, 3.0], 0.5)", "expected": "False"}]})


def apps_record(problem_id: str) -> dict:
    folder = FIXTURES / "apps" / problem_id
    text = (folder / "question.txt").read_text().replace('"""', "'''").replace("\\", "/")
    return {"task_id": f"apps/{problem_id}", "source": "apps", "kind": "stdio",
            "prompt": f'def solve(stdin: str) -> str:\n    """{text}\n    """\n', "entry_point": "solve",
            "canonical_solution": "    return stdin\n", "tests": [{"input": "1\n", "output": "1\n"}],
            "checker": "tokens", "provenance": json.loads((folder / "metadata.json").read_text())}


@pytest.fixture
def store_with_slipped_problems(run_cli, jsonl_file, handwritten_records):
    rows = handwritten_records + [
        verbatim_humaneval_0(),
        ci_record("any_pair_within", EDITED_0),
        ci_record("pick_longest", EDITED_12),
        ci_record("common_items", EDITED_MBPP_2),
        apps_record("0001"), apps_record("0111"), apps_record("2404"),
    ]
    assert run_cli("import", jsonl_file("in.jsonl", rows), "-q").rc == 0
    shutil.copy(MBPP, "mbpp.jsonl")
    return rows


def drops_of(version: Path) -> dict[str, dict]:
    path = version / "drops.jsonl"
    return {r["task_id"]: r for r in map(json.loads, path.read_text().splitlines())} if path.exists() else {}


def test_humaneval_verbatim_and_edited_are_dropped_naming_the_item(run_cli, store_with_slipped_problems):
    result = run_cli("export", "--version", "v1", "--benchmark", "mbpp.jsonl", "-q")
    assert result.rc == 0, result.err
    out = Path("curated") / "v1"
    drops = drops_of(out)
    assert drops["ci/mylib/has_close_elements"]["stage"] == "decontam"
    assert drops["ci/mylib/has_close_elements"]["detail"]["item"] == "HumanEval/0"
    assert drops["ci/mylib/any_pair_within"]["detail"]["item"] == "HumanEval/0"
    assert drops["ci/mylib/any_pair_within"]["detail"]["how"] == "code"  # its words were all changed
    assert drops["ci/mylib/pick_longest"]["detail"]["item"] == "HumanEval/12"
    assert drops["ci/mylib/common_items"]["detail"]["item"] == "mbpp/2"
    assert "contaminated by HumanEval/0" in drops["ci/mylib/any_pair_within"]["reason"]
    # unrelated problems stay
    kept = [json.loads(line)["task_id"] for line in (out / "humaneval.jsonl").read_text().splitlines()]
    assert sorted(kept) == ["apps/0001", "apps/0111", "apps/2404", "handwritten/mean", "handwritten/pairs",
                            "handwritten/sum-pairs"]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["drops"] == {"decontam: contaminated (humaneval)": 3, "decontam: contaminated (mbpp)": 1}
    assert [b["benchmark"] for b in manifest["assembly"]["decontam"]["benchmarks"]] == ["humaneval", "mbpp"]
    # the verdicts are in the store, under the stage "decontam"
    with StateStore(Path("curated") / "state.sqlite") as store:
        v = store.verdict("ci/mylib/pick_longest", "decontam")
        assert v["status"] == "dropped" and v["detail"]["item"] == "HumanEval/12"
        assert store.verdict("apps/0001", "decontam")["status"] == "kept"
        assert store.verdict("handwritten/pairs", "quality")["status"] == "kept"
        assert store.verdict("handwritten/pairs", "dedup")["status"] == "kept"


def test_mbpp_is_checked_only_when_its_file_is_named(run_cli, store_with_slipped_problems):
    assert run_cli("export", "--version", "v1", "-q").rc == 0
    drops = drops_of(Path("curated") / "v1")
    assert "ci/mylib/common_items" not in drops
    assert {t for t, d in drops.items() if d["stage"] == "decontam"} == {
        "ci/mylib/has_close_elements", "ci/mylib/any_pair_within", "ci/mylib/pick_longest"}
    # named in sftset.toml instead of on the command line
    Path("sftset.toml").write_text('[decontam]\nbenchmarks = ["mbpp.jsonl"]\n')
    assert run_cli("export", "--version", "v2", "-q").rc == 0
    assert drops_of(Path("curated") / "v2")["ci/mylib/common_items"]["detail"]["item"] == "mbpp/2"


def test_humaneval_imported_on_purpose_is_kept_unless_configured(run_cli):
    assert run_cli("import", "--humaneval", "-q").rc == 0
    assert run_cli("export", "--version", "kept", "-q").rc == 0
    manifest = json.loads((Path("curated") / "kept" / "manifest.json").read_text())
    assert manifest["counts"]["problems"] == 164 and manifest["assembly"]["decontam"]["exempt"] == 164
    assert "benchmark items themselves" in (Path("curated") / "kept" / "README.md").read_text()
    Path("sftset.toml").write_text("[decontam]\nkeep_benchmark_items = false\n")
    assert run_cli("export", "--version", "dropped", "-q").rc == 0
    manifest = json.loads((Path("curated") / "dropped" / "manifest.json").read_text())
    assert manifest["counts"]["problems"] == 0
    assert manifest["drops"] == {"decontam: contaminated (humaneval)": 164}


def stdlib_functions(modules: tuple[str, ...]) -> list[Problem]:
    """Real, unrelated code: documented functions of a few standard-library modules as records."""
    out = []
    lib = Path(sysconfig.get_paths()["stdlib"])
    for name in modules:
        source = (lib / f"{name}.py").read_text(encoding="utf-8")
        lines = source.splitlines(keepends=True)
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.FunctionDef) and ast.get_docstring(node) and node.body[1:]:
                prompt = textwrap.dedent("".join(lines[node.lineno - 1:node.body[0].end_lineno]))
                body = "".join(lines[node.body[0].end_lineno:node.end_lineno])
                out.append(Problem(task_id=f"std/{name}/{node.name}", source="std", kind="function",
                                   prompt=prompt, entry_point=node.name, canonical_solution=body,
                                   test="def check(candidate):\n    pass\n"))
    return out


def test_unrelated_real_code_is_not_flagged():
    dec = build_decontaminator(files=[MBPP])
    problems = stdlib_functions(("textwrap", "statistics", "heapq", "bisect", "fractions", "shlex", "difflib",
                                 "string", "calendar", "colorsys", "ipaddress", "json/decoder"))
    assert len(problems) > 150
    flagged = [(p.task_id, dec.check(p).reason) for p in problems if dec.check(p)]
    assert flagged == []


def test_each_signal_alone():
    dec = build_decontaminator(humaneval=True)
    he12 = next(r for r in iter_humaneval_rows() if r["task_id"] == "HumanEval/12")

    def check(prompt: str, solution: str = "    return None\n"):
        return dec.check(Problem(task_id="x/1", source="x", kind="function", prompt=prompt, entry_point="f",
                                 canonical_solution=solution, test="def check(c):\n    pass\n"))

    # a 10-word run of the prompt, inside other text
    text = check('def f(xs):\n    """Given a list. Out of list of strings, return the longest one. Return the first."""\n')
    assert text.how == "text" and text.item == "HumanEval/12"
    # the description of a short docstring (HumanEval/23, "Return length of given string")
    doc = check('def size(s):\n    """Return length of given string\n    (counting characters)."""\n')
    assert (doc.how, doc.item) == ("docstring", "HumanEval/23")
    # the solution with other names, under an unrelated docstring
    code = check('def f(items):\n    """Unrelated words here."""\n',
                 he12["canonical_solution"].replace("strings", "items").replace("maxlen", "top").replace("x", "q"))
    assert (code.how, code.item) == ("code", "HumanEval/12")
    # numbers alone (doctest data) are not a match
    assert check('def f():\n    """>>> f([1.0, 2.8, 3.0, 4.0, 5.0, 2.0], 0.3, 1, 2, 3, 4, 5, 6)"""\n') is None


def test_renaming_is_consistent_not_arbitrary():
    vocab = _Vocabulary()
    a = code_ngrams("def f(a, b):\n    return a + b * a - b // a + b\n", vocab, 13)
    renamed = code_ngrams("def g(x, y):\n    return x + y * x - y // x + y\n", vocab, 13)
    swapped = code_ngrams("def g(x, y):\n    return x + y * y - x // x + y\n", vocab, 13)
    assert a == renamed and a != swapped


@pytest.mark.parametrize("writer", ["humaneval-gz", "generic", "records"])
def test_benchmark_file_formats(tmp_path, writer):
    if writer == "humaneval-gz":
        path = tmp_path / "HumanEval.jsonl.gz"
        shutil.copy(humaneval_path(), path)
        items = load_benchmark_file(path)
        assert len(items) == 164 and items[0].item_id == "HumanEval/0" and items[0].benchmark == "humaneval"
        return
    path = tmp_path / "private_eval.jsonl"
    if writer == "generic":
        rows = [{"id": 7, "question": "Compute the frobnication index of a zebra matrix with wings.",
                 "solution": "def frob(m):\n    return sum(sum(r) for r in m) * len(m) - max(map(max, m))\n"}]
    else:
        rows = [verbatim_humaneval_0()]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    items = load_benchmark_file(path)
    assert len(items) == 1 and items[0].benchmark == "private_eval"
    dec = build_decontaminator(humaneval=False, files=[path])
    hit = dec.check(Problem(task_id="y/1", source="y", kind="function", entry_point="f", test="def check(c): pass",
                            prompt='def f(m):\n    """Compute the frobnication index of a zebra matrix with wings, fast."""\n'
                            if writer == "generic" else HE0["prompt"]))
    assert hit is not None and hit.item == items[0].item_id


def test_bad_benchmark_file_is_one_line_error(run_cli, jsonl_file, handwritten_records):
    assert run_cli("import", jsonl_file("ok.jsonl", handwritten_records), "-q").rc == 0
    jsonl_file("bench.jsonl", [{"task_id": 1, "text": "fine", "code": "x = 1", "test_list": []}, {"task_id": 2}])
    result = run_cli("export", "--benchmark", "bench.jsonl")
    assert result.rc == 2 and result.err_lines == [
        "build-sft-set: error: bench.jsonl:2: needs one of prompt, question, text, problem, description, "
        "statement, canonical_solution, solution, code"]
    result = run_cli("export", "--benchmark", "missing.jsonl")
    assert result.rc == 2 and "missing.jsonl: no such file" in result.err
    assert not any(p.name != "state.sqlite" and not p.name.startswith(".") for p in Path("curated").iterdir())


def test_gzip_benchmark_of_mbpp(tmp_path):
    path = tmp_path / "mbpp.jsonl.gz"
    with gzip.open(path, "wt") as fh:
        fh.write(MBPP.read_text())
    items = load_benchmark_file(path)
    assert [i.item_id for i in items][:3] == ["mbpp/1", "mbpp/2", "mbpp/3"] and items[0].benchmark == "mbpp"


def _function_problem(prompt: str, solution: str, entry_point: str = "f") -> Problem:
    return Problem(task_id="x/1", source="x", kind="function", prompt=prompt, entry_point=entry_point,
                   canonical_solution=solution, test="def check(c):\n    pass\n")


def test_the_item_with_the_strongest_overlap_is_named():
    # issue 16: a copy of HumanEval/157 (under another name) was named HumanEval/71, whose prompt
    # shares the opening "given the lengths of the three sides of a triangle"
    dec = build_decontaminator(humaneval=True)
    for task in ("HumanEval/157", "HumanEval/71"):
        row = next(r for r in iter_humaneval_rows() if r["task_id"] == task)
        prompt = row["prompt"].replace(row["entry_point"], "sides_check")
        hit = dec.check(_function_problem(prompt, row["canonical_solution"], "sides_check"))
        assert hit is not None and hit.item == task, (task, hit)


def test_generic_mbpp_openings_do_not_name_another_task(tmp_path):
    # MBPP texts that open the same way ("write a function to ..."): the copy names its own task
    rows = [
        {"task_id": 92, "text": "Write a function to check whether the given number is undulating or not.",
         "code": "def is_undulating(n): \n\tif (len(n) <= 2): \n\t\treturn False\n\tfor i in range(2, len(n)): \n"
                 "\t\tif (n[i - 2] != n[i]): \n\t\t\treturn False\n\treturn True", "test_list": []},
        {"task_id": 598, "text": "Write a function to check whether the given number is armstrong or not.",
         "code": "def armstrong_number(number):\n sum = 0\n times = 0\n temp = number\n while temp > 0:\n"
                 "           times = times + 1\n           temp = temp // 10\n temp = number\n while temp > 0:\n"
                 "           reminder = temp % 10\n           sum = sum + (reminder ** times)\n"
                 "           temp //= 10\n if number == sum:\n           return True\n else:\n"
                 "           return False", "test_list": []},
    ]
    path = tmp_path / "mbpp.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    dec = build_decontaminator(humaneval=False, files=[path])
    copy = _function_problem('def armstrong_number(number):\n    """Write a function to check whether the given '
                             'number is armstrong or not."""\n', textwrap.indent(rows[1]["code"].split("\n", 1)[1], "   "),
                             "armstrong_number")
    hit = dec.check(copy)
    assert hit is not None and hit.item == "mbpp/598"


def test_imported_names_are_not_renamed(tmp_path):
    # more-itertools' take was dropped as MBPP 255: islice and combinations_with_replacement were
    # renamed like local names, so their 13-token windows matched
    rows = [{"task_id": 255, "text": "Write a function to choose specified number of colours from three different "
                                     "colours and generate all the combinations with repetitions.",
             "code": "from itertools import combinations_with_replacement \ndef combinations_colors(l, n):\n"
                     "    return list(combinations_with_replacement(l,n))\n", "test_list": []}]
    path = tmp_path / "mbpp.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    dec = build_decontaminator(humaneval=False, files=[path])
    take = _function_problem('from itertools import islice\n\n\ndef take(n, iterable):\n'
                             '    """Return first *n* items of the *iterable* as a list."""\n',
                             "    return list(islice(iterable, n))\n", "take")
    assert dec.check(take) is None
    # the same code with its own names changed is still a copy
    renamed = _function_problem("from itertools import combinations_with_replacement\n\n\ndef pick(colours, k):\n"
                                '    """Unrelated words."""\n',
                                "    return list(combinations_with_replacement(colours, k))\n", "pick")
    hit = dec.check(renamed)
    assert hit is not None and (hit.item, hit.how) == ("mbpp/255", "code")
