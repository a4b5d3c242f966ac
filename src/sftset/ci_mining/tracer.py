"""Record calls to a project's own functions while its test suite runs.

This module runs inside the mined project's (untrusted) test process, next to the
project's own code, so it imports only the standard library and nothing from sftset:
`suite.py` copies it, with `pytest_plugin.py` and `unittest_hook.py`, into the
target's work directory as the package `sftset_trace`.

Engines: `sys.monitoring` on Python >= 3.12 (code objects that are not interesting
are switched off after their first call, so they cost nothing afterwards), and
`sys.settrace` + `threading.settrace` before that: the global trace function sees
each Python call and returns a local one (without line events) only for a call being
recorded, so C calls and uninteresting frames cost one check each. `sys.setprofile`
(`--engine setprofile`) works too but also pays for every C call, which made
regex-heavy suites 3x slower on 3.11. With setprofile the raised exception is not
visible at the frame's exit, only *that* it raised (the last instruction is not a
return); such records say `"x": null` and validation fills in the exception's name
from the reference run. A suite that installs its own trace function (a debugger's
tests) displaces the settrace engine for as long as it holds it.

What is recorded, per function (module-level functions, static methods, class methods
and instance methods of the project's own modules, never its tests):
  * arguments, snapshotted as value text when the call starts (before the body can
    mutate them) and only when every argument is a value: a plain literal, or a value of
    a named type (enum member, namedtuple, dataclass, simple object, a callable named by
    import path; sftset.values' OBJECTS rules, whose text suite.py copies in next to this
    module as `values_reader`), checked by rebuilding each object from its text;
  * the return value (as value text, when a value) or the raised exception;
  * calls whose arguments' repr changed by the time they return are dropped and
    counted as `mutates_args`.
  * in arguments, a module-level function or a lambda of the project's tests with no closure
    and literal defaults is named `_test_<name>` / `_sftset_fn_<n>`, and where it is (module,
    qualname, file, line, the span of a lambda's body) goes to the trace's `test_functions`:
    the build step carries its source into the problem's hidden block (test_functions.py).
Instance methods (kind "method"): each `__init__` of a project class that is the instance's
own (`type(self).__init__`, so a subclass's call to its base's is not its constructor) records
the constructor's arguments (literal only) and a snapshot of the fresh instance's state
(`vars(self)` and slots: literal attributes by repr, others by type and identity). A method call
is recorded with the constructor's arguments as `"c"`/`"ck"`; when the instance's state at the call
no longer equals that snapshot it is marked `"s": 1` (and counted as `state_changed`), and a call on an
instance of a subclass that has no constructor of its own `"s": 2` (counted as `subclass_instance`;
replayed on the method's class, whose constructor it shares): validation replays each case from a
fresh instance and keeps a marked case only when the outcome is the same, so a test always states what
a fresh instance does (a call from the unchanged state replaces a marked one with the same arguments); a call that changes the instance's state and returns None is
not a value (`mutates_self`). Instances of classes without an `__init__` of their own count as
built by `Cls()` when they have no state at all, and enum members as `Cls(value)`.
Dedup by (function, arguments) at capture time and a cap on distinct records per
function keep memory bounded on big suites.
"""
from __future__ import annotations

import datetime
import ast
import dis
import enum
import itertools
import json
import os
import sys
import threading
import time
import types
import weakref
from decimal import Decimal
from fractions import Fraction

try:  # in the suite: sftset.values' reader, copied in by suite.py (standard library only)
    from .values_reader import _sftset_text as _text_of, _SftsetObject as _Named
    from .values_reader import _sftset_path_of as _path_of
    from .method_state import _sftset_state as _state_of
except ImportError:  # imported as sftset.ci_mining.tracer
    from ..methods import state_of as _state_of
    from ..values import text_of as _text_of, ObjectValue as _Named
    from ..values import _namespace as _reader_namespace
    _path_of = _reader_namespace["_sftset_path_of"]

CO_GENERATOR, CO_COROUTINE, CO_ITERABLE_COROUTINE, CO_ASYNC_GENERATOR = 0x20, 0x80, 0x100, 0x200
CO_OPTIMIZED, CO_VARARGS, CO_VARKEYWORDS = 0x01, 0x04, 0x08
_NOT_PLAIN = CO_GENERATOR | CO_COROUTINE | CO_ITERABLE_COROUTINE | CO_ASYNC_GENERATOR
_RETURN_OPS = frozenset(dis.opmap[name] for name in ("RETURN_VALUE", "RETURN_CONST") if name in dis.opmap)
_SCALARS = frozenset((type(None), bool, int, str, bytes))
_CONTAINERS = frozenset((list, tuple, set, frozenset, dict))
_VALUE_TYPES = frozenset((datetime.date, datetime.datetime, datetime.time, datetime.timedelta, datetime.timezone,
                          Decimal, Fraction, bytearray))
_FUNCTION_TYPE = types.FunctionType
_TEST_PARTS = frozenset(("test", "tests", "testing", "conftest"))

# An object's key while it lives: object.__hash__ is its address, rotated (one to one), and unlike id()
# raises no audit event, which would call the containment hook (Python code) at every use.
_oid = object.__hash__

MAX_NODES = 400  # values bigger than this are not worth a test case
MAX_REPR = 2000
DEFAULT_CAP = 100  # distinct argument tuples recorded per function
UNUSABLE_LIMIT = 200  # distinct unusable calls after which a function is switched off
MAX_CONTAINED = 50
MAX_INSTANCES = 20000  # instances remembered at once (constructor call and snapshot); the oldest go first
_UNFINISHED = object()  # the state of an instance whose constructor has not returned: equal to no snapshot
MAX_CONSTRUCTED = 200000  # instances of one class whose construction is recorded (each costs a state snapshot)
_AUDITED = frozenset(("open", "socket.connect", "socket.getaddrinfo", "os.remove", "os.rename", "os.rmdir", "os.mkdir",
                      "shutil.rmtree"))


