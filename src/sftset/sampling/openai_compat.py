"""Sampling from any OpenAI-compatible `/v1/completions` server (vLLM, SGLang, TGI,
llama.cpp server, Ollama) over plain HTTP.

* `n` completions per request (servers that return fewer, such as llama.cpp's, are asked
  again for the rest), temperature, top_p, max_tokens, stop; stop is applied again here.
* A bounded number of requests in flight per base URL, on daemon threads, so Ctrl-C or a
  kill never waits for a slow server.
* Retries with exponential backoff and jitter on 408/429/5xx, timeouts and dropped
  connections, honouring `Retry-After`; a URL that just failed is rested and the retry goes
  to another one when there are several (data-parallel servers).
"""
from __future__ import annotations

import email.utils
import queue
import random
import re
import threading
import time
from typing import Any, Iterable, Iterator
from urllib.parse import urlsplit

import requests

from ..errors import InputError
from ..progress import log
from .base import (RequestRejected, SampleBatch, SampleRequest, Sampler, SamplingParams, ServerUnavailable,
                   chunked, truncate_at_stop)

RETRY_STATUS = frozenset({408, 409, 425, 429, 500, 502, 503, 504, 520, 521, 522, 523, 524, 529})
RETRY_AFTER_MAX_S = 600.0
_NETWORK_ERRORS = (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError,
                   requests.exceptions.ContentDecodingError)


def completions_url(base: str) -> str:
    """`http://h:8000`, `http://h:8000/v1` and `http://h:8000/v1/completions` all mean the same endpoint."""
    parts = urlsplit(base)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InputError(f"not an http(s) URL: {base!r}", field="sampling.url")
    path = parts.path.rstrip("/")
    if path.endswith("/completions"):
        return base.rstrip("/")
    if not path.endswith("/v1"):
        path += "/v1"
    return f"{parts.scheme}://{parts.netloc}{path}/completions"


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - (now if now is not None else time.time()))


class _Endpoints:
    """Picks the base URL with the fewest requests in flight, skipping ones resting after a failure."""

    def __init__(self, urls: list[str]):
        self.urls = urls
        self.in_flight = {u: 0 for u in urls}
        self.rest_until = {u: 0.0 for u in urls}
        self.turn = 0
        self.lock = threading.Lock()

    def acquire(self, avoid: str | None = None) -> tuple[str, float]:
        """A URL and how long to wait before using it (> 0 only when every URL is resting,
        e.g. after a 429 with Retry-After: then the whole client holds back, not one thread)."""
        with self.lock:
            now = time.monotonic()
            self.turn += 1
            order = self.urls[self.turn % len(self.urls):] + self.urls[:self.turn % len(self.urls)]
            ready = [u for u in order if self.rest_until[u] <= now and u != avoid] or \
                    [u for u in order if self.rest_until[u] <= now]
            if not ready:
                url = min(order, key=lambda u: self.rest_until[u])
                self.in_flight[url] += 1
                return url, self.rest_until[url] - now
            url = min(ready, key=lambda u: self.in_flight[u])
            self.in_flight[url] += 1
            return url, 0.0

    def release(self, url: str, rest_s: float = 0.0) -> None:
        with self.lock:
            self.in_flight[url] -= 1
            if rest_s > 0:
                self.rest_until[url] = max(self.rest_until[url], time.monotonic() + rest_s)


