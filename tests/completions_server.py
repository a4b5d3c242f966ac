"""A local OpenAI-compatible `/v1/completions` server for the sampling tests.

It checks the shape of every request (method, path, headers, JSON fields and types) and
answers from a script: each request takes the next scripted action, then the default
answer applies. Actions: {"status": 429, "headers": {...}}, {"sleep": s} (then answer),
{"drop": True} (close the connection without answering), {"choices": k} (answer only k).
The default answer is `answer(body, seq, i)` for each of the n choices.
"""
from __future__ import annotations

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address):  # a client that timed out and left: expected here
        pass


def default_answer(body: dict, seq: int, i: int) -> str:
    return f"    return {seq * 1000 + i}\n"


class CompletionsServer:
    def __init__(self, script: list[dict] | None = None, *, model: str = "test-model", api_key: str | None = None,
                 answer: Callable[[dict, int, int], str] = default_answer, delay_s: float = 0.0):
        self.script = list(script or [])
        self.model = model
        self.api_key = api_key
        self.answer = answer
        self.delay_s = delay_s
        self.requests: list[dict[str, Any]] = []   # every request, in arrival order
        self.sent: list[str] = []                  # every completion text answered with 200
        self.errors: list[str] = []                # shape violations (a test asserts there are none)
        self.replied: list[tuple[float, int]] = []  # (time, status) of each scripted error answer
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):  # keep test output clean
                pass

            def setup(self):
                super().setup()
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # as real servers do

            def do_GET(self):
                if self.path.rstrip("/") == "/v1/models":
                    self._json(200, {"object": "list", "data": [{"id": outer.model, "object": "model"}]})
                else:
                    self._json(404, {"error": {"message": f"no route {self.path}"}})

            def do_POST(self):
                outer._handle(self)

            def _json(self, status: int, obj: Any, headers: dict | None = None):
                data = json.dumps(obj).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

        self.httpd = _QuietServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    # ---- checks -------------------------------------------------------------------
    def _shape_errors(self, h, body: Any) -> list[str]:
        errs = []
        if h.path != "/v1/completions":
            errs.append(f"path {h.path}")
        if not h.headers.get("Content-Type", "").startswith("application/json"):
            errs.append("content type")
        if self.api_key and h.headers.get("Authorization") != f"Bearer {self.api_key}":
            errs.append("authorization")
        if not isinstance(body, dict):
            return errs + ["body is not an object"]
        want = {"model": str, "prompt": str, "n": int, "max_tokens": int, "stop": list, "temperature": (int, float),
                "top_p": (int, float)}
        for key, type_ in want.items():
            if not isinstance(body.get(key), type_) or isinstance(body.get(key), bool):
                errs.append(f"{key}={body.get(key)!r}")
        if body.get("model") != self.model:
            errs.append(f"model {body.get('model')!r}")
        if isinstance(body.get("n"), int) and body["n"] < 1:
            errs.append("n < 1")
        if isinstance(body.get("stop"), list) and not all(isinstance(s, str) for s in body["stop"]):
            errs.append("stop")
        return errs

    def _handle(self, h) -> None:
        length = int(h.headers.get("Content-Length", 0))
        raw = h.rfile.read(length)
        if len(raw) < length:  # the client died while sending (a kill test): nothing to answer
            h.close_connection = True
            return
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        with self.lock:
            seq = len(self.requests)
            self.requests.append({"t": time.monotonic(), "body": body, "headers": dict(h.headers),
                                  "path": h.path})
            action = self.script.pop(0) if self.script else {}
            errs = self._shape_errors(h, body)
            self.errors += [f"request {seq}: {e}" for e in errs]
        if errs:
            h._json(400, {"error": {"message": "; ".join(errs)}})
            return
        if action.get("drop"):
            h.close_connection = True
            h.connection.shutdown(socket.SHUT_RDWR)
            return
        if action.get("sleep") or self.delay_s:
            time.sleep(action.get("sleep", self.delay_s))
        if "status" in action:
            with self.lock:
                self.replied.append((time.monotonic(), action["status"]))
            h._json(action["status"], action.get("body", {"error": {"message": "scripted"}}), action.get("headers"))
            return
        count = action.get("choices", body["n"])
        texts = [self.answer(body, seq, i) for i in range(count)]
        with self.lock:
            self.sent += texts
        h._json(200, {"id": f"cmpl-{seq}", "object": "text_completion", "model": self.model,
                      "choices": [{"index": i, "text": t, "finish_reason": "stop"} for i, t in enumerate(texts)]})

    # ---- lifecycle ----------------------------------------------------------------
    def __enter__(self) -> "CompletionsServer":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
