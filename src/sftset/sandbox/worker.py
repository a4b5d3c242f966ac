"""A sandbox worker: `python -m sftset.sandbox.worker SLOT UID_BASE CAGE_NAME CHECKS_FD`.

Started by sftset.sandbox.pool with a scrubbed environment. It enters its namespaces and
minimal tree once (sftset.sandbox.tree), probes that the limits are really in force, then serves
batches of jobs read from stdin and answers verdicts on stdout.

Samples are forked from a zygote: a child of this worker forked before the first job (so
inside the worker's tree, namespaces and slot cgroups),
which holds no job and no verdict and only ever receives file descriptors, so a sample
that searches its own memory finds its own job and nothing else (not a batch-mate's
program, not a verdict that quotes an expected value). The sample reads its job from a
memfd of its own. The zygote forks each sample through tree.SampleForker (PID 1 of a
fresh PID namespace, which then enters new IPC and mount namespaces, loads the seccomp
filter and drops privileges), reaps its children and reports how each ended.

Each job runs in two processes:

  sample  (uid S): runs the untrusted program, then answers calls `entry_point(*args)`
                   over a socket with values in sftset.sandbox.wire's tagged encoding.
  checker (uid C): runs the trusted check code with a `candidate` that forwards each call
                   to the sample and rebuilds the result from plain builtins. Only the
                   checker writes the verdict, on a pipe the sample never holds.

The sample never sees the check: the check code sits in a root-only file that the
checker opens before dropping root, so it is not in this process's memory when the
sample is forked. Everything lives in the slot's memory/cpu/pids cgroups; a sample's
PID namespace ends with it, so nothing a sample starts survives it.
"""
from __future__ import annotations

import builtins
import gc
import json
import os
import select
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
WORKER_HEADROOM_MB = 192  # the worker, zygote and checker share the slot's group with the sample
SCRATCH_ROOT = "/scratch"  # a tmpfs in the worker's tree; /tmp there is read-only
FLUSH_S = 0.05


