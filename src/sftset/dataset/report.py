"""`report.html`: one self-contained page a person can open from `curated/<version>/`.

Plots (SVG, embedded): problems per source, pass rates of the solve filter, tests per problem,
licences and drops by reason, then what a trainer checks of test strength: mutation kill rate and
line coverage of the CI problems, tests per split (public, hidden, generated) and problems per
package or site; then the numbers behind them. Axes that count have integer ticks. The page depends only on the
version's records and manifest figures, so the same version gives the same bytes.
"""
from __future__ import annotations

import html
import io
import re
from collections import Counter
from typing import Any, Sequence

from .. import __version__
from ..record import Problem


def _figure(width: float = 6.4, height: float = 3.2):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100, layout="constrained")
    return fig, fig.add_subplot()


def _integer_axis(axis) -> None:
    """Counts are whole: no 0.5-problem ticks."""
    from matplotlib.ticker import MaxNLocator

    axis.set_major_locator(MaxNLocator(integer=True))


def _svg(fig) -> str:
    import matplotlib

    buf = io.StringIO()
    # a fixed salt and no date, so that the same data gives the same bytes; text stays text (searchable, small)
    with matplotlib.rc_context({"svg.hashsalt": "sftset", "svg.fonttype": "none"}):
        fig.savefig(buf, format="svg", metadata={"Date": None})
    text = buf.getvalue()
    text = re.sub(r"\s*<metadata>.*?</metadata>", "", text, flags=re.S)  # RDF boilerplate, not needed inline
    return text[text.index("<svg"):]


