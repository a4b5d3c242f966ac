"""`build-sft-set scrape` and `--source contests` end to end: the real HTTP layer against a local
server on 127.0.0.1 serving the saved pages, records and verdicts in a real SQLite state store."""
from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from judge_server import JUDGES, JudgeServer, judge_routes
from sftset.record import Problem
from sftset.store import StateStore

CF_IDS = ["25/A", "100/D", "893/E", "1918/A", "1950/F"]


@pytest.fixture
def judge():
    with JudgeServer() as server:
        judge_routes(server)
        yield server


def write_config(workdir: Path, server: JudgeServer, *, interval: float | None = 0.01, extra: str = "") -> None:
    (workdir / "sftset.toml").write_text(
        '[scrape]\ncontact = "tests@example.invalid"\ncache = "http-cache.sqlite"\nbackoff_s = 0.05\n'
        'retries = 2\nsources = "sources.toml"\n')
    url = server.url
    gap = f"min_interval_s = {interval}\n" if interval is not None else ""
    (workdir / "sources.toml").write_text(
        f'[codeforces]\nbase_url = "{url}"\napi_url = "{url}/api"\n{gap}'
        f'[atcoder]\nbase_url = "{url}"\n{gap}'
        f'[aoj]\napi_url = "{url}"\ndat_url = "{url}"\nbase_url = "{url}"\n{gap}'
        f'[kattis]\nbase_url = "{url}"\n{gap}'
        f'[leetcode]\nenabled = false\nbase_url = "{url}"\n{gap}'
        f'[codechef]\nenabled = false\nbase_url = "{url}"\n{gap}' + extra)


def verdicts(workdir: Path) -> dict[str, tuple[str, str]]:
    with StateStore(workdir / "curated" / "state.sqlite") as store:
        return {t: (v["scrape"]["status"], v["scrape"]["reason"]) for t, v in store.verdicts("scrape").items()}


def stored(workdir: Path) -> dict[str, Problem]:
    with StateStore(workdir / "curated" / "state.sqlite") as store:
        return {p.task_id: p for p in store.problems()}


def test_scrape_codeforces_blocked_broken_resume_and_refresh(judge, workdir, run_cli):
    write_config(workdir, judge)
    page = (JUDGES / "codeforces/1918A.html").read_text(encoding="utf-8")
    judge.add_file("/problemset/problem/1/A?locale=en", "cloudflare/js_challenge_10_04_2019.html", status=503,
                   headers={"Server": "cloudflare"})
    truncated = page[: page.index('<div class="sample-tests">')]
    judge.add("/problemset/problem/2/A?locale=en", page, etag='"2a"', script=[{"body": truncated}])
    ids = CF_IDS + ["1/A", "2/A"]

    res = run_cli("scrape", "codeforces", "--ids", *ids)
    assert res.rc == 1, res.err  # one problem failed to parse; the others are stored
    v = verdicts(workdir)
    assert {t for t, (s, _) in v.items() if s == "stored"} == {f"codeforces/{i}" for i in CF_IDS}
    assert v["codeforces/1/A"][0] == "blocked" and "challenge" in v["codeforces/1/A"][1]
    assert v["codeforces/2/A"][0] == "error" and "ParseError" in v["codeforces/2/A"][1]
    assert "codeforces/2/A" in res.err and "blocked" in res.err
    problems = stored(workdir)
    assert len(problems) == 5
    for p in problems.values():  # every record passes validation and renders a check
        assert Problem.from_dict(p.to_dict()).test.startswith("def _sftset_out_same")
    assert problems["codeforces/25/A"].tests[0] == {"input": "5\n2 4 7 8 10\n", "output": "3\n", "split": "public"}

    # A second run: stored problems are not fetched again; blocked and broken ones are retried.
    res = run_cli("scrape", "codeforces", "--ids", *ids)
    assert res.rc == 0, res.err  # 2/A parses now; 1/A is still blocked (reported, not a failure)
    assert all(judge.count(f"/problemset/problem/{i}?locale=en") == 1 for i in CF_IDS)
    assert judge.count("/problemset/problem/1/A?locale=en") == 2
    assert verdicts(workdir)["codeforces/2/A"][0] == "stored"
    assert verdicts(workdir)["codeforces/1/A"][0] == "blocked"

    # A refresh fetches again with conditional requests: unchanged pages come back as 304.
    res = run_cli("scrape", "codeforces", "--ids", *CF_IDS, "--refresh", "-v")
    assert res.rc == 0, res.err
    refreshed = [h for h in judge.hits if h.path.startswith("/problemset/problem/") and h.path != "/problemset/problem/1/A?locale=en"]
    last = refreshed[-5:]
    assert [h.status for h in last] == [304] * 5 and sum(h.body_bytes for h in last) == 0
    assert "5 revalidated unchanged" in res.err and "0 downloaded" in res.err
    assert "5 unchanged" in res.err and len(stored(workdir)) == 6


