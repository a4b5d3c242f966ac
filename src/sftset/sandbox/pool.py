"""The executor: a pool of pre-started sandbox workers, one per core.

Each worker is a fresh interpreter started with a scrubbed environment and `-I -S` (the
sample environment, see SampleEnv); a clean zygote it forks before any job forks a sample
from that warm state for every job (see sftset.sandbox.worker). Jobs go out in
batches and verdicts come back in batches; a worker that dies is replaced and its
unfinished jobs are retried once. Batches are written to a worker by a thread of its
own: a batch larger than the pipe must never block the loop that reads the worker's
verdicts, or both sides wait on each other (big mined programs and outputs did that).
"""
from __future__ import annotations

import hashlib
import json
import os
import secrets
import selectors
import shutil
import subprocess
import sys
import tempfile
import threading
from collections import deque
from queue import SimpleQueue
from pathlib import Path
from typing import Iterable, Iterator

from . import wire
from .api import IsolationReport, Job, Verdict, run_in_order

_SFTSET_SRC = Path(__file__).resolve().parents[1]
# -I -S: the worker (and so every sample forked from it) imports the standard library and
# a copy of the sandbox's own code, never the tool's site-packages.
_WORKER_CODE = (
    "import sys; sys.path.insert(0, sys.argv[1]); "
    "from sftset.sandbox.worker import main; main(sys.argv[2:])"
)
_warned_levels: set[str] = set()


class SampleEnv:
    """What samples run against: an interpreter, and on its import path only its own
    standard library (the default) or, for a named environment, its site-packages too;
    plus a copy of the sandbox's own modules, which every sample process imports.

    The copy lives in a folder of its own (not the tool's site-packages, which an installed
    tool shares with all its dependencies). `coverage` is copied to a second folder that
    only coverage jobs (mining's own reference code) put on their path."""

    def __init__(self, python: str, flags: list[str], lib: str, coverage_lib: str):
        self.python, self.flags, self.lib, self.coverage_lib = python, flags, lib, coverage_lib

    @staticmethod
    def find(sample_python: str) -> str | None:
        python = shutil.which(os.path.expanduser(sample_python)) or os.path.expanduser(sample_python)
        return python if os.access(python, os.X_OK) and not os.path.isdir(python) else None

    @classmethod
    def make(cls, sample_python: str | None) -> "SampleEnv":
        if sample_python:
            python = cls.find(sample_python)
            if python is None:
                from ..errors import InputError

                raise InputError(f"no such interpreter: {sample_python}", field="sandbox.sample_python")
            flags = ["-I"]  # its own site-packages: the pinned environment the user named
        else:
            python, flags = sys.executable, ["-I", "-S"]  # -S: the standard library only
        root = tempfile.mkdtemp(prefix="sftset-lib-")
        os.chmod(root, 0o755)  # the sample's uid imports from here
        lib, coverage_lib = os.path.join(root, "lib"), os.path.join(root, "coverage")
        pkg = os.path.join(lib, "sftset")
        shutil.copytree(_SFTSET_SRC / "sandbox", os.path.join(pkg, "sandbox"),
                        ignore=shutil.ignore_patterns("__pycache__", "passk.py"))
        shutil.copy2(_SFTSET_SRC / "values.py", pkg)
        with open(os.path.join(pkg, "__init__.py"), "w") as fh:
            fh.write('"""The sandbox\'s copy of the sftset modules that sample processes import."""\n')
        os.mkdir(coverage_lib)
        try:
            import coverage

            shutil.copytree(os.path.dirname(coverage.__file__), os.path.join(coverage_lib, "coverage"),
                            ignore=shutil.ignore_patterns("__pycache__"))
        except ImportError:
            pass
        for folder, dirs, files in os.walk(root):
            for name in dirs + files:
                os.chmod(os.path.join(folder, name), 0o755 if name in dirs else 0o644)
        return cls(python, flags, lib, coverage_lib)

    def remove(self) -> None:
        shutil.rmtree(os.path.dirname(self.lib), ignore_errors=True)


