"""The OpenAI-compatible client against a real local HTTP server (tests/completions_server.py)."""
from __future__ import annotations

import socket
import time

import pytest

from completions_server import CompletionsServer
from sftset.errors import InputError
from sftset.sampling import SampleRequest, SamplingParams, ServerUnavailable
from sftset.sampling.openai_compat import OpenAICompatSampler, completions_url, parse_retry_after

FAST = dict(backoff_s=0.01, backoff_max_s=0.05, timeout_s=5.0, connect_timeout_s=2.0)


def sampler(urls, **kw) -> OpenAICompatSampler:
    opts = {**FAST, **kw}
    params = opts.pop("params", SamplingParams(n=4))
    return OpenAICompatSampler(urls if isinstance(urls, list) else [urls], opts.pop("model", "test-model"), params,
                               **opts)


def collect(s, requests):
    got: dict[str, dict[int, str]] = {}
    for b in s.generate(requests):
        assert b.error is None, b.error
        assert len(b.indices) == len(b.completions)
        for i, c in zip(b.indices, b.completions):
            assert i not in got.setdefault(b.request.task_id, {}), "an index answered twice"
            got[b.request.task_id][i] = c
    return got


def test_n_per_request_and_request_shape():
    with CompletionsServer(api_key="sk-test") as srv:
        s = sampler(srv.url, api_key="sk-test", n_per_request=3, concurrency=2)
        got = collect(s, [SampleRequest("t/1", "def f():\n", tuple(range(7))),
                          SampleRequest("t/2", "def g():\n", (2, 5))])
    assert srv.errors == []
    assert sorted(got["t/1"]) == list(range(7)) and sorted(got["t/2"]) == [2, 5]
    ns = sorted(r["body"]["n"] for r in srv.requests)
    assert ns == [1, 2, 3, 3]  # 7 -> 3+3+1, 2 -> 2: several completions per request
    body = srv.requests[0]["body"]
    assert body["temperature"] == 0.8 and body["top_p"] == 0.95 and body["max_tokens"] == 512
    assert body["stop"] == ["\nclass", "\ndef", "\n#", "\nif", "\nprint"]
    assert len(set(srv.sent)) == 9 and set(srv.sent) == {c for d in got.values() for c in d.values()}


def test_stop_sequences_are_applied_client_side():
    def answer(body, seq, i):  # a server that ignores `stop`
        return ["    return 1\n\ndef helper():\n    pass\n", "    x = 2\n    return x\n#end", "    return 3\nprint(3)",
                "    if True:\n        return 4\nif __name__"][i]

    with CompletionsServer(answer=answer) as srv:
        got = collect(sampler(srv.url), [SampleRequest("t/1", "def f():\n", (0, 1, 2, 3))])
    assert got["t/1"] == {0: "    return 1\n", 1: "    x = 2\n    return x", 2: "    return 3",
                          3: "    if True:\n        return 4"}


def test_fewer_choices_than_n_are_topped_up():
    # llama.cpp's server and Ollama ignore n and answer one choice per request
    with CompletionsServer(script=[{"choices": 1}, {"choices": 2}]) as srv:
        got = collect(sampler(srv.url, concurrency=1), [SampleRequest("t/1", "p", (0, 1, 2, 3, 4))])
    assert [r["body"]["n"] for r in srv.requests] == [5, 4, 2]
    assert len(got["t/1"]) == 5 and len(set(got["t/1"].values())) == 5


def test_429_waits_for_retry_after():
    with CompletionsServer(script=[{"status": 429, "headers": {"Retry-After": "1"}}]) as srv:
        s = sampler(srv.url, concurrency=1)
        got = collect(s, [SampleRequest("t/1", "p", (0, 1))])
    assert len(got["t/1"]) == 2
    first, second = srv.requests[0]["t"], srv.requests[1]["t"]
    assert second - first >= 0.95  # the header's second, not the 10 ms backoff
    assert s.stats["retries"] == 1


def test_retry_after_holds_back_every_thread_not_just_one():
    # The 429 comes at once; the other thread's answer comes 0.3 s later, when the client already rests.
    with CompletionsServer(script=[{"status": 429, "headers": {"Retry-After": "1"}, "sleep": 0}], delay_s=0.3) as srv:
        s = sampler(srv.url, concurrency=2, n_per_request=1)
        got = collect(s, [SampleRequest("t/1", "p", tuple(range(6)))])
    assert len(got["t/1"]) == 6
    told, _ = srv.replied[0]
    arrivals = [r["t"] for r in srv.requests]
    # Nobody asked during the second it was told to wait (a request already on its way may arrive just after).
    assert not [t for t in arrivals if told + 0.05 < t < told + 0.95]
    assert len([t for t in arrivals if t >= told + 0.95]) == 5


