"""The call tracer, run in a child interpreter on a small module, with each engine each Python offers."""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from mining_support import run_driver, traced_driver

from sftset.ci_mining.tracer import literal_repr

PYENV = Path.home() / ".pyenv" / "versions"

MODULE = '''
import threading


def add(a, b=1, *rest, scale=1, **extra):
    """Sum."""
    return (a + b + sum(rest)) * scale


def fail(x):
    if x < 0:
        raise ValueError("negative")
    return x


def push(items, x):
    items.append(x)
    return len(items)


def gen(n):
    yield from range(n)


async def coro():
    return 1


def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)


def outer(x):
    def inner(y):
        return y * 2
    return inner(x)


def make_obj():
    return object()


def takes_obj(o):
    return 1


double = lambda x: 2 * x


class K:
    def __init__(self):
        self.v = 1

    def method(self, x):
        return x

    def __eq__(self, other):
        return True

    @staticmethod
    def st(x):
        return -x

    @classmethod
    def cm(cls, x):
        return x * 3


def in_thread(x):
    return x + 100
'''

DRIVER = '''
import sys, threading, asyncio
sys.path.insert(0, sys.argv[1])
sys.path.insert(0, sys.argv[2])
from sftset_trace.tracer import Tracer
tracer = Tracer(["mod"], cap=5, engine=sys.argv[4] or None)
tracer.start()
import mod
mod.add(1, 2)
mod.add(1, 2)                       # dedup: counted, not recorded twice
mod.add(1, 2, 3, 4, scale=2, tag="t")
for i in range(10):                 # cap: 5 distinct calls
    mod.fail(i)
try:
    mod.fail(-1)
except ValueError:
    pass
mod.push([1], 2)                    # mutates its argument
list(mod.gen(3))
asyncio.run(mod.coro())
mod.fib(4)
mod.outer(2)
mod.takes_obj(mod.make_obj())
mod.double(3)
k = mod.K()
k.method(1)
k == k
mod.K.st(4)
mod.K.cm(5)
t = threading.Thread(target=mod.in_thread, args=(1,))
t.start(); t.join()
tracer.pause()
mod.st_paused = mod.add(100, 100)   # not recorded while paused
tracer.resume()
tracer.stop()
tracer.write(sys.argv[3])
'''


def _pythons():
    """Each interpreter with its default engine and with setprofile; 3.12+ also with settrace."""
    found = [(sys.executable, ""), (sys.executable, "setprofile")]
    for version in ("3.10", "3.12", "3.13"):
        for exe in sorted(PYENV.glob(f"{version}.*/bin/python{version}")):
            found += [(str(exe), ""), (str(exe), "setprofile")]
            if version >= "3.12":
                found.append((str(exe), "settrace"))
            break
    return found


@pytest.fixture(scope="module")
def runtime(tmp_path_factory):
    return traced_driver(tmp_path_factory.mktemp("trace"), "mod.py", MODULE, DRIVER)


@pytest.mark.parametrize("python, engine", _pythons(), ids=lambda v: Path(v).name if "/" in str(v) else v or "auto")
def test_trace(runtime, python, engine, tmp_path):
    trace = run_driver(runtime, python, engine, tmp_path / "trace.json")
    expected_engine = engine or ("monitoring" if tuple(map(int, trace["python"].split(".")[:2])) >= (3, 12)
                                 else "settrace")
    assert trace["engine"] == expected_engine
    fns = {f["qualname"]: f for f in trace["functions"]}
    assert set(fns) == {"add", "fail", "push", "fib", "outer", "make_obj", "takes_obj", "K.st", "K.cm", "in_thread",
                        "K.method"}
    # an instance method, with the constructor call that built its instance (issue 14)
    assert fns["K.method"]["kind"] == "method"
    assert [(r["c"], r["ck"], r["a"], r["r"]) for r in fns["K.method"]["records"]] == [("()", "{}", "(1,)", "1")]
    add = fns["add"]
    assert [(r["a"], r["k"], r["r"], r["n"]) for r in add["records"]] == [
        ("(1, 2)", "{'scale': 1}", "3", 2), ("(1, 2, 3, 4)", "{'scale': 2, 'tag': 't'}", "20", 1)]
    fail = fns["fail"]
    assert len(fail["records"]) == 5  # the cap
    assert fns["push"]["records"] == [] and fns["push"]["skipped"] == {"mutates_args": 1}
    assert sorted(r["a"] for r in fns["fib"]["records"]) == ["(0,)", "(1,)", "(2,)", "(3,)", "(4,)"]
    assert fns["takes_obj"]["skipped"] == {"nonliteral_args": 1} and fns["takes_obj"]["nonliteral_types"] == ["object"]
    assert fns["make_obj"]["skipped"] == {"nonliteral_result": 1} and fns["make_obj"]["nonliteral_types"] == ["object"]
    assert fns["K.st"]["kind"] == "staticmethod" and fns["K.st"]["records"][0]["r"] == "-4"
    assert fns["K.cm"]["kind"] == "classmethod" and fns["K.cm"]["records"][0]["a"] == "(5,)"  # cls left out
    assert fns["in_thread"]["records"][0]["r"] == "101"  # threads are traced too
    assert all(r["a"] != "(100, 100)" for r in add["records"])  # paused
    skipped = trace["skipped_functions"]
    assert skipped["generator"] == 1 and skipped["coroutine"] == 1 and skipped["lambda"] == 1
    # __init__ is no longer a skipped dunder: it records its instances' constructor calls
    assert skipped["nested"] == 1 and skipped["dunder"] >= 1 and "method" not in skipped


def test_raised_exception_recorded(runtime, tmp_path):
    script = tmp_path / "raise.py"
    script.write_text(textwrap.dedent('''
        import sys
        sys.path.insert(0, sys.argv[1]); sys.path.insert(0, sys.argv[2])
        from sftset_trace.tracer import Tracer
        t = Tracer(["mod"], engine=sys.argv[4] or None); t.start()
        import mod
        for x in (-1, 1, -2):
            try:
                mod.fail(x)
            except ValueError:
                pass
        t.stop(); t.write(sys.argv[3])
    '''))
    for python, engine in _pythons():
        out = tmp_path / "t.json"
        subprocess.run([python, str(script), str(runtime / "runtime"), str(runtime / "mod"), str(out), engine],
                       check=True, timeout=60)
        trace = json.loads(out.read_text())
        assert trace["engine"] == engine or not engine
        records = {r["a"]: r for r in trace["functions"][0]["records"]}
        assert records["(1,)"]["r"] == "1"
        if trace["engine"] in ("monitoring", "settrace"):
            assert records["(-1,)"]["x"] == "ValueError" and records["(-1,)"]["m"] == "negative"
        else:  # setprofile sees that it raised, not what: validation names it
            assert "x" in records["(-1,)"] and records["(-1,)"]["x"] is None


def test_literal_repr():
    assert literal_repr((1, "a", b"x", 2.5, None, True, [1, {2: (3,)}], {1}, frozenset())) is not None
    assert literal_repr(float("nan")) is None and literal_repr(float("inf")) is None
    assert literal_repr(object()) is None

    class S(str):
        pass

    assert literal_repr(S("x")) is None  # subclasses could carry their own repr
    assert literal_repr(list(range(1000))) is None  # too big to be a test case
