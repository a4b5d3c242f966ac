"""Test values: the text of a test's `args`, `kwargs` and `expected`.

A value text is a Python literal (what `ast.literal_eval` reads), or one of a few
standard-library value types written the way `repr` writes them:
`datetime.date(2024, 2, 29)`, `datetime.datetime(2024, 2, 29, 12, 0,
tzinfo=datetime.timezone.utc)`, `datetime.time(...)`, `datetime.timedelta(days=1)`,
`datetime.timezone(...)`, `Decimal('1.50')`, `Fraction(1, 3)`, `frozenset({1, 2})`.
Mined functions often take or return these (dates, money, exact ratios), and they have
exact, readable reprs. Also `bytearray(b'...')`, and values of named types (see OBJECTS):
enum members (`Color.RED`, `re.RegexFlag.IGNORECASE`, `re.RegexFlag(10)`), namedtuples,
dataclasses and simple objects as keyword constructor calls (`Point(x=1, y=2)`), and
callables named by import path (`len`, `str.upper`, `operator.add`, `helper`).

Reading never evaluates code: the text is parsed, every call must name one of the
constructors above with value arguments, and the tree is then built by hand.

The reader is kept as source text (READER) because rendered checks embed it: a check
exported in HumanEval's format must read its own test values with nothing but the
standard library (see render.py). This module runs that same text.
"""
from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

