"""Parsed problems -> records: the prompt, tests, checker, limits and provenance of DESIGN.md;
programs turned into `solve(stdin)` bodies only when that is safe; statements' math readable."""
from __future__ import annotations

import ast
import os

import pytest

from judge_server import JUDGES
from sftset.record import Problem
from sftset.scrapers import atcoder, codeforces, kattis, leetcode
from sftset.scrapers.convert import ConvertOptions, to_problem
from sftset.scrapers.program import NotConvertible, function_body, stdio_body
from sftset.scrapers.text import (checker_for, docstring, float_tolerance, html_to_text, multiple_answers,
                                  tex_to_text)

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="the sandbox runs code as other uids (needs root)")

IQ_TEST = (
    "    nums = list(map(int, stdin.split()))[1:]\n"
    "    even = [i for i, x in enumerate(nums) if x % 2 == 0]\n"
    "    odd = [i for i, x in enumerate(nums) if x % 2]\n"
    "    return str((even if len(even) == 1 else odd)[0] + 1) + '\\n'\n"
)


def cf25a():
    html = (JUDGES / "codeforces/25A.statement.html").read_text(encoding="utf-8")
    return codeforces.parse_statement("25/A", html, "https://codeforces.com/problemset/problem/25/A")


def test_stdio_record_matches_the_contract():
    p = to_problem(cf25a(), retrieved_at="2025-01-01T00:00:00Z")
    again = Problem.from_dict(p.to_dict())  # validates; round-trips unchanged
    assert again.to_dict() == p.to_dict()
    assert p.task_id == "codeforces/25/A" and p.source == "codeforces" and p.kind == "stdio"
    assert p.entry_point == "solve" and p.prompt.startswith("def solve(stdin: str) -> str:\n    \"\"\"\n")
    assert p.tests == [{"input": "5\n2 4 7 8 10\n", "output": "3\n", "split": "public"},
                       {"input": "4\n1 2 1 1\n", "output": "2\n", "split": "public"}]
    assert p.checker == "tokens" and p.limits == {"time_s": 2, "memory_mb": 256}
    assert p.canonical_solution == ""  # scraped: the filter stage fills it
    prov = p.provenance
    assert prov["url"] == "https://codeforces.com/problemset/problem/25/A" and prov["license"] == "NOASSERTION"
    assert prov["retrieved_at"] == "2025-01-01T00:00:00Z" and prov["tool_version"]
    # Codeforces asks for attribution and a link next to the statement: it is in the docstring.
    assert 'Source: Codeforces problem 25A "IQ test", https://codeforces.com/problemset/problem/25/A' in p.prompt
    assert "def check(candidate):" in p.test and p.content_hash == p.compute_hash()


def test_prompt_plus_solution_plus_check_runs_as_humaneval_does():
    p = to_problem(cf25a())
    ns: dict = {}
    exec(p.prompt + IQ_TEST + "\n" + p.test + "\n" + f"check({p.entry_point})", ns)  # passes silently
    wrong = IQ_TEST.replace("+ 1) +", "+ 2) +")
    with pytest.raises(AssertionError):
        exec(p.prompt + wrong + "\n" + p.test + "\n" + f"check({p.entry_point})", {})


@needs_root
def test_scraped_record_judged_in_the_sandbox():
    from sftset.evaluation import sample_job
    from sftset.sandbox import Executor

    p = to_problem(cf25a())
    with Executor(workers=1) as ex:
        good, bad = ex.run_all([sample_job(p, IQ_TEST, "good"), sample_job(p, "    return '1\\n'\n", "bad")])
    assert {good.key: good.status, bad.key: bad.status} == {"good": "passed", "bad": "failed"}


def test_docstring_escapes_backslashes_and_quotes():
    text = 'a \\leq b and """quotes""" and a trailing "'
    code = "def f():\n" + docstring(text) + "    pass\n"
    tree = ast.parse(code)
    assert ast.get_docstring(tree.body[0], clean=False).strip() == text


def test_every_parsed_page_becomes_a_valid_record():
    pages = [
        codeforces.parse_statement("1918/A", (JUDGES / "codeforces/1918A.html").read_text(encoding="utf-8"), "u"),
        codeforces.parse_statement("1950/F", (JUDGES / "codeforces/1950F.statement.html").read_text(encoding="utf-8"), "u"),
        atcoder.parse_task("abc264_c", (JUDGES / "atcoder/abc264_c.html").read_text(encoding="utf-8"), "u"),
        kattis.parse_package(JUDGES / "kattis/problem-packages/examples/oddecho"),
        leetcode.parse_question("find-the-difference", leetcode.question_from_graphql(
            (JUDGES / "leetcode/find-the-difference.graphql.json").read_text(encoding="utf-8")), "u"),
    ]
    for pp in pages:
        record = to_problem(pp)
        Problem.from_dict(record.to_dict())
        compile(record.prompt + "    pass\n" + record.test, record.task_id, "exec")
    odd = to_problem(pages[3])
    assert odd.provenance["license"] == "CC-BY-SA-3.0"
    assert {t["split"] for t in odd.tests} == {"public", "hidden"}


def test_function_record_from_leetcode():
    q = leetcode.question_from_graphql((JUDGES / "leetcode/find-the-difference.graphql.json").read_text(encoding="utf-8"))
    p = to_problem(leetcode.parse_question("find-the-difference", q, "https://leetcode.com/problems/find-the-difference/"))
    assert p.kind == "function" and p.entry_point == "findTheDifference"
    assert p.prompt.startswith("def findTheDifference(s: str, t: str) -> str:\n")
    ns: dict = {}
    exec(p.prompt + "    return chr(sum(map(ord, t)) - sum(map(ord, s)))\n\n" + p.test + "\ncheck(findTheDifference)", ns)