def test_codeforces_default_interval_holds(judge, workdir, run_cli):
    write_config(workdir, judge, interval=None)  # Codeforces' own 2 s between requests
    res = run_cli("scrape", "codeforces", "--ids", "25/A", "100/D")
    assert res.rc == 0, res.err
    arrivals = judge.times("/robots.txt") + judge.times("/problemset/")
    gaps = [b - a for a, b in zip(arrivals, arrivals[1:])]
    assert len(gaps) == 2 and min(gaps) >= 1.99, gaps


def test_contest_listing_skips_interactive_without_fetching(judge, workdir, run_cli):
    write_config(workdir, judge)
    res = run_cli("scrape", "codeforces", "--contests", "1634")
    v = verdicts(workdir)
    interactive = {t for t, (s, r) in v.items() if s == "skipped" and "interactive" in r}
    assert interactive == {"codeforces/1634/D"} and len(v) == 6
    assert judge.count("/problemset/problem/1634/D?locale=en") == 0
    assert res.rc == 1 and all(s == "error" for t, (s, _) in v.items() if t not in interactive)  # no pages saved
    assert judge.count("/api/problemset.problems") == 1


@pytest.mark.parametrize("site,ids,expect", [
    ("atcoder", ["abc264_c", "agc032_a", "ahc053_a", "dp_b"],
     {"atcoder/abc264_c": "stored", "atcoder/agc032_a": "skipped", "atcoder/ahc053_a": "skipped",
      "atcoder/dp_b": "stored"}),
    ("aoj", ["CGL_1_A"], {"aoj/CGL_1_A": "stored"}),
    ("kattis", ["mappingtheundercity", "nosuchproblem"],
     {"kattis/mappingtheundercity": "stored", "kattis/nosuchproblem": "error"}),
    ("leetcode", ["find-the-difference"], {"leetcode/find-the-difference": "stored"}),
    ("codechef", ["BUS", "HIDDEN"], {"codechef/BUS": "stored", "codechef/HIDDEN": "skipped"}),
])
def test_each_site_end_to_end(judge, workdir, run_cli, site, ids, expect):
    write_config(workdir, judge)
    res = run_cli("scrape", site, "--ids", *ids)
    assert {t: s for t, (s, _) in verdicts(workdir).items()} == expect
    assert res.rc == (1 if "error" in expect.values() else 0), res.err
    for p in stored(workdir).values():
        Problem.from_dict(p.to_dict())
    if site == "aoj":
        p = stored(workdir)["aoj/CGL_1_A"]
        assert p.meta["tests"] == {"public": 2, "hidden": 2, "generated": 0} and p.checker == "float:1e-08"
        assert judge.count("/testcases/CGL_1_A/5") == 0  # over max_case_bytes: never downloaded
    if site == "kattis":
        p = stored(workdir)["kattis/mappingtheundercity"]
        assert p.meta["samples_from"] == "samples.zip"
    if site == "leetcode":
        assert [h.method for h in judge.hits if h.path == "/graphql"] == ["POST"]


def test_local_datasets_and_packages(workdir, run_cli):
    datasets = Path(__file__).parent / "fixtures" / "datasets"
    assert run_cli("scrape", "apps", "--from", datasets / "apps").rc == 0
    assert run_cli("scrape", "taco", "--from", datasets / "taco", "--limit", "2").rc == 0
    assert run_cli("scrape", "code_contests", "--from", datasets / "code_contests").rc == 0
    assert run_cli("scrape", "kattis", "--from", JUDGES / "kattis/problem-packages").rc == 0
    v = verdicts(workdir)
    assert v["kattis/guess"] == ("skipped", "interactive problem")
    assert v["kattis/different"][0] == "skipped" and v["kattis/oddecho"][0] == "stored"
    assert sum(1 for t in v if t.startswith("taco/")) == 2
    problems = stored(workdir)
    assert problems["apps/train/0001"].canonical_solution and problems["kattis/oddecho"].provenance["license"] == "CC-BY-SA-3.0"
    again = run_cli("scrape", "apps", "--from", datasets / "apps")
    assert again.rc == 0 and "5 already done" in again.err


def test_usage_errors(workdir, run_cli, judge):
    write_config(workdir, judge)
    res = run_cli("scrape", "apps")
    assert res.rc == 2 and "give --from PATH" in res.err
    res = run_cli("scrape", "aoj", "--contests", "1-2")
    assert res.rc == 2 and "--contests" in res.err
    (workdir / "bad.toml").write_text('[codeforces]\nbase_url = "ftp://nope"\n')
    res = run_cli("scrape", "codeforces", "--ids", "25/A", "--sources", "bad.toml")
    assert res.rc == 2 and "bad.toml:2: codeforces.base_url: must be an http(s) URL" in res.err
    (workdir / "bad.toml").write_text('[codeforce]\nids = ["1/A"]\n')
    res = run_cli("scrape", "codeforces", "--sources", "bad.toml")
    assert res.rc == 2 and "bad.toml:1: codeforce: unknown site" in res.err
    res = run_cli("scrape", "apps", "--from", workdir / "missing")
    assert res.rc == 2 and "no such file" in res.err


