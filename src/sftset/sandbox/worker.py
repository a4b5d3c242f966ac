"""A sandbox worker: `python -m sftset.sandbox.worker SLOT UID_BASE CAGE_NAME CHECKS_FD`.

Started by sftset.sandbox.pool with a scrubbed environment. It enters its namespaces and
minimal tree once (sftset.sandbox.tree), probes that the limits are really in force, then serves
batches of jobs read from stdin and answers verdicts on stdout.

Each job forks two processes from this warm interpreter:

  sample  (uid S): runs the untrusted program, then answers calls `entry_point(*args)`
                   over a socket with values in sftset.sandbox.wire's tagged encoding.
  checker (uid C): runs the trusted check code with a `candidate` that forwards each call
                   to the sample and rebuilds the result from plain builtins. Only the
                   checker writes the verdict, on a pipe the sample never holds.

The sample never sees the check: the check code sits in a root-only file that the
checker opens before dropping root, so it is not in this process's memory when the
sample is forked. Both children live in a per-slot cgroup that is frozen and killed
after every job, so nothing a sample starts survives it.
"""
from __future__ import annotations

import builtins
import gc
import json
import os
import select
import shutil
import signal
import socket
import sys
import time

from . import cgroups, host, seccomp, tree, wire

GRACE_S = 0.25  # start-up slack on top of a problem's time limit
OUTPUT_KEEP = 4096  # bytes of the sample's stdout/stderr kept for the verdict
OUTPUT_DRAIN = 8 << 20  # past this the pipe is closed (the sample sees EPIPE)
SAMPLE_NPROC, SAMPLE_FSIZE_MB, SAMPLE_NOFILE = 32, 16, 128
SAMPLE_MEMORY_MB = 1024  # the slot's memory cgroup until a job names its own limit
WORKER_HEADROOM_MB = 192
SCRATCH_ROOT = "/scratch"
SETTLE_S = 0.5  # how long a sample that has gone may take to leave its exit status  # a tmpfs in the worker's tree; /tmp there is read-only  # the worker and the checker share the slot's group with the sample
FLUSH_S = 0.05


