"""The trusted side of a job: runs in the checker process, never in the sample's.

`check(candidate)` runs here with a `candidate` that forwards each call to the sample
process and rebuilds the answer from plain builtins, so nothing the sample returns can
carry its own `__eq__`, and nothing the sample patches (builtins, the checker, the
comparison helpers) exists in this process. A pass is reported only after `check`
returns, on a pipe the sample does not hold.

Whatever the harness itself raises into the check (the sample is gone, answered garbage,
returned a value that cannot leave the sandbox, ran out of memory) is also recorded on the
candidate, outside the check's reach: a check that catches it (`except TypeError: pass`,
`except BaseException`) still ends in the sample's failure, never in a pass. Every later
call raises again at once.
"""
from __future__ import annotations

import __future__
import builtins

from ..values import read_value
from . import wire


class SampleGone(Exception):
    """The sample process stopped answering (exited, crashed, closed its channel)."""


class UnsupportedResult(TypeError):
    """The sample returned something that is not a plain builtin value."""


NAME_MAX = 100


def _rebuild_exception(name: str, message: str, mro: list) -> BaseException:
    name = name[:NAME_MAX] or "Exception"
    if not name.isidentifier():
        name = "SampleException"
    cls = getattr(builtins, name, None)
    if isinstance(cls, type) and issubclass(cls, Exception):
        try:
            return cls(message)
        except Exception:
            pass
    # The project's own exception class (kept under its builtin base, so that
    # `except ValueError` still catches it), or a BaseException (SystemExit,
    # KeyboardInterrupt) that must not act on this process: same name, inert class.
    base = Exception
    for parent in mro[1:17] if isinstance(mro, list) else []:
        candidate = getattr(builtins, str(parent)[:NAME_MAX], None)
        if isinstance(candidate, type) and issubclass(candidate, Exception):
            base = candidate
            break
    try:
        return type(name, (base,), {})(message)
    except Exception:
        return type(name, (Exception,), {})(message)


class Candidate:
    """Stands in for the sample's function inside the checker."""

    _sftset_remote = True  # rendered checks then leave arguments as value texts, built on the sample's side

    def __init__(self, sock: int, name: str):
        self._sock = sock
        self.__name__ = self.__qualname__ = name or "candidate"
        # The first harness fault: (verdict, exception class, message). Read by run_checker
        # after the check, whatever the check did with the exception.
        self._fault: tuple[dict, type, str] | None = None

    def _fail(self, verdict: dict, cls: type, message: str):
        if self._fault is None:
            self._fault = (verdict, cls, message)
        raise cls(message)

    def _ask(self, message: dict) -> dict:
        try:
            wire.send(self._sock, message)
            reply = wire.recv(self._sock)
        except (EOFError, OSError) as exc:
            self._fail(_GONE, SampleGone, str(exc)[:300])
        except wire.WireError as exc:
            self._fail({"status": "failed", "detail": f"the sample broke the channel: {exc}"[:300]}, wire.WireError,
                       str(exc)[:300])
        if not isinstance(reply, dict):
            self._fail(_MALFORMED, wire.WireError, "malformed reply")
        return reply

    def __call__(self, *args, **kwargs):
        if self._fault is not None:  # the sample is done for: nothing more is asked of it
            raise self._fault[1](self._fault[2])
        try:
            message = {"call": wire.encode(args), "kwargs": wire.encode(kwargs)}
        except wire.Unsupported as exc:
            self._fail({"status": "error", "detail": f"the check passed an argument that cannot enter the sandbox: "
                                                     f"{exc}"[:300]}, TypeError, str(exc)[:300])
        reply = self._ask(message)
        if "ok" in reply:
            try:
                return wire.decode(reply["ok"])
            except (wire.WireError, ValueError, TypeError, OverflowError, RecursionError, KeyError,
                    IndexError) as exc:
                self._fail(_MALFORMED, wire.WireError, f"malformed value: {type(exc).__name__}")
        if "raises" in reply:
            name = str(reply["raises"])[:NAME_MAX]
            if name == "MemoryError":  # the sample hit its memory limit: that is its verdict
                self._fail({"status": "memory", "detail": "MemoryError"}, MemoryError, "")
            raise _rebuild_exception(name, str(reply.get("message", ""))[:300], reply.get("mro"))
        if "unsupported" in reply:
            text = f"candidate returned {str(reply['unsupported'])[:200]}"
            self._fail({"status": "failed", "detail": text}, UnsupportedResult, text)
        self._fail(_MALFORMED, wire.WireError, "malformed reply")

    def coverage(self):
        return self._ask({"coverage": True}).get("coverage")

    def bye(self) -> None:
        try:
            wire.send(self._sock, {"bye": True})
        except OSError:
            pass


_GONE = {"status": "error", "detail": "the sample process ended before the check finished", "sample_gone": True}
_MALFORMED = {"status": "failed", "detail": "the sample answered a malformed message"}


def _wait_loaded(sock: int) -> dict | None:
    """None when the program loaded; otherwise the verdict for a program that didn't."""
    try:
        first = wire.recv(sock)
    except (EOFError, OSError):
        return {"status": "error", "detail": "the sample ended while loading", "sample_gone": True}
    if not isinstance(first, dict):
        return {"status": "error", "detail": "malformed start-up message"}
    if first.get("loaded") is True:
        return None
    exc = str(first.get("exc", ""))[:NAME_MAX]
    detail = str(first.get("load_error", "could not load the program"))[:500]
    if exc == "MemoryError":
        return {"status": "memory", "detail": detail}
    if exc in ("SystemExit", "KeyboardInterrupt"):
        return {"status": "failed", "detail": f"raised {exc} while loading"}
    return {"status": "error", "detail": detail}