def test_500s_are_retried_then_succeed():
    script = [{"status": 500}, {"status": 503, "body": "upstream down"}, {"status": 502}]
    with CompletionsServer(script=script) as srv:
        s = sampler(srv.url, concurrency=1)
        got = collect(s, [SampleRequest("t/1", "p", (0, 1, 2))])
    assert len(got["t/1"]) == 3 and len(srv.requests) == 4 and s.stats["retries"] == 3


def test_server_that_stays_down_raises_after_max_retries():
    with CompletionsServer(script=[{"status": 500}] * 10) as srv:
        s = sampler(srv.url, concurrency=1, max_retries=3)
        with pytest.raises(ServerUnavailable, match="4 attempts.*HTTP 500"):
            collect(s, [SampleRequest("t/1", "p", (0,))])
    assert len(srv.requests) == 4


def test_slow_server_past_the_timeout_is_retried():
    with CompletionsServer(script=[{"sleep": 3.0}]) as srv:
        s = sampler(srv.url, concurrency=1, timeout_s=0.5)
        t0 = time.monotonic()
        got = collect(s, [SampleRequest("t/1", "p", (0, 1))])
        elapsed = time.monotonic() - t0
    assert len(got["t/1"]) == 2 and len(srv.requests) == 2
    assert elapsed < 2.5  # gave up on the slow answer instead of waiting for it
    assert got["t/1"][0] == "    return 1000\n"  # the second request's answer, not the late first one


def test_dropped_connection_is_retried():
    with CompletionsServer(script=[{"drop": True}, {"drop": True}]) as srv:
        s = sampler(srv.url, concurrency=1)
        got = collect(s, [SampleRequest("t/1", "p", (0, 1, 2))])
    assert len(got["t/1"]) == 3 and len(srv.requests) == 3 and s.stats["retries"] == 2


def test_client_error_rejects_only_that_request():
    with CompletionsServer(script=[{"status": 400, "body": {"error": {"message": "prompt is too long"}}}]) as srv:
        s = sampler(srv.url, concurrency=1)
        batches = list(s.generate([SampleRequest("t/long", "p" * 10, (0, 1)), SampleRequest("t/ok", "p", (0, 1))]))
    errors = [b for b in batches if b.error]
    assert len(errors) == 1 and "HTTP 400 prompt is too long" in errors[0].error
    assert errors[0].request.task_id == "t/long"
    assert [len(b.completions) for b in batches if not b.error] == [2]
    assert len(srv.requests) == 2  # no retry of a 400


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_several_urls_share_the_load_and_survive_one_down():
    dead = f"http://127.0.0.1:{_free_port()}"  # nothing listens: connection refused
    with CompletionsServer(delay_s=0.05) as a, CompletionsServer(delay_s=0.05) as b:
        s = sampler([a.url, b.url, dead], concurrency=2, n_per_request=1)
        got = collect(s, [SampleRequest(f"t/{k}", "p", (0, 1)) for k in range(10)])
    assert sum(len(v) for v in got.values()) == 20
    assert len(a.requests) >= 5 and len(b.requests) >= 5  # spread, not all on one server
    assert a.errors == b.errors == []


def test_model_is_discovered_from_the_server():
    with CompletionsServer(model="served/coder-1b") as srv:
        s = OpenAICompatSampler([srv.url + "/v1"], None, SamplingParams(n=1), **FAST)
        assert s.model == "served/coder-1b"
        got = collect(s, [SampleRequest("t/1", "p", (0,))])
    assert srv.errors == [] and len(got["t/1"]) == 1


def test_urls_and_retry_after_parsing():
    assert completions_url("http://h:8000") == "http://h:8000/v1/completions"
    assert completions_url("http://h:8000/v1/") == "http://h:8000/v1/completions"
    assert completions_url("https://h/api/v1/completions") == "https://h/api/v1/completions"
    with pytest.raises(InputError):
        completions_url("h:8000")
    assert parse_retry_after("2") == 2.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412470.0) == pytest.approx(10.0)
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None