def literal_repr(value, limit: int = MAX_REPR):
    """repr(value) when value is built only from exact builtin literal types and the
    standard-library value types of sftset.values (dates, Decimal, Fraction), else None.

    Exact types (never subclasses) so that no user `__repr__` runs and the text reads
    back with sftset.values.read_value; nan/inf have no literal form and are refused.
    """
    budget = [MAX_NODES]
    if not _is_literal(value, budget, 0):
        return None
    try:
        text = repr(value)
    except Exception:  # e.g. an int past the str-conversion digit limit
        return None
    return text if len(text) <= limit else None


def _is_literal(x, budget, depth) -> bool:
    budget[0] -= 1
    if budget[0] < 0 or depth > 20:
        return False
    t = type(x)
    if t in _SCALARS:
        return True
    if t is float:
        return x == x and x not in (float("inf"), float("-inf"))
    if t is complex:
        return _is_literal(x.real, budget, depth) and _is_literal(x.imag, budget, depth)
    if t in _CONTAINERS:  # loops, not all(...): this runs for the arguments of every traced call
        depth += 1
        if t is dict:
            for k, v in x.items():
                if not (_is_literal(k, budget, depth) and _is_literal(v, budget, depth)):
                    return False
            return True
        for e in x:
            if not _is_literal(e, budget, depth):
                return False
        return True
    if t in _VALUE_TYPES:  # the same rule as sftset.values.is_value_type (this module stands alone)
        if t is Decimal:
            return x.is_finite()
        if t is datetime.datetime or t is datetime.time:
            return x.tzinfo is None or type(x.tzinfo) is datetime.timezone
        return True
    return False


def is_test_module(name: str) -> bool:
    for part in name.split("."):
        if part in _TEST_PARTS or part.startswith("test_") or part.endswith("_test") or part.endswith("_tests"):
            return True
    return False


class _Skip:
    """Why a code object is not recorded (one shared instance per reason)."""

    __slots__ = ("reason", "own")

    def __init__(self, reason: str, own: bool):
        self.reason, self.own = reason, own


class _Function:
    """What is known and recorded about one of the project's functions."""

    __slots__ = ("code", "module", "qualname", "kind", "self_name", "owner", "pos", "kwonly", "varargs", "varkw", "calls", "records",
                 "skips", "unusable", "full", "foreign")

    def __init__(self, code, module: str, qualname: str, kind: str):
        self.code, self.module, self.qualname, self.kind = code, module, qualname, kind
        n_pos, n_kw = code.co_argcount, code.co_kwonlyargcount
        names = code.co_varnames
        self.pos = names[:n_pos]
        self.kwonly = names[n_pos:n_pos + n_kw]
        i = n_pos + n_kw
        self.varargs = names[i] if code.co_flags & CO_VARARGS else None
        i += 1 if self.varargs else 0
        self.varkw = names[i] if code.co_flags & CO_VARKEYWORDS else None
        self.self_name = self.owner = None
        if kind == "classmethod":
            self.pos = self.pos[1:]  # cls is bound by the class, not passed by the caller
        elif kind in ("method", "init"):
            self.self_name, self.pos = self.pos[0], self.pos[1:]  # self: rebuilt from its constructor call
        self.calls = 0
        self.records: dict = {}  # (args repr, kwargs repr) -> record dict, or None when unusable
        self.skips: dict[str, int] = {}
        self.unusable = 0
        self.full = False
        self.foreign: dict[str, None] = {}  # names of the non-literal types seen (a few, for the report)

    def skip(self, reason: str, values=()) -> None:
        n = self.skips[reason] = self.skips.get(reason, 0) + 1
        if n <= 20 and len(self.foreign) < 5:  # name what was not a literal, on the first few calls only
            for v in values:
                if literal_repr(v) is None:
                    t = type(v)
                    self.foreign[t.__qualname__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__qualname__}"] = None

    def to_json(self) -> dict:
        return {
            "module": self.module, "qualname": self.qualname, "kind": self.kind,
            "file": self.code.co_filename, "lineno": self.code.co_firstlineno, "calls": self.calls,
            "skipped": dict(self.skips), "nonliteral_types": list(self.foreign)[:5],
            "records": [r for r in list(self.records.values()) if r is not None],
        }