class _Worker:
    def __init__(self, slot: int, uid_base: int, cage: str, checks_fd: int, log_dir: str, env: "SampleEnv"):
        self.slot = slot
        self.log_path = os.path.join(log_dir, f"worker-{slot}.log")
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                [env.python, *env.flags, "-c", _WORKER_CODE, env.lib, str(slot), str(uid_base), cage,
                 str(checks_fd), env.coverage_lib],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log,
                env={"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8"},
                pass_fds=(checks_fd,), start_new_session=True, cwd="/",
            )
        self.inflight: deque[list[dict]] = deque()
        self.isolation: IsolationReport | None = None
        self.environment = ""
        self._outbox: SimpleQueue = SimpleQueue()
        self._writer = threading.Thread(target=self._write_loop, name=f"sandbox-writer-{slot}", daemon=True)
        self._writer.start()

    def _write_loop(self) -> None:
        """Send queued messages to the worker's stdin; None (or a dead worker) closes it."""
        fd = self.proc.stdin.fileno()
        while True:
            msg = self._outbox.get()
            if msg is None:
                break
            try:
                wire.send(fd, msg)
            except OSError:  # the worker died: the reading side notices and restarts it
                break
        try:
            self.proc.stdin.close()
        except OSError:
            pass

    @property
    def out_fd(self) -> int:
        return self.proc.stdout.fileno()

    def send_batch(self, jobs: list[dict]) -> None:
        self.inflight.append(jobs)
        self._outbox.put({"type": "batch", "jobs": jobs})

    def pending(self) -> int:
        return sum(len(b) for b in self.inflight)

    def stop(self) -> None:
        self._outbox.put(None)
        self._writer.join(timeout=10)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


