"""The polite HTTP layer against a real local server: pacing, Retry-After, retries, robots.txt,
revalidation through the on-disk cache, and challenge pages reported as blocked."""
from __future__ import annotations

import time

import pytest
import requests

from judge_server import JUDGES, JudgeServer
from sftset.scrapers.http import (Blocked, Disallowed, FetchError, Fetcher, HttpSettings, NotFound, challenge_reason,
                                  retry_after_seconds)


def settings(tmp_path, **kw) -> HttpSettings:
    base = dict(contact="tests@example.invalid", cache_path=tmp_path / "http.sqlite", min_interval_s=0.0,
                backoff_s=0.05, max_backoff_s=0.2, retries=3, timeout_s=5)
    base.update(kw)
    return HttpSettings(**base)


@pytest.fixture
def server():
    with JudgeServer() as s:
        s.add("/robots.txt", "User-agent: *\nDisallow: /private/\n\nUser-agent: badbot\nDisallow: /\n",
              content_type="text/plain")
        yield s


def host(server: JudgeServer) -> str:
    return server.url.split("//", 1)[1]


def test_min_interval_per_host_is_measured_on_the_server(server, tmp_path):
    for i in range(5):
        server.add(f"/page/{i}", f"page {i}")
    with Fetcher(settings(tmp_path, host_intervals={host(server): 0.3})) as f:
        for i in range(5):
            f.get(f"{server.url}/page/{i}")
    arrivals = server.times("/page/")
    gaps = [b - a for a, b in zip(arrivals, arrivals[1:])]
    assert len(gaps) == 4
    assert min(gaps) >= 0.29, gaps  # robots.txt came first, so every page waited its turn


def test_cache_hits_do_not_wait_or_touch_the_network(server, tmp_path):
    server.add("/fresh", "x", headers={"Cache-Control": "max-age=3600"})
    with Fetcher(settings(tmp_path, host_intervals={host(server): 0.3})) as f:
        f.get(server.url + "/fresh")
        t0 = time.monotonic()
        for _ in range(3):
            assert f.get(server.url + "/fresh").from_cache
        assert time.monotonic() - t0 < 0.2
    assert server.count("/fresh") == 1


def test_user_agent_names_the_tool_and_contact(server, tmp_path):
    server.add("/ua", "ok")
    with Fetcher(settings(tmp_path)) as f:
        f.get(server.url + "/ua")
    ua = [h.headers["User-Agent"] for h in server.hits if h.path == "/ua"][0]
    assert ua.startswith("build-sft-set/") and "tests@example.invalid" in ua


def test_retry_after_on_429_is_honoured(server, tmp_path):
    server.add("/busy", "finally", script=[{"status": 429, "headers": {"Retry-After": "1"}}])
    with Fetcher(settings(tmp_path)) as f:
        resp = f.get(server.url + "/busy")
    assert resp.text == "finally"
    first, second = server.times("/busy")
    assert second - first >= 0.95


def test_retry_after_as_http_date():
    from email.utils import formatdate

    now = time.time()
    assert 9 <= retry_after_seconds(formatdate(now + 10, usegmt=True), now) <= 10
    assert retry_after_seconds("7") == 7
    assert retry_after_seconds("soon") is None


def test_too_long_retry_after_defers_the_item(server, tmp_path):
    server.add("/later", "x", script=[{"status": 503, "headers": {"Retry-After": "3600"}}])
    with Fetcher(settings(tmp_path, max_retry_after_s=60)) as f, pytest.raises(FetchError, match="deferred"):
        f.get(server.url + "/later")
    assert server.count("/later") == 1


def test_5xx_is_retried_with_backoff_then_succeeds(server, tmp_path):
    server.add("/flaky", "ok", script=[{"status": 502}, {"status": 500}])
    with Fetcher(settings(tmp_path)) as f:
        assert f.get(server.url + "/flaky").text == "ok"
        assert f.stats["retries"] == 2
    assert server.count("/flaky") == 3


def test_5xx_gives_up_after_the_retries(server, tmp_path):
    server.add("/down", "x", status=503)
    with Fetcher(settings(tmp_path, retries=2)) as f, pytest.raises(FetchError, match="HTTP 503 after 3 tries"):
        f.get(server.url + "/down")
    assert server.count("/down") == 3


def test_404_is_not_found_and_not_retried(server, tmp_path):
    with Fetcher(settings(tmp_path)) as f, pytest.raises(NotFound):
        f.get(server.url + "/nothing-here")
    assert server.count("/nothing-here") == 1


def test_robots_disallow_is_respected_without_a_request(server, tmp_path):
    server.add("/private/secret", "no")
    with Fetcher(settings(tmp_path)) as f:
        with pytest.raises(Disallowed):
            f.get(server.url + "/private/secret")
        f.get(server.url + "/robots.txt")
    assert server.count("/private/secret") == 0


def test_robots_rules_for_our_agent(tmp_path):
    with JudgeServer() as other:
        other.add("/robots.txt", "User-agent: build-sft-set\nDisallow: /\n\nUser-agent: *\nAllow: /\n",
                  content_type="text/plain")
        other.add("/page", "x")
        with Fetcher(settings(tmp_path)) as f, pytest.raises(Disallowed):
            f.get(other.url + "/page")
        assert other.count("/page") == 0