def test_caps_on_test_sizes_are_counted():
    pp = kattis.parse_package(JUDGES / "kattis/problem-packages/examples/oddecho")
    p = to_problem(pp, ConvertOptions(max_hidden=3))
    assert p.meta["tests"]["hidden"] == 3 and p.meta["hidden_omitted"] == len(pp.hidden) - 3


def test_case_insensitive_output_is_flagged():
    pp = codeforces.parse_statement("100/D", (JUDGES / "codeforces/100D.html").read_text(encoding="utf-8"), "u")
    assert "case_insensitive_output" in to_problem(pp).flags  # "the output is not [case-sensitive]"


# ---- statements ---------------------------------------------------------------------------

@pytest.mark.parametrize("tex,text", [
    (r"2 \leq N \leq 10^5", "2 ≤ N ≤ 10^5"),
    (r"1 \le t \le 10^{4}", "1 ≤ t ≤ 10^4"),
    (r"A_{i, j}", "A_{i, j}"),
    (r"\frac{n(n+1)}{2}", "(n(n+1))/2"),
    (r"\sum_{j = 1}^M |S_j - B_j|", "∑_{j = 1}^M |S_j - B_j|"),
    (r"x \bmod 998244353", "x mod 998244353"),
    (r"\mathrm{round}(x)", "round(x)"),
    (r"a_1, a_2, \ldots, a_N", "a_1, a_2, ..., a_N"),
])
def test_tex_is_readable(tex, text):
    assert tex_to_text(tex) == text


def test_html_lists_and_pre_blocks():
    text, images = html_to_text("<p>Rules:</p><ul><li>one</li><li>two</li></ul><pre>1 2\n3 4</pre>"
                                "<p>x<sup>2</sup> and <img src='a.png'></p>")
    assert text == "Rules:\n\n- one\n- two\n\n1 2\n3 4\n\nx^2 and [image]" and images == 1


def test_checker_and_special_judge_phrases():
    assert float_tolerance("Your answer is considered correct if its absolute or relative error does not "
                           "exceed 10^-6.") == 1e-6
    assert checker_for("an error less than 0.00000001") == "float:1e-08"
    assert checker_for("Print the answer.") == "tokens"
    assert multiple_answers("If there are multiple answers, print any of them.")
    assert not multiple_answers("If there are multiple answers, print the lexicographically smallest.")
    assert not multiple_answers("If any of them is zero, print -1.")


# ---- programs into bodies ----------------------------------------------------------------

def run_solve(body: str, stdin: str) -> str:
    ns: dict = {}
    exec("def solve(stdin: str) -> str:\n" + body, ns)
    return ns["solve"](stdin)


@pytest.mark.parametrize("program", [
    "n = int(input())\nprint(n * 2)\n",
    "import sys\nprint(int(sys.stdin.readline()) * 2)\n",
    "from sys import stdin\ndef main():\n    n = int(stdin.read())\n    print(n * 2)\nif __name__ == '__main__':\n    main()\n",
    "import sys\ndata = sys.stdin.buffer.read().split()\nsys.stdout.buffer.write(str(int(data[0]) * 2).encode() + b'\\n')\n",
    "import sys\nn = int(input())\nprint(n * 2)\nsys.exit(0)\nprint('never')\n",
    "for line in __import__('sys').stdin:\n    print(int(line) * 2)\n",
])
def test_stdio_programs_run_inside_solve(program):
    assert run_solve(stdio_body(program), "21\n").split() == ["42"]


def test_solve_restores_stdin_and_stdout():
    import sys

    before = sys.stdin, sys.stdout
    run_solve(stdio_body("print(input())\n"), "x\n")
    assert (sys.stdin, sys.stdout) == before


@pytest.mark.parametrize("program,reason", [
    ("print 'hi'\n", "not Python 3"),
    ("n = raw_input()\nprint(n)\n", "never defines: raw_input"),
    ("total = 0\ndef f():\n    global total\n    total += 1\nf()\nprint(total)\n", "global"),
    ("import threading\nthreading.Thread(target=print).start()\n", "threads"),
    ("print(open(0).read())\n", "file descriptor 0"),
    ("import os\nos.write(1, b'x')\n", "os.write"),
    ("from math import *\nprint(sqrt(4))\n", "star import"),
    ("print(globals())\n", "globals"),
    ("print(collections.Counter('aab'))\n", "never defines: collections"),
    ("if __name__ != '__main__':\n    print(1)\n", "__name__"),
])
def test_unsafe_programs_are_not_converted(program, reason):
    with pytest.raises(NotConvertible, match=reason):
        stdio_body(program)


def test_function_bodies():
    ns: dict = {}
    body = function_body("class Solution:\n    def add(self, a: int, b: int) -> int:\n        return a + b\n",
                         "add", ["a", "b"], True)
    exec("from typing import List\ndef add(a: int, b: int) -> int:\n" + body, ns)
    assert ns["add"](2, 3) == 5
    memo = "cache = {}\ndef fib(n):\n    if n < 2:\n        return n\n    if n not in cache:\n" \
           "        cache[n] = fib(n - 1) + fib(n - 2)\n    return cache[n]\n"
    exec("def fib(n):\n" + function_body(memo, "fib", ["n"], False), ns)
    assert ns["fib"](30) == 832040
    with pytest.raises(NotConvertible, match="rebinds"):
        function_body("n = 3\ndef f(n):\n    return n\n", "f", ["n"], False)
