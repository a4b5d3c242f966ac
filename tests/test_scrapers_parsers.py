"""Every parser on the real saved pages (tests/fixtures/judges, origins in its README), offline.

Expected samples come from fixtures/README.md where it lists them, from competitive-companion's
expected parses (fixtures/judges/expected) where they cover the same problem, and otherwise
from the saved page itself, read by eye and written down here.
"""
from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from judge_server import JUDGES
from sftset.scrapers import aoj, atcoder, codechef, codeforces, kattis, leetcode
from sftset.scrapers.base import ParseError, Skip, parse_range

CF = JUDGES / "codeforces"
AT = JUDGES / "atcoder"


def read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def expected_tests(rel: str) -> list[tuple[str, str]]:
    data = json.loads((JUDGES / "expected" / rel).read_text(encoding="utf-8"))
    return [(t["input"], t["output"]) for t in data["result"]["tests"]]


# ---- Codeforces -----------------------------------------------------------------------

def test_codeforces_old_sample_markup_25A():
    p = codeforces.parse_statement("25/A", read(CF / "25A.statement.html"), "u")
    assert p.samples == [("5\n2 4 7 8 10\n", "3\n"), ("4\n1 2 1 1\n", "2\n")]  # fixtures/README.md
    assert (p.title, p.time_s, p.memory_mb, p.checker) == ("IQ test", 2.0, 256.0, "tokens")
    assert "3 ≤ n ≤ 100" in p.statement and "Input\n\nThe first line" in p.statement
    assert "Copy" not in p.statement and "Examples" not in p.statement  # samples are tests, not text


def test_codeforces_new_sample_markup_1950F():
    p = codeforces.parse_statement("1950/F", read(CF / "1950F.statement.html"), "u")
    assert len(p.samples) == 1
    inp, out = p.samples[0]
    assert inp.split("\n")[:3] == ["10", "2 1 3", "0 0 1"] and inp.count("\n") == 11
    assert out == "2\n0\n1\n1\n-1\n3\n6\n-1\n-1\n3\n"
    # TeX in $$$..$$$ reads as text; the picture is flagged.
    assert "1 ≤ t ≤ 10^4" in p.statement and "3 · 10^5" in p.statement and "$$$" not in p.statement
    assert "statement_image" in p.flags


def test_codeforces_whole_pages():
    p = codeforces.parse_statement("1918/A", read(CF / "1918A.html"), "u")
    assert p.title == "Brick Wall" and p.time_s == 1.0
    assert p.samples == [("5\n2 2\n7 8\n16 9\n3 5\n10000 10000\n", "2\n28\n64\n6\n50000000\n")]
    p = codeforces.parse_statement("100/D", read(CF / "100D.html"), "u")  # CRLF, <br /> samples
    assert p.samples == [("100\nCodeforces\nMMIODPC\n", "Yes\n"), ("5\nMMIOD\nCF\n", "No\n")]
    assert p.time_s == 5.0 and "\r" not in p.statement
    p = codeforces.parse_statement("893/E", read(CF / "893E.problemset.reformatted.html"), "u")
    assert p.samples == [("2\n6 3\n4 2\n", "36\n6\n")]
    assert "10^9 + 7" in p.statement and "x_i" in p.statement  # <sup>/<sub> kept readable


def test_codeforces_interactive_is_skipped():
    html = read(CF / "25A.statement.html").replace(
        '<div class="section-title">Input</div>', '<div class="section-title">Interaction</div>')
    with pytest.raises(Skip, match="interactive"):
        codeforces.parse_statement("25/A", html, "u")
    with pytest.raises(Skip, match="interactive"):
        codeforces.parse_statement("25/A", read(CF / "25A.statement.html"), "u", {"tags": ["interactive"]})


def test_codeforces_truncated_page_is_a_parse_error():
    html = read(CF / "1918A.html")
    with pytest.raises(ParseError):
        codeforces.parse_statement("1918/A", html[: html.index('<div class="sample-tests">')], "u")
    with pytest.raises(ParseError, match="problem-statement"):
        codeforces.parse_statement("1918/A", "<html><body>Codeforces is temporarily unavailable</body></html>", "u")