class Worker:
    def __init__(self, slot: int, uid_base: int, cage_name: str, checks_fd: int, coverage_lib: str = ""):
        self.slot = slot
        self.checks_fd = checks_fd
        self.coverage_lib = coverage_lib if coverage_lib and os.path.isdir(coverage_lib) else ""
        self.notes: list[str] = []
        # The worker (and so the zygote and every sample) lives in a minimal read-only tree:
        # the interpreter's installation, the system libraries and exactly import_path().
        self.cage = cgroups.Cgroup(f"{cage_name}-{slot}", pids_max=SAMPLE_NPROC * 2,
                                   memory_mb=SAMPLE_MEMORY_MB + WORKER_HEADROOM_MB)
        self.features = tree.enter_private_tree(self.notes, readonly=tree.interpreter_paths() + self.import_path(),
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
            self.seccomp = seccomp.Loader(seccomp.compile_filter())  # once: each sample only loads it
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
        self.ctrl: socket.socket | None = None
        self.checker_pid: int | None = None
        self.zygote: socket.socket | None = None
        self.zygote_pid: int | None = None
        self._spawned: dict[int, int] = {}  # job seq -> its sample's pid, as the zygote announced it
        self._dead: list[int] = []  # samples seen dead, for the zygote to reap with the next request
        self._reap_pending = False  # dead samples handed to the zygote that it may not have reaped yet
        if hasattr(sys, "set_int_max_str_digits"):
            sys.set_int_max_str_digits(0)
        self.forker = tree.SampleForker() if self.features.get("tree") else None
        _preload()
        # Objects that exist now are never collected: the collector then leaves their
        # pages alone in forked children, which keeps copy-on-write faults (and so the
        # cost of each fork) down.
        gc.collect()
        gc.freeze()

    def import_path(self) -> list[str]:
        """Exactly the folders samples import from: the interpreter's import path (started
        -I -S by default: its standard library and the sandbox's copy of its own code) and
        the coverage copy that coverage jobs add."""
        dirs = [os.path.abspath(p) for p in sys.path if p and os.path.isdir(p)]
        return dirs + ([self.coverage_lib] if self.coverage_lib else [])

    def environment(self) -> str:
        """The sample environment, as each verdict records it."""
        v = sys.version_info
        what = "standard library only" if sys.flags.no_site else "with its site-packages"
        return f"python {v.major}.{v.minor}.{v.micro} {sys.executable} ({what})"

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
        os.waitpid(pid, 0)  # the probe is our own child (forked before any job, as the zygote is)
        self._kill_leftovers({pid})
        _remove_tree(scratch)
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
        ready = {"type": "ready", "isolation": self.probe(), "environment": self.environment()}
        self._start_zygote()  # before any job reaches this process
        self._start_checker()
        wire.send(1, ready)
        while True:
            try:
                msg = wire.recv(0)
            except EOFError:
                break
            if msg.get("type") != "batch":
                continue
            outbox, last = [], time.monotonic()
            for i, job in enumerate(msg["jobs"]):
                outbox.append(self.run_job_safely(job))
                final = i == len(msg["jobs"]) - 1
                if final or time.monotonic() - last > FLUSH_S:
                    if final and not _readable(0):
                        # No more work queued: before these verdicts leave, every sample of ours
                        # is reaped, so nothing of them is left once the caller has its answers.
                        # While work is queued, samples killed (with all of their PID namespace)
                        # are reaped by the zygote as soon as they are gone, with its next
                        # request: waiting here for their namespaces' teardown (an RCU grace
                        # period, milliseconds) would leave this slot's CPU idle.
                        self._reap_dead()
                    elif self.forker is not None:
                        self._kill_checker_strays()
                    wire.send(1, {"type": "verdicts", "verdicts": outbox})
                    outbox, last = [], time.monotonic()
        self._reap_dead()
        self._stop_checker()
        self.zygote.close()  # it ends at the end of its requests; reaped here, not left to init
        try:
            os.waitpid(self.zygote_pid, 0)
        except ChildProcessError:
            pass
        self._kill_leftovers(set())  # the cgroup goes once we have ended (see tree.enter_private_tree)

    def run_job_safely(self, job: dict) -> dict:
        """run_job, and whatever goes wrong in it costs this job only, never the worker (and so
        never a batch-mate's verdict); every detail that goes back is capped."""
        try:
            verdict = self.run_job(job)
        except Exception as exc:
            verdict = {"status": "error", "detail": f"harness error: {type(exc).__name__}: {exc}"}
            try:
                self._kill_leftovers(set())  # whatever the job had started
            except Exception:
                pass
        return _capped(verdict, job)

    def run_job(self, job: dict) -> dict:
        t0 = time.monotonic()
        time_s = float(job.get("time_s", 3.0))
        memory_mb = int(job.get("memory_mb", 1024))
        self.cage.set_memory(memory_mb + WORKER_HEADROOM_MB)
        oom_before = self.cage.oom_kills()
        self.seq += 1
        scratch = self._new_scratch()
        out_r, out_w = os.pipe()
        sock_c, sock_s = socket.socketpair()
        job_fd = _job_memfd(job)
        try:  # the sample: forked by the zygote, from a process that never held a job
            self._zygote_tell({"op": "sample", "seq": self.seq, "scratch": scratch, "time_s": time_s,
                               "memory_mb": memory_mb, "reap": self._dead},
                              [job_fd, out_w, sock_s.fileno()])
            self._reap_pending |= bool(self._dead)
            self._dead = []
        finally:
            os.close(job_fd)
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
            wire.send_with_fds(self.ctrl, header, fds)
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
        # A sample that closed its channel is on its way out: give it a moment to end by itself,
        # so that how it ended (a signal, an exit status) is known.
        gone = isinstance(result, dict) and bool(result.get("sample_gone"))
        ended = self._cleanup(scratch, self.seq, grace_s=0.1 if gone else 0.0, need_status=gone or timed_out)
        if "status" in ended and oom_before is not None:
            # The slot's memory cgroup (memory_mb + headroom, for the whole tree) killed something.
            ended["oom_kill"] = (self.cage.oom_kills() or 0) > oom_before
        if out_r >= 0:
            os.close(out_r)
        verdict = self._verdict(result, timed_out, ended, time_s, memory_mb)
        verdict.pop("seq", None)
        verdict.update(key=job["key"], duration_s=round(duration, 6), stdout=kept.decode("utf-8", "replace"))
        return verdict

    # ---- the zygote ----------------------------------------------------------------------------
    def _start_zygote(self) -> None:
        ours, theirs = socket.socketpair()
        pid = os.fork()
        if pid == 0:
            ours.close()
            try:
                self._zygote_main(theirs.detach())
            finally:
                os._exit(0)
        theirs.close()
        self.zygote, self.zygote_pid = ours, pid

    def _zygote_ask(self, message: dict, fds: list[int] = ()) -> dict:
        self._zygote_tell(message, fds)
        return self._zygote_read(lambda reply: "spawned" not in reply)

    def _zygote_read(self, wanted) -> dict:
        """The zygote's next message that `wanted` accepts; sample pids it announces meanwhile are kept."""
        while True:
            try:
                reply = wire.recv(self.zygote.fileno())
            except (EOFError, OSError, wire.WireError) as exc:
                self._zygote_lost(exc)
            if "spawned" in reply:
                self._spawned[reply["spawned"]] = reply["pid"]
            if wanted(reply):
                return reply

    def _reap_dead(self) -> None:
        """Reap every sample handed to the zygote, waiting for those still tearing down; then kill
        whatever else is in our cage. Done before the last verdicts go out when no more work is
        queued (see serve), so no trace of a sample is left once the caller has all its answers."""
        if self._dead or self._reap_pending:
            self._zygote_ask({"op": "reap", "reap": self._dead})
            self._dead, self._reap_pending = [], False
            if self.forker is not None:
                self._kill_leftovers(set())  # e.g. something the checker started

    def _sample_pid(self, seq: int) -> int:
        """The pid of this job's sample; 0 if it could not be started."""
        if seq not in self._spawned:
            self._zygote_read(lambda reply: reply.get("spawned") == seq)
        return self._spawned.pop(seq)

    def _zygote_tell(self, message: dict, fds: list[int] = ()) -> None:
        try:
            if fds:
                wire.send_with_fds(self.zygote, message, list(fds))
            else:
                wire.send(self.zygote.fileno(), message)
        except OSError as exc:
            self._zygote_lost(exc)

    @staticmethod
    def _zygote_lost(exc: BaseException) -> None:
        # Without a clean process to fork from, this worker must not fork samples itself:
        # it ends, and the pool starts a fresh one.
        os.write(2, f"sandbox zygote lost ({exc!r}); worker ends\n".encode())
        os._exit(75)

    def _zygote_main(self, ctrl: int) -> None:
        """Fork samples and checkers on request; reap them and say how they ended. This
        process never reads a job: it gets open descriptors and the sample's limits only."""
        host.die_with_parent()
        self.zygote = None
        if self.forker is not None:  # samples forked from here are PID 1 of their namespace
            for sig in _INIT_DROPS:
                signal.signal(sig, _end_as_if_signalled)
        # Not the worker's job stream, its verdict pipe or the check files: only what each request hands over.
        devnull = os.open(os.devnull, os.O_RDWR)
        os.dup2(devnull, 0)
        os.dup2(devnull, 1)
        os.close(devnull)
        os.close(self.checks_fd)
        # Spawning needs no answer: the pid follows when it is known, and the worker reads it when it
        # needs it. A sample is reaped only when the worker says so, so its pid is never reused before.
        # Those killed are reaped as soon as they are gone (a PID namespace takes a moment to end),
        # and all of them before the worker's verdicts leave ("reap").
        dying: set[int] = set()
        channel = socket.socket(fileno=ctrl)  # wrapped once, not per request
        gc.collect()
        _trim_heap()
        _set_sample_environment(SCRATCH_ROOT)  # each sample then only sets its own HOME and TMPDIR
        while True:
            try:
                msg, fds = wire.recv_with_fds(channel, 4)
            except (EOFError, OSError, wire.WireError):
                return
            op = msg.get("op")
            dying.update(int(pid) for pid in msg.get("reap", ()) if int(pid) > 0)  # no answer wanted
            for pid in list(dying):
                if op == "reap" or _has_ended(pid):
                    _finish(pid)
                    dying.discard(pid)
            if op in ("sample", "checker"):
                try:
                    pid = self._fork_sample() if op == "sample" else os.fork()
                except OSError as exc:  # e.g. the pids cgroup still full: this job fails, the zygote stays
                    for fd in fds:
                        os.close(fd)
                    wire.send(ctrl, {"spawned": msg["seq"], "pid": 0, "error": f"fork: {exc.strerror}"}
                              if op == "sample" else {"pid": 0})
                    continue
                if pid == 0:
                    os.close(ctrl)
                    if op == "sample":
                        self._sample_main(msg, fds[0], fds[1], fds[2])
                    self._checker_main(fds[0])
                for fd in fds:
                    os.close(fd)
                wire.send(ctrl, {"spawned": msg["seq"], "pid": pid} if op == "sample" else {"pid": pid})
            elif op == "finish":
                wire.send(ctrl, _finish(int(msg["pid"]), float(msg.get("grace_s", 0))))
            elif op == "reap":
                wire.send(ctrl, {"reaped": len(msg.get("reap", ()))})

    # ---- the persistent checker --------------------------------------------------------------
    def _start_checker(self) -> None:
        """Start the checker: one process per worker, as its own uid, that runs trusted checks."""
        ours, theirs = socket.socketpair()
        try:
            pid = self._zygote_ask({"op": "checker"}, [theirs.fileno()])["pid"] or None
        finally:
            theirs.close()
        self.ctrl, self.checker_pid = ours, pid

    def _checker_main(self, fd: int) -> None:
        try:
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

    def _stop_checker(self) -> None:
        if self.checker_pid is not None:
            self._zygote_ask({"op": "finish", "pid": self.checker_pid})
        if self.ctrl is not None:
            self.ctrl.close()
        self.ctrl, self.checker_pid = None, None

    def _verdict(self, result: dict | None, timed_out: bool, ended: dict, time_s: float, memory_mb: int) -> dict:
        # What was hit decides: a sample that filled its memory is `memory` whether it then
        # raised MemoryError, was killed, or ran on until the clock stopped it.
        if ended.get("not_started"):
            return {"status": "error", "detail": "the sandbox could not start the sample (fork failed)"}
        hit_memory = ended.get("maxrss_kb", 0) >= MEMORY_HIT * memory_mb * 1024 or bool(ended.get("oom_kill"))
        if timed_out:
            if hit_memory:
                return {"status": "memory", "detail": f"memory limit of {memory_mb} MB reached"}
            return {"status": "timeout", "detail": f"time limit of {time_s:g}s exceeded"}
        if not isinstance(result, dict) or "status" not in result:
            return {"status": "error", "detail": "the checker ended without a verdict"}
        status_s = ended.get("status") if ended.get("alone") else None
        if result.get("sample_gone") and status_s is None:
            result = {"status": "failed", "detail": "the sample stopped answering before the check finished"}
        elif result.get("sample_gone"):
            # The sample vanished mid-check: say how, from its exit status.
            sig = self._ending_signal(status_s)
            if sig:
                if hit_memory and sig in (signal.SIGKILL, signal.SIGSEGV, signal.SIGBUS, signal.SIGABRT):
                    return {"status": "memory", "detail": f"memory limit of {memory_mb} MB reached "
                                                          f"(killed by {_signal_name(sig)})"}
                if sig == signal.SIGXCPU or (sig == signal.SIGKILL and ended.get("cpu_s", 0) >= time_s):
                    return {"status": "timeout", "detail": f"CPU time limit of {time_s:g}s exceeded"}
                result = {"status": "error", "detail": f"sample killed by {_signal_name(sig)}"}
            elif hit_memory:
                return {"status": "memory", "detail": f"memory limit of {memory_mb} MB reached"}
            elif os.WIFEXITED(status_s):
                result = {"status": "failed",
                          "detail": f"sample exited with status {os.WEXITSTATUS(status_s)} before the check finished"}
        return result

    def _ending_signal(self, status: int) -> int:
        """The signal that ended a sample (0: none). A sample that is PID 1 of its namespace
        ends through _end_as_if_signalled, with status 128 + the signal."""
        if os.WIFSIGNALED(status):
            return os.WTERMSIG(status)
        if self.forker is not None and os.WIFEXITED(status) and os.WEXITSTATUS(status) - 128 in _INIT_DROPS:
            return os.WEXITSTATUS(status) - 128
        return 0

    # ---- the two children ------------------------------------------------------------------
    def _enter_sample_jail(self, scratch: str, time_s: float, memory_mb: int) -> None:
        """Everything a sample runs under, applied in the forked child while it is still root."""
        if self.forker is not None:  # PID 1 of our own PID namespace: new IPC and mount ones too
            tree.enter_sample_namespaces(memory_mb)
        os.setsid()
        os.chdir(scratch)
        _set_sample_environment(scratch)
        _write_proc("/proc/self/oom_score_adj", "1000")  # under memory pressure the sample goes first
        host.set_limits(time_s, memory_mb, SAMPLE_NPROC, SAMPLE_FSIZE_MB, SAMPLE_NOFILE)
        if self.uid_sample is not None:
            host.drop_privileges(self.uid_sample)
        elif self.features.get("userns"):
            host.drop_all_capabilities()
        else:
            host.prctl(host.PR_SET_NO_NEW_PRIVS, 1)
        if self.seccomp is not None:
            self.seccomp.load()

    def _sample_main(self, limits: dict, job_fd: int, out_w: int, sock: int) -> None:
        """The forked sample: its limits come from the zygote, its job from its own memfd."""
        try:
            try:
                job = json.loads(_read_memfd(job_fd))
                os.close(job_fd)
                devnull = os.open(os.devnull, os.O_RDONLY)
                os.dup2(devnull, 0)
                os.dup2(out_w, 1)
                os.dup2(out_w, 2)
                _close_all_but({0, 1, 2, sock})
                scratch = limits["scratch"]
                self._enter_sample_jail(scratch, float(limits["time_s"]), int(limits["memory_mb"]))
                if job.get("coverage") and self.coverage_lib:
                    sys.path.append(self.coverage_lib)
                # A fresh interpreter would not share the worker's random state: random reseeds
                # itself in every forked child (its os.register_at_fork hook), so nothing to do here.
            except BaseException as exc:
                _safe_send(sock, {"load_error": f"sandbox set-up failed: {exc!r}"[:500], "exc": "SandboxError"})
                os._exit(70)
            _serve_sample(job, scratch, sock)
        finally:
            os._exit(0)

    # ---- bookkeeping -----------------------------------------------------------------------
    def _new_scratch(self) -> str:
        self.counter += 1
        path = os.path.join(self.scratch_root, f"job-{os.getpid()}-{self.counter}")
        if os.path.lexists(path):  # left by a sample whose tree could not be removed
            _remove_tree(path)
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
        return statuses

    _reaped: dict[int, int] = {}

    def _cleanup(self, scratch: str, seq: int, grace_s: float = 0.0, need_status: bool = True) -> dict:
        """Kill everything the job started, reap it, remove its scratch folder.

        Returns how the sample ended (see _finish): its status, whether it had ended before
        we killed it, its CPU time and peak memory. Only a verdict that depends on them waits
        for the zygote to say; otherwise the sample is killed and seen dead from here."""
        self._reaped = {}
        pid = self._sample_pid(seq)
        if not pid:
            ended = {"alone": False, "not_started": True}
        elif need_status:
            ended = self._zygote_ask({"op": "finish", "pid": pid, "grace_s": grace_s})
        elif self.forker is not None:
            # PID 1 of its own PID namespace: killed, nothing it started can run again and the
            # kernel ends all of it. Waiting for that here (a mount namespace's teardown waits
            # for an RCU grace period) would only delay the next sample: the zygote reaps it as
            # soon as it is gone, and at the latest before this verdict leaves (_reap_dead).
            _kill(pid)
            self._dead.append(pid)
            return self._after(scratch, {"pid": pid, "alone": False}, pid, leftovers=False)
        elif _kill_and_wait(pid):
            self._dead.append(pid)  # reaped by the zygote with its next request, before the verdict goes out
            ended = {"pid": pid, "alone": False}
        else:
            ended = self._zygote_ask({"op": "finish", "pid": pid, "grace_s": grace_s})
        return self._after(scratch, ended, pid)

    def _after(self, scratch: str, ended: dict, pid: int, leftovers: bool = True) -> dict:
        if leftovers:
            self._kill_leftovers({pid})
        _remove_tree(scratch)
        return ended

    def _kill_checker_strays(self) -> None:
        """What _reap_dead's sweep kills, without waiting for killed samples to be gone: anything
        in our cage and in our own PID namespace but the worker, zygote and checker (so started by
        a check). A sample and all it started live in deeper PID namespaces the kernel ends with it."""
        me = {os.getpid(), self.checker_pid, self.zygote_pid}
        for pid in self.cage.strays(me):
            if _pid_namespace_depth(pid) == 1:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass

    def _kill_leftovers(self, done: set[int]) -> None:
        """Anything still in our cage (or, without a cage, of the sample's uid) dies now."""
        me = {os.getpid(), self.checker_pid, self.zygote_pid}
        if self.cage.kind != "none" and not self.cage.strays(me | done):
            return
        for _ in range(20):
            if self.uid_sample is not None:
                host.kill_uid(self.uid_sample, self._reap)
            strays = self.cage.strays(me)
            for pid in strays:  # e.g. something the checker started
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            self._reap()
            if not self.cage.strays(me):
                return
            time.sleep(0.002)


def _pid_namespace_depth(pid: int) -> int:
    """How many PID namespaces, ours included, `pid` has a number in (0: gone or unknown)."""
    try:
        with open(f"/proc/{pid}/status", "rb") as fh:
            for line in fh:
                if line.startswith(b"NSpid:"):
                    return len(line.split()) - 1
    except OSError:
        pass
    return 0


def _readable(fd: int) -> bool:
    """Whether `fd` has something to read right now."""
    return bool(select.select([fd], [], [], 0)[0])


def _write_proc(path: str, value: str) -> bool:
    try:  # os.open, not open(): no buffered text stack to build in every sample
        fd = os.open(path, os.O_WRONLY | os.O_CLOEXEC)
    except OSError:
        return False
    try:
        os.write(fd, value.encode())
        return True
    except OSError:
        return False
    finally:
        os.close(fd)


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


MEMORY_HIT = 0.9  # peak resident memory at this share of the limit: the memory limit was what stopped it
DETAIL_MAX = 1000  # characters of a verdict's detail (and of any text a sample chose) sent back
NAME_MAX = 100  # characters of an exception's name


def _finish(pid: int, grace_s: float = 0.0) -> dict:
    """Reap `pid` (a child of the zygote), killing it first if it still runs `grace_s` from now."""
    alone = True
    if pid <= 0:  # never started: and wait4(0) would wait for any child
        return {"alone": False}
    try:
        done, status, usage = os.wait4(pid, os.WNOHANG)
        deadline = time.monotonic() + grace_s
        while done == 0 and time.monotonic() < deadline:
            time.sleep(0.001)
            done, status, usage = os.wait4(pid, os.WNOHANG)
        if done == 0:
            alone = False
            os.kill(pid, signal.SIGKILL)
            done, status, usage = os.wait4(pid, 0)
    except (ChildProcessError, ProcessLookupError):
        return {"alone": False}
    return {"pid": pid, "status": status, "alone": alone, "cpu_s": usage.ru_utime + usage.ru_stime,
            "maxrss_kb": usage.ru_maxrss}


# Signals whose default action ends a process, which the kernel drops for PID 1 of a PID
# namespace when sent from inside it (a sample's kill(getpid(), SIGTERM) or RLIMIT_CPU's
# SIGXCPU would be ignored). Not the synchronous faults (SIGSEGV, SIGBUS, SIGILL, SIGFPE,
# SIGTRAP, SIGSYS, abort's SIGABRT): the kernel forces those, and a handler that returns
# would fault again. SIGINT and SIGPIPE/SIGXFSZ are Python's own (KeyboardInterrupt, ignored).
_INIT_DROPS = frozenset(
    [s for s in (signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1, signal.SIGUSR2, signal.SIGALRM, signal.SIGTERM,
                 getattr(signal, "SIGSTKFLT", None), signal.SIGXCPU, signal.SIGVTALRM, signal.SIGPROF, signal.SIGIO,
                 getattr(signal, "SIGPWR", None)) if s is not None]
    + list(range(signal.SIGRTMIN, signal.SIGRTMAX + 1)))


def _end_as_if_signalled(sig: int, frame) -> None:
    """What the default action would have done to a process that is not PID 1: end it now.
    The status (128 + the signal) is read as that signal (Worker._ending_signal)."""
    os._exit(128 + sig)


def _kill(pid: int) -> None:
    """Kill a sample without waiting (the zygote's child, not yet reaped: its pid is not reused)."""
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _has_ended(pid: int) -> bool:
    """Whether the zygote's child `pid` has ended (it is left to be reaped)."""
    try:
        return os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
    except ChildProcessError:
        return True


def _kill_and_wait(pid: int) -> bool:
    """Kill a sample (the zygote's child, not yet reaped: its pid is not reused) and wait until it
    has ended, through a pidfd. False where pidfds are not available."""
    try:
        fd = os.pidfd_open(pid)
    except (AttributeError, OSError):
        return False
    try:
        signal.pidfd_send_signal(fd, signal.SIGKILL)
        select.select([fd], [], [], 10)
    except OSError:
        pass
    finally:
        os.close(fd)
    return True


def _job_memfd(job: dict) -> int:
    """The part of a job its sample needs, in an anonymous file of its own."""
    fd = os.memfd_create("sftset-job", os.MFD_CLOEXEC)
    data = json.dumps({k: job.get(k) for k in ("program", "entry_point", "coverage")}).encode()
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]
    os.lseek(fd, 0, os.SEEK_SET)
    return fd