def _classify(exc: BaseException, candidate: "Candidate | None" = None) -> dict:
    if candidate is not None and candidate._fault is not None:
        return dict(candidate._fault[0])  # the harness's own record, not what the check made of it
    if isinstance(exc, SampleGone):
        return dict(_GONE)
    if isinstance(exc, MemoryError):
        return {"status": "memory", "detail": "MemoryError"}
    try:
        text = str(exc)[:300]
    except Exception:
        text = "<unprintable>"
    if isinstance(exc, AssertionError):
        return {"status": "failed", "detail": f"AssertionError: {text}" if text else "AssertionError"}
    return {"status": "failed", "detail": f"{type(exc).__name__[:NAME_MAX]}: {text}"}


def _compile_check(name: str, check: dict) -> tuple:
    if name in _compiled:
        return _compiled[name]
    prompt_code = None
    if check.get("prompt"):
        try:
            prompt_code = compile(check["prompt"], "<prompt>", "exec", dont_inherit=True)
        except SyntaxError:
            # A HumanEval-style prompt ends at the docstring, so it is a complete
            # function; one that stops at the signature needs a body to load.
            try:
                prompt_code = compile(check["prompt"] + "\n    pass\n", "<prompt>", "exec", dont_inherit=True)
            except SyntaxError:
                prompt_code = None
    # In HumanEval's harness the test is in the prompt's file, under its `from __future__ import annotations`
    # (a hidden helper's annotations stay unevaluated there): compile it the same way.
    lazy = prompt_code.co_flags & _LAZY_ANNOTATIONS if prompt_code is not None else 0
    entry = (prompt_code, compile(check.get("test", ""), "<check>", "exec", flags=lazy, dont_inherit=True))
    if len(_compiled) > 256:
        _compiled.clear()
    if name:
        _compiled[name] = entry
    return entry


_LAZY_ANNOTATIONS = __future__.annotations.compiler_flag
_compiled: dict[str, tuple] = {}  # check file name -> (prompt code, test code), for repeated samples


def serve_checks(ctrl: int) -> None:
    """The persistent checker's loop: a job header arrives with the sample's socket and
    the open check file; the verdict goes back tagged with the job's sequence number."""
    import json
    import os
    import socket

    channel = socket.socket(fileno=ctrl)  # wrapped once, not per job
    while True:
        try:
            job, fds = wire.recv_with_fds(channel, 2)
        except (EOFError, OSError):
            return
        sock = fds[0] if fds else -1
        try:
            check = {}
            if len(fds) > 1:
                # A check file is named by its content's hash: one compiled before is not read again.
                if job.get("check_file", "") not in _compiled:
                    check = json.loads(_read_fd(fds[1]))
                os.close(fds[1])
            verdict = run_checker(job, check, sock)
        except BaseException as exc:
            verdict = {"status": "error", "detail": f"harness error: {exc!r}"[:500]}
        finally:
            if sock >= 0:
                os.close(sock)
        verdict["seq"] = job.get("seq")
        wire.send(ctrl, verdict)


def _read_fd(fd: int) -> bytes:
    import os

    chunks = []
    while chunk := os.read(fd, 1 << 16):
        chunks.append(chunk)
    return b"".join(chunks)


def run_checker(job: dict, check: dict, sock: int) -> dict:
    loaded = _wait_loaded(sock)
    if loaded is not None:
        return loaded
    candidate = Candidate(sock, job.get("entry_point", ""))
    if job.get("calls") is not None:
        return _run_calls(job, candidate)
    namespace: dict = {"__name__": "__check__"}
    try:
        prompt_code, test_code = _compile_check(job.get("check_file", ""), check)
        if prompt_code is not None:
            try:
                exec(prompt_code, namespace)
            except Exception:
                namespace = {"__name__": "__check__"}  # the check may not need the prompt's names
        if job.get("entry_point"):
            # HumanEval's checks run in the sample's namespace and some call the function
            # by name (HumanEval/33 calls sort_third): that name is the candidate too.
            namespace[job["entry_point"]] = candidate
        exec(test_code, namespace)
        if "check" not in namespace:
            return {"status": "error", "detail": "the test code defines no check()"}
        namespace["check"](candidate)
    except BaseException as exc:
        return _classify(exc, candidate)
    if candidate._fault is not None:  # the check caught what the harness raised: still the sample's failure
        return _classify(None, candidate)
    candidate.bye()
    return {"status": "passed", "detail": ""}


def _run_calls(job: dict, candidate: Candidate) -> dict:
    outputs = []
    try:
        for args_text, kwargs_text in job["calls"]:
            args, kwargs = read_value(args_text), read_value(kwargs_text or "{}")
            try:
                value = candidate(*args, **kwargs)
            except UnsupportedResult as exc:
                candidate._fault = None  # calls mode records an unsupported result as that call's outcome
                outputs.append({"unsupported": str(exc)[:300]})
                continue
            except BaseException as exc:
                if candidate._fault is not None:
                    raise
                outputs.append({"raises": type(exc).__name__[:NAME_MAX], "message": str(exc)[:300]})
                continue
            try:
                outputs.append({"value": wire.to_literal(value)})
            except wire.Unsupported as exc:
                outputs.append({"unsupported": str(exc)})
        coverage = candidate.coverage() if job.get("coverage") else None
    except BaseException as exc:
        verdict = _classify(exc, candidate)
        verdict["outputs"] = outputs
        return verdict
    candidate.bye()
    return {"status": "passed", "detail": "", "outputs": outputs, "coverage": coverage}