def test_codeforces_problem_list_real_api_answer():
    text = gzip.decompress((CF / "api-problemset.problems.json.gz").read_bytes()).decode()
    problems = codeforces.parse_problem_list(text)
    assert len(problems) == 7579
    p25a = next(p for p in problems if (p["contestId"], p["index"]) == (25, "A"))
    assert p25a["name"] == "IQ test" and "brute force" in p25a["tags"] and p25a["solvedCount"] > 0
    assert sum("interactive" in p.get("tags", []) for p in problems) == 153
    with pytest.raises(ParseError, match="status"):
        codeforces.parse_problem_list('{"status": "FAILED", "comment": "Call limit exceeded"}')


def test_codeforces_list_attaches_rating_and_tags_to_the_record():
    from sftset.scrapers.convert import to_problem

    text = gzip.decompress((CF / "api-problemset.problems.json.gz").read_bytes()).decode()
    listing = {f"{p['contestId']}/{p['index']}": p for p in codeforces.parse_problem_list(text)}
    p = codeforces.parse_statement("893/E", read(CF / "893E.problemset.reformatted.html"), "u", listing["893/E"])
    record = to_problem(p)
    assert record.meta["rating"] == listing["893/E"]["rating"] and record.meta["tags"] == listing["893/E"]["tags"]


# ---- AtCoder --------------------------------------------------------------------------

def test_atcoder_lang_en_fragment_dp_b():
    p = atcoder.parse_task("dp_b", read(AT / "dp_b.lang-en.html"), "u")
    assert p.samples == [("5 3\n10 30 40 50 20\n", "30\n"), ("3 1\n10 20 10\n", "20\n"), ("2 100\n10 10\n", "0\n"),
                         ("10 4\n40 10 20 70 80 10 20 70 80 60\n", "40\n")]
    assert "2 ≤ N ≤ 10^5" in p.statement and "h_1 h_2 ... h_N" in p.statement  # <var> TeX, also inside <pre>
    assert p.meta["score"] == 100


def test_atcoder_whole_page_abc264_c():
    p = atcoder.parse_task("abc264_c", read(AT / "abc264_c.html"), "u")
    assert (p.title, p.time_s, p.memory_mb) == ("Matrix Reducing", 2.0, 1024.0)
    assert [o for _, o in p.samples] == ["Yes\n", "No\n"]
    # Only the first <pre> of "Sample Output 1" is the output; the rest is explanation.
    assert p.samples[0][0].startswith("4 5\n1 2 3 4 5\n")
    assert "\u3002" not in p.statement  # English only


def test_atcoder_multiple_answers_agc032_a_is_skipped():
    with pytest.raises(Skip, match="several answers"):
        atcoder.parse_task("agc032_a", read(AT / "agc032_a.html"), "u")


def test_atcoder_heuristic_task_ahc053_a_is_skipped():
    with pytest.raises(Skip, match="heuristic"):
        atcoder.parse_task("ahc053_a", read(AT / "ahc053_a.html"), "u")
    # recognised from the page itself (a Scoring section), not only from the contest name
    with pytest.raises(Skip, match="heuristic"):
        atcoder.parse_task("practice/ahc053_a", read(AT / "ahc053_a.html"), "u")


def test_atcoder_limits_in_japanese_header():
    assert atcoder.parse_limits("実行時間制限: 2 sec / メモリ制限: 1024 MiB") == (2.0, 1024.0)
    assert atcoder.parse_limits("Time Limit: 5.25 sec / Memory Limit: 256 MB") == (5.25, 256.0)


def test_atcoder_japanese_only_page_is_skipped():
    html = read(AT / "abc264_c.html")
    start = html.index('<span class="lang-en">')
    with pytest.raises(Skip, match="English"):
        atcoder.parse_task("abc264_c", html[:start] + "</span></div></body></html>", "u")


def test_atcoder_task_list_and_ids():
    html = ('<table><tr><td><a href="/contests/abc042/tasks/abc042_a">A</a></td></tr>'
            '<tr><td><a href="/contests/abc042/tasks/arc058_a">C</a></td></tr></table>')
    assert atcoder.parse_task_list(html, "abc042") == ["abc042_a", "abc042/arc058_a"]
    assert atcoder.split_id("abc042/arc058_a") == ("abc042", "arc058_a")
    assert atcoder.split_id("dp_b") == ("dp", "dp_b")


# ---- AOJ (recorded answers built from the documented API shape: fixtures/judges/aoj/README) ----

def aoj_docs() -> dict:
    d = JUDGES / "aoj"
    return {
        "description": read(d / "descriptions.en.CGL_1_A.json"),
        "samples": read(d / "testcases.samples.CGL_1_A.json"),
        "cases": {str(i): read(d / f"testcases.CGL_1_A.{i}.json") for i in range(1, 5)},
        "omitted_cases": 1,
    }