class Worker:
    def __init__(self, slot: int, uid_base: int, cage_name: str, checks_fd: int):
        self.slot = slot
        self.checks_fd = checks_fd
        self.notes: list[str] = []
        # The interpreter's import path stays visible even where it lies below a shadowed
        # folder (a virtualenv or checkout in /tmp, as in CI): later imports need it.
        # The worker (and so every sample) lives in a minimal read-only tree: the
        # interpreter, the system libraries and exactly the import path this process uses.
        import_dirs = [os.path.abspath(p) for p in sys.path if p and os.path.isdir(p)]
        self.cage = cgroups.Cgroup(f"{cage_name}-{slot}", pids_max=SAMPLE_NPROC * 2,
                                   memory_mb=SAMPLE_MEMORY_MB + WORKER_HEADROOM_MB)
        self.features = tree.enter_private_tree(self.notes, readonly=tree.interpreter_paths() + import_dirs,
                                                cgroup=self.cage, scratch=SCRATCH_ROOT)
        host.set_subreaper()
        host.die_with_parent()
        _protect_from_oom()
        self.root = os.geteuid() == 0 and not self.features["userns"]
        self.uid_sample = uid_base + 2 * slot if self.root else None
        self.uid_check = uid_base + 2 * slot + 1 if self.root else None
        if self.uid_sample is None:
            self.notes.append("not root: samples keep our uid (root of a user namespace, with no capabilities)")
        try:
            self.seccomp = seccomp.compile_filter()  # once: each sample only loads the bytes
        except OSError as exc:
            self.seccomp = None
            self.notes.append(f"no syscall filter: libseccomp unusable ({exc})")
        for ctrl in self.cage.missing:
            self.notes.append(f"no {ctrl} cgroup for this slot")
        if self.features.get("tree"):
            self.scratch_root = SCRATCH_ROOT
        else:
            import tempfile

            self.scratch_root = tempfile.mkdtemp(prefix="sftset-scratch-")
        self.counter = 0
        self.seq = 0
        self._dying: set[int] = set()
        self.ctrl: socket.socket | None = None
        self.checker_pid: int | None = None
        if hasattr(sys, "set_int_max_str_digits"):
            sys.set_int_max_str_digits(0)
        self.forker = tree.SampleForker() if self.features.get("tree") else None
        _preload()
        # Objects that exist now are never collected: the collector then leaves their
        # pages alone in forked children, which keeps copy-on-write faults (and so the
        # cost of each fork) down.
        gc.collect()
        gc.freeze()

    def _fork_sample(self) -> int:
        return self.forker.fork() if self.forker is not None else os.fork()

    # ---- start-up probe ------------------------------------------------------------------
    def probe(self) -> dict:
        """Fork a child set up exactly like a sample and ask it what it can do."""
        r, w = os.pipe()
        scratch = self._new_scratch()
        pid = self._fork_sample()
        if pid == 0:
            os.close(r)
            report = {}
            try:
                self._enter_sample_jail(scratch, 3.0, 256)
                report = _probe_from_inside(self.features)
            except BaseException as exc:  # report what failed rather than die silently
                report = {"error": repr(exc)}
            os.write(w, json.dumps(report).encode())
            os._exit(0)
        os.close(w)
        data = b""
        while chunk := os.read(r, 65536):
            data += chunk
        os.close(r)
        self._cleanup(scratch, [pid])
        self._reap_dying()
        report = json.loads(data or b"{}")
        features = dict(self.features)
        features.update({k: v for k, v in report.items() if isinstance(v, bool)})
        features["cgroup"] = self.cage.kind != "none" and report.get("in_cage", False)
        features["memory_cgroup"] = features["cgroup"] and "memory" not in self.cage.missing
        features["cpu_cgroup"] = features["cgroup"] and "cpu" not in self.cage.missing
        if report.get("error"):
            self.notes.append(f"probe failed: {report['error']}")
        for name, missing in (("netns", "network namespace"), ("unprivileged", "unprivileged uid"),
                              ("no_caps", "capabilities dropped"), ("nproc", "process limit"),
                              ("cgroup", "pids cgroup"), ("no_write_outside", "private /tmp"),
                              ("pidns", "PID namespace per sample"), ("ipcns", "IPC namespace per sample"),
                              ("tree", "minimal read-only tree"), ("seccomp", "seccomp filter"),
                              ("memory_cgroup", "memory cgroup"), ("cpu_cgroup", "cpu cgroup")):
            if not features.get(name):
                self.notes.append(f"{missing} not in force")
        return {"features": features, "notes": self.notes, "level": _level(features)}

    # ---- the job loop ----------------------------------------------------------------------
    def serve(self) -> None:
        wire.send(1, {"type": "ready", "isolation": self.probe()})
        while True:
            try:
                msg = wire.recv(0)
            except EOFError:
                break
            if msg.get("type") != "batch":
                continue
            outbox, last = [], time.monotonic()
            for job in msg["jobs"]:
                outbox.append(self.run_job(job))
                if time.monotonic() - last > FLUSH_S:
                    wire.send(1, {"type": "verdicts", "verdicts": outbox})
                    outbox, last = [], time.monotonic()
            if outbox:
                wire.send(1, {"type": "verdicts", "verdicts": outbox})
            self._reap_dying()
        self._stop_checker()
        self._kill_leftovers(set())  # the cgroup goes once we have ended (see tree.enter_private_tree)

    def run_job(self, job: dict) -> dict:
        t0 = time.monotonic()
        time_s = float(job.get("time_s", 3.0))
        self.cage.set_memory(int(job.get("memory_mb", 1024)) + WORKER_HEADROOM_MB)
        self.seq += 1
        scratch = self._new_scratch()
        out_r, out_w = os.pipe()
        sock_c, sock_s = socket.socketpair()
        pid_s = self._fork_sample()
        if pid_s == 0:  # the sample: forked before the check file is even opened
            os.close(out_r)
            sock_c.close()
            self._sample_main(job, scratch, out_w, sock_s.detach())
        os.close(out_w)
        sock_s.close()
        if self.checker_pid is None:
            self._start_checker()
        header = {k: v for k, v in job.items() if k != "program"}
        header["seq"] = self.seq
        fds = [sock_c.fileno()]
        if job.get("check_file"):
            # Hand over the open file, never its text: the test must not sit in this
            # process's memory, where a later sample forked from us could find it.
            fds.append(os.open(job["check_file"], os.O_RDONLY, dir_fd=self.checks_fd))
        try:
            wire.send_with_fds(self.ctrl.fileno(), header, fds)
        except OSError:
            self._stop_checker()
        finally:
            for fd in fds[1:]:
                os.close(fd)
            sock_c.close()

        deadline = t0 + time_s + GRACE_S
        kept, drained, result, timed_out = bytearray(), 0, None, False
        ctrl = self.ctrl.fileno() if self.ctrl else -1
        open_fds = {out_r, ctrl} - {-1}
        while result is None and open_fds:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                timed_out = True
                break
            ready, _, _ = select.select(list(open_fds), [], [], remaining)
            for fd in ready:
                if fd == ctrl:
                    try:
                        msg = wire.recv(ctrl)
                    except (EOFError, OSError, wire.WireError):
                        self._stop_checker()
                        open_fds.discard(fd)
                        result = {"status": "error", "detail": "the checker ended without a verdict"}
                        break
                    if msg.get("seq") == self.seq:  # a late answer to an abandoned job is dropped
                        result = msg
                    continue
                chunk = os.read(fd, 65536)
                if not chunk:
                    open_fds.discard(fd)
                    continue
                drained += len(chunk)
                if len(kept) < OUTPUT_KEEP:
                    kept += chunk[: OUTPUT_KEEP - len(kept)]
                if drained > OUTPUT_DRAIN:
                    open_fds.discard(fd)
                    os.close(fd)
                    out_r = -1
        duration = time.monotonic() - t0
        if result is None and self.checker_pid is not None:
            # The check is still running (a stuck check, or we timed out): start afresh.
            self._stop_checker()
        status_s = self._cleanup(scratch, [pid_s], watch=pid_s,
                                 settle=isinstance(result, dict) and bool(result.get("sample_gone")))
        if out_r >= 0:
            os.close(out_r)
        verdict = self._verdict(result, timed_out, status_s, time_s)
        verdict.pop("seq", None)
        verdict.update(key=job["key"], duration_s=round(duration, 6), stdout=kept.decode("utf-8", "replace"))
        return verdict

    # ---- the persistent checker --------------------------------------------------------------
    def _start_checker(self) -> None:
        """Fork the checker: one process per worker, as its own uid, that runs trusted checks."""
        ours, theirs = socket.socketpair()
        pid = os.fork()
        if pid == 0:
            ours.close()
            try:
                fd = theirs.detach()
                devnull = os.open(os.devnull, os.O_RDWR)
                for target in (0, 1, 2):
                    os.dup2(devnull, target)
                _close_all_but({0, 1, 2, fd})
                os.setsid()
                host.set_limits(10**6, 2048, 8, 1, 64)  # no CPU cap: we enforce wall time per job
                if self.uid_check is not None:
                    host.drop_privileges(self.uid_check)
                elif self.features.get("userns"):
                    host.drop_all_capabilities()
                from .checker import serve_checks

                serve_checks(fd)
            finally:
                os._exit(0)
        theirs.close()
        self.ctrl, self.checker_pid = ours, pid

    def _stop_checker(self) -> None:
        if self.checker_pid is not None:
            try:
                os.kill(self.checker_pid, signal.SIGKILL)
                os.waitpid(self.checker_pid, 0)
            except (ProcessLookupError, ChildProcessError):
                pass
        if self.ctrl is not None:
            self.ctrl.close()
        self.ctrl, self.checker_pid = None, None

    def _verdict(self, result: dict | None, timed_out: bool, status_s: int | None, time_s: float) -> dict:
        if timed_out:
            return {"status": "timeout", "detail": f"time limit of {time_s:g}s exceeded"}
        if not isinstance(result, dict) or "status" not in result:
            return {"status": "error", "detail": "the checker ended without a verdict"}
        if result.get("sample_gone") and status_s is None:
            result = {"status": "failed", "detail": "the sample stopped answering before the check finished"}
        elif result.get("sample_gone"):
            # The sample vanished mid-check: say how, from its exit status.
            if os.WIFSIGNALED(status_s):
                sig = os.WTERMSIG(status_s)
                if sig in (signal.SIGXCPU, signal.SIGKILL):
                    return {"status": "timeout", "detail": f"CPU time limit of {time_s:g}s exceeded"}
                result = {"status": "error", "detail": f"sample killed by {signal.Signals(sig).name}"}
            elif os.WIFEXITED(status_s):
                result = {"status": "failed",
                          "detail": f"sample exited with status {os.WEXITSTATUS(status_s)} before the check finished"}
        return result

    # ---- the two children ------------------------------------------------------------------
    def _enter_sample_jail(self, scratch: str, time_s: float, memory_mb: int) -> None:
        """Everything a sample runs under, applied in the forked child while it is still root."""
        if self.forker is not None:  # PID 1 of our own PID namespace: new IPC and mount ones too
            tree.enter_sample_namespaces(memory_mb)
        os.setsid()
        os.chdir(scratch)
        os.environ.clear()
        os.environ.update({"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": scratch, "TMPDIR": scratch,
                           "LANG": "C.UTF-8", "PYTHONDONTWRITEBYTECODE": "1"})
        _write_proc("/proc/self/oom_score_adj", "1000")  # under memory pressure the sample goes first
        host.set_limits(time_s, memory_mb, SAMPLE_NPROC, SAMPLE_FSIZE_MB, SAMPLE_NOFILE)
        if self.uid_sample is not None:
            host.drop_privileges(self.uid_sample)
        elif self.features.get("userns"):
            host.drop_all_capabilities()
        else:
            host.prctl(host.PR_SET_NO_NEW_PRIVS, 1)
        if self.seccomp:
            seccomp.load(self.seccomp)

    def _sample_main(self, job: dict, scratch: str, out_w: int, sock: int) -> None:
        try:
            devnull = os.open(os.devnull, os.O_RDONLY)
            os.dup2(devnull, 0)
            os.dup2(out_w, 1)
            os.dup2(out_w, 2)
            _close_all_but({0, 1, 2, sock})
            self._enter_sample_jail(scratch, float(job.get("time_s", 3.0)), int(job.get("memory_mb", 1024)))
            import random

            random.seed()  # a fresh interpreter would not share the worker's random state
        except BaseException as exc:
            _safe_send(sock, {"load_error": f"sandbox set-up failed: {exc!r}", "exc": "SandboxError"})
            os._exit(70)
        _serve_sample(job, scratch, sock)
        os._exit(0)

    # ---- bookkeeping -----------------------------------------------------------------------
    def _new_scratch(self) -> str:
        self.counter += 1
        path = os.path.join(self.scratch_root, f"job-{os.getpid()}-{self.counter}")
        os.mkdir(path, 0o700)
        if self.uid_sample is not None:
            os.chown(path, self.uid_sample, self.uid_sample)
        return path

    def _reap(self) -> dict[int, int]:
        statuses = {}
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break
            statuses[pid] = status
        self._reaped.update(statuses)
        self._dying.difference_update(statuses)
        return statuses

    def _reap_dying(self) -> None:
        """Wait for the samples killed but not yet reaped (a few milliseconds each)."""
        for pid in list(self._dying):
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass
            self._dying.discard(pid)

    _reaped: dict[int, int] = {}

    def _cleanup(self, scratch: str, pids: list[int], watch: int | None = None, settle: bool = False) -> int | None:
        """Kill everything the job started, reap it, remove its scratch folder.

        Returns the exit status of `watch` if it had ended before we killed it (with
        `settle`, the sample is known to be going: wait briefly for its status)."""
        self._reaped = {}
        if watch is not None:  # a sample that ended on its own has a status worth keeping
            self._reap()
            end = time.monotonic() + SETTLE_S
            while settle and watch not in self._reaped and time.monotonic() < end:
                time.sleep(0.001)
                self._reap()
        ended_alone = self._reaped.get(watch)
        for pid in pids:
            if pid not in self._reaped:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        if self.forker is None:
            for pid in pids:
                if pid not in self._reaped:
                    try:
                        self._reaped[pid] = os.waitpid(pid, 0)[1]
                    except ChildProcessError:
                        pass
            self._kill_leftovers(set(pids))
        else:
            # The sample is PID 1 of its own PID namespace. SIGKILLed, nothing it started
            # can run again, and the kernel ends all of it; waiting for that (tearing down
            # a mount namespace waits for an RCU grace period) would only delay the next
            # sample. It is reaped by a later _reap, or at the end of the batch.
            self._dying.update(pid for pid in pids if pid not in self._reaped)
        shutil.rmtree(scratch, ignore_errors=True)
        return ended_alone

    def _kill_leftovers(self, done: set[int]) -> None:
        """Anything still in our cage (or, without a cage, of the sample's uid) dies now."""
        me = {os.getpid(), self.checker_pid}
        if self.cage.kind != "none" and not self.cage.strays(me | done):
            return
        for attempt in range(20):
            # Usually only the sample's PID 1 (its namespace dies with it), already
            # SIGKILLed through its parent-death signal: waiting for it costs nothing.
            strays = self.cage.strays(me)
            for pid in strays:  # e.g. something the checker started
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            for pid in strays:
                try:
                    self._reaped[pid] = os.waitpid(pid, 0)[1]
                except ChildProcessError:
                    pass
            self._reap()
            if not self.cage.strays(me):
                return
            if self.uid_sample is not None and attempt:
                host.kill_uid(self.uid_sample, self._reap)
            time.sleep(0.002)


