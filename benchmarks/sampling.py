"""The sampling client's own cost, against a local OpenAI-compatible server.

    python benchmarks/sampling.py [--requests 200] [--n 100] [--delay 0.1]

1. Overhead: one request at a time for `--n` completions (~300 characters each, like real
   code samples) from a server in another process that answers at once with a prepared
   body. Reports the client's CPU time per request (this process only: building the body,
   HTTP, JSON decoding, stop truncation) and the wall time per request (client, loopback
   and the server's own parsing). Target: under 5 ms of client time per request, so that a
   real server, which spends seconds generating 100 samples, is always the bottleneck.
2. Throughput: the server takes `--delay` seconds per request (as generation would); with
   c requests in flight the ideal is c / delay requests per second. Reports measured
   requests/s and samples/s for c in 1, 4, 16, 64, and the fraction of the ideal.
"""
from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import socket
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

COMPLETION = ("    result = []\n    for i, value in enumerate(values):\n        if value % 2 == 0:\n"
              "            result.append(value * i)\n        else:\n            result.append(-value)\n"
              "    total = sum(result)\n    return total if total > 0 else 0\n\ndef helper():\n    pass\n")


def _serve(port_q: mp.Queue, delay: float) -> None:
    bodies: dict[int, bytes] = {}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):
            pass

        def setup(self):
            super().setup()
            # As uvicorn (vLLM, SGLang) does: without it Nagle's algorithm and the client's delayed
            # ACK hold the body behind the headers for ~40 ms.
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def do_POST(self):
            n = json.loads(self.rfile.read(int(self.headers["Content-Length"])))["n"]
            if n not in bodies:
                bodies[n] = json.dumps({"id": "x", "object": "text_completion", "choices": [
                    {"index": i, "text": COMPLETION + f"# {i}\n", "finish_reason": "stop"} for i in range(n)]}).encode()
            if delay:
                time.sleep(delay)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(bodies[n])))
            self.end_headers()
            self.wfile.write(bodies[n])

    class Server(ThreadingHTTPServer):
        daemon_threads = True
        request_queue_size = 256

    httpd = Server(("127.0.0.1", 0), Handler)
    port_q.put(httpd.server_address[1])
    httpd.serve_forever()


def _start(delay: float) -> tuple[mp.Process, str]:
    q: mp.Queue = mp.Queue()
    proc = mp.Process(target=_serve, args=(q, delay), daemon=True)
    proc.start()
    return proc, f"http://127.0.0.1:{q.get(timeout=10)}"


def overhead(requests: int, n: int) -> dict:
    from sftset.sampling import SamplingParams
    from sftset.sampling.openai_compat import OpenAICompatSampler

    proc, url = _start(0.0)
    try:
        s = OpenAICompatSampler([url], "bench", SamplingParams(n=n), concurrency=1)
        for _ in range(5):  # warm up the connection and the server's cached body
            s.complete("def f(values):\n", n)
        cpu0, wall0 = time.process_time(), time.perf_counter()
        for _ in range(requests):
            texts = s.complete("def f(values):\n", n)
        cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
        assert len(texts) == n and "def helper" not in texts[0]
    finally:
        proc.terminate()
    return {"requests": requests, "n": n, "client_cpu_ms_per_request": round(1000 * cpu / requests, 3),
            "wall_ms_per_request": round(1000 * wall / requests, 3)}


def throughput(delay: float, n: int, concurrency: int, requests: int) -> dict:
    from sftset.sampling import SampleRequest, SamplingParams
    from sftset.sampling.openai_compat import OpenAICompatSampler

    proc, url = _start(delay)
    try:
        s = OpenAICompatSampler([url], "bench", SamplingParams(n=n), concurrency=concurrency, n_per_request=n)
        reqs = [SampleRequest(f"t/{i}", "def f(values):\n", tuple(range(n))) for i in range(requests)]
        t0 = time.perf_counter()
        got = sum(len(b.completions) for b in s.generate(reqs))
        wall = time.perf_counter() - t0
    finally:
        proc.terminate()
    ideal = concurrency / delay
    return {"concurrency": concurrency, "requests": requests, "requests_per_s": round(requests / wall, 1),
            "samples_per_s": round(got / wall), "ideal_requests_per_s": round(ideal, 1),
            "fraction_of_ideal": round(requests / wall / ideal, 3)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--requests", type=int, default=200, help="requests in the overhead run")
    ap.add_argument("--n", type=int, default=100, help="completions per request")
    ap.add_argument("--delay", type=float, default=0.1, help="server seconds per request in the throughput runs")
    args = ap.parse_args()
    print(json.dumps({"cpus": os.cpu_count(), "overhead": overhead(args.requests, args.n)}))
    for c in (1, 4, 16, 64):
        print(json.dumps({"throughput": throughput(args.delay, args.n, c, requests=max(20, 4 * c))}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
