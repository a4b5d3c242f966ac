"""Shortcut programs: answers that pass weak tests without doing the task.

A problem's tests must tell the reference from each of these (validation runs them in the
sandbox like mutants): return an argument unchanged; return None, True, False, 0, an empty
string, list, dict or tuple; return the expected value its tests expect most often; a common
builtin applied to one argument (`str(x)`, `len(x)`, `bool(x)`, `sorted(x)`, ...) or a common
method of it (`x.lower()`, `x.strip()`). A test set that one of them passes teaches nothing the
shortcut does not; validation then looks for more tests that fail it, or drops the problem
naming the shortcut.

`shortcut_of(prompt, entry_point, completion)` recognises a shortcut among model samples (the
solve filter must not keep one as an extra solution).
"""
from __future__ import annotations

import ast
from collections import Counter

CONSTANTS = ["None", "True", "False", "0", "''", "[]", "{}", "()"]
BUILTINS = ["str", "len", "bool", "int", "float", "list", "tuple", "set", "sorted", "abs", "repr", "min", "max",
            "sum", "any", "all", "not"]
METHODS = ["lower", "upper", "strip", "split", "title", "copy"]


def _function(tree: ast.Module, entry_point: str) -> ast.FunctionDef | None:
    """The function `name`, or the method `Class.name` (a method problem)."""
    found = [s for s in _scope(tree, entry_point) if isinstance(s, ast.FunctionDef)
             and s.name == entry_point.rpartition(".")[2]]
    return found[-1] if found else None


def _scope(tree: ast.Module, entry_point: str) -> list[ast.stmt]:
    """The statements the function is among: the module's, or its class's body (a method)."""
    if "." not in entry_point:
        return tree.body
    owner = entry_point.partition(".")[0]
    classes = [c for c in tree.body if isinstance(c, ast.ClassDef) and c.name == owner]
    return classes[-1].body if classes else []


def parameters(fn: ast.FunctionDef) -> list[str]:
    a = fn.args
    names = [p.arg for p in [*a.posonlyargs, *a.args, *a.kwonlyargs]]
    return [n for n in names if n not in ("self", "cls")]


def shortcut_bodies(params: list[str], tests: list[dict]) -> list[tuple[str, str]]:
    """(name, return expression) of every shortcut for a function with these parameters."""
    out = [(f"return the argument {p} unchanged", p) for p in params]
    out += [(f"return {c}", c) for c in CONSTANTS]
    expected = Counter(t["expected"] for t in tests if "expected" in t)
    if expected:
        common = expected.most_common(1)[0][0]
        if common not in CONSTANTS:
            out.append((f"return the commonest expected value {common[:40]}", common))
    for p in params:
        for b in BUILTINS:
            expr = f"not {p}" if b == "not" else f"{b}({p})"
            out.append((f"return {expr}", expr))
        for m in METHODS:
            out.append((f"return {p}.{m}()", f"{p}.{m}()"))
    return out


RAISED = "\x00sftset-raised:"  # a shortcut's exception, as an element of the combined result
OTHER = "\x00sftset-not-a-value"  # a result that is not a test value


def combined_program(program: str, entry_point: str, tests: list[dict]) -> tuple[list[str], str] | None:
    """(shortcut names, one program) whose entry point returns every shortcut's result on the call.

    Each shortcut is the function with its body replaced (same signature and defaults, same
    context); the entry point calls them all and returns a tuple: a result, RAISED + the
    exception's name, or OTHER for a result that is not a value. One sandbox job then judges
    the whole family on all inputs.
    """
    tree = ast.parse(program)
    fn = _function(tree, entry_point)
    if fn is None:
        return None
    names, defs = [], []
    for k, (name, expr) in enumerate(shortcut_bodies(parameters(fn), tests)):
        copy = ast.parse(f"def _sftset_shortcut_{k}():\n    return {expr}\n").body[0]
        copy.args = fn.args
        defs.append(copy)
        names.append(name)
    tree.body.extend(defs)
    # a method's runner takes the place of the method in its class and hands the instance on
    method = "." in entry_point
    name = entry_point.rpartition(".")[2]
    runner = ast.parse(f"""
def {name}({"self, " if method else ""}*args, **kwargs):
    from sftset_values_check import is_value
    out = []
    for shortcut in [{", ".join(d.name for d in defs)}]:
        try:
            result = shortcut({"self, " if method else ""}*args, **kwargs)
        except BaseException as exc:
            out.append({RAISED!r} + type(exc).__name__)
            continue
        out.append(result if is_value(result) else {OTHER!r})
    return tuple(out)
""".replace("from sftset_values_check import is_value", "is_value = _sftset_is_value")).body
    helper = ast.parse(_IS_VALUE).body
    if method:
        scope = _scope(tree, entry_point)
        scope[scope.index(fn)] = runner[0]
        tree.body.extend(helper)
    else:
        tree.body.extend(helper + runner)
    return names, ast.unparse(ast.fix_missing_locations(tree)) + "\n"


# Whether a result can be compared as a test value (the sandbox reports other results as unsupported,
# which would hide every other shortcut's result on that call).
_IS_VALUE = """
def _sftset_is_value(x, depth=0):
    import datetime, decimal, fractions
    if depth > 50:
        return False
    if x is None or type(x) in (bool, int, float, complex, str, bytes):
        return True
    if type(x) in (datetime.date, datetime.datetime, datetime.time, datetime.timedelta, decimal.Decimal,
                   fractions.Fraction, bytearray):
        return True
    if type(x) in (list, tuple, set, frozenset):
        return all(_sftset_is_value(e, depth + 1) for e in x)
    if type(x) is dict:
        return all(_sftset_is_value(k, depth + 1) and _sftset_is_value(v, depth + 1) for k, v in x.items())
    return False
"""


def decode(value, count: int) -> list[tuple] | None:
    """The outcome keys (as validate.expected_key gives them) of each shortcut from one combined result."""
    from .literals import canon

    if not isinstance(value, tuple) or len(value) != count:
        return None
    out = []
    for element in value:
        if isinstance(element, str) and element.startswith(RAISED):
            out.append(("raises", element[len(RAISED):]))
        elif isinstance(element, str) and element == OTHER:
            out.append(("unsupported",))
        else:
            try:
                out.append(("value", canon(element)))
            except ValueError:
                out.append(("unsupported",))
    return out


def _body_without_docstring(fn: ast.FunctionDef) -> list[ast.stmt]:
    body = fn.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
            and isinstance(body[0].value.value, str):
        body = body[1:]
    return [s for s in body if not isinstance(s, ast.Pass)]


def shortcut_of(prompt: str, entry_point: str, completion: str) -> str | None:
    """The shortcut a completion (a body, or a whole function) is, or None."""
    for text in (prompt + completion, completion):
        try:
            tree = ast.parse(text)
        except SyntaxError:
            continue
        fn = _function(tree, entry_point)
        if fn is None:
            continue
        body = _body_without_docstring(fn)
        if not body:
            return "an empty body"
        if len(body) != 1 or not isinstance(body[0], ast.Return):
            return None
        expr = ast.unparse(body[0].value) if body[0].value is not None else "None"
        for name, shortcut in shortcut_bodies(parameters(fn), []):
            if expr == ast.unparse(ast.parse(shortcut, mode="eval").body):
                return name
        return None
    return None