def _trim_heap() -> None:
    """Give the C heap's free pages back (glibc's malloc_trim): every fork copies the page
    table entries of what is resident, so the zygote forks faster with less of it."""
    try:
        import ctypes

        ctypes.CDLL(None).malloc_trim(0)
    except (OSError, AttributeError):
        pass


def _read_memfd(fd: int) -> bytes:
    """The whole of a job's memfd, read at its known size (a read of a fixed large size would
    map and unmap a buffer of that size each time)."""
    size = os.fstat(fd).st_size
    chunks = []
    while size > 0 and (chunk := os.read(fd, size)):
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


_SAMPLE_ENV = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "PYTHONDONTWRITEBYTECODE": "1"}


def _set_sample_environment(scratch: str) -> None:
    """A sample's whole environment: _SAMPLE_ENV, with HOME and TMPDIR its scratch folder. The
    zygote sets it once, so a sample forked from it only sets its own two values."""
    wanted = _SAMPLE_ENV.keys() | {"HOME", "TMPDIR"}
    if os.environ.keys() != wanted:
        os.environ.clear()
        os.environ.update(_SAMPLE_ENV)
    os.environ["HOME"] = os.environ["TMPDIR"] = scratch


def _signal_name(sig: int) -> str:
    try:
        return signal.Signals(sig).name
    except ValueError:  # real-time signals have no name in the enum
        if signal.SIGRTMIN <= sig <= signal.SIGRTMAX:
            return f"SIGRTMIN+{sig - signal.SIGRTMIN}"
        return f"signal {sig}"