def _write_proc(path: str, value: str) -> bool:
    try:
        with open(path, "w") as fh:
            fh.write(value)
        return True
    except OSError:
        return False


def _protect_from_oom() -> None:
    """The slot's memory cgroup kills its largest process when full: never the worker
    (root can set -1000; a plain user can only leave it at 0, and samples raise theirs)."""
    _write_proc("/proc/self/oom_score_adj", "-1000")


# Modules imported once in the worker so that samples and checkers fork with them loaded.
_PRELOAD = ("random", "math", "cmath", "collections", "itertools", "functools", "heapq", "bisect", "re", "string",
            "typing", "fractions", "decimal", "statistics", "datetime", "json", "copy", "operator", "hashlib",
            "array", "struct", "ast", "sftset.sandbox.checker")


def _preload() -> None:
    import importlib

    for name in _PRELOAD:
        try:
            importlib.import_module(name)
        except ImportError:
            pass


# ---- code that runs inside the sample process -------------------------------------------------
def _serve_sample(job: dict, scratch: str, sock: int) -> None:
    """Load the program, then answer calls until told to stop. Runs as the sample."""
    program = job.get("program", "")
    cov = None
    filename = "<sample>"
    try:
        if job.get("coverage"):
            filename = os.path.join(scratch, "solution.py")
            with open(filename, "w") as fh:
                fh.write(program)
            import coverage

            cov = coverage.Coverage(data_file=None, branch=True, include=[filename])
            cov.start()
        namespace = {"__name__": "__sandbox__", "__builtins__": builtins}
        exec(compile(program, filename, "exec", dont_inherit=True), namespace)  # not this module's __future__ flags
        fn = namespace.get(job.get("entry_point") or "")
        if job.get("entry_point") and not callable(fn):
            raise NameError(f"the program does not define {job['entry_point']!r}")
    except BaseException as exc:
        _safe_send(sock, {"load_error": _describe(exc), "exc": type(exc).__name__})
        return
    wire.send(sock, {"loaded": True})
    encode, decode, send, recv = wire.encode, wire.decode, wire.send, wire.recv
    while True:
        try:
            msg = recv(sock)
        except BaseException:
            return
        if "call" in msg:
            try:
                args, kwargs = decode(msg["call"]), decode(msg["kwargs"])
                value = fn(*args, **kwargs)
                try:
                    reply = {"ok": encode(value)}
                except wire.Unsupported as exc:
                    reply = {"unsupported": str(exc)}
            except BaseException as exc:
                reply = {"raises": type(exc).__name__, "message": _describe(exc, with_type=False),
                         "mro": [c.__name__ for c in type(exc).__mro__][:16]}
            try:
                send(sock, reply)
            except BaseException:
                return
        elif "coverage" in msg:
            send(sock, {"coverage": _coverage_report(cov, filename, scratch)})
        else:
            return