def test_aoj_samples_match_competitive_companion_and_judge_data_is_hidden():
    p = aoj.parse_problem("CGL_1_A", aoj_docs(), "u")
    assert p.samples == expected_tests("aizu-online-judge/problem/normal.json")
    assert len(p.hidden) == 2  # cases 3 and 4; 1 and 2 repeat the samples
    assert (p.title, p.time_s, p.memory_mb) == ("Projection", 1.0, 128.0)
    assert p.checker == "float:1e-08"  # "an error less than 0.00000001"
    assert p.meta["hidden_omitted"] == 1 and "statement_image" in p.flags
    assert "Sample Input" not in p.statement and "1 ≤ q ≤ 1000" in p.statement


def test_aoj_falls_back_to_statement_samples_and_rejects_truncated_cases():
    docs = aoj_docs()
    docs["samples"] = "[]"
    big = json.loads(docs["cases"]["4"])
    big["in"] = big["in"][:10] + "..... (terminated because of the limitation)"
    docs["cases"]["4"] = json.dumps(big)
    p = aoj.parse_problem("CGL_1_A", docs, "u")
    assert p.samples == expected_tests("aizu-online-judge/problem/normal.json")
    assert len(p.hidden) == 1 and p.meta["hidden_truncated"] == 1


def test_aoj_malformed_answer():
    with pytest.raises(ParseError, match="not JSON"):
        aoj.parse_problem("CGL_1_A", {"description": "<html>502 Bad Gateway</html>"}, "u")


# ---- Kattis -----------------------------------------------------------------------------

def test_kattis_problem_body_table_samples():
    p = kattis.parse_problem_page("mappingtheundercity", read(JUDGES / "kattis/mappingtheundercity.problembody.html"),
                                  None, "u")
    assert p.samples == [("5\n0 1 1 1 2\n1 0 2 2 3\n", "2\n"), ("3\n0 1 1\n1 0 1\n", "0\n")]
    assert "2 ≤ N ≤ 10^6" in p.statement and p.meta["samples_from"] == "statement"


def test_kattis_samples_zip_is_preferred():
    zipped = (JUDGES / "kattis/samples.zip").read_bytes()
    assert kattis.samples_from_zip(zipped) == [("8 4\n1 1 8\n0 2 8\n2 4 6\n0 5 6\n", "1974\n462\n")]
    with pytest.raises(ParseError, match="zip"):
        kattis.samples_from_zip(b"<html>not a zip</html>")


PKGS = JUDGES / "kattis/problem-packages/examples"


def test_kattis_package_secret_tests_and_licence():
    p = kattis.parse_package(PKGS / "oddecho")
    assert p.license == "CC-BY-SA-3.0" and p.title == "Odd Echo"
    assert len(p.samples) == 2 and len(p.hidden) >= 10
    assert p.samples[0] == ((PKGS / "oddecho/data/sample/1.in").read_text(), (PKGS / "oddecho/data/sample/1.ans").read_text())
    assert "Johan Sannemo" in p.attribution and p.meta["scoring"] is True
    assert "1 ≤ N ≤ 10" in p.statement and "\\section" not in p.statement
    hello = kattis.parse_package(PKGS / "hello")
    assert hello.license == "LicenseRef-public-domain" and hello.memory_mb == 512
    assert hello.samples == [] and hello.hidden == [("", "Hello World!\n")]


def test_kattis_package_interactive_and_custom_validator_are_skipped_honestly():
    with pytest.raises(Skip, match="interactive"):
        kattis.parse_package(PKGS / "guess")
    with pytest.raises(Skip, match="custom output validator"):
        kattis.parse_package(PKGS / "different")


def test_kattis_package_float_tolerance_and_bad_yaml(tmp_path):
    import shutil

    pkg = tmp_path / "hello2"
    shutil.copytree(PKGS / "hello", pkg)
    (pkg / "problem.yaml").write_text("name: Hello\nlicense: cc by\nvalidator_flags: float_tolerance 1e-6\n")
    p = kattis.parse_package(pkg)
    assert p.checker == "float:1e-06" and p.license == "CC-BY-3.0"
    (pkg / "problem.yaml").write_text("name: [unclosed\n")
    with pytest.raises(ParseError, match="problem.yaml:.*invalid YAML"):
        kattis.parse_package(pkg)


