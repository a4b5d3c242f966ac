"""The trusted side of a job: runs in the checker process, never in the sample's.

`check(candidate)` runs here with a `candidate` that forwards each call to the sample
process and rebuilds the answer from plain builtins, so nothing the sample returns can
carry its own `__eq__`, and nothing the sample patches (builtins, the checker, the
comparison helpers) exists in this process. A pass is reported only after `check`
returns, on a pipe the sample does not hold.
"""
from __future__ import annotations

import builtins

from ..values import read_value
from . import wire


class SampleGone(Exception):
    """The sample process stopped answering (exited, crashed, closed its channel)."""


class UnsupportedResult(TypeError):
    """The sample returned something that is not a plain builtin value."""


def _rebuild_exception(name: str, message: str, mro: list) -> BaseException:
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
    for parent in mro[1:] if isinstance(mro, list) else []:
        candidate = getattr(builtins, str(parent), None)
        if isinstance(candidate, type) and issubclass(candidate, Exception):
            base = candidate
            break
    try:
        return type(name, (base,), {})(message)
    except Exception:
        return type(name, (Exception,), {})(message)


class Candidate:
    """Stands in for the sample's function inside the checker."""

    def __init__(self, sock: int, name: str):
        self._sock = sock
        self.__name__ = self.__qualname__ = name or "candidate"

    def _ask(self, message: dict) -> dict:
        try:
            wire.send(self._sock, message)
            reply = wire.recv(self._sock)
        except (EOFError, OSError) as exc:
            raise SampleGone(str(exc)) from None
        if not isinstance(reply, dict):
            raise wire.WireError("malformed reply")
        return reply

    def __call__(self, *args, **kwargs):
        try:
            message = {"call": wire.encode(args), "kwargs": wire.encode(kwargs)}
        except wire.Unsupported as exc:
            raise TypeError(f"the check passed an argument that cannot enter the sandbox: {exc}") from None
        reply = self._ask(message)
        if "ok" in reply:
            return wire.decode(reply["ok"])
        if "raises" in reply:
            raise _rebuild_exception(str(reply["raises"]), str(reply.get("message", ""))[:300], reply.get("mro"))
        if "unsupported" in reply:
            raise UnsupportedResult(f"candidate returned {str(reply['unsupported'])[:200]}")
        raise wire.WireError("malformed reply")

    def coverage(self):
        return self._ask({"coverage": True}).get("coverage")

    def bye(self) -> None:
        try:
            wire.send(self._sock, {"bye": True})
        except OSError:
            pass


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
    exc = str(first.get("exc", ""))
    detail = str(first.get("load_error", "could not load the program"))[:500]
    if exc == "MemoryError":
        return {"status": "memory", "detail": detail}
    if exc in ("SystemExit", "KeyboardInterrupt"):
        return {"status": "failed", "detail": f"raised {exc} while loading"}
    return {"status": "error", "detail": detail}


def _classify(exc: BaseException) -> dict:
    if isinstance(exc, SampleGone):
        return {"status": "error", "detail": "the sample process ended before the check finished", "sample_gone": True}
    if isinstance(exc, MemoryError):
        return {"status": "memory", "detail": "MemoryError"}
    if isinstance(exc, AssertionError):
        text = str(exc)[:300]
        return {"status": "failed", "detail": f"AssertionError: {text}" if text else "AssertionError"}
    return {"status": "failed", "detail": f"{type(exc).__name__}: {str(exc)[:300]}"}


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
    entry = (prompt_code, compile(check.get("test", ""), "<check>", "exec", dont_inherit=True))
    if len(_compiled) > 256:
        _compiled.clear()
    if name:
        _compiled[name] = entry
    return entry


_compiled: dict[str, tuple] = {}  # check file name -> (prompt code, test code), for repeated samples


def serve_checks(ctrl: int) -> None:
    """The persistent checker's loop: a job header arrives with the sample's socket and
    the open check file; the verdict goes back tagged with the job's sequence number."""
    import json
    import os

    while True:
        try:
            job, fds = wire.recv_with_fds(ctrl, 2)
        except (EOFError, OSError):
            return
        sock = fds[0] if fds else -1
        try:
            check = {}
            if len(fds) > 1:
                with os.fdopen(fds[1], "rb") as fh:
                    check = json.loads(fh.read())
            verdict = run_checker(job, check, sock)
        except BaseException as exc:
            verdict = {"status": "error", "detail": f"harness error: {exc!r}"[:500]}
        finally:
            if sock >= 0:
                os.close(sock)
        verdict["seq"] = job.get("seq")
        wire.send(ctrl, verdict)


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
        return _classify(exc)
    candidate.bye()
    return {"status": "passed", "detail": ""}


def _run_calls(job: dict, candidate: Candidate) -> dict:
    outputs = []
    try:
        for args_text, kwargs_text in job["calls"]:
            args, kwargs = read_value(args_text), read_value(kwargs_text or "{}")
            try:
                value = candidate(*args, **kwargs)
            except SampleGone:
                raise
            except UnsupportedResult as exc:
                outputs.append({"unsupported": str(exc)})
                continue
            except BaseException as exc:
                outputs.append({"raises": type(exc).__name__, "message": str(exc)[:300]})
                continue
            try:
                outputs.append({"value": wire.to_literal(value)})
            except wire.Unsupported as exc:
                outputs.append({"unsupported": str(exc)})
        coverage = candidate.coverage() if job.get("coverage") else None
    except BaseException as exc:
        verdict = _classify(exc)
        verdict["outputs"] = outputs
        return verdict
    candidate.bye()
    return {"status": "passed", "detail": "", "outputs": outputs, "coverage": coverage}