class Tracer:
    """Start with `start()`, stop with `stop()`, then `write(path)` or `result()`."""

    def __init__(self, packages, cap: int = DEFAULT_CAP, workdir: str | None = None, engine: str | None = None):
        self.packages = frozenset(p for p in packages if p)
        self.cap = cap
        # the folders the suite may write to (os.pathsep-separated): its run folder and the source tree
        self.workdirs = tuple(os.path.realpath(d) for d in workdir.split(os.pathsep) if d) if workdir else ()
        if engine is None:
            engine = "monitoring" if hasattr(sys, "monitoring") else "settrace"
        self.engine = engine
        self.states: dict = {}  # code -> _Function | _Skip
        self.own_modules: dict = {}  # module __name__ -> bool
        self.pending: dict = {}  # frame -> (function, key, arg objects, kwarg objects, instance or None)
        # argument objects changed since their constructor call, while a call's texts are worked out (a list),
        # else None; and per pending frame, those its arguments held with their states (see _constructor_call)
        self._changed: list | None = None
        self._changed_at: dict = {}
        self.instances: dict = {}  # _oid(instance) -> (type, ctor args text, ctor kwargs text, state) or None
        self._refs: dict = {}
        self.calls_seen = 0
        self.contained: list[dict] = []
        self.tests: dict[str, int] = {}
        self.started = self.elapsed = 0.0
        self._skip_reasons: dict[tuple[str, bool], _Skip] = {}
        self._tool = None
        self._profile = None
        self._busy = False  # computing a value text: the project's constructors and __eq__ may run
        self._value_memo: dict = {}  # type paths, and types whose objects do not rebuild (see values_reader)
        self.root = os.path.realpath(os.getcwd())  # the suite's folder (a test may chdir later): test files are under it
        self.test_functions: dict = {}  # code of a function of the tests -> the name it is carried by, or None
        self.callables: dict = {}  # that name -> where the function is (module, qualname, path, lineno, ...)
        self._class_paths: dict = {}  # a project class -> the path a value text names it by, or None
        self._init_codes: dict = {}  # a class's __init__ -> its code (_init_code)

    # ---- deciding what a code object is ---------------------------------------------------
    def _skip(self, reason: str, own: bool) -> _Skip:
        key = (reason, own)
        s = self._skip_reasons.get(key)
        if s is None:
            s = self._skip_reasons[key] = _Skip(reason, own)
        return s

    def _is_own_module(self, module) -> bool:
        """Is `module` (a __name__) one of the project's own, non-test modules? Cached."""
        own = isinstance(module, str) and module.partition(".")[0] in self.packages and not is_test_module(module)
        self.own_modules[module] = own
        return own

    def _classify(self, code, frame):
        module = frame.f_globals.get("__name__") or ""
        if not self._is_own_module(module):
            state = self._skip("not own", False)
        else:
            state = self._classify_own(code, frame.f_globals, module)
        self.states[code] = state
        return state

    def _classify_own(self, code, module_globals: dict, module: str):
        name = code.co_name
        if name.startswith("<"):
            return self._skip("lambda" if name == "<lambda>" else "module or comprehension", True)
        if name == "__init__" and code.co_flags & CO_OPTIMIZED:  # dataclasses' generated ones too (nested code)
            return _Function(code, module, getattr(code, "co_qualname", name), "init")
        if name.startswith("__") and name.endswith("__"):
            return self._skip("dunder", True)
        if code.co_flags & _NOT_PLAIN:
            return self._skip("generator" if code.co_flags & (CO_GENERATOR | CO_ASYNC_GENERATOR) else "coroutine",
                              True)
        qualname = getattr(code, "co_qualname", name)
        if "<locals>" in qualname:
            return self._skip("nested", True)
        if not code.co_flags & CO_OPTIMIZED:
            return self._skip("class body", True)  # functions' code is optimised; class bodies' is not
        if _code_of(module_globals.get(name)) is code:
            return _Function(code, module, name, "function")
        for obj in list(module_globals.values()):
            if isinstance(obj, type) and getattr(obj, "__module__", None) == module:
                for attr, member in list(vars(obj).items()):
                    if isinstance(member, (staticmethod, classmethod)) and _code_of(member.__func__) is code:
                        kind = "staticmethod" if isinstance(member, staticmethod) else "classmethod"
                        return _Function(code, module, f"{obj.__qualname__}.{attr}", kind)
                    if isinstance(member, _FUNCTION_TYPE) and member.__code__ is code and code.co_argcount:
                        fn = _Function(code, module, f"{obj.__qualname__}.{attr}", "method")
                        fn.owner = obj  # replayed as obj(...).attr(...): only on instances of exactly obj
                        return fn
                    if _code_of(member) is code:
                        return self._skip("method", True)
        if "." in qualname:
            return self._skip("method", True)
        # Python 3.10 has no co_qualname: a function found nowhere by name is most likely nested.
        return self._skip("not reachable by name" if hasattr(code, "co_qualname") else "nested", True)

    # ---- the two halves of a call ----------------------------------------------------------
    def _enter(self, fn: _Function, frame) -> None:
        if self._busy:  # a call made while checking a value (a rebuilt object's __init__): not the suite's
            return
        fn.calls += 1
        self.calls_seen += 1
        if fn.full:
            return
        local = frame.f_locals
        try:
            args = [local[n] for n in fn.pos]
            if fn.varargs:
                args.extend(local[fn.varargs])
            kwargs = {n: local[n] for n in fn.kwonly}
            if fn.varkw:
                kwargs.update(local[fn.varkw])
        except (KeyError, TypeError):
            fn.skip("unreadable args")
            return
        args = tuple(args)
        if fn.kind != "init":  # an argument object changed since it was built is still its constructor call, marked
            self._changed = changed = []
        a_text, a_named = self._arg_text_named(args)
        k_text, k_named = self._arg_text_named(kwargs)
        self._changed = None
        if fn.kind == "init":
            if a_text is not None and k_text is not None and not self._rebuilds(a_named, a_text, k_named, k_text):
                a_text = None  # an object its text does not rebuild: the instance is not replayable
            self._enter_init(fn, frame, a_text, k_text)
            return
        if a_text is None or k_text is None:
            fn.skip("nonliteral_args", (*args, *kwargs.values()))
            return
        key = (a_text, k_text)
        instance = None
        if fn.kind == "method":
            found = self._instance_at_call(fn, frame)
            if found is None:
                return
            obj, entry, mark = found
            key = (entry[1], entry[2], a_text, k_text)
            record = fn.records.get(key, False)
            if record is not False and (record is None or not record.get("s") or mark == 2):
                if record is not None:
                    record["n"] += 1
                return  # a call seen before: the instance's state (costly on big objects) is not needed
            unchanged = _same_state(obj, entry)
            if not unchanged:
                fn.skip("state_changed")
                mark = mark or 1
            mark = mark or (1 if changed else 0)
            if record is not False:
                if mark:
                    record["n"] += 1
                    return
                del fn.records[key]  # a call from the state the constructor left replaces one from a changed state
            instance = (obj, entry[1], entry[2], entry[3] if unchanged else _state(obj), mark)
        elif key in fn.records:
            record = fn.records[key]
            if record is not None and (changed or not record.get("s")):
                record["n"] += 1
            if record is None or changed or not record.get("s"):
                return
            del fn.records[key]  # a call on objects as their constructor calls left them replaces a marked one
        if changed:
            instance = instance or (None, None, None, None, 1)
        if len(fn.records) - fn.unusable >= self.cap:
            fn.full = True
            return
        if not self._rebuilds(a_named, a_text, k_named, k_text):  # objects named above, changed ones too
            fn.skip("nonliteral_args", (*args, *kwargs.values()))  # an object its text does not rebuild
            self._unusable(fn, key)
            return
        if changed:  # their states now, to tell a change the call makes (snapshots only for recorded calls)
            self._changed_at[frame] = [(obj, _state(obj)) for obj in changed]
        self.pending[frame] = (fn, key, args, kwargs, instance)

    def arg_text(self, value, verify: bool = False):
        """value_text for arguments: a self-contained function of the project's tests (test_functions.py)
        is a value there, named by the text the problem's hidden block binds it to."""
        text = literal_repr(value)  # the common case, checked once
        if text is not None:
            return text
        return self.value_text(self._name_objects(value, [MAX_NODES]), verify)

    def _arg_text_named(self, value):
        """(arg_text(value), the value with its objects named, or None for a literal): the named value
        is kept so that checking the text's rebuild (verify) does not name the objects again."""
        text = literal_repr(value)
        if text is not None:
            return text, None
        named = self._name_objects(value, [MAX_NODES])  # not a literal either: its leaves that were not stay
        return self._object_text(named), named

    def _rebuilds(self, a_named, a_text, k_named, k_text) -> bool:
        """arg_text(args, True) == a_text and arg_text(kwargs, True) == k_text, for the texts and named
        values _arg_text_named gave: a literal's text is the same verified or not."""
        return ((a_named is None or self._object_text(a_named, True) == a_text)
                and (k_named is None or self._object_text(k_named, True) == k_text))

    def _name_objects(self, x, budget):
        """x with each test function that may be named replaced by its name, and each instance of the
        project's that is still as its traced constructor call left it by that call (as the reader's
        named values)."""
        budget[0] -= 1
        if budget[0] < 0:
            return x
        t = type(x)
        if t is _FUNCTION_TYPE:
            name = self._test_function_name(x)
            return x if name is None else _Named(name)
        if t is list or t is tuple:
            items = [self._name_objects(e, budget) for e in x]
            return items if t is list else tuple(items)
        if t is dict:
            return {k: self._name_objects(v, budget) for k, v in x.items()}
        if self.instances.get(_oid(x)):
            return self._constructor_call(x)
        return x

    def _constructor_call(self, obj):
        """obj as the constructor call that built it (a named value), when it is an instance of exactly
        the class whose own __init__ was traced, with test values, and its state is still the state that
        call left: `Cls(*args, **kwargs)` then builds an object like it (validation's replay checks that
        the outcome is the same). An object the usual rules name (an enum member, a namedtuple, a
        dataclass, an object with an __eq__ of its own that rebuilds) stays itself; a simple object whose
        equality is identity is its constructor call (cheaper than its fields, and as the test built it).
        Worked out once per instance (the entry keeps it): trees of such objects are built node by node."""
        entry = self.instances.get(_oid(obj))
        if not entry or entry[0] is not type(obj) or len(entry[1]) + len(entry[2]) > MAX_REPR:
            return obj
        if not _same_state(obj, entry):
            if self._changed is None:
                return obj
            self._changed.append(obj)  # the call is marked: validation replays it from a fresh object
        known = entry[4]
        if not known:
            known.append(self._rebuilt(obj, entry))
        return known[0]

    def _rebuilt(self, obj, entry):
        t = type(obj)
        path = self._class_paths.get(t, False)
        if path is False:
            try:
                path = self._class_paths[t] = _path_of(t, self._nameable, True)
                # the usual rules name enum members, namedtuples and dataclasses: never their constructor calls
                if isinstance(obj, (enum.Enum, tuple)) or "__dataclass_fields__" in dir(t):
                    path = self._class_paths[t] = None
            except Exception:
                path = self._class_paths[t] = None
        # an object with an __eq__ of its own may be a value by the usual rules (checked by rebuilding it)
        if path is None or t.__eq__ is not object.__eq__ and self.value_text(obj) is not None:
            return obj
        a_text, k_text = entry[1], entry[2]  # a tuple's and a dict's value texts, as arg_text wrote them
        parts = [a_text[1:-2] if a_text.endswith(",)") else a_text[1:-1]]
        if k_text != "{}":
            try:
                node = ast.parse(k_text, mode="eval").body
                parts += [f"{k.value}={ast.get_source_segment(k_text, v)}" for k, v in zip(node.keys, node.values)]
            except Exception:  # pragma: no cover - the text was written by arg_text
                return obj
        # A named value whose path is the whole call: its value text is that text, with nothing read again.
        return _Named(path + "(" + ", ".join(p for p in parts if p) + ")")

    def _test_function_name(self, fn):
        """The name a function of the project's tests is carried by, or None when it cannot be: only
        module-level functions, functions defined inside a test function and lambdas of a test module
        under the suite's folder, with no closure and literal defaults. The build step (test_functions.py) checks its source and what it reads."""
        code = fn.__code__
        known = self.test_functions.get(code, False)
        if known is not False:
            return known
        name = None
        module = getattr(fn, "__module__", None)
        qualname = getattr(code, "co_qualname", fn.__qualname__)
        defaults = [*(fn.__defaults__ or ()), *(fn.__kwdefaults__ or {}).values()]
        filename = code.co_filename
        path = os.path.relpath(os.path.realpath(filename), self.root) if os.path.isabs(filename) else ".."
        if (isinstance(module, str) and is_test_module(module) and fn.__closure__ is None and not code.co_freevars
                and not path.startswith("..") and all(literal_repr(d) is not None for d in defaults)):
            entry = {"module": module, "qualname": qualname, "path": path, "lineno": code.co_firstlineno}
            if code.co_name == "<lambda>":
                entry["kind"] = "lambda"
                spans = [p for p in getattr(code, "co_positions", lambda: ())()
                         if None not in p and (p[0], p[2]) != (p[1], p[3])]
                if spans:  # where the lambda's body is: tells two lambdas on one line apart
                    entry["span"] = [*min((p[0], p[2]) for p in spans), *max((p[1], p[3]) for p in spans)]
                name = f"_sftset_fn_{len(self.callables) + 1}"
            elif qualname.endswith(".<locals>." + code.co_name):  # a def inside a test, no closure
                entry["kind"] = "nested"
                name = f"_sftset_fn_{len(self.callables) + 1}"
            elif "." not in qualname and fn.__globals__.get(code.co_name) is fn:
                entry["kind"] = "def"
                name = base = f"_test_{code.co_name}"
                n = 1
                while name in self.callables:
                    n += 1
                    name = f"{base}_{n}"
            if name is not None:
                self.callables[name] = entry
        self.test_functions[code] = name
        return name

    def value_text(self, value, verify: bool = False):
        """The value text of `value` (a literal, or built from values of the project's or the standard
        library's named types), or None. verify: each object must rebuild from its text."""
        text = literal_repr(value)
        if text is not None:
            return text
        return self._object_text(value, verify)

    def _object_text(self, value, verify: bool = False):
        """value_text of a value that is not a literal (literal_repr said None)."""
        busy, self._busy = self._busy, True
        try:
            text = _text_of(value, self._nameable, verify, None, 0, self._value_memo)
        except Exception:  # the project's code, run to check a value, raised
            text = None
        finally:
            self._busy = busy
        return text if text is not None and len(text) <= MAX_REPR else None

    def _nameable(self, module: str) -> bool:
        """Whether the project's objects of `module` may be named in a value text: not its tests' (a
        problem's prompt can only carry what the project's own modules define)."""
        return module.partition(".")[0] in self.packages and not is_test_module(module)

    def _exit(self, frame, value, raised: bool, exc=None) -> None:
        fn, key, args, kwargs, instance = self.pending.pop(frame)
        if fn.kind == "init":
            self._exit_init(fn, key, args, kwargs, raised)
            return
        changed = self._changed_at.pop(frame, None)
        self._changed = [] if changed else None
        same = self.arg_text(args) == key[-2] and self.arg_text(kwargs) == key[-1]
        self._changed = None
        if not same or changed and any(_state(obj) != state for obj, state in changed):
            fn.skip("mutates_args")
            self._unusable(fn, key)
            return
        record = {"a": key[-2], "k": key[-1], "n": 1}
        if instance is not None and instance[0] is None:  # a function's call with changed argument objects
            record["s"] = 1
        elif instance is not None:
            if not raised and value is None:  # a procedure on the instance: its outcome is the state it leaves
                after = _state_text(instance[0])
                if _state(instance[0]) != instance[3]:
                    if after is None:
                        fn.skip("mutates_self")  # what it leaves is not a value to test
                        self._unusable(fn, key)
                        return
                    record["u"] = 1
                if after is not None:
                    record["t"] = after
            record["c"], record["ck"] = instance[1], instance[2]
            if instance[4]:
                record["s"] = instance[4]  # 1: on an instance changed since its constructor call; 2: a subclass's
        if raised:
            record["x"] = type(exc).__name__ if exc is not None else None
            if exc is not None:
                try:
                    record["m"] = str(exc)[:200]
                except Exception:
                    record["m"] = ""
        else:
            r_text = self.value_text(value, True)
            if r_text is None:
                fn.skip("nonliteral_result", (value,))
                self._unusable(fn, key)
                return
            record["r"] = r_text
        fn.records[key] = record

    # ---- instances: the constructor call each one was built by ------------------------------
    def _enter_init(self, fn: _Function, frame, a_text, k_text) -> None:
        """Remember the constructor call of an instance whose own __init__ this is (outermost call only)."""
        obj = frame.f_locals.get(fn.self_name)
        try:
            own = self._init_code(type(obj).__init__) is fn.code
        except Exception:
            own = False
        if not own:
            return  # a base class's __init__ run by a subclass's
        # A constructor runs on a new object (or re-initialises one): whatever an entry under its id said
        # belonged to a dead object (ids are reused; objects without weakrefs leave their entries behind).
        self.instances.pop(_oid(obj), None)
        if fn.calls > MAX_CONSTRUCTED:
            return  # time stays bounded: later instances' methods count as "no_constructor_call"
        if len(self.instances) >= MAX_INSTANCES:
            self._evict()
        if a_text is None or k_text is None:
            self.instances[_oid(obj)] = None  # built from values that are not test values: its methods are not replayable
            self._forget_later(obj)
            return
        self.pending[frame] = (fn, obj, a_text, k_text, None)

    def _init_code(self, init):
        """_code_of(init), kept per __init__ (reading a function's __code__ raises an audit event)."""
        try:
            return self._init_codes[init]
        except KeyError:
            code = self._init_codes[init] = _code_of(init)
            if len(self._init_codes) > 10000:
                self._init_codes.clear()
            return code
        except TypeError:  # an unhashable callable
            return _code_of(init)

    def _exit_init(self, fn: _Function, obj, a_text: str, k_text: str, raised: bool) -> None:
        # slot 4 keeps what _constructor_call works out for the instance; slot 5 the state by attribute
        if raised:
            self.instances[_oid(obj)] = None
        else:
            state, attributes = _state_and_attributes(obj)
            self.instances[_oid(obj)] = (type(obj), a_text, k_text, state, [], attributes)
        self._forget_later(obj)

    def _evict(self) -> None:
        """Forget the oldest tenth of the entries: objects without weakrefs (slotted classes) leave theirs
        behind when they die, so the oldest are mostly dead; a live one's methods then go unrecorded."""
        for key in list(itertools.islice(self.instances, MAX_INSTANCES // 10)):
            del self.instances[key]
            self._refs.pop(key, None)  # its weakref goes too, so a late callback cannot remove a new entry

    def _forget_later(self, obj) -> None:
        """Drop an instance's entry when it dies (its id may be reused); objects without weakrefs keep
        it, and the type and state checks at each call guard against a reused id."""
        key = _oid(obj)
        try:
            self._refs[key] = weakref.ref(obj, lambda _, key=key: (self.instances.pop(key, None),
                                                                    self._refs.pop(key, None)))
        except TypeError:
            pass

    def _instance_at_call(self, fn: _Function, frame):
        """(instance, its entry, mark) when the method's instance was built by a recorded constructor call
        of its class (mark 0) or of a subclass that shares its constructor (mark 2), else None (the reason
        counted). Whether its state changed since (mark 1) the caller finds out, for calls it has not seen."""
        obj = frame.f_locals.get(fn.self_name)
        entry = self.instances.get(_oid(obj), False)
        if entry is False and _bare(obj):  # Cls() of a class with no __init__ and no state
            entry = (type(obj), "()", "{}", _state(obj))
        elif entry is False and isinstance(obj, enum.Enum):
            entry = _member_entry(obj)  # Cls(value) gives back the member
        elif entry is False and self.pending:
            entry = self._under_construction(obj)
        if not entry:
            fn.skip("nonliteral_constructor" if entry is None else "no_constructor_call")
            return None
        if entry[0] is not type(obj):
            fn.skip("no_constructor_call")
            return None
        mark = 0
        if entry[0] is not fn.owner:  # a subclass's instance: its constructor call builds the method's class
            fn.skip("subclass_instance")  # only when the subclass has no constructor of its own
            if not _same_construction(entry[0], fn.owner):
                return None
            mark = 2
        # recorded all the same, marked: validation keeps it only if a fresh instance gives the same outcome
        return (obj, entry, mark)

    def _under_construction(self, obj):
        """The entry of an instance whose own constructor call is still running (`self._parse(spec)` from
        `__init__`), with a state no snapshot equals: the call is marked changed (1), so validation keeps it
        only where the finished instance gives the same outcome. False when it is not being built."""
        for pending in self.pending.values():
            if pending[1] is obj and pending[0].kind == "init":
                return (type(obj), pending[2], pending[3], _UNFINISHED, [])
        return False

    def _unusable(self, fn: _Function, key) -> None:
        fn.records[key] = None
        fn.unusable += 1
        if fn.unusable >= UNUSABLE_LIMIT and fn.unusable == len(fn.records):
            fn.full = True  # nothing usable so far: stop paying for it

    # ---- engine: sys.setprofile (Python < 3.12) -------------------------------------------
    def _make_profile(self):
        """The profile function, as a closure over locals: it runs on every call and return
        of every function (C ones too), so each attribute lookup saved counts."""
        states, pending, classify, enter, exit_ = self.states, self.pending, self._classify, self._enter, self._exit
        own_modules, is_own_module = self.own_modules, self._is_own_module
        function_class, return_ops = _Function, _RETURN_OPS

        # frame.f_code raises an audit event (and the containment hook is Python code), so
        # frames of other modules are turned away by their module name before it is read.
        def profile(frame, event, arg):
            if event == "call":
                module = frame.f_globals.get("__name__")
                own = own_modules.get(module)
                if not (own or (own is None and is_own_module(module))):
                    return
                state = states.get(frame.f_code)
                if state is None:
                    state = classify(frame.f_code, frame)
                if state.__class__ is function_class:
                    enter(state, frame)
            elif event == "return" and pending and frame in pending:
                raised = frame.f_code.co_code[frame.f_lasti] not in return_ops
                exit_(frame, arg, raised)

        return profile

    # ---- engine: sys.settrace (Python < 3.12, the default there) -------------------------
    def _make_trace(self):
        """The global trace function: called at each Python frame's start (never for C
        calls); a frame being recorded gets a local function for its return/exception."""
        states, pending, classify, enter, exit_ = self.states, self.pending, self._classify, self._enter, self._exit
        own_modules, is_own_module = self.own_modules, self._is_own_module
        function_class, return_ops = _Function, _RETURN_OPS
        raised_in: dict = {}  # frame -> the last exception seen in it

        def local(frame, event, arg):
            if event == "exception":
                raised_in[frame] = arg[1]
            elif event == "return":
                exc = raised_in.pop(frame, None)
                if frame in pending:
                    raised = frame.f_code.co_code[frame.f_lasti] not in return_ops
                    exit_(frame, arg, raised, exc if raised else None)
            return local

        def trace(frame, event, arg):
            if event != "call":
                return None
            module = frame.f_globals.get("__name__")  # before f_code: see _make_profile
            own = own_modules.get(module)
            if not (own or (own is None and is_own_module(module))):
                return None
            state = states.get(frame.f_code)
            if state is None:
                state = classify(frame.f_code, frame)
            if state.__class__ is function_class:
                enter(state, frame)
                if frame in pending:
                    frame.f_trace_lines = False
                    return local
            return None

        return trace

    # ---- engine: sys.monitoring (Python >= 3.12) ------------------------------------------
    def _m_start(self, code, offset):
        state = self.states.get(code)
        if state is None:
            state = self._classify(code, sys._getframe(1))
            if state.__class__ is _Function:
                ev = sys.monitoring.events
                sys.monitoring.set_local_events(self._tool, code, ev.PY_RETURN)
        if state.__class__ is not _Function:
            return sys.monitoring.DISABLE
        if state.full:  # recorded enough: this function costs nothing from now on
            sys.monitoring.set_local_events(self._tool, code, 0)
            return sys.monitoring.DISABLE
        self._enter(state, sys._getframe(1))
        return None

    def _m_return(self, code, offset, value):
        if self.pending:
            frame = sys._getframe(1)
            if frame in self.pending:
                self._exit(frame, value, False)

    def _m_unwind(self, code, offset, exc):
        if self.pending:
            frame = sys._getframe(1)
            if frame in self.pending:
                self._exit(frame, None, True, exc)

    # ---- containment report ----------------------------------------------------------------
    def _audit(self, event, args):
        if event not in _AUDITED:  # called for every audit event in the process: be quick
            return
        if event == "open":
            path, mode, flags = args
            writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
                isinstance(flags, int) and flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT))
            if writing and isinstance(path, (str, bytes)) and not self._inside(path):
                self._contain("write outside the work directory", os.fsdecode(path))
        elif event == "socket.connect":
            address = args[1]
            if not isinstance(address, (str, bytes)):  # AF_UNIX paths are local
                self._contain("network connection", repr(address))
        elif event == "socket.getaddrinfo":
            host = args[0]
            if isinstance(host, (str, bytes)) and not _is_ip(os.fsdecode(host)):
                self._contain("network lookup", repr(host))
        elif event in ("os.remove", "os.rename", "os.rmdir", "os.mkdir", "shutil.rmtree"):
            path = args[0]
            if isinstance(path, (str, bytes)) and not self._inside(path):
                self._contain(f"{event} outside the work directory", os.fsdecode(path))

    def _inside(self, path) -> bool:
        if not self.workdirs:
            return True
        full = os.path.realpath(os.fsdecode(path))
        return full.startswith("/dev/") or any(full == d or full.startswith(d + os.sep) for d in self.workdirs)

    def _contain(self, what: str, detail: str) -> None:
        if len(self.contained) < MAX_CONTAINED:
            self.contained.append({"event": what, "detail": detail[:200]})

    # ---- start / stop ----------------------------------------------------------------------
    def start(self) -> None:
        """Install the tracer and start recording."""
        self.started = time.perf_counter()
        if self.workdirs:
            audited, audit = _AUDITED, self._audit

            def hook(event, args):  # called for every audit event in the process (id(), f_code, ...): be quick
                if event in audited:
                    audit(event, args)

            sys.addaudithook(hook)  # cannot be removed; the process ends after the suite
        if self.engine == "monitoring":
            mon = sys.monitoring
            for tool in (mon.PROFILER_ID, 3, 4):
                if mon.get_tool(tool) is None:
                    self._tool = tool
                    break
            else:
                raise RuntimeError("no free sys.monitoring tool id")
            mon.use_tool_id(self._tool, "sftset-trace")
            ev = mon.events
            mon.register_callback(self._tool, ev.PY_START, self._m_start)
            mon.register_callback(self._tool, ev.PY_RETURN, self._m_return)
            mon.register_callback(self._tool, ev.PY_UNWIND, self._m_unwind)
        elif self.engine == "settrace":
            self._profile = self._make_trace()
        else:
            self._profile = self._make_profile()
        self.resume()

    def resume(self) -> None:
        """Record again after pause() (runners pause between tests: their own code is not of interest)."""
        if self.engine == "monitoring":
            if self._tool is not None:
                ev = sys.monitoring.events
                sys.monitoring.set_events(self._tool, ev.PY_START | ev.PY_UNWIND)
        elif self._profile is not None and self.engine == "settrace":
            threading.settrace(self._profile)
            sys.settrace(self._profile)
        elif self._profile is not None:
            threading.setprofile(self._profile)
            sys.setprofile(self._profile)

    def pause(self) -> None:
        if self.engine == "monitoring":
            if self._tool is not None:
                sys.monitoring.set_events(self._tool, 0)
        elif self.engine == "settrace":
            sys.settrace(None)
            threading.settrace(None)
        else:
            sys.setprofile(None)
            threading.setprofile(None)

    def stop(self) -> None:
        self.pause()
        if self.engine == "monitoring" and self._tool is not None:
            mon = sys.monitoring
            for code, state in list(self.states.items()):
                if state.__class__ is _Function:
                    mon.set_local_events(self._tool, code, 0)
            mon.free_tool_id(self._tool)
            self._tool = None
        self._profile = None
        self.pending.clear()
        self._changed_at.clear()
        self.elapsed = time.perf_counter() - self.started

    def result(self) -> dict:
        functions, skipped = [], {}
        for state in list(self.states.values()):  # list() first: tracing may add states meanwhile
            if state.__class__ is _Function:
                if state.kind != "init":  # constructors are recorded only as their instances' origin
                    functions.append(state.to_json())
            elif state.own:
                skipped[state.reason] = skipped.get(state.reason, 0) + 1
        functions.sort(key=lambda f: (f["module"], f["qualname"]))
        return {
            "format": 1, "engine": self.engine, "python": ".".join(map(str, sys.version_info[:3])),
            "packages": sorted(self.packages), "tests": dict(self.tests), "calls_seen": self.calls_seen,
            "elapsed_s": round(self.elapsed, 3), "contained": self.contained, "skipped_functions": skipped,
            "functions": functions, "test_functions": dict(self.callables), "named_types": self.named_types(),
        }

    def named_types(self) -> dict:
        """{head of a path that value texts name a project type by: its module}, so that the build step
        can carry a type from a module other than the function's (a function given a Money that its
        module never imports); a head two modules define maps to None."""
        found: dict = {}
        pairs = [(t, p) for t, p in list(self._class_paths.items())]
        pairs += [(k[0], p) for k, p in list(self._value_memo.items())
                  if type(k) is tuple and len(k) == 2 and isinstance(k[0], type) and type(p) is str]
        for t, path in pairs:
            module = getattr(t, "__module__", None)
            if path is None or not isinstance(module, str) or not self._nameable(module):
                continue
            head = path.partition(".")[0]
            found[head] = module if found.get(head, module) == module else None
        return found

    def write(self, path: str) -> None:
        tmp = f"{path}.tmp"
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(self.result(), fh, separators=(",", ":"))
        os.replace(tmp, path)

    def flush_on_term(self, path: str) -> None:
        """On SIGTERM (how run_isolated ends a suite that stopped making progress) stop, write what
        was recorded to `path`, and exit. A suite that installs its own SIGTERM handler replaces this
        one: it then loses what it recorded since the runner's last periodic flush."""
        import signal

        def on_term(signum, frame):
            self.stop()
            for _ in range(3):  # another thread may still add a record while result() copies them
                try:
                    self.write(path)
                    break
                except RuntimeError:
                    continue
            os._exit(128 + signum)

        try:
            signal.signal(signal.SIGTERM, on_term)
        except ValueError:  # not the main thread
            pass