def _coverage_report(cov, filename: str, scratch: str) -> dict | None:
    if cov is None:
        return None
    cov.stop()
    out = os.path.join(scratch, "coverage.json")
    cov.json_report(outfile=out, show_contexts=False)
    with open(out) as fh:
        files = json.load(fh).get("files", {})
    data = files.get(filename) or next(iter(files.values()), None)
    if not data:
        return {"executed_lines": [], "missing_lines": [], "executed_branches": [], "missing_branches": []}
    return {k: data.get(k, []) for k in ("executed_lines", "missing_lines", "executed_branches", "missing_branches")}


def _describe(exc: BaseException, with_type: bool = True) -> str:
    try:
        text = str(exc)
    except BaseException:
        text = "<unprintable>"
    text = text[:300]
    return f"{type(exc).__name__}: {text}" if with_type else text


def _safe_send(sock: int, message: dict) -> None:
    try:
        wire.send(sock, message)
    except BaseException:
        pass


def _close_all_but(keep: set[int]) -> None:
    low = 0
    for fd in sorted(keep) + [65536]:
        if fd > low:
            os.closerange(low, fd)
        low = max(low, fd + 1)


def _probe_from_inside(features: dict) -> dict:
    import errno
    import resource

    report = {"unprivileged": os.getuid() != 0 and os.geteuid() != 0}
    try:
        os.setuid(0)
        report["unprivileged"] = False
    except PermissionError:
        pass
    report["no_caps"] = host.capabilities_effective() == 0
    report["no_new_privs"] = host.prctl(host.PR_GET_NO_NEW_PRIVS) == 1
    report["nproc"] = resource.getrlimit(resource.RLIMIT_NPROC)[0] == SAMPLE_NPROC and report["unprivileged"]
    report["rlimits"] = resource.getrlimit(resource.RLIMIT_AS)[0] == 256 << 20
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(0.5)
    try:
        s.connect(("127.0.0.1", 9))
        report["netns"] = False
    except OSError as exc:
        report["netns"] = features.get("netns", False) and exc.errno in (errno.ENETUNREACH, errno.EHOSTUNREACH)
    finally:
        s.close()
    try:
        with open(f"/tmp/.sftset-probe-{os.getpid()}", "w"):
            pass
        report["no_write_outside"] = False
    except OSError:
        report["no_write_outside"] = True
    with open("/proc/self/cgroup") as fh:
        report["in_cage"] = "sftset" in fh.read()
    report["pidns"] = os.getpid() == 1
    report["tree"] = features.get("tree", False) and not any(
        os.path.exists(p) for p in ("/etc/shadow", "/sys/kernel", "/run", "/var/log"))
    try:
        host.unshare(host.CLONE_NEWUSER)
        report["seccomp"] = False
    except OSError:
        report["seccomp"] = True
    return report


def _level(features: dict) -> str:
    wanted = ("netns", "mountns", "pidns", "ipcns", "tree", "seccomp", "unprivileged", "no_caps", "no_new_privs",
              "nproc", "rlimits", "cgroup", "memory_cgroup", "cpu_cgroup", "no_write_outside")
    missing = [name for name in wanted if not features.get(name)]
    return "full" if not missing else "partial(no " + ",".join(missing) + ")"


def main(argv: list[str]) -> None:
    slot, uid_base, cage_name, checks_fd = int(argv[0]), int(argv[1]), argv[2], int(argv[3])
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the pool stops us by closing stdin
    Worker(slot, uid_base, cage_name, checks_fd).serve()


if __name__ == "__main__":
    main(sys.argv[1:])