READER = r'''
import ast as _sftset_ast
import datetime as _sftset_datetime
import decimal as _sftset_decimal
import fractions as _sftset_fractions

_SFTSET_CONSTRUCTORS = {
    "datetime.date": _sftset_datetime.date, "datetime.datetime": _sftset_datetime.datetime,
    "datetime.time": _sftset_datetime.time, "datetime.timedelta": _sftset_datetime.timedelta,
    "datetime.timezone": _sftset_datetime.timezone, "Decimal": _sftset_decimal.Decimal,
    "Fraction": _sftset_fractions.Fraction, "frozenset": frozenset, "set": set, "bytearray": bytearray,
}
_SFTSET_NAMED = {"datetime.timezone.utc": _sftset_datetime.timezone.utc}
# Types compared by exact type and repr (their reprs are exact and canonical enough).
_SFTSET_VALUE_TYPES = (_sftset_datetime.date, _sftset_datetime.datetime, _sftset_datetime.time,
                       _sftset_datetime.timedelta, _sftset_datetime.timezone, _sftset_decimal.Decimal,
                       _sftset_fractions.Fraction, bytearray)


def _sftset_dotted(node):
    parts = []
    while isinstance(node, _sftset_ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, _sftset_ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


def _sftset_build(node, depth=0, names=None):
    if depth > 100:
        raise ValueError("value nested too deeply")
    if isinstance(node, _sftset_ast.Call):
        path = _sftset_dotted(node.func)
        make = _SFTSET_CONSTRUCTORS.get(path)
        if path is None or any(isinstance(a, _sftset_ast.Starred) for a in node.args):
            raise ValueError("not a value: " + _sftset_ast.unparse(node.func)[:60])
        args = [_sftset_build(a, depth + 1, names) for a in node.args]
        kwargs = {}
        for k in node.keywords:
            if k.arg is None:
                raise ValueError("not a value: **")
            kwargs[k.arg] = _sftset_build(k.value, depth + 1, names)
        if make is None:
            return _sftset_construct(path, args, kwargs, names)
        # Fraction('1e99999999') or Fraction(Decimal(...)) would build a huge int, bytearray(10**12)
        # a huge buffer: only the forms repr writes are read, Fraction(int, int), Decimal('digits'),
        # bytearray(b'...').
        if make is _sftset_fractions.Fraction and not all(type(a) is int for a in args) or (
                make is _sftset_decimal.Decimal and not (len(args) == 1 and type(args[0]) is str and not kwargs)) or (
                make is bytearray and not (len(args) == 1 and type(args[0]) is bytes and not kwargs)):
            raise ValueError("not a value: " + _sftset_ast.unparse(node)[:60])
        return make(*args, **kwargs)
    if isinstance(node, (_sftset_ast.Attribute, _sftset_ast.Name)):
        name = _sftset_dotted(node)
        if name in _SFTSET_NAMED:
            return _SFTSET_NAMED[name]
        if name is None or name in ("True", "False", "None"):  # Name nodes of 3.7-, or an attribute of a call
            raise ValueError("not a value: " + _sftset_ast.unparse(node)[:60])
        return _sftset_named(name, names)
    if isinstance(node, (_sftset_ast.Tuple, _sftset_ast.List, _sftset_ast.Set)):
        items = [_sftset_build(e, depth + 1, names) for e in node.elts]
        return {_sftset_ast.Tuple: tuple, _sftset_ast.List: list, _sftset_ast.Set: set}[type(node)](items)
    if isinstance(node, _sftset_ast.Dict):
        if any(k is None for k in node.keys):
            raise ValueError("not a value: **")
        return {_sftset_build(k, depth + 1, names): _sftset_build(v, depth + 1, names)
                for k, v in zip(node.keys, node.values)}
    # Numbers, strings, bytes, None, True/False, negative numbers, complex sums:
    # exactly what literal_eval accepts.
    return _sftset_ast.literal_eval(node)


def _sftset_read(text, names=None):
    """The value a value text denotes (a literal, one of the constructors above, or a value of a
    named type). `names`: the program's namespace to resolve named types in (see OBJECTS); None
    reads them as _SftsetObject without resolving anything."""
    return _sftset_build(_sftset_ast.parse(text.strip(), mode="eval").body, 0, names)

# ---- values of named types -------------------------------------------------------------------
# A value text names a type or a callable by its import path: the program's own by their
# qualname (`Color.RED`, `Point(x=1, y=2)`, `helper`: the prompt defines them at top level),
# the standard library's by module and qualname (`re.RegexFlag.IGNORECASE`, `operator.add`),
# builtins by name (`len`, `str.upper`). Read with `names` (the program's namespace) a name
# resolves there, then in builtins, then in a standard-library module (imported); the only calls
# made are constructor calls of the program's classes and of standard-library enums, namedtuples
# and dataclasses, with value arguments. Read without `names` nothing is resolved or called: the
# value is an _SftsetObject, compared by path and arguments.
import builtins as _sftset_builtins
import dataclasses as _sftset_dataclasses
import enum as _sftset_enum
import importlib as _sftset_importlib
import sys as _sftset_sys
import types as _sftset_types

_SFTSET_STDLIB = frozenset(getattr(_sftset_sys, "stdlib_module_names", ())) - {
    "antigravity", "this", "idlelib", "tkinter", "turtle", "turtledemo", "webbrowser", "__main__"}
_SFTSET_NAMED_KINDS = (type, _sftset_types.FunctionType, _sftset_types.BuiltinFunctionType,
                       _sftset_types.MethodType, _sftset_types.MethodDescriptorType,
                       _sftset_types.ClassMethodDescriptorType, _sftset_types.WrapperDescriptorType)
# Builtins that act on the process or its environment, or whose results depend on it: not values.
_SFTSET_UNSAFE_BUILTINS = frozenset((
    "print", "input", "open", "exec", "eval", "compile", "breakpoint", "exit", "quit", "help", "globals", "locals",
    "vars", "setattr", "delattr", "getattr", "id", "hash", "copyright", "credits", "license", "__import__",
    "__build_class__", "memoryview", "super", "object", "type", "classmethod", "staticmethod", "property"))
_SFTSET_MAX_REBUILD_FAILURES = 3  # objects of a type that failed to rebuild this often are not tried again


class _SftsetObject:
    """A value of a named type, or a named callable, read without resolving its name."""

    __slots__ = ("path", "args", "kwargs")
    _sftset_inert = True

    def __init__(self, path, args=None, kwargs=None):
        self.path, self.args, self.kwargs = path, args, kwargs  # args None: an enum member or a callable

    def __repr__(self):
        if self.args is None:
            return self.path
        parts = [repr(a) for a in self.args] + [k + "=" + repr(v) for k, v in self.kwargs]
        return self.path + "(" + ", ".join(parts) + ")"

    def __eq__(self, other):
        return _sftset_is_inert(other) and repr(self) == repr(other)

    def __hash__(self):
        return hash(repr(self))


def _sftset_is_inert(x):
    # By marker, not identity: values decoded by sftset.values and a check's own copy of this text
    # are instances of two copies of the class.
    t = type(x)
    return t.__name__ == "_SftsetObject" and "_sftset_inert" in t.__dict__


def _sftset_stdlib(module):
    return module == "builtins" or module.partition(".")[0] in _SFTSET_STDLIB or (
        module.startswith("_") and module.lstrip("_").partition(".")[0] in _SFTSET_STDLIB)


def _sftset_stdlib_class(t):
    # A class of a program run by exec(program, {}) says __module__ == "builtins" too.
    module = t.__module__
    return _sftset_stdlib(module) and (module != "builtins" or getattr(_sftset_builtins, t.__qualname__, None) is t)


def _sftset_resolve(path, names):
    """The object `path` names in the program (`names`), builtins or a standard-library module; None if none."""
    parts = path.split(".")
    if any(not p.isidentifier() or p.startswith("__") for p in parts):
        raise ValueError("not a value: " + path[:60])
    head = parts[0]
    if head in names:
        obj = names[head]
    elif hasattr(_sftset_builtins, head):
        obj = getattr(_sftset_builtins, head)
    elif head in _SFTSET_STDLIB and not head.startswith("_"):
        obj = _sftset_import(head)
    else:
        return None
    for i in range(1, len(parts)):
        if hasattr(obj, parts[i]):
            obj = getattr(obj, parts[i])
        elif isinstance(obj, _sftset_types.ModuleType) and obj.__name__.partition(".")[0] in _SFTSET_STDLIB:
            obj = _sftset_import(obj.__name__ + "." + parts[i])
        else:
            raise ValueError("not a value: " + path[:60])
    if isinstance(obj, _sftset_types.ModuleType):
        raise ValueError("a module is not a value: " + path[:60])
    return obj


def _sftset_import(name):
    try:
        return _sftset_importlib.import_module(name)
    except ImportError:  # a module this interpreter lacks (curses without its library, ...)
        raise ValueError("not a value: " + name[:60]) from None


def _sftset_named(path, names):
    obj = _sftset_lookup(path, names)
    if obj is None or names is None:
        return _SftsetObject(path)
    return obj


def _sftset_construct(path, args, kwargs, names):
    obj = _sftset_lookup(path, names, True)
    if obj is None or names is None:
        return _SftsetObject(path, tuple(args), tuple(kwargs.items()))
    if issubclass(obj, _sftset_enum.Enum) and (len(args) != 1 or kwargs):
        raise ValueError("not a value: " + path[:60])
    return obj(*args, **kwargs)


def _sftset_lookup(path, names, call=False):
    """What `path` names, checked, or None where it is the program's and `names` does not resolve it
    (always, without `names`: the program's names are then left unresolved). The standard library's
    and builtins' are resolved either way, to check that they name a value (never called here)."""
    parts = path.split(".")
    head = parts[0]
    if head in ("nan", "inf") or any(p.startswith("__") for p in parts):  # nan: repr of floats with no literal
        raise ValueError("not a value: " + path[:60])
    if names is not None and head in names:
        obj = _sftset_resolve(path, names)
    elif hasattr(_sftset_builtins, head) or head in _SFTSET_STDLIB:
        if head in _SFTSET_UNSAFE_BUILTINS:
            raise ValueError("not a value: " + path[:60])
        obj = _sftset_resolve(path, {})
    else:
        obj = None if names is None else _sftset_resolve(path, names)
    if obj is None:
        return None
    if call:  # a constructor: the program's classes, the standard library's enums and records
        if not isinstance(obj, type) or _sftset_stdlib_class(obj) and not (
                issubclass(obj, _sftset_enum.Enum) or _sftset_is_record(obj)):
            raise ValueError("not a value: " + path[:60])
    elif not isinstance(obj, _SFTSET_NAMED_KINDS + (_sftset_enum.Enum,)):
        raise ValueError("not a value: " + path[:60])
    return obj


def _sftset_is_record(t):
    # namedtuples (and classes derived from one, like urllib.parse.SplitResult) and dataclasses
    return (issubclass(t, tuple) and isinstance(getattr(t, "_fields", None), tuple)) or \
        isinstance(getattr(t, "__dataclass_fields__", None), dict)


def _sftset_path_of(obj, own=None, verify=False):
    """The path a type or callable is named by, or None (lambdas, nested functions, bound methods,
    third-party ones). own: the top-level packages whose objects may be named, or a test of a module
    name (None: any).
    verify: the path must resolve back to obj."""
    qual = getattr(obj, "__qualname__", None)
    if type(qual) is not str or "<" in qual:
        return None
    bound = getattr(obj, "__self__", None) if not isinstance(obj, type) else None
    if isinstance(obj, _sftset_types.MethodType) or (
            type(obj) is _sftset_types.BuiltinFunctionType and not isinstance(bound, _sftset_types.ModuleType)):
        if not isinstance(bound, type):  # bound to an instance: not a value
            return None
        owner, qual = bound, bound.__qualname__ + "." + obj.__name__  # a class method: Cls.name
    elif type(obj) is _sftset_types.BuiltinFunctionType:
        owner = None
        module = bound.__name__
    else:
        owner = getattr(obj, "__objclass__", None)
    if owner is not None:
        module = getattr(owner, "__module__", None)
    elif type(obj) is not _sftset_types.BuiltinFunctionType:
        module = getattr(obj, "__module__", None)
    if module is None and own is None:
        module = "__main__"  # a function of a program run by exec(program, {}), HumanEval's way: no __name__
    if type(module) is not str:
        return None
    if any(getattr(_sftset_builtins, name, None) is obj for name in _SFTSET_UNSAFE_BUILTINS):
        return None  # also io.open, which is builtins.open
    if module == "builtins":
        if qual.split(".")[0] in _SFTSET_UNSAFE_BUILTINS:
            return None
        candidates = [qual]
    elif _sftset_stdlib(module):
        candidates = [module + "." + qual, module.lstrip("_") + "." + qual]
    else:
        if own is not None and not (own(module) if callable(own) else module.partition(".")[0] in own):
            return None
        if verify:
            found = _sftset_sys.modules.get(module)
            for part in qual.split("."):
                found = getattr(found, part, None)
            if not (found is obj or isinstance(obj, _sftset_types.MethodType) and found == obj):
                return None
        return qual
    for path in candidates:
        try:
            found = _sftset_resolve(path, {})
        except (ImportError, ValueError, AttributeError):
            continue
        if found is obj or (bound is not None and not isinstance(bound, _sftset_types.ModuleType) and found == obj):
            return path
    if module == "builtins" and own is None and isinstance(obj, type):
        return qual  # a class of a program run by exec(program, {}) (no __name__: its __module__ is builtins)
    return None


def _sftset_type_path(t, own, verify, memo):
    if memo is None:
        return _sftset_path_of(t, own, verify)
    key = (t, verify)
    if key not in memo:
        memo[key] = _sftset_path_of(t, own, verify)
    return memo[key]


def _sftset_describe(x, own=None, verify=False, memo=None):
    """(path, args, kwargs) of a value of a named type (args None for an enum member or a
    callable), read or real; None when x is not one. Objects whose equality is identity, or
    whose repr carries an address, are not values."""
    if _sftset_is_inert(x):
        return (x.path, x.args, x.kwargs)
    t = type(x)
    if isinstance(x, _SFTSET_NAMED_KINDS):
        path = _sftset_path_of(x, own, verify)
        return None if path is None else (path, None, None)
    if isinstance(x, _sftset_enum.Enum):
        path = _sftset_type_path(t, own, verify, memo)
        if path is None:
            return None
        name = x._name_
        if type(name) is str and name.isidentifier() and not name.startswith("__") and \
                t._member_map_.get(name) is x:
            return (path + "." + name, None, None)
        if type(x._value_) is int:  # a combination of flags: Cls(value)
            return (path, (x._value_,), ())
        return None
    plain = t.__eq__ is object.__eq__  # a simple object (below) is compared by its fields, never by __eq__
    if plain and not isinstance(getattr(x, "__dict__", None), dict) or (
            not plain and t.__repr__ is object.__repr__):
        return None
    path = _sftset_type_path(t, own, verify, memo)
    if path is None:
        return None
    if issubclass(t, tuple) and isinstance(getattr(t, "_fields", None), tuple):
        if len(t._fields) != len(x):
            return None
        return (path, (), tuple(zip(t._fields, tuple.__iter__(x))))
    if isinstance(getattr(t, "__dataclass_fields__", None), dict):
        return (path, (), tuple((f.name, getattr(x, f.name)) for f in _sftset_dataclasses.fields(x) if f.init))
    if _sftset_stdlib_class(t):
        return None
    init = getattr(t.__init__, "__code__", None)  # a simple object: each __init__ parameter kept as an attribute
    state = getattr(x, "__dict__", None)
    if init is None or type(state) is not dict or init.co_flags & 0x0C:  # *args, **kwargs
        return None
    kwargs = []
    for name in init.co_varnames[1:init.co_argcount + init.co_kwonlyargcount]:
        for key in (name, "_" + name):
            if key in state:
                kwargs.append((name, state[key]))
                break
        else:
            return None
    return (path, (), tuple(kwargs))


def _sftset_text(x, own=None, verify=False, budget=None, depth=0, memo=None):
    """The value text of x, or None when x is not a value. verify: rebuild each object from its
    constructor call and require an equal object of the same type with the same text (the tracer's
    check that the text denotes x). memo: a dict kept across calls (the tracer's) that remembers the
    paths of types and turns away a type whose objects failed to rebuild MAX_REBUILD_FAILURES times."""
    if budget is None:
        budget = [400]
    budget[0] -= 1
    if budget[0] < 0 or depth > 20:
        return None
    t = type(x)
    if x is None or t is bool or t is int or t is str or t is bytes:
        try:
            return repr(x)
        except ValueError:  # an int past the str-conversion digit limit
            return None
    if t is float:
        return repr(x) if x == x and x not in (float("inf"), float("-inf")) else None
    if t is complex:
        return repr(x) if _sftset_text(x.real, own, verify, budget, depth, memo) and _sftset_text(
            x.imag, own, verify, budget, depth, memo) else None
    if t in (list, tuple, set, frozenset):
        items = [_sftset_text(e, own, verify, budget, depth + 1, memo) for e in x]
        if None in items:
            return None
        if t is list:
            return "[" + ", ".join(items) + "]"
        if t is tuple:
            return "(" + ", ".join(items) + (",)" if len(items) == 1 else ")")
        if not items:
            return t.__name__ + "()"
        return ("{" if t is set else "frozenset({") + ", ".join(items) + ("}" if t is set else "})")
    if t is dict:
        items = []
        for k, v in x.items():
            kt, vt = _sftset_text(k, own, verify, budget, depth + 1, memo), _sftset_text(v, own, verify, budget, depth + 1, memo)
            if kt is None or vt is None:
                return None
            items.append(kt + ": " + vt)
        return "{" + ", ".join(items) + "}"
    if t in _SFTSET_VALUE_TYPES:
        if t is _sftset_decimal.Decimal and not x.is_finite():
            return None
        if t in (_sftset_datetime.datetime, _sftset_datetime.time) and not (
                x.tzinfo is None or type(x.tzinfo) is _sftset_datetime.timezone):
            return None
        return repr(x)
    if memo is not None and memo.get(("refused", t), 0) >= _SFTSET_MAX_REBUILD_FAILURES:
        return None
    try:
        parts = _sftset_describe(x, own, verify, memo)
    except Exception:  # a property or __init__ of the project's that raises: not a value
        return None
    if parts is None:
        return None
    path, args, kwargs = parts
    if args is None:
        return path
    texts = [_sftset_text(a, own, verify, budget, depth + 1, memo) for a in args]
    texts += [None if (k_text := _sftset_text(v, own, verify, budget, depth + 1, memo)) is None else k + "=" + k_text
              for k, v in kwargs]
    if None in texts:
        if memo is not None and not _sftset_is_inert(x) and t.__eq__ is object.__eq__:
            # a simple object whose fields are not values (a tree node, a parser): after a few, its type is
            # not tried again (each try walks its fields up to the budget, on every traced call)
            memo[("refused", t)] = memo.get(("refused", t), 0) + 1
        return None
    text = path + "(" + ", ".join(texts) + ")"
    if verify and not _sftset_is_inert(x) and not _sftset_rebuilds(x, t, args, kwargs, text, own):
        if memo is not None:
            memo[("refused", t)] = memo.get(("refused", t), 0) + 1
        return None
    return text


def _sftset_rebuilds(x, t, args, kwargs, text, own):
    try:
        if t.__repr__ is not object.__repr__ and " at 0x" in repr(x)[:1000]:  # its own repr carries an address
            return False
        again = t(*args, **dict(kwargs))
        if type(again) is not t or _sftset_text(again, own) != text:
            return False
        if t.__eq__ is object.__eq__:  # equality is identity: the whole state must be the same instead
            return _sftset_state(again, own) == _sftset_state(x, own) is not None
        return again == x and x == again
    except Exception:
        return False


def _sftset_state(x, own):
    """The value texts of all of x's attributes, or None when one is not a value or x has slots."""
    if any(k.__dict__.get("__slots__") not in (None, (), [], "__dict__", ("__dict__",), ["__dict__"])
           for k in type(x).__mro__[:-1]):
        return None
    state = []
    for k, v in sorted(x.__dict__.items()):
        v_text = _sftset_text(v, own)
        if type(k) is not str or v_text is None:
            return None
        state.append((k, v_text))
    return state

'''