class OpenAICompatSampler(Sampler):
    backend = "openai"

    def __init__(
        self,
        urls: list[str],
        model: str | None,
        params: SamplingParams,
        *,
        api_key: str | None = None,
        concurrency: int = 8,
        n_per_request: int = 100,
        timeout_s: float = 600.0,
        connect_timeout_s: float = 10.0,
        max_retries: int = 8,
        backoff_s: float = 1.0,
        backoff_max_s: float = 60.0,
        extra_body: dict[str, Any] | None = None,
    ):
        if not urls:
            raise InputError("give the server's URL (--url, [sampling] url or $SFTSET_MODEL_URL)", field="sampling.url")
        self.endpoints = _Endpoints([completions_url(u) for u in urls])
        self.params = params
        self.api_key = api_key
        self.concurrency = max(1, int(concurrency))
        self.n_per_request = max(1, int(n_per_request))
        self.timeout = (float(connect_timeout_s), float(timeout_s))
        self.max_retries = max(0, int(max_retries))
        self.backoff_s = float(backoff_s)
        self.backoff_max_s = float(backoff_max_s)
        self.extra_body = dict(extra_body or {})
        self._local = threading.local()
        self._closed = threading.Event()
        self.stats = {"requests": 0, "retries": 0, "completions": 0}
        self._stats_lock = threading.Lock()
        self.model = model or self._discover_model()

    # ---- identity -----------------------------------------------------------------
    def identity(self) -> dict[str, Any]:
        ident = self.params.identity()
        if self.extra_body:
            ident["extra_body"] = self.extra_body
        return ident

    # ---- HTTP ---------------------------------------------------------------------
    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            adapter = requests.adapters.HTTPAdapter(pool_connections=len(self.endpoints.urls),
                                                    pool_maxsize=self.concurrency, max_retries=0)
            session.mount("http://", adapter)
            session.mount("https://", adapter)
            session.headers["User-Agent"] = "build-sft-set"
            if self.api_key:
                session.headers["Authorization"] = f"Bearer {self.api_key}"
            self._local.session = session
        return session

    def _backoff(self, attempt: int) -> float:
        return min(self.backoff_max_s, self.backoff_s * (2 ** attempt)) * random.uniform(0.5, 1.0)

    def _call(self, method: str, body: dict[str, Any] | None, suffix: str = "") -> Any:
        """One logical call with retries; returns the decoded JSON answer."""
        avoid = None
        last = ""
        for attempt in range(self.max_retries + 1):
            url, hold = self.endpoints.acquire(avoid)
            target = url[: -len("/completions")] + suffix if suffix else url
            wait = 0.0
            try:
                if hold > 0 and self._closed.wait(hold):
                    raise ServerUnavailable("stopped while waiting to retry")
                with self._stats_lock:
                    self.stats["requests"] += 1
                resp = self._session().request(method, target, json=body, timeout=self.timeout)
            except _NETWORK_ERRORS as exc:
                last = f"{target}: {type(exc).__name__}: {_short(exc)}"
                wait = self._backoff(attempt)
            else:
                status = resp.status_code
                if status == 200:
                    try:
                        return resp.json()
                    except ValueError:
                        last = f"{target}: answer is not JSON ({resp.text[:80]!r})"
                        wait = self._backoff(attempt)
                elif status in RETRY_STATUS:
                    after = parse_retry_after(resp.headers.get("Retry-After"))
                    wait = min(after, RETRY_AFTER_MAX_S) if after is not None else self._backoff(attempt)
                    last = f"{target}: HTTP {status} {_server_message(resp)}".rstrip()
                else:
                    raise RequestRejected(f"{target}: HTTP {status} {_server_message(resp)}".rstrip())
            finally:
                self.endpoints.release(url, rest_s=wait)
            avoid = url
            if attempt == self.max_retries:
                break
            with self._stats_lock:
                self.stats["retries"] += 1
            log.debug("retrying in %.2fs after %s", wait, last)
            if self._closed.wait(wait):
                raise ServerUnavailable("stopped while waiting to retry")
        raise ServerUnavailable(f"gave up after {self.max_retries + 1} attempts; last: {last}")

    def _discover_model(self) -> str:
        """With no model name, use the first model the server lists (vLLM serves exactly one)."""
        try:
            answer = self._call("GET", None, suffix="/models")
            return str(answer["data"][0]["id"])
        except (KeyError, IndexError, TypeError, RequestRejected):
            raise InputError("the server does not list its models; give --model", field="sampling.model") from None

    def complete(self, prompt: str, n: int) -> list[str]:
        """Exactly `n` completions of `prompt` (asking again when the server returns fewer)."""
        out: list[str] = []
        empty_answers = 0
        while len(out) < n:
            want = n - len(out)
            body = {**self.extra_body, "model": self.model, "prompt": prompt, "n": want,
                    "max_tokens": self.params.max_tokens, "stop": list(self.params.stop)}
            if self.params.temperature is not None:
                body["temperature"] = self.params.temperature
            if self.params.top_p is not None:
                body["top_p"] = self.params.top_p
            answer = self._call("POST", body)
            texts = _choice_texts(answer, self.endpoints.urls[0])
            if not texts:
                empty_answers += 1
                if empty_answers > self.max_retries:
                    raise ServerUnavailable("the server keeps answering with no choices")
                continue
            out.extend(truncate_at_stop(t, self.params.stop) for t in texts[:want])
        with self._stats_lock:
            self.stats["completions"] += n
        return out

    # ---- the Sampler interface ----------------------------------------------------
    def generate(self, requests_: Iterable[SampleRequest]) -> Iterator[SampleBatch]:
        workers = self.concurrency * len(self.endpoints.urls)
        todo: queue.Queue = queue.Queue(maxsize=workers)
        done: queue.Queue = queue.Queue()
        stop = threading.Event()

        def work() -> None:
            while True:
                item = todo.get()
                if item is None:
                    return
                req, idx = item
                if stop.is_set():
                    done.put((req, idx, None, None))
                    continue
                try:
                    done.put((req, idx, self.complete(req.prompt, len(idx)), None))
                except BaseException as exc:  # handed to the caller's thread
                    done.put((req, idx, None, exc))

        threads = [threading.Thread(target=work, name=f"sftset-sample-{i}", daemon=True) for i in range(workers)]
        for t in threads:
            t.start()

        def jobs() -> Iterator[tuple[SampleRequest, tuple[int, ...]]]:
            for req in requests_:
                for idx in chunked(tuple(req.indices), self.n_per_request):
                    yield req, idx

        pending = 0
        source = jobs()
        exhausted = False
        try:
            while True:
                while not exhausted and not todo.full():
                    nxt = next(source, None)
                    if nxt is None:
                        exhausted = True
                        break
                    todo.put(nxt)
                    pending += 1
                if pending == 0:
                    return
                req, idx, texts, exc = done.get()
                pending -= 1
                if isinstance(exc, RequestRejected):
                    yield SampleBatch(req, idx, [], error=str(exc))
                elif exc is not None:
                    raise exc
                elif texts is not None:
                    yield SampleBatch(req, idx, texts)
        finally:
            stop.set()
            while True:  # drop what was not started, then tell each worker to end
                try:
                    todo.get_nowait()
                except queue.Empty:
                    break
            for _ in threads:
                todo.put_nowait(None)

    def close(self) -> None:
        self._closed.set()


