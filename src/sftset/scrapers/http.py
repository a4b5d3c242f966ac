"""The polite HTTP layer every site shares.

What a careful engineer would let run from cron against real judges:

- a descriptive User-Agent with a contact address (from config);
- a minimum interval between requests to the same host (Codeforces' API asks for one call
  per 2 seconds), enforced in the transport adapter so that cache hits cost nothing, and
  raised to a host's `Crawl-delay` when its robots.txt asks for more;
- robots.txt honoured (urllib.robotparser, RFC 9309 rules for a missing or failing file);
- retries with exponential backoff on 429/5xx and connection errors, honouring Retry-After
  (a Retry-After longer than `max_retry_after_s` is not waited out: the item is deferred);
- timeouts on every request;
- an on-disk HTTP cache (requests-cache, SQLite) that stores responses with their ETag /
  Last-Modified and revalidates them, so a refresh downloads nothing that did not change;
- a Cloudflare (or other) challenge page, or a 401/403, raises `Blocked` at the first answer
  (never retried): the caller records the item as blocked and retries it on the next run.
  Challenges are never solved or bypassed;
- a host that cannot be reached at all (connection refused, DNS, timeouts after the retries)
  raises `Unreachable`, and every later request to that host in the same run fails at once
  with the same reason, so an offline run costs one set of retries per host, not per problem.
"""
from __future__ import annotations

import email.utils
import random
import threading
import time
import urllib.robotparser
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urlsplit

import requests
import requests_cache
from requests.adapters import HTTPAdapter

from .. import __version__
from ..progress import log

DEFAULT_CONTACT = "set [scrape] contact in sftset.toml"
CHALLENGE_MARKERS = (
    # Cloudflare interstitials (both saved generations), plus DDoS-Guard and Incapsula. Not the
    # `challenge-platform` script: Cloudflare injects it into ordinary pages too.
    "<title>just a moment...</title>",
    "<title>please wait... | cloudflare</title>",
    "<title>attention required! | cloudflare</title>",
    'id="challenge-form"',
    "cf-browser-verification",
    "cf_chl_opt",
    "cf-please-wait",
    "ddos-guard",
    "_incapsula_resource",
)
# Cloudflare Bot Fight Mode: the refusal page carries only this script. Cloudflare also injects it
# into ordinary 200 pages (saved copies of such pages are common), so it counts only on a 4xx/5xx.
BOT_FIGHT_SCRIPT = "/cdn-cgi/bm/cv/"
CHALLENGE_STATUSES = (403, 429, 503)


class FetchError(Exception):
    """The request failed after retries (network, 5xx, 404, ...): the item is retried next run."""

    def __init__(self, url: str, reason: str, status: int | None = None):
        super().__init__(f"{url}: {reason}")
        self.url, self.reason, self.status = url, reason, status


class NotFound(FetchError):
    """HTTP 404/410."""


class Blocked(Exception):
    """The site refused us (challenge page, 401/403, robots.txt). Reported, never bypassed."""

    def __init__(self, url: str, reason: str):
        super().__init__(f"{url}: blocked ({reason})")
        self.url, self.reason = url, reason


class Unreachable(FetchError):
    """The host could not be reached (connection failed, timed out): its own verdict, not a block."""


class Disallowed(Blocked):
    """robots.txt disallows the URL for our user agent."""


@dataclass
class HttpSettings:
    contact: str = DEFAULT_CONTACT
    user_agent: str = ""  # built from the contact when empty
    cache_path: Path | None = None  # None: no on-disk cache (memory only)
    min_interval_s: float = 1.0  # default per host
    host_intervals: dict[str, float] = field(default_factory=dict)  # host (netloc) -> seconds
    timeout_s: float = 30.0
    retries: int = 4
    backoff_s: float = 2.0
    max_backoff_s: float = 120.0
    max_retry_after_s: float = 600.0
    respect_robots: bool = True
    expire_after_s: int = 0  # 0: revalidate every cached response with the server

    def agent(self) -> str:
        return self.user_agent or f"build-sft-set/{__version__} (dataset builder; contact: {self.contact})"


def _looks_html(resp: requests.Response) -> bool:
    if "html" in resp.headers.get("Content-Type", "").lower():
        return True
    return resp.content[:200].lstrip().lower().startswith((b"<!doctype", b"<html"))