_namespace: dict[str, Any] = {"__name__": "sftset.values.reader"}
exec(compile(READER, "<sftset value reader>", "exec", dont_inherit=True), _namespace)

VALUE_TYPES: tuple[type, ...] = _namespace["_SFTSET_VALUE_TYPES"]
READ_ERRORS = (ValueError, SyntaxError, TypeError, ArithmeticError, MemoryError, RecursionError)


def read_value(text: str, names: dict | None = None) -> Any:
    """The value of a value text; raises one of READ_ERRORS when it is not one. Values of named
    types are ObjectValues unless `names` (a program's namespace) resolves them."""
    return _namespace["_sftset_read"](text, names)


ObjectValue: type = _namespace["_SftsetObject"]  # a value of a named type, read without resolving it
is_object_value = _namespace["_sftset_is_inert"]
describe = _namespace["_sftset_describe"]  # (path, args, kwargs) of a value of a named type, or None
text_of = _namespace["_sftset_text"]  # the value text of any value, or None


def is_value_type(x: Any) -> bool:
    """An instance of exactly one of the standard-library value types (no subclasses), whose
    repr reads back: finite Decimals, datetimes and times with no tzinfo or a plain timezone."""
    t = type(x)
    if t not in VALUE_TYPES:
        return False
    if t is Decimal:
        return x.is_finite()
    if t is datetime.datetime or t is datetime.time:
        return x.tzinfo is None or type(x.tzinfo) is datetime.timezone
    return True


def value_text(x: Any) -> str:
    """repr(x) for a value of VALUE_TYPES (checked with is_value_type first)."""
    if not is_value_type(x):
        raise ValueError(f"not a value type: {type(x).__qualname__}")
    return repr(x)