def _state(obj) -> str | None:
    """A snapshot of an instance's state that runs none of its code: each attribute of `vars(obj)` and
    of its slots as a literal repr, or its type and identity when not a literal (a rebound attribute
    shows; an object mutated in place does not, and validation's replay from a fresh instance judges it)."""
    return _state_and_attributes(obj)[0]


def _state_and_attributes(obj):
    """(_state(obj), {attribute name: its literal text, or (type qualname, id)}), the second None unless
    obj has only a __dict__ whose names and texts keep the parts of the snapshot apart (no "=" or newline):
    what _same_state compares attribute by attribute."""
    parts = []
    attributes = {}
    try:
        d = object.__getattribute__(obj, "__dict__")
    except Exception:
        d = None
    items = list(d.items()) if type(d) is dict else []
    for klass in type(obj).__mro__:
        slots = klass.__dict__.get("__slots__", ())
        for name in (slots,) if isinstance(slots, str) else slots:
            if name in ("__dict__", "__weakref__"):
                continue
            descriptor = klass.__dict__.get(name)
            try:
                items.append((name, descriptor.__get__(obj, klass)))
            except Exception:  # an unset slot
                items.append((name, _UNSET))
    for name, value in items:
        text = literal_repr(value, 500)
        if text is not None:
            parts.append(f"{name}={text}")
            if attributes is not None:
                attributes[name] = text
        else:
            qualname = type(value).__qualname__
            parts.append(f"{name}=<{qualname}@{_oid(value)}>")
            if attributes is not None:
                attributes[name] = (qualname, _oid(value))
                if "\n" in qualname:
                    attributes = None
        if attributes is not None and (type(name) is not str or "=" in name or "\n" in name):
            attributes = None
    if attributes is not None and (type(d) is not dict or len(attributes) != len(items) or _slotted(type(obj))):
        attributes = None
    parts.sort()
    return "\n".join(parts), attributes


