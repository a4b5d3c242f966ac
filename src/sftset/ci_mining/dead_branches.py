"""Module-level branches that never run on the Pythons a problem is for.

Old compatibility code binds the same names two ways: `if py3k: import http.client as httplib`
/ `else: import httplib`, `if sys.version_info[0] >= 3: ...`, `if six.PY2: ...`, and
`if TYPE_CHECKING: import _typeshed`. Carrying such a statement is fine (the dead branch never
runs), but its dead branch must not count: its Python 2 imports are not third-party modules and
its Python 2 names (`unicode`, `basestring`) are not undefined names.

`prune(tree)` empties the dead branches of `if` statements in the parsed tree, so bindings and
needs come from the live code only (scope.statement_needs reads a function's globals from the
tree's names); the source text, and so the prompt, keeps the whole statement. A branch is dead when its test has the
same value on every Python the problems are for (`PYTHONS`), or when it imports a module that only
Python 2 had (the module imported fine under the suite, so that branch did not run).
"""
from __future__ import annotations

import ast
from collections import Counter

PYTHONS = ((3, 10, 0), (3, 11, 0), (3, 12, 0), (3, 13, 0))  # pyproject's requires-python onwards

PY2_ONLY_MODULES = frozenset({
    "__builtin__", "anydbm", "BaseHTTPServer", "CGIHTTPServer", "commands", "ConfigParser", "Cookie", "cookielib",
    "copy_reg", "cPickle", "cStringIO", "dbhash", "dummy_thread", "exceptions", "future_builtins", "htmlentitydefs",
    "HTMLParser", "httplib", "md5", "Queue", "repr", "robotparser", "sets", "sha", "SimpleHTTPServer",
    "SimpleXMLRPCServer", "SocketServer", "StringIO", "thread", "Tkinter", "urllib2", "urlparse", "UserDict",
    "UserList", "UserString", "whichdb", "xmlrpclib",
})

# Builtins only Python 2 had: the module never finds them on Python 3 either (`try: text = unicode`
# / `except NameError: text = str`), so a problem that carries such a read behaves as the module does.
PY2_ONLY_BUILTINS = frozenset({
    "apply", "basestring", "buffer", "cmp", "coerce", "execfile", "file", "intern", "long", "raw_input", "reduce",
    "reload", "unichr", "unicode", "xrange",
})


class _Unknown(Exception):
    pass


def prune(tree: ast.Module) -> None:
    """Empty the dead branches of the module's `if` statements (in function bodies too), in place."""
    assigned = _single_assignments(tree)
    for node in [n for n in ast.walk(tree) if isinstance(n, ast.If)]:
        truth = static_truth(node.test, assigned)
        if truth is None:  # `if py_version_is_2(): import cPickle` / `else: import pickle`
            truth = False if _imports_py2_only(node.body) else True if _imports_py2_only(node.orelse) else None
        if truth is False:
            node.body = [ast.Pass(lineno=node.lineno, col_offset=node.col_offset, end_lineno=node.lineno,
                                  end_col_offset=node.col_offset)]
        elif truth is True:
            node.orelse = []


def _imports_py2_only(body: list[ast.stmt]) -> bool:
    return any(imports_py2_only(stmt) for stmt in body)


def imports_py2_only(node: ast.AST) -> bool:
    """An import statement of a module only Python 2 had."""
    if isinstance(node, ast.Import):
        return any(a.name.split(".")[0] in PY2_ONLY_MODULES for a in node.names)
    return isinstance(node, ast.ImportFrom) and not node.level and (node.module or "").split(".")[0] in PY2_ONLY_MODULES


def static_truth(test: ast.expr, assigned: dict[str, ast.expr] | None = None) -> bool | None:
    """The test's truth if it is the same on every Python in PYTHONS, else None."""
    values = set()
    for version in PYTHONS:
        try:
            values.add(bool(_eval(test, version, assigned or {}, 0)))
        except (_Unknown, TypeError, IndexError, ValueError):
            return None
    return values.pop() if len(values) == 1 else None


def _eval(node: ast.expr, version: tuple, assigned: dict[str, ast.expr], depth: int):
    if depth > 20:
        raise _Unknown
    ev = lambda n: _eval(n, version, assigned, depth + 1)  # noqa: E731
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, str, bool)):
        return node.value
    if isinstance(node, ast.Tuple):
        return tuple(ev(e) for e in node.elts)
    if isinstance(node, ast.Name):
        if node.id == "TYPE_CHECKING":
            return False
        if node.id == "version_info":
            return version
        if node.id in assigned:
            return ev(assigned[node.id])
        raise _Unknown
    if isinstance(node, ast.Attribute):
        if node.attr == "TYPE_CHECKING":
            return False
        if isinstance(node.value, ast.Name) and node.value.id == "six" and node.attr in ("PY2", "PY3"):
            return node.attr == "PY3"
        if isinstance(node.value, ast.Name) and node.value.id == "sys" and node.attr == "version_info":
            return version
        if node.attr in ("major", "minor"):
            base = ev(node.value)
            if isinstance(base, tuple):
                return base[0 if node.attr == "major" else 1]
        raise _Unknown
    if isinstance(node, ast.Subscript):
        base = ev(node.value)
        if not isinstance(base, tuple):
            raise _Unknown
        if isinstance(node.slice, ast.Slice):
            lo, hi = (None if p is None else ev(p) for p in (node.slice.lower, node.slice.upper))
            if node.slice.step is not None:
                raise _Unknown
            return base[lo:hi]
        return base[ev(node.slice)]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        return not ev(node.operand)
    if isinstance(node, ast.BoolOp):
        parts = [ev(v) for v in node.values]
        return all(parts) if isinstance(node.op, ast.And) else any(parts)
    if isinstance(node, ast.Compare):
        left = ev(node.left)
        for op, comparator in zip(node.ops, node.comparators):
            right = ev(comparator)
            if not _compare(op, left, right):
                return False
            left = right
        return True
    raise _Unknown


_OPS = {ast.Eq: lambda a, b: a == b, ast.NotEq: lambda a, b: a != b, ast.Lt: lambda a, b: a < b,
        ast.LtE: lambda a, b: a <= b, ast.Gt: lambda a, b: a > b, ast.GtE: lambda a, b: a >= b}


def _compare(op: ast.cmpop, a, b) -> bool:
    fn = _OPS.get(type(op))
    if fn is None or type(a) is not type(b) and not (isinstance(a, int) and isinstance(b, int)):
        raise _Unknown
    return fn(a, b)


def _single_assignments(tree: ast.Module) -> dict[str, ast.expr]:
    """Names the module binds exactly once (anywhere: stores, imports, definitions), by a plain top-level
    `name = expr` (`PY3 = sys.version_info[0] == 3`) or by `from six import PY3`, with what they stand for."""
    bindings = Counter()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            bindings[node.id] += 1
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            bindings.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bindings[node.name] += 1
    found: dict[str, ast.expr] = {}
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
            found[stmt.targets[0].id] = stmt.value
        elif isinstance(stmt, ast.ImportFrom) and stmt.module == "six" and not stmt.level:
            found.update({a.asname or a.name: ast.Constant(value=a.name == "PY3") for a in stmt.names
                          if a.name in ("PY2", "PY3")})
    return {name: value for name, value in found.items() if bindings[name] == 1}