def test_killed_run_resumes_without_duplicates(judge, workdir, run_cli):
    write_config(workdir, judge)
    ids = [f"{c}/A" for c in range(3000, 3008)]
    for i in ids:  # slow pages, so the kill lands mid-run
        judge.add_file(f"/problemset/problem/{i}?locale=en", "codeforces/25A.statement.html", delay_s=0.3)
    env = {k: v for k, v in os.environ.items() if k != "SFTSET_CONFIG"}
    proc = subprocess.Popen([sys.executable, "-m", "sftset", "scrape", "codeforces", "--ids", *ids, "-q"],
                            cwd=workdir, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    state = workdir / "curated" / "state.sqlite"
    deadline = time.monotonic() + 60
    done_before = 0
    try:
        while time.monotonic() < deadline and done_before < 3:
            time.sleep(0.05)
            if state.exists():
                try:
                    with sqlite3.connect(state, timeout=5) as db:
                        done_before = db.execute("SELECT COUNT(*) FROM verdicts WHERE status='stored'").fetchone()[0]
                except sqlite3.OperationalError:
                    pass
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    assert 3 <= done_before < len(ids), "the run was not killed midway"
    before = {t for t, (s, _) in verdicts(workdir).items() if s == "stored"}

    res = run_cli("scrape", "codeforces", "--ids", *ids)
    assert res.rc == 0, res.err
    with StateStore(state) as store:
        rows = store.db.execute("SELECT task_id, COUNT(*) FROM problems GROUP BY task_id").fetchall()
    assert sorted(t for t, _ in rows) == sorted(f"codeforces/{i}" for i in ids) and all(n == 1 for _, n in rows)
    for task in before:  # what was stored before the kill was not fetched again
        assert judge.count(f"/problemset/problem/{task.split('/', 1)[1]}?locale=en") == 1
    assert f"{len(before)} already done" in res.err


def test_pipeline_source_contests(judge, workdir, run_cli):
    datasets = Path(__file__).parent / "fixtures" / "datasets"
    write_config(workdir, judge, extra=f'[apps]\npath = "{datasets / "apps"}"\n')
    sources = (workdir / "sources.toml").read_text()
    # the default run: a few of each site, as in scrapers/sources.toml
    sources = sources.replace('[atcoder]\n', '[atcoder]\nids = ["abc264_c", "dp_b"]\n', 1)
    sources = sources.replace("[codeforces]\n", '[codeforces]\nids = ["25/A", "1918/A"]\n', 1)
    sources = sources.replace("[aoj]\n", '[aoj]\nids = ["CGL_1_A"]\n', 1)
    sources = sources.replace("[kattis]\n", '[kattis]\nids = ["mappingtheundercity"]\n', 1)
    (workdir / "sources.toml").write_text(sources)
    res = run_cli("--source", "contests")
    assert res.rc == 0, res.err
    v = verdicts(workdir)
    assert sorted(t for t, (s, _) in v.items() if s == "stored") == [
        "aoj/CGL_1_A", "apps/train/0001", "apps/train/0111", "apps/train/2404", "apps/train/4184",
        "atcoder/abc264_c", "atcoder/dp_b", "codeforces/1918/A", "codeforces/25/A", "kattis/mappingtheundercity"]
    with StateStore(workdir / "curated" / "state.sqlite") as store:
        run = store.runs()[-1]
    scrape = run["stats"]["scrape"]
    assert scrape["failures"] == 0 and scrape["sites"]["codeforces"]["added"] == 2
    manifest = json.loads((workdir / "curated" / "latest" / "manifest.json").read_text())
    assert manifest  # exported; scraped problems wait for the filter to find a reference solution
    # a scheduled rerun does no new work
    res = run_cli("--source", "contests")
    assert res.rc == 0
    with StateStore(workdir / "curated" / "state.sqlite") as store:
        again = store.runs()[-1]["stats"]["scrape"]["sites"]
    assert all(s.get("added", 0) == 0 and s.get("already_done", 0) == s.get("seen", 0) for s in again.values())


def test_listing_from_the_sites_own_indexes(judge, workdir, run_cli):
    write_config(workdir, judge)
    res = run_cli("scrape", "leetcode", "--limit", "4")  # /api/problems/algorithms/, then GraphQL per slug
    v = verdicts(workdir)
    assert len(v) == 4 and {s for s, _ in v.values()} <= {"stored", "skipped"}
    assert all("locked" in r for s, r in v.values() if s == "skipped")
    assert res.rc == 0, res.err
    res = run_cli("scrape", "aoj", "--limit", "2")  # /problems?page=0&size=2: CGL_1_A is served, CGL_1_B is not
    v = verdicts(workdir)
    assert v["aoj/CGL_1_A"][0] == "stored" and v["aoj/CGL_1_B"][0] == "error" and res.rc == 1
    res = run_cli("scrape", "kattis")  # no ids in this sources.toml and Kattis has no list API
    assert res.rc == 2 and "give ids" in res.err
