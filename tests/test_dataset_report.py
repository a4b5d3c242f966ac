"""`report.html`: nine plots a person can open from curated/<version>/, and `build-sft-set report`."""
from __future__ import annotations

import json
import re
from pathlib import Path

from sftset.dataset.export import is_complete
from sftset.dataset.report import pass_rate, render_report
from sftset.record import Problem

TITLES = ["Problems per source", "Pass rate of the solve filter", "Tests per problem", "Licences", "Drops by reason",
          "Mutation kill rate", "Line coverage", "Tests per split", "Problems per package or site"]  # issue 16 added 4


def records(handwritten_records):
    rows = []
    for i, r in enumerate(handwritten_records * 4):
        row = dict(r, task_id=f"{r['source']}/{i}", source=["codeforces", "ci", "atcoder"][i % 3])
        row["prompt"] = row["prompt"].replace('"""', f'"""Variant {i} of {i * 7} with {i * 13} seeds. ', 1)
        row["filter"] = {"model": "m", "n": 10, "passed": i % 10 + 1} if i % 2 else None
        rows.append(row)
    return rows


def test_export_writes_the_report_with_five_plots(run_cli, jsonl_file, handwritten_records):
    # the records are variants of the same functions: near-identical bodies, which dedup now drops (issue 13)
    Path("sftset.toml").write_text("[dedup]\nnear = false\n")
    assert run_cli("import", jsonl_file("in.jsonl", records(handwritten_records)), "-q").rc == 0
    assert run_cli("export", "--version", "v1", "--license", "MIT", "-q").rc == 0
    page = (Path("curated") / "v1" / "report.html").read_text()
    assert page.startswith("<!DOCTYPE html>") and page.count("<svg") == len(TITLES)
    for title in TITLES:
        assert f"<h2>{title}</h2>" in page
    assert "license: not in the allow-list" in page  # the drop reasons are listed
    assert "4 of 8 problems filtered" in page  # the pass-rate plot says how many have filter results
    assert not re.search(r"<script|<link|<img|src=", page)  # self-contained: nothing fetched
    manifest = json.loads((Path("curated") / "v1" / "manifest.json").read_text())
    assert "report.html" in manifest["files"]
    # the command points at it rather than touching a checksummed file
    shown = run_cli("report", "--version", "v1")
    assert shown.rc == 0 and shown.out.strip() == str(Path("curated") / "v1" / "report.html")


def test_report_command_for_a_version_without_one(run_cli, jsonl_file, handwritten_records):
    assert run_cli("import", jsonl_file("in.jsonl", records(handwritten_records)), "-q").rc == 0
    assert run_cli("export", "--version", "v1", "--no-report", "-q").rc == 0
    version = Path("curated") / "v1"
    assert not (version / "report.html").exists()
    made = run_cli("report")  # latest
    assert made.rc == 0 and made.out.strip() == str(Path("curated") / "latest" / "report.html")
    assert (version / "report.html").read_text().count("<svg") == len(TITLES)
    assert is_complete(version)  # an extra file does not break the version's checksums
    assert run_cli("report", "--output", "elsewhere/r.html").rc == 0
    assert Path("elsewhere/r.html").read_text() == (version / "report.html").read_text()
    missing = run_cli("report", "--version", "nope")
    assert missing.rc == 2 and "not a complete dataset version" in missing.err


def test_same_data_same_bytes_and_empty_versions(handwritten_records):
    problems = [Problem.from_dict(r) for r in records(handwritten_records)]
    a = render_report("v", problems, drops={"dedup: near-duplicate": 2})
    b = render_report("v", list(reversed(problems)), drops={"dedup: near-duplicate": 2})
    assert a == b
    assert re.search(r"<td>problems</td><td>12</td>", a)
    empty = render_report("v", [], drops={})
    assert empty.count("<svg") == len(TITLES) and "no problem in this version has solve-filter results" in empty


def test_pass_rate_prefers_counts_then_pass_at_1(handwritten_records):
    p = Problem.from_dict(handwritten_records[0])
    assert pass_rate(p) is None
    p.filter = {"n": 100, "passed": 25, "pass_at": {"1": 0.3}}
    assert pass_rate(p) == 0.25
    p.filter = {"pass_at": {"1": 0.3}}
    assert pass_rate(p) == 0.3


def test_counts_on_integer_axes_and_test_strength_plots(handwritten_records):
    # issue 16: the pass-rate plot counted problems on a fractional axis (0.5 problems)
    rows = records(handwritten_records)[:3]
    for i, row in enumerate(rows):
        row["source"] = "ci"
        row["provenance"] = dict(row.get("provenance") or {}, package=f"pkg{i % 2}", license="MIT")
        row["meta"] = {"kill_rate": [0.85, 1.0, 0.9][i], "coverage": {"lines": [1.0, 0.75, 0.9][i]}}
        row["tests"] = [dict(t, split=["public", "hidden", "generated"][j % 3]) for j, t in enumerate(row["tests"])]
    page = render_report("v", [Problem.from_dict(r) for r in rows], drops={"dedup: near-duplicate": 1})
    ticks = [float(t) for t in re.findall(r">(-?\d+(?:\.\d+)?)</text>", page)]
    assert ticks and not any(0 < t % 1 < 1 and t > 1 for t in ticks)
    assert "0.5</text>" not in page.split("<h2>Mutation kill rate")[0]  # no half problems before the rate plots
    for title in ("Mutation kill rate of the kept tests (3 CI problems)", "Line coverage of the reference",
                  "Tests per problem, by split (3 problems", "ci: pkg0", "ci: pkg1"):
        assert title in page, title