def _bars(counts: dict[str, int], title: str, xlabel: str, horizontal: bool = False) -> str:
    items = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:30]
    height = max(2.4, 0.32 * len(items) + 1.0) if horizontal else 3.2
    fig, ax = _figure(6.4 if not horizontal else 8.0, height)
    labels = [k if len(k) <= 60 else k[:57] + "..." for k, _ in items]
    values = [v for _, v in items]
    if not items:
        ax.text(0.5, 0.5, "nothing to show", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
    elif horizontal:
        ax.barh(range(len(values)), values, color="#c0504d")
        ax.set_yticks(range(len(values)), labels, fontsize=8)
        ax.invert_yaxis()
        ax.set_xlabel(xlabel)
        _integer_axis(ax.xaxis)
    else:
        ax.bar(range(len(values)), values, color="#4f81bd")
        ax.set_xticks(range(len(values)), labels, rotation=30, ha="right", fontsize=8)
        ax.set_ylabel(xlabel)
        _integer_axis(ax.yaxis)
    ax.set_title(title)
    return _svg(fig)


def _histogram(values, title: str, xlabel: str, bins, empty: str, labels: Sequence[str] | None = None,
               integer_x: bool = False) -> str:
    """One distribution, or several side by side (`values` a list of lists, one per label)."""
    fig, ax = _figure()
    if labels is not None and any(values):
        ax.hist(values, bins=bins, label=list(labels), color=["#4f81bd", "#c0504d", "#9bbb59"][:len(labels)])
        ax.legend(fontsize=8)
    elif labels is None and values:
        ax.hist(values, bins=bins, color="#9bbb59", edgecolor="white")
    if (labels is not None and any(values)) or (labels is None and values):
        ax.set_xlabel(xlabel)
        ax.set_ylabel("problems")
        _integer_axis(ax.yaxis)
        if integer_x:
            _integer_axis(ax.xaxis)
    else:
        ax.text(0.5, 0.5, empty, ha="center", va="center", transform=ax.transAxes, wrap=True)
        ax.set_axis_off()
    ax.set_title(title)
    return _svg(fig)


def pass_rate(p: Problem) -> float | None:
    """The solve filter's pass rate: passed / n, else its pass@1."""
    f = p.filter or {}
    passed, n = f.get("passed"), f.get("n")
    if isinstance(passed, (int, float)) and isinstance(n, (int, float)) and n > 0:
        return float(passed) / float(n)
    p1 = (f.get("pass_at") or {}).get("1")
    return float(p1) if isinstance(p1, (int, float)) else None


def test_count(p: Problem) -> int:
    return len(p.tests) if p.tests else p.test.count("assert")


test_count.__test__ = False  # not a pytest test

SPLITS = ("public", "hidden", "generated")


def split_counts(p: Problem) -> dict[str, int]:
    counts = dict.fromkeys(SPLITS, 0)
    for case in p.tests:
        split = case.get("split", "public")
        counts[split if split in counts else "hidden"] += 1
    return counts


def _meta_number(p: Problem, key: str, inner: str | None = None) -> float | None:
    value = p.meta.get(key)
    if inner is not None:
        value = value.get(inner) if isinstance(value, dict) else None
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def origin(p: Problem) -> str:
    """The package a CI problem was mined from, or the site (source) of any other problem."""
    package = p.provenance.get("package")
    return f"{p.source}: {package}" if isinstance(package, str) and package else p.source


def _table(rows: Sequence[tuple[Any, ...]], header: Sequence[str]) -> str:
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def render_report(version: str, problems: Sequence[Problem], *, drops: dict[str, int],
                  assembly: dict[str, Any] | None = None, changelog: dict[str, Any] | None = None) -> str:
    per_source = Counter(p.source for p in problems)
    licences = Counter(str(p.provenance.get("license") or "unknown") for p in problems)
    rates = [r for r in (pass_rate(p) for p in problems) if r is not None]
    tests = [test_count(p) for p in problems]
    max_tests = max(tests, default=1)
    test_bins = list(range(0, max_tests + 2)) if max_tests <= 40 else 40
    ci = [p for p in problems if p.source == "ci"]
    kills = [k for k in (_meta_number(p, "kill_rate") for p in ci) if k is not None]
    coverage = [c for c in (_meta_number(p, "coverage", "lines") for p in ci) if c is not None]
    with_cases = [split_counts(p) for p in problems if p.tests]
    per_split = [[c[s] for c in with_cases] for s in SPLITS]
    max_split = max((max(v) for v in per_split if v), default=1)
    split_bins = list(range(0, max_split + 2)) if max_split <= 40 else 40
    fractions = [i / 20 for i in range(21)]
    plots = [
        ("Problems per source", _bars(dict(per_source), "Problems per source", "problems")),
        ("Pass rate of the solve filter", _histogram(
            rates, f"Pass rate of sampled solutions ({len(rates)} of {len(problems)} problems filtered)",
            "fraction of samples that passed", [i / 20 for i in range(21)],
            "no problem in this version has solve-filter results")),
        ("Tests per problem", _histogram(tests, "Tests per problem", "test cases", test_bins, "no problems",
                                         integer_x=True)),
        ("Licences", _bars(dict(licences), "Licences (SPDX)", "problems")),
        ("Drops by reason", _bars(dict(drops), "Problems left out, by reason", "problems", horizontal=True)),
        ("Mutation kill rate", _histogram(
            kills, f"Mutation kill rate of the kept tests ({len(kills)} CI problems)",
            "fraction of mutants the tests kill", fractions, "no CI problem with a measured kill rate")),
        ("Line coverage", _histogram(
            coverage, f"Line coverage of the reference by its tests ({len(coverage)} CI problems)",
            "fraction of the body's lines run", fractions, "no CI problem with measured coverage")),
        ("Tests per split", _histogram(
            per_split, f"Tests per problem, by split ({len(with_cases)} problems with structured tests)",
            "test cases in the split", split_bins, "no problem with structured tests", labels=SPLITS,
            integer_x=True)),
        ("Problems per package or site", _bars(dict(Counter(origin(p) for p in problems)),
                                               "Problems per package (CI) or site", "problems", horizontal=True)),
    ]
    sections = []
    for title, svg in plots:
        sections.append(f'<section><h2>{html.escape(title)}</h2><div class="plot">{svg}</div></section>')
    figures = [("problems", len(problems)), ("sources", len(per_source)), ("test cases", sum(tests)),
               ("left out", sum(drops.values()))]
    if changelog and changelog.get("previous"):
        figures += [(f"{k} since {changelog['previous']}", changelog.get(k, 0)) for k in ("added", "removed", "changed")]
    elif changelog:
        figures += [("first version: nothing to compare with", "")]
    detail = [_table(figures, ("", "count"))]
    if drops:
        detail.append("<h3>Drops by reason</h3>" + _table(sorted(drops.items(), key=lambda kv: (-kv[1], kv[0])),
                                                          ("reason", "problems")))
    if assembly:
        bench = (assembly.get("decontam") or {}).get("benchmarks") or []
        if bench:
            detail.append("<h3>Decontamination checked against</h3>" + _table(
                [(b.get("benchmark"), b.get("items"), b.get("from")) for b in bench], ("benchmark", "items", "from")))
    style = ("body{font-family:sans-serif;max-width:60em;margin:2em auto;color:#222}"
             "table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:.2em .6em;text-align:left}"
             ".plot svg{max-width:100%;height:auto}h2{margin-top:1.5em}")
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>build-sft-set {html.escape(version)}</title><style>{style}</style></head><body>"
        f"<h1>Dataset {html.escape(version)}</h1>"
        f"<p>Made by build-sft-set {html.escape(__version__)}. Files, checksums and settings are in "
        "<code>manifest.json</code>; each dropped problem and its reason in <code>drops.jsonl</code>.</p>"
        + "".join(detail) + "".join(sections) + "</body></html>\n"
    )
