"""Problems whose function is an instance method: how their tests call it, here and in HumanEval.

A method problem's record names its class as `entry_point` (what HumanEval's harness passes to
`check`) and every test case carries `method` (the method's name), `init_args` and, when not
empty, `init_kwargs` (the constructor call that rebuilds a fresh instance). A case means
`Cls(*init_args, **init_kwargs).method(*args, **kwargs)`; `init_args` "None" means the method is called on
the class itself, `Cls.method(*args, **kwargs)` (a class or static method that needs its class).

A method that returns None is judged by the state it leaves: its cases carry `"state": true`, and
their `expected` is the instance's attributes after the call (its `__dict__` and set slots, as a
dict: `_sftset_state`), which the call returns in place of None.

One call does all of it, so that it also works where the check runs outside the sample's process
(sftset.sandbox forwards only calls of the entry point and only values come back, never an
instance): there the program gets ADAPTER appended, a module-level function taking
`(init_args, init_kwargs, *args, **kwargs)`, and the sandbox's entry point is that adapter. The
rendered check accepts either: the class itself (HumanEval's harness, one process) is wrapped
into the same call shape by `_sftset_method_caller`.
"""
from __future__ import annotations

import ast
from typing import Any

ADAPTER = "_sftset_method_call"

# The state a method that returns None leaves. One text for both sides: rendered checks embed it, and the
# tracer, which records that state inside the traced suite, gets it as its runtime's method_state.py.
STATE_HELPER = r'''
import types as _sftset_types


def _sftset_state(owner):
    """The instance's attributes: its __dict__ and its set slots, read without running the class's code."""
    try:
        state = dict(object.__getattribute__(owner, "__dict__"))
    except (AttributeError, TypeError):
        state = {}
    for klass in type(owner).__mro__:
        if klass.__module__ == "builtins":
            continue
        for name, descriptor in list(vars(klass).items()):
            if type(descriptor) is _sftset_types.MemberDescriptorType and name not in state:
                try:
                    state[name] = descriptor.__get__(owner, klass)
                except AttributeError:  # an unset slot
                    pass
    return state
'''
_state_namespace: dict = {}
exec(STATE_HELPER, _state_namespace)
state_of = _state_namespace["_sftset_state"]

# Added to a rendered check when its cases call a method (see render.py).
CHECK_HELPER = STATE_HELPER + r'''


def _sftset_method_caller(candidate, name, state=False):
    """One call that builds a fresh instance and calls its method: the class itself (HumanEval's harness)
    is wrapped; anything else is already such a call (the sandbox's adapter). state: a None result
    gives the instance's state instead."""
    if not isinstance(candidate, type):
        return candidate

    def call(init_args, init_kwargs, *args, **kwargs):
        owner = candidate if init_args is None else candidate(*init_args, **init_kwargs)
        result = getattr(owner, name)(*args, **kwargs)
        return _sftset_state(owner) if state and result is None else result

    return call
'''


def adapter_source(class_name: str, method: str, state: bool = False) -> str:
    """The module-level function the sandbox calls for a method problem."""
    text = (f"\n\ndef {ADAPTER}(_sftset_init, _sftset_init_kw, /, *args, **kwargs):\n"
            f"    owner = {class_name} if _sftset_init is None else {class_name}(*_sftset_init, **_sftset_init_kw)\n")
    if not state:
        return text + f"    return owner.{method}(*args, **kwargs)\n"
    return (STATE_HELPER + text + f"    result = owner.{method}(*args, **kwargs)\n"
            "    return _sftset_state(owner) if result is None else result\n")


def method_of(tests: list[dict[str, Any]]) -> str | None:
    """The method a record's cases call, or None for a plain function."""
    for case in tests:
        if "method" in case:
            return case["method"]
    return None


def checks_state(tests: list[dict[str, Any]]) -> bool:
    """Whether a method problem's cases judge the state its method leaves (see above)."""
    return any(case.get("state") for case in tests)


def function_path(entry_point: str, tests: list[dict[str, Any]]) -> str:
    """Where a record's function is in its program: `name`, or `Class.method` for a method problem."""
    method = method_of(tests)
    return f"{entry_point}.{method}" if method else entry_point


def sandbox_call(program: str, entry_point: str, tests: list[dict[str, Any]]) -> tuple[str, str]:
    """(program, entry point) the sandbox runs for a record: with the adapter for a method problem."""
    method = method_of(tests)
    if method is None:
        return program, entry_point
    return program + adapter_source(entry_point, method, checks_state(tests)), ADAPTER


def combined_args(init_args: str, init_kwargs: str, args: str) -> str:
    """The adapter's positional arguments as one tuple text: (init_args, init_kwargs, *args)."""
    inner = args.strip()[1:-1].strip()
    return f"({init_args}, {init_kwargs}, {inner})" if inner else f"({init_args}, {init_kwargs})"


def split_args(text: str) -> tuple[str, str, str]:
    """The inverse of combined_args, keeping each part's text as written."""
    node = ast.parse(text.strip(), mode="eval").body
    if not isinstance(node, ast.Tuple) or len(node.elts) < 2:
        raise ValueError(f"not a method call's arguments: {text[:60]!r}")
    src = text.strip()
    parts = [ast.get_source_segment(src, e) for e in node.elts]
    rest = parts[2:]
    args = "(" + ", ".join(rest) + ("," if len(rest) == 1 else "") + ")"
    return parts[0], parts[1], args