_SLOTTED: dict = {}  # class -> whether it or a base declares slots (other than __dict__ and __weakref__)


def _slotted(t) -> bool:
    known = _SLOTTED.get(t)
    if known is None:
        known = False
        for klass in t.__mro__:
            slots = klass.__dict__.get("__slots__", ())
            if any(name not in ("__dict__", "__weakref__") for name in ((slots,) if isinstance(slots, str) else slots)):
                known = True
        if len(_SLOTTED) > 10000:
            _SLOTTED.clear()
        _SLOTTED[t] = known
    return known


def _same_state(obj, entry) -> bool:
    """_state(obj) == entry[3], the snapshot of an instance entry, with an early exit at the first
    attribute that differs (on a big instance, the whole snapshot costs a repr of every attribute):
    compared attribute by attribute when the entry keeps them (slot 5), else as texts."""
    attributes = entry[5] if len(entry) > 5 else None
    if attributes is None:
        return _state(obj) == entry[3]
    try:
        d = object.__getattribute__(obj, "__dict__")
    except Exception:
        return _state(obj) == entry[3]
    if type(d) is not dict or _slotted(type(obj)):
        return _state(obj) == entry[3]
    items = list(d.items())
    if len(items) != len(attributes):
        return False
    for name, value in items:
        if type(name) is not str or "=" in name or "\n" in name:
            return _state(obj) == entry[3]
        want = attributes.get(name)
        if want is None:
            return False
        if want.__class__ is tuple:  # not a literal: the same object, still not a literal
            if _oid(value) != want[1] or type(value).__qualname__ != want[0] or literal_repr(value, 500) is not None:
                return False
        elif literal_repr(value, 500) != want:
            return False
    return True