def test_robots_crawl_delay_raises_the_interval(tmp_path):
    with JudgeServer() as s:
        s.add("/robots.txt", "User-agent: *\nCrawl-delay: 1\n", content_type="text/plain")
        s.add("/a", "a")
        s.add("/b", "b")
        with Fetcher(settings(tmp_path, min_interval_s=0.0)) as f:
            f.get(s.url + "/a")
            f.get(s.url + "/b")
        (a,), (b,) = s.times("/a"), s.times("/b")
        assert b - a >= 0.95


def test_missing_robots_allows_and_failing_robots_blocks(tmp_path):
    with JudgeServer() as s:  # no /robots.txt route: 404 means no restrictions (RFC 9309)
        s.add("/ok", "fine")
        with Fetcher(settings(tmp_path)) as f:
            assert f.get(s.url + "/ok").text == "fine"
    with JudgeServer() as s:  # robots.txt answers 500: assume everything disallowed, retry next run
        s.add("/robots.txt", "oops", status=500)
        s.add("/ok", "fine")
        with Fetcher(settings(tmp_path / "2")) as f, pytest.raises(Blocked, match="robots.txt"):
            f.get(s.url + "/ok")
        assert s.count("/ok") == 0


def test_etag_revalidation_downloads_nothing_unchanged(server, tmp_path):
    page = (JUDGES / "codeforces" / "1918A.html").read_bytes()
    server.add("/etag", page, etag='"v1"')
    server.add("/lastmod", page, last_modified=1_700_000_000)
    with Fetcher(settings(tmp_path)) as f:
        for path in ("/etag", "/lastmod"):
            first = f.get(server.url + path)
            assert not first.from_cache and first.content == page
    # A later run (a new process, the same cache file) revalidates: 304, no body on the wire.
    with Fetcher(settings(tmp_path)) as f:
        for path in ("/etag", "/lastmod"):
            again = f.get(server.url + path)
            assert again.from_cache and again.content == page
        assert f.stats["revalidated"] == 2 and f.stats["downloaded"] == 0
    hits = [h for h in server.hits if h.path in ("/etag", "/lastmod")]
    assert [h.status for h in hits] == [200, 200, 304, 304]
    assert hits[2].headers.get("If-None-Match") == '"v1"'
    assert "If-Modified-Since" in hits[3].headers
    assert sum(h.body_bytes for h in hits[2:]) == 0


def test_changed_page_is_downloaded_again(server, tmp_path):
    route = server.add("/changing", "old", etag='"1"')
    with Fetcher(settings(tmp_path)) as f:
        assert f.get(server.url + "/changing").text == "old"
        route.body, route.etag = b"new", '"2"'
        assert f.get(server.url + "/changing").text == "new"


@pytest.mark.parametrize("page", ["js_challenge_10_04_2019.html", "js_challenge_02_11_2021.html"])
@pytest.mark.parametrize("status", [503, 403, 200])
def test_cloudflare_challenge_is_blocked_never_parsed(server, tmp_path, page, status):
    server.add_file("/problem", f"cloudflare/{page}", status=status, headers={"Server": "cloudflare"})
    with Fetcher(settings(tmp_path)) as f, pytest.raises(Blocked) as info:
        f.get(server.url + "/problem")
    assert "challenge" in info.value.reason
    assert server.count("/problem") == 1  # no retries against a challenge


def test_403_is_blocked(server, tmp_path):
    server.add("/forbidden", "go away", status=403)
    with Fetcher(settings(tmp_path)) as f, pytest.raises(Blocked, match="HTTP 403"):
        f.get(server.url + "/forbidden")


def test_cf_mitigated_header_is_a_challenge(server, tmp_path):
    server.add("/managed", "<html></html>", status=403, headers={"cf-mitigated": "challenge"})
    with Fetcher(settings(tmp_path)) as f, pytest.raises(Blocked, match="cf-mitigated"):
        f.get(server.url + "/managed")


@pytest.mark.parametrize("page", ["codeforces/1918A.html", "codeforces/893E.problemset.reformatted.html",
                                  "codeforces/100D.html", "atcoder/ahc053_a.html",
                                  "leetcode/find-the-difference.2017-07.html"])
def test_real_pages_are_not_mistaken_for_challenges(page):
    # Cloudflare injects its challenge-platform script into ordinary pages (1918A has it).
    resp = requests.models.Response()
    resp._content = (JUDGES / page).read_bytes()
    resp.headers["Content-Type"] = "text/html; charset=utf-8"
    assert challenge_reason(resp) is None


def test_connection_refused_is_a_fetch_error(tmp_path):
    with JudgeServer() as s:
        url = s.url
    with Fetcher(settings(tmp_path, retries=1, respect_robots=False)) as f, pytest.raises(FetchError, match="connection"):
        f.get(url + "/x")


def test_post_is_cached_by_body(server, tmp_path):
    server.add("/graphql", '{"data": 1}', content_type="application/json", etag='"g"')
    with Fetcher(settings(tmp_path)) as f:
        f.post_json(server.url + "/graphql", {"q": 1})
        f.post_json(server.url + "/graphql", {"q": 2})
        assert f.post_json(server.url + "/graphql", {"q": 1}).from_cache
