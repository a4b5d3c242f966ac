"""What keeps the tracer cheap without changing what it records: an instance's state compared with its
constructor's snapshot attribute by attribute (the same verdict as the whole snapshot), and no audit
events raised by its own work (each one calls the containment hook, Python code). Speed itself is
measured in benchmarks/tracer_overhead.py, never here."""
from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from sftset.ci_mining.tracer import _same_state, _state, _state_and_attributes

REPO = Path(__file__).resolve().parents[1]


class Plain:
    def __init__(self, **kw):
        self.__dict__.update(kw)


class Slotted:
    __slots__ = ("a", "b")

    def __init__(self, a):
        self.a = a


def _entry(obj):
    state, attributes = _state_and_attributes(obj)
    assert state == _state(obj)
    return (type(obj), "()", "{}", state, [], attributes)


def _changes():
    """(an object, a change to make to it) pairs: each is compared before and after the change."""
    shared = [1, 2]
    yield Plain(a=1, b="x"), lambda o: None
    yield Plain(a=1, b="x"), lambda o: setattr(o, "a", 2)
    yield Plain(a=1, b="x"), lambda o: setattr(o, "c", 3)
    yield Plain(a=1, b="x"), lambda o: delattr(o, "b")
    yield Plain(a=1, b="x"), lambda o: (delattr(o, "b"), setattr(o, "c", "x"))
    yield Plain(items=shared), lambda o: shared.append(3)  # a literal list mutated in place
    yield Plain(items=list(range(300))), lambda o: None  # a literal too long for the snapshot: by identity
    yield Plain(items=list(range(300))), lambda o: o.items.clear()  # then short enough to be a literal
    yield Plain(items=list(range(300))), lambda o: setattr(o, "items", list(range(300)))  # another object
    yield Plain(other=Plain()), lambda o: None
    yield Plain(other=Plain()), lambda o: setattr(o, "other", Plain())
    yield Plain(f=float("nan")), lambda o: None
    yield Plain(**{"a=b": 1}), lambda o: None  # a name that could blur the snapshot's parts: compared as text
    yield Plain(a=1), lambda o: o.__dict__.__setitem__(1, 2)  # a key that is not a string
    yield Slotted(1), lambda o: None
    yield Slotted(1), lambda o: setattr(o, "b", 2)


def test_same_state_agrees_with_the_whole_snapshot():
    for obj, change in _changes():
        entry = _entry(obj)
        assert _same_state(obj, entry) is True
        change(obj)
        assert _same_state(obj, entry) == (_state(obj) == entry[3]), vars(obj) if hasattr(obj, "__dict__") else obj
    # entries without attributes (Cls() of a bare class, an enum member) compare as texts
    bare = Plain()
    assert _same_state(bare, (Plain, "()", "{}", _state(bare))) is True
    assert _same_state(Plain(a=1), (Plain, "()", "{}", "")) is False


def test_tracing_raises_no_audit_events_of_its_own():
    """The tracer's work (naming argument objects, snapshots, constructor lookups) calls no id(): each call
    would run the containment hook (instances are keyed by object.__hash__, their address rotated)."""
    program = textwrap.dedent('''
        import sys, tempfile
        sys.path.insert(0, sys.argv[1])
        from tbproj import machine, tree
        from sftset.ci_mining.tracer import Tracer
        counts = {}
        def count(event, args):
            key = event if event != "object.__getattr__" else args[1]
            counts[key] = counts.get(key, 0) + 1
        sys.addaudithook(count)
        tracer = Tracer(["tbproj"], workdir=tempfile.mkdtemp())
        tracer.start()
        for i in range(20):
            machine.run(10)
            tree.evaluate(tree.build(3, 2, i))
        tracer.stop()
        calls = tracer.result()["calls_seen"]
        print(calls, counts.get("builtins.id", 0))
    ''')
    done = subprocess.run([sys.executable, "-c", program, str(REPO / "benchmarks" / "tracer_overhead")],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    calls, ids = map(int, done.stdout.split())
    assert calls > 1000
    assert ids == 0