class Executor:
    """Run many jobs in isolated workers; `run(jobs)` yields verdicts as they finish."""

    def __init__(self, workers: int | None = None, batch_size: int = 8, log=None, sample_python: str | None = None):
        self._workers: list[_Worker] = []
        self._env = SampleEnv.make(sample_python)
        self.n_workers = max(1, workers or os.cpu_count() or 1)
        self.batch_size = max(1, batch_size)
        self._log = log
        self._dir = tempfile.mkdtemp(prefix="sftset-exec-")  # mkdtemp: 0700, so only root reads checks
        self._checks = os.path.join(self._dir, "checks")
        os.mkdir(self._checks, 0o700)
        self._checks_fd = os.open(self._checks, os.O_RDONLY | os.O_DIRECTORY)
        self._written: set[str] = set()
        # Two uids per slot (sample, checker), unique to this executor's process.
        self._uid_base = 1_000_000 + (os.getpid() % 60000) * 64
        self._cage = f"p{os.getpid()}-{secrets.token_hex(3)}"
        self._selector = selectors.DefaultSelector()
        # All workers start at once (each sets up its tree, probes and forks its zygote, a few
        # tenths of a second), then each is waited for: start-up costs one worker's, not n.
        starting = [self._spawn_worker(slot) for slot in range(self.n_workers)]
        try:
            for w in starting:
                self._await_ready(w)
        except BaseException:
            for w in starting:
                if w not in self._workers:
                    w.stop()
            raise
        self.isolation = self._workers[0].isolation

    # ---- workers ---------------------------------------------------------------------------
    def _spawn_worker(self, slot: int) -> _Worker:
        return _Worker(slot, self._uid_base, self._cage, self._checks_fd, self._dir, self._env)

    def _start_worker(self, slot: int) -> _Worker:
        return self._await_ready(self._spawn_worker(slot))

    def _await_ready(self, w: _Worker) -> _Worker:
        slot = w.slot
        try:
            ready = wire.recv(w.out_fd)
        except (EOFError, wire.WireError) as exc:
            log = Path(w.log_path).read_text(errors="replace")[-2000:]
            raise RuntimeError(f"sandbox worker failed to start: {exc}\n{log}") from None
        iso = ready["isolation"]
        w.environment = str(ready.get("environment", ""))
        w.isolation = IsolationReport(level=iso["level"], features=iso["features"], notes=iso["notes"])
        if w.isolation.level != "full" and w.isolation.level not in _warned_levels:
            _warned_levels.add(w.isolation.level)
            self._warn(f"sandbox isolation is {w.isolation.level}: {'; '.join(w.isolation.notes)}")
        if slot < len(self._workers):
            self._workers[slot] = w
        else:
            self._workers.append(w)
        self._selector.register(w.out_fd, selectors.EVENT_READ, w)
        return w

    def _warn(self, message: str) -> None:
        if self._log is not None:
            self._log(message)
        else:
            from ..progress import log

            log.warning(message)

    def _restart(self, w: _Worker) -> list[dict]:
        """Replace a dead worker; return the jobs it had not answered."""
        self._selector.unregister(w.out_fd)
        lost = [job for batch in w.inflight for job in batch]
        try:
            w.proc.kill()
            w.proc.wait(timeout=5)
        except Exception:
            pass
        w._outbox.put(None)  # its writer ends (a write to the dead pipe fails meanwhile)
        self._start_worker(w.slot)
        return lost

    # ---- jobs ------------------------------------------------------------------------------
    def _check_file(self, prompt: str, test: str) -> str:
        blob = json.dumps({"prompt": prompt, "test": test}).encode()
        name = hashlib.sha256(blob).hexdigest() + ".json"
        if name not in self._written:
            path = os.path.join(self._checks, name)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(blob)
            self._written.add(name)
        return name

    def _wire_job(self, job: Job, key: int) -> dict:
        out = {"key": key, "program": job.program, "entry_point": job.entry_point, "time_s": float(job.time_s),
               "memory_mb": int(job.memory_mb), "coverage": bool(job.coverage)}
        if job.calls is not None:
            out["calls"] = [list(c) for c in job.calls]
        else:
            out["check_file"] = self._check_file(job.prompt, job.test)
        return out

    def run(self, jobs: Iterable[Job]) -> Iterator[Verdict]:
        """Yield one Verdict per job, in the order they finish."""
        jobs = list(jobs)
        queue = deque(self._wire_job(job, i) for i, job in enumerate(jobs))
        retried: set[int] = set()
        outstanding = len(queue)
        while outstanding:
            self._feed(queue)
            for sel_key, _ in self._selector.select(timeout=1.0):
                w: _Worker = sel_key.data
                try:
                    msg = wire.recv(w.out_fd)
                except (EOFError, OSError, wire.WireError):
                    for job in self._restart(w):
                        if job["key"] in retried:
                            outstanding -= 1
                            yield Verdict(jobs[job["key"]].key, "error", detail="sandbox worker died twice on this job",
                                          environment=w.environment)
                        else:
                            retried.add(job["key"])
                            queue.appendleft(job)
                    continue
                answered = {v["key"] for v in msg.get("verdicts", [])}
                self._settle(w, answered)
                for v in msg.get("verdicts", []):
                    outstanding -= 1
                    yield Verdict(
                        key=jobs[v["key"]].key, status=v["status"], duration_s=v.get("duration_s", 0.0),
                        detail=v.get("detail", ""), isolation=w.isolation.level if w.isolation else "",
                        outputs=v.get("outputs"), coverage=v.get("coverage"), stdout=v.get("stdout", ""),
                        environment=w.environment,
                    )

    def run_all(self, jobs: Iterable[Job]) -> list[Verdict]:
        """Verdicts in the order of the jobs."""
        return run_in_order(self.run, jobs)

    def _feed(self, queue: deque) -> None:
        # Keep two batches in flight per worker: one running, one waiting in its pipe.
        for w in self._workers:
            while queue and len(w.inflight) < 2:
                size = max(1, min(self.batch_size, len(queue) // (2 * self.n_workers) or 1))
                batch = [queue.popleft() for _ in range(min(size, len(queue)))]
                w.send_batch(batch)

    @staticmethod
    def _settle(w: _Worker, answered: set[int]) -> None:
        while w.inflight:
            batch = w.inflight[0]
            remaining = [job for job in batch if job["key"] not in answered]
            answered -= {job["key"] for job in batch}
            if remaining:
                w.inflight[0] = remaining
                break
            w.inflight.popleft()

    # ---- lifecycle ---------------------------------------------------------------------------
    def close(self) -> None:
        for w in self._workers:
            try:
                self._selector.unregister(w.out_fd)
            except (KeyError, ValueError):
                pass
            w.stop()
        self._workers = []
        from .cgroups import remove_leftovers

        remove_leftovers(self._cage)  # those of workers that were killed and replaced
        try:
            os.close(self._checks_fd)
        except OSError:
            pass
        shutil.rmtree(self._dir, ignore_errors=True)
        self._env.remove()

    def __enter__(self) -> "Executor":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:  # pragma: no cover - best effort
        if self._workers:
            self.close()
