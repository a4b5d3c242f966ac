"""A local stand-in for the judges: a real HTTP server on 127.0.0.1 serving saved pages.

Routes map a path (with its query string) to a response: a body with a content type, and
optionally an ETag / Last-Modified (conditional requests get 304 with no body), a delay, or a
script of responses for successive requests (e.g. 429 with Retry-After, then the page).
Every request is logged with its arrival time (time.monotonic), so tests measure pacing on
the server side, where it matters.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).parent / "fixtures"
JUDGES = FIXTURES / "judges"


@dataclass
class Route:
    body: bytes = b""
    status: int = 200
    content_type: str = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    etag: str | None = None
    last_modified: float | None = None  # epoch seconds
    delay_s: float = 0.0
    script: list[dict[str, Any]] = field(default_factory=list)  # consumed first: {"status", "headers", "body"}


@dataclass
class Hit:
    at: float
    method: str
    path: str
    headers: dict[str, str]
    status: int
    body_bytes: int


class _Quiet(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):  # clients that went away (a killed scraper)
        pass


class JudgeServer:
    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.hits: list[Hit] = []
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                server._handle(self, "GET")

            def do_HEAD(self) -> None:
                server._handle(self, "HEAD")

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                server._handle(self, "POST")

        self.httpd = _Quiet(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def __enter__(self) -> "JudgeServer":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    # ---- routes -------------------------------------------------------------------
    def add(self, path: str, body: bytes | str = b"", **kw: Any) -> Route:
        route = Route(body=body.encode("utf-8") if isinstance(body, str) else body, **kw)
        self.routes[path] = route
        return route

    def add_file(self, path: str, fixture: str | Path, **kw: Any) -> Route:
        f = Path(fixture) if Path(fixture).is_absolute() else JUDGES / fixture
        data = f.read_bytes()
        if f.suffix == ".gz":
            import gzip

            data = gzip.decompress(data)
        kw.setdefault("content_type", {".json": "application/json", ".zip": "application/zip",
                                       ".gz": "application/json"}.get(f.suffix, "text/html; charset=utf-8"))
        return self.add(path, data, **kw)

    def count(self, path: str, method: str = "GET") -> int:
        with self.lock:
            return sum(1 for h in self.hits if h.path == path and h.method == method)

    def times(self, prefix: str = "") -> list[float]:
        with self.lock:
            return [h.at for h in self.hits if h.path.startswith(prefix)]

    # ---- serving ------------------------------------------------------------------
    def _handle(self, req: BaseHTTPRequestHandler, method: str) -> None:
        at = time.monotonic()
        route = self.routes.get(req.path)
        status, headers, body = 404, {"Content-Type": "text/plain"}, b"not found"
        if route is not None:
            if route.delay_s:
                time.sleep(route.delay_s)
            with self.lock:
                step = route.script.pop(0) if route.script else None
            if step is not None:
                status = step.get("status", 200)
                headers = {"Content-Type": step.get("content_type", route.content_type), **step.get("headers", {})}
                b = step.get("body", b"")
                body = b.encode() if isinstance(b, str) else b
            else:
                status, headers, body = route.status, {"Content-Type": route.content_type, **route.headers}, route.body
                if route.etag:
                    headers["ETag"] = route.etag
                if route.last_modified is not None:
                    headers["Last-Modified"] = formatdate(route.last_modified, usegmt=True)
                if status == 200 and self._not_modified(req, route):
                    status, body = 304, b""
        with self.lock:
            self.hits.append(Hit(at, method, req.path, dict(req.headers), status, len(body)))
        req.send_response(status)
        for k, v in headers.items():
            req.send_header(k, v)
        req.send_header("Content-Length", str(len(body)) if status != 304 else "0")
        req.end_headers()
        if method != "HEAD" and status != 304:
            req.wfile.write(body)

    @staticmethod
    def _not_modified(req: BaseHTTPRequestHandler, route: Route) -> bool:
        inm = req.headers.get("If-None-Match")
        if route.etag and inm:
            return route.etag in [t.strip() for t in inm.split(",")]
        ims = req.headers.get("If-Modified-Since")
        if route.last_modified is not None and ims:
            from email.utils import parsedate_to_datetime

            try:
                return parsedate_to_datetime(ims).timestamp() >= int(route.last_modified)
            except (TypeError, ValueError):
                return False
        return False


def judge_routes(server: JudgeServer) -> None:
    """The saved pages at the paths the scrapers ask for (robots.txt allows everything)."""
    server.add("/robots.txt", "User-agent: *\nDisallow: /private/\n", content_type="text/plain")
    cf = {"25/A": "25A.statement.html", "100/D": "100D.html", "893/E": "893E.problemset.reformatted.html",
          "1918/A": "1918A.html", "1950/F": "1950F.statement.html"}
    for pid, f in cf.items():
        server.add_file(f"/problemset/problem/{pid}?locale=en", f"codeforces/{f}", etag=f'"cf-{pid}"')
    server.add_file("/api/problemset.problems", "codeforces/api-problemset.problems.json.gz")
    for task, f in {"abc264_c": "abc264_c.html", "agc032_a": "agc032_a.html", "ahc053_a": "ahc053_a.html",
                    "dp_b": "dp_b.lang-en.html"}.items():
        contest = task.rsplit("_", 1)[0]
        server.add_file(f"/contests/{contest}/tasks/{task}?lang=en", f"atcoder/{f}", last_modified=1_700_000_000)
    server.add_file("/problems/mappingtheundercity", "kattis/mappingtheundercity.problembody.html")
    server.add_file("/problems/mappingtheundercity/file/statement/samples.zip", "kattis/samples.zip")
    server.add_file("/resources/descriptions/en/CGL_1_A", "aoj/descriptions.en.CGL_1_A.json")
    server.add_file("/testcases/samples/CGL_1_A", "aoj/testcases.samples.CGL_1_A.json")
    server.add_file("/testcases/CGL_1_A/header", "aoj/testcases.CGL_1_A.header.json")
    for serial in range(1, 5):
        server.add_file(f"/testcases/CGL_1_A/{serial}", f"aoj/testcases.CGL_1_A.{serial}.json")
    server.add_file("/problems?page=0&size=2", "aoj/problems.page0.json")
    server.add_file("/graphql", "leetcode/find-the-difference.graphql.json")
    server.add_file("/api/problems/algorithms/", "leetcode/problems-list.json")
    server.add_file("/api/contests/PRACTICE/problems/BUS", "codechef/api.contests.PRACTICE.problems.BUS.json")
    server.add_file("/api/contests/PRACTICE/problems/HIDDEN", "codechef/api.not-visible.json")