def _choice_texts(answer: Any, where: str) -> list[str]:
    try:
        choices = answer["choices"]
        ordered = sorted(choices, key=lambda c: c.get("index", 0))
        texts = [c["text"] for c in ordered]
    except (KeyError, TypeError, AttributeError):
        raise ServerUnavailable(f"{where}: not a completions answer: {str(answer)[:120]!r}") from None
    if not all(isinstance(t, str) for t in texts):
        raise ServerUnavailable(f"{where}: choices without text")
    return texts


def _server_message(resp: requests.Response) -> str:
    try:
        data = resp.json()
        err = data.get("error", data) if isinstance(data, dict) else data
        msg = err.get("message", "") if isinstance(err, dict) else str(err)
    except ValueError:
        msg = resp.text
    return " ".join(str(msg).split())[:200]


def _short(exc: BaseException) -> str:
    """The useful part of a requests/urllib3 error ("Connection refused", "Read timed out")."""
    text = " ".join(str(exc).split())
    for pattern in (r"\[Errno -?\d+\] ([^'\")(]+)", r"(Read timed out)", r"(Connection aborted)[^(]*\(?'?([^'\"]*)",
                    r"(Remote end closed connection without response)"):
        m = re.search(pattern, text)
        if m:
            return " ".join(g for g in m.groups() if g).strip(" .,")
    return text[:160]