def challenge_reason(resp: requests.Response) -> str | None:
    """Why this response is a challenge page rather than content, or None.

    The whole body is searched: real challenge pages pad their markers with hundreds of KB of
    inline CSS and images. A 403/429/503 HTML answer from Cloudflare is a challenge whatever its
    layout (new layouts appear every year), and so is one that carries the Bot Fight Mode script.
    """
    if resp.headers.get("cf-mitigated", "").lower() == "challenge":
        return "Cloudflare challenge (cf-mitigated header)"
    if not _looks_html(resp):
        return None
    server = resp.headers.get("Server", "")
    body = resp.content.decode("utf-8", "replace").lower()
    for marker in CHALLENGE_MARKERS:
        if marker in body:
            return f"challenge page ({marker.strip('<>')}{', server ' + server if server else ''})"
    if resp.status_code in CHALLENGE_STATUSES:
        if "cloudflare" in server.lower():
            return f"Cloudflare challenge (HTTP {resp.status_code} HTML answer, server {server})"
        if BOT_FIGHT_SCRIPT in body:
            return f"Cloudflare Bot Fight Mode page (HTTP {resp.status_code})"
    return None


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """Retry-After as seconds: either delta-seconds or an HTTP-date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    now_dt = datetime.fromtimestamp(now if now is not None else time.time(), timezone.utc)
    return max(0.0, (when - now_dt).total_seconds())


class HostLimiter:
    """Minimum interval between the starts of two requests to the same host."""

    def __init__(self, default_s: float, per_host: dict[str, float], clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep):
        self.default_s = default_s
        self.per_host = dict(per_host)
        self.clock, self.sleep = clock, sleep
        self._last: dict[str, float] = {}
        self._lock = threading.Lock()
        self.waited_s = 0.0

    def interval(self, host: str) -> float:
        return self.per_host.get(host, self.default_s)

    def raise_interval(self, host: str, seconds: float) -> None:
        if seconds > self.interval(host):
            self.per_host[host] = seconds

    def wait(self, host: str) -> None:
        with self._lock:
            last = self._last.get(host)
            if last is not None:
                delay = last + self.interval(host) - self.clock()
                if delay > 0:
                    self.waited_s += delay
                    self.sleep(delay)
            self._last[host] = self.clock()


class _PoliteAdapter(HTTPAdapter):
    """Transport adapter that waits for the host's interval before anything goes on the wire.
    requests-cache answers fresh hits before reaching it, so only real traffic is paced."""

    def __init__(self, limiter: HostLimiter, counter: dict[str, int]):
        super().__init__(max_retries=0)
        self.limiter = limiter
        self.counter = counter

    def send(self, request, **kwargs):  # type: ignore[override]
        host = urlsplit(request.url).netloc
        self.limiter.wait(host)
        self.counter["network"] = self.counter.get("network", 0) + 1
        return super().send(request, **kwargs)


class Fetcher:
    """GET/POST with cache, pacing, robots.txt, retries and challenge detection."""

    def __init__(self, settings: HttpSettings | None = None, *, sleep: Callable[[float], None] = time.sleep):
        self.settings = s = settings or HttpSettings()
        self.sleep = sleep
        self.limiter = HostLimiter(s.min_interval_s, s.host_intervals, sleep=sleep)
        self.stats: dict[str, int] = {"network": 0, "from_cache": 0, "revalidated": 0, "downloaded": 0, "retries": 0}
        if s.cache_path is not None:
            Path(s.cache_path).parent.mkdir(parents=True, exist_ok=True)
            backend: Any = requests_cache.SQLiteCache(str(s.cache_path))
        else:
            backend = "memory"
        self.session = requests_cache.CachedSession(
            backend=backend,
            expire_after=s.expire_after_s,
            allowable_codes=(200,),
            allowable_methods=("GET", "HEAD", "POST"),  # POST: GraphQL queries, keyed by their body
            cache_control=True,
            stale_if_error=False,
        )
        adapter = _PoliteAdapter(self.limiter, self.stats)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.session.headers["User-Agent"] = s.agent()
        self.session.headers["Accept-Language"] = "en"
        self._robots: dict[str, urllib.robotparser.RobotFileParser | None] = {}
        self.unreachable: dict[str, str] = {}  # host (netloc) -> why, for the rest of this run

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> "Fetcher":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- robots.txt ---------------------------------------------------------------
    def _robots_for(self, url: str) -> urllib.robotparser.RobotFileParser | None:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        if origin in self._robots:
            return self._robots[origin]
        robots_url = origin + "/robots.txt"
        parser = urllib.robotparser.RobotFileParser(robots_url)
        try:
            resp = self._send("GET", robots_url, {})
        except Unreachable as exc:
            # Nothing on this host can be fetched now; the host, not robots.txt, is the problem.
            self.unreachable[parts.netloc] = exc.reason
            raise Unreachable(url, exc.reason) from None
        if resp.status_code >= 500:
            # RFC 9309: a failing robots.txt means "assume everything disallowed".
            raise Blocked(url, f"robots.txt answered HTTP {resp.status_code}")
        if 400 <= resp.status_code < 500:
            parser.allow_all = True  # RFC 9309: unavailable (4xx) means no restrictions
        else:
            parser.parse(resp.text.splitlines())
            delay = parser.crawl_delay(self.settings.agent())
            if delay:
                self.limiter.raise_interval(parts.netloc, float(delay))
        self._robots[origin] = parser
        return parser

    def allowed(self, url: str) -> bool:
        if not self.settings.respect_robots:
            return True
        parser = self._robots_for(url)
        return parser is None or parser.can_fetch(self.settings.agent(), url)

    # ---- requests -----------------------------------------------------------------
    def get(self, url: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", url, **kwargs)

    def post_json(self, url: str, payload: dict, **kwargs: Any) -> requests.Response:
        return self.request("POST", url, json=payload, **kwargs)

    def request(self, method: str, url: str, *, headers: dict[str, str] | None = None, **kwargs: Any) -> requests.Response:
        host = urlsplit(url).netloc
        if host in self.unreachable:
            raise Unreachable(url, self.unreachable[host])
        if not self.allowed(url):
            raise Disallowed(url, "robots.txt disallows this URL for our user agent")
        s = self.settings
        attempt = 0
        while True:
            try:
                resp = self._send(method, url, {"headers": headers or {}, **kwargs})
            except FetchError as exc:
                if attempt >= s.retries:
                    if isinstance(exc, Unreachable):
                        self.unreachable[host] = exc.reason
                    raise
                self._pause(url, self._backoff(attempt), f"{exc.reason}")
                attempt += 1
                continue
            code = resp.status_code
            reason = challenge_reason(resp)
            if reason:
                raise Blocked(url, reason)
            if code in (401, 403):
                raise Blocked(url, f"HTTP {code}")
            if code == 429 or code >= 500:
                wait = retry_after_seconds(resp.headers.get("Retry-After"))
                if wait is not None and wait > s.max_retry_after_s:
                    raise FetchError(url, f"HTTP {code} with Retry-After {wait:.0f}s (over {s.max_retry_after_s:.0f}s); "
                                          "deferred to the next run", code)
                if attempt >= s.retries:
                    raise FetchError(url, f"HTTP {code} after {attempt + 1} tries", code)
                self._pause(url, wait if wait is not None else self._backoff(attempt), f"HTTP {code}")
                attempt += 1
                continue
            if code in (404, 410):
                raise NotFound(url, f"HTTP {code}", code)
            if code >= 400:
                raise FetchError(url, f"HTTP {code}", code)
            self._count(resp)
            if "charset" not in resp.headers.get("Content-Type", "").lower():
                resp.encoding = "utf-8"  # judges serve UTF-8; spares requests a slow guess on big answers
            return resp

    def _send(self, method: str, url: str, kwargs: dict[str, Any]) -> requests.Response:
        try:
            return self.session.request(method, url, timeout=self.settings.timeout_s, **kwargs)
        except requests.Timeout:
            raise Unreachable(url, f"timed out after {self.settings.timeout_s:g}s") from None
        except requests.ConnectionError as exc:
            raise Unreachable(url, f"connection failed ({type(exc).__name__})") from None

    def _backoff(self, attempt: int) -> float:
        base = self.settings.backoff_s * (2 ** attempt)
        return min(self.settings.max_backoff_s, base * (1 + 0.25 * random.random()))

    def _pause(self, url: str, seconds: float, why: str) -> None:
        self.stats["retries"] += 1
        log.debug("%s: %s; retrying in %.1fs", url, why, seconds)
        if seconds > 0:
            self.sleep(seconds)

    def _count(self, resp: requests.Response) -> None:
        if getattr(resp, "revalidated", False):
            self.stats["revalidated"] += 1
        elif getattr(resp, "from_cache", False):
            self.stats["from_cache"] += 1
        else:
            self.stats["downloaded"] += 1