_UNSET = object()


def _state_text(obj) -> str | None:
    """The instance's attributes as sftset.methods' `_sftset_state` takes them (the same text), as a dict
    literal, keys sorted; None when one is not a literal."""
    try:
        state = _state_of(obj)
    except Exception:
        return None
    if not all(type(k) is str for k in state):
        return None
    return literal_repr({k: state[k] for k in sorted(state)})


def _bare(obj) -> bool:
    """An instance of a class whose constructor takes nothing and leaves no state (no __init__, __new__
    of its own anywhere but object), so `Cls()` rebuilds it."""
    t = type(obj)
    try:
        return (t.__init__ is object.__init__ and t.__new__ is object.__new__ and type(t) is type
                and not object.__getattribute__(obj, "__dict__") and _state(obj) == "")
    except Exception:
        return False


def _same_construction(sub: type, owner: type) -> bool:
    """Whether `owner(...)` runs the same constructor as `sub(...)`: sub derives from owner and has no
    __init__ or __new__ of its own (nor has any class between them)."""
    try:
        return (issubclass(sub, owner) and _code_of(sub.__init__) is _code_of(owner.__init__) is not None
                and sub.__new__ is owner.__new__)
    except Exception:
        return False


def _member_entry(member):
    """The entry of an enum member, built by `Cls(value)`, when its value is a literal that looks it up
    (found in the value map without running any of the class's code); else False."""
    t = type(member)
    value = member._value_
    text = literal_repr(value)
    try:
        found = t._value2member_map_.get(value) is member
    except TypeError:  # an unhashable value
        found = False
    return (t, f"({text},)", "{}", _state(member)) if text is not None and found else False


def _is_ip(host: str) -> bool:
    import ipaddress

    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _code_of(obj):
    """The code object behind a function, following functools.wraps chains."""
    for _ in range(5):
        code = getattr(obj, "__code__", None)
        if code is not None:
            return code
        obj = getattr(obj, "__wrapped__", None)
        if obj is None:
            return None
    return None


def from_environment() -> Tracer | None:
    """The tracer the suite runner asked for through SFTSET_TRACE_* variables (None when absent)."""
    out = os.environ.get("SFTSET_TRACE_OUT")
    if not out:
        return None
    packages = os.environ.get("SFTSET_TRACE_PACKAGES", "").split(",")
    cap = int(os.environ.get("SFTSET_TRACE_CAP", DEFAULT_CAP))
    engine = os.environ.get("SFTSET_TRACE_ENGINE") or None
    return Tracer(packages, cap=cap, workdir=os.environ.get("SFTSET_TRACE_WORKDIR") or None, engine=engine)