def test_kattis_packages_from_an_archive(tmp_path):
    import shutil

    archive = shutil.make_archive(str(tmp_path / "pkgs"), "gztar", PKGS.parent)
    with kattis.unpacked(Path(archive)) as root:
        names = [p.name for p in kattis.find_packages(root)]
    assert names == ["different", "guess", "hello", "oddecho"]


# ---- LeetCode ---------------------------------------------------------------------------

def test_leetcode_graphql_question():
    q = leetcode.question_from_graphql(read(JUDGES / "leetcode/find-the-difference.graphql.json"))
    p = leetcode.parse_question("find-the-difference", q, "u")
    assert p.kind == "function" and p.function["name"] == "findTheDifference"
    assert p.function["params"] == [("s", "str"), ("t", "str")] and p.function["returns"] == "str"
    assert p.function_tests == [{"args": "('abcd', 'abcde')", "expected": "'e'", "split": "public"}]


def test_leetcode_saved_2017_page_parses_to_the_same_problem():
    q = leetcode.question_from_page(read(JUDGES / "leetcode/find-the-difference.2017-07.html"))
    p = leetcode.parse_question("find-the-difference", q, "u")
    assert p.title == "Find the Difference" and p.meta["question_id"] == "389"
    assert p.function_tests[0]["expected"] == "'e'"
    assert "def findTheDifference(self, s, t)" in p.meta["starter_code"]


def test_leetcode_locked_problem_is_reported_not_parsed():
    with pytest.raises(Skip, match="locked"):
        leetcode.question_from_page(read(JUDGES / "leetcode/locked.2016-10.html"))
    with pytest.raises(Skip, match="locked"):
        leetcode.parse_question("x", {"isPaidOnly": True, "content": None}, "u")


def test_leetcode_unsupported_shapes_are_skipped():
    q = json.loads(read(JUDGES / "leetcode/find-the-difference.graphql.json"))["data"]["question"]
    tree = dict(q, metaData=json.dumps({"name": "f", "params": [{"name": "root", "type": "TreeNode"}],
                                        "return": {"type": "integer"}}))
    with pytest.raises(Skip, match="TreeNode"):
        leetcode.parse_question("x", tree, "u")
    design = dict(q, metaData=json.dumps({"classname": "LRUCache", "methods": []}))
    with pytest.raises(Skip, match="class-design"):
        leetcode.parse_question("x", design, "u")


def test_leetcode_problem_list_marks_paid():
    data = json.loads(read(JUDGES / "leetcode/problems-list.json"))
    assert len(data["stat_status_pairs"]) == 382 and sum(p["paid_only"] for p in data["stat_status_pairs"]) == 70


# ---- CodeChef (constructed answer of the documented shape: fixtures/judges/codechef/README) ----

def test_codechef_problem_json_samples_match_competitive_companion():
    p = codechef.parse_problem_json("BUS", read(JUDGES / "codechef/api.contests.PRACTICE.problems.BUS.json"), "u")
    assert p.samples == expected_tests("codechef/problem/new-copy-button.json")  # CRLF normalised, deleted one left out
    assert p.title == "Bus full of passengers" and p.time_s == 1.0 and p.memory_mb is None
    assert "1 ≤ Q ≤ 10^4" in p.statement and p.meta["difficulty_rating"] == "1405"


def test_codechef_not_visible_and_broken_answers():
    with pytest.raises(Skip, match="not visible"):
        codechef.parse_problem_json("HIDDEN", read(JUDGES / "codechef/api.not-visible.json"), "u")
    with pytest.raises(ParseError):
        codechef.parse_problem_json("BUS", '{"status": "success", "problem_name": "x"}', "u")


def test_codechef_older_markdown_body():
    body = ("Print the sum of two integers.\n\n### Input\nTwo integers $a$ and $b$.\n\n### Example Input\n"
            "```\n1 2\n```\n\n### Example Output\n```\n3\n```\n")
    p = codechef.parse_problem_json("SUM", json.dumps({"status": "success", "problem_name": "Sum", "body": body}), "u")
    assert p.samples == [("1 2\n", "3\n")] and "Example Input" not in p.statement


# ---- shared -----------------------------------------------------------------------------

def test_contest_ranges():
    assert parse_range("1900-1902,1918") == ["1900", "1901", "1902", "1918"]
    assert parse_range("abc300-abc302") == ["abc300", "abc301", "abc302"]
    with pytest.raises(ValueError):
        parse_range("5-1")
    with pytest.raises(ValueError):
        parse_range("abc; rm -rf")