def _remove_tree(path: str) -> None:
    """Remove a scratch folder, however deep or locked down the sample left it."""
    try:
        os.rmdir(path)  # most samples leave their folder empty
        return
    except OSError:
        pass
    import shutil  # here, not at the top: the zygote is forked without it (and zlib, bz2, lzma)

    try:
        shutil.rmtree(path, ignore_errors=True)
    except RecursionError:  # shutil.rmtree recurses per level (Python < 3.13)
        pass
    if os.path.lexists(path):
        import subprocess

        # No Python stack to exhaust; chmod first for a tree the sample made unreadable (same uid).
        subprocess.run(["chmod", "-R", "u+rwx", path], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        subprocess.run(["rm", "-rf", "--one-file-system", path], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)


def _cap(text, limit: int = DETAIL_MAX) -> str:
    text = text if isinstance(text, str) else str(text)
    return text if len(text) <= limit else text[:limit] + f"... ({len(text) - limit} more characters)"


def _capped(verdict: dict, job: dict) -> dict:
    """Every text in a verdict that a sample could have chosen, bounded."""
    verdict["detail"] = _cap(verdict.get("detail", ""))
    verdict.setdefault("key", job.get("key"))
    verdict.setdefault("duration_s", 0.0)
    for out in verdict.get("outputs") or []:
        if isinstance(out, dict):
            for field, limit in (("raises", NAME_MAX), ("message", DETAIL_MAX), ("unsupported", DETAIL_MAX)):
                if field in out:
                    out[field] = _cap(out[field], limit)
    return verdict


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
        # A module in sys.modules, as a program run as a script is: dataclasses (string annotations) and
        # enums look their class's module up there.
        module = type(sys)("__sandbox__")
        module.__dict__["__builtins__"] = builtins
        sys.modules["__sandbox__"] = module
        namespace = module.__dict__
        exec(compile(program, filename, "exec", dont_inherit=True), namespace)  # not this module's __future__ flags
        fn = namespace.get(job.get("entry_point") or "")
        if job.get("entry_point") and not callable(fn):
            raise NameError(f"the program does not define {job['entry_point']!r}")
    except BaseException as exc:
        _safe_send(sock, _MEMORY_LOAD if isinstance(exc, MemoryError) else
                   {"load_error": _describe(exc), "exc": type(exc).__name__[:NAME_MAX]})
        return
    wire.send(sock, {"loaded": True})
    encode, decode, send, recv = wire.encode, wire.decode, wire.send, wire.recv
    while True:
        try:
            msg = recv(sock)
        except BaseException:
            return
        if "call" in msg:
            failure = reply = None
            try:
                args, kwargs = decode(msg["call"], names=namespace), decode(msg["kwargs"], names=namespace)
                value = fn(*args, **kwargs)
                try:
                    reply = {"ok": encode(value)}
                except wire.Unsupported as exc:
                    reply = {"unsupported": str(exc)[:300]}
            except BaseException as exc:
                failure = exc
            args = kwargs = value = None
            if failure is not None:
                failure.__traceback__ = None  # its frames, and what they allocated, go first
                try:
                    reply = _MEMORY_REPLY if isinstance(failure, MemoryError) else {
                        "raises": type(failure).__name__[:NAME_MAX], "message": _describe(failure, with_type=False),
                        "mro": [c.__name__[:NAME_MAX] for c in type(failure).__mro__][:16]}
                except MemoryError:
                    reply = _MEMORY_REPLY
                failure = None
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


# Built before any sample runs: a sample out of memory may not be able to build them.
_MEMORY_REPLY = {"raises": "MemoryError", "message": "", "mro": ["MemoryError", "Exception", "BaseException",
                                                                 "object"]}
_MEMORY_LOAD = {"load_error": "MemoryError", "exc": "MemoryError"}


def _describe(exc: BaseException, with_type: bool = True) -> str:
    try:
        text = str(exc)[:300]
    except BaseException:
        text = "<unprintable>"
    return f"{type(exc).__name__[:NAME_MAX]}: {text}" if with_type else text


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
    coverage_lib = argv[4] if len(argv) > 4 else ""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the pool stops us by closing stdin
    Worker(slot, uid_base, cage_name, checks_fd, coverage_lib).serve()


if __name__ == "__main__":
    main(sys.argv[1:])
