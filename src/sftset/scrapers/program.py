"""Known-correct solutions from datasets, turned into bodies for our prompts.

A stdin/stdout program becomes the body of `def solve(stdin: str) -> str`: the program runs
as a nested function `main()` while `sys.stdin` reads the given string and `sys.stdout` is
captured. A call-based solution (a function, or LeetCode's `class Solution`) is nested in the
prompt's function, which returns the call's result.

Nesting changes scoping, so a program is converted only when that is provably harmless: it
parses as Python 3, has no `global`/`nonlocal` statements, no star imports, does not touch
`globals()`/`locals()`/`vars()`, file descriptor 0/1 or threads, refers to `__name__` only in a
top-level main guard, and uses no name that it neither defines, imports nor gets from
builtins (such as LeetCode's pre-imported `collections`, or Python 2's `raw_input`). Anything
else returns a reason instead of a body, and the importer tries the next solution.
"""
from __future__ import annotations

import ast
import builtins
import re
import textwrap

BUILTINS = set(dir(builtins))
UNSAFE_CALLS = {"globals", "locals", "vars", "exec", "eval", "compile", "breakpoint"}
UNSAFE_ATTRS = {("os", "read"), ("os", "write"), ("os", "fdopen"), ("os", "_exit"), ("sys", "__stdout__"),
                ("sys", "__stdin__"), ("os", "fork")}
UNSAFE_MODULES = {"threading", "multiprocessing", "_thread", "concurrent", "asyncio", "signal", "subprocess"}
MAIN_GUARD = re.compile(r"""^if\s+__name__\s*==\s*(['"])__main__\1\s*:""", re.M)


class NotConvertible(ValueError):
    """Why a solution cannot be turned into a body safely."""


def _bound_names(tree: ast.AST) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            names.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                names.add((alias.asname or alias.name).split(".")[0])
        elif isinstance(node, ast.arg):
            names.add(node.arg)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            names.add(node.name)
        elif hasattr(ast, "MatchAs") and isinstance(node, (ast.MatchAs, ast.MatchStar)) and node.name:
            names.add(node.name)
    return names


def check_program(source: str, *, allowed_free: set[str] = frozenset()) -> ast.Module:
    """Parse and vet a program for nesting inside a function; raises NotConvertible."""
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        raise NotConvertible(f"not Python 3 ({exc.msg}, line {exc.lineno})") from None
    except (ValueError, RecursionError, MemoryError):
        raise NotConvertible("cannot be parsed") from None
    for node in ast.walk(tree):
        if isinstance(node, (ast.Global, ast.Nonlocal)):
            raise NotConvertible(f"uses a {type(node).__name__.lower()} statement (line {node.lineno})")
        if isinstance(node, ast.ImportFrom) and any(a.name == "*" for a in node.names):
            raise NotConvertible(f"star import (line {node.lineno})")
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            mods = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            if any(m.split(".")[0] in UNSAFE_MODULES for m in mods):
                raise NotConvertible(f"uses threads or processes (line {node.lineno})")
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            if node.func.id in UNSAFE_CALLS:
                raise NotConvertible(f"calls {node.func.id}() (line {node.lineno})")
            if node.func.id == "open" and node.args and isinstance(node.args[0], ast.Constant) \
                    and node.args[0].value in (0, 1):
                raise NotConvertible(f"opens file descriptor {node.args[0].value} (line {node.lineno})")
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) \
                and (node.value.id, node.attr) in UNSAFE_ATTRS:
            raise NotConvertible(f"uses {node.value.id}.{node.attr} (line {node.lineno})")
        if isinstance(node, ast.Name) and node.id == "__name__":
            raise NotConvertible(f"refers to __name__ outside a top-level main guard (line {node.lineno})")
        if isinstance(node, (ast.Yield, ast.YieldFrom, ast.Await)) and _top_level(tree, node):
            raise NotConvertible("yield/await at module level")
    loads = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    free = loads - _bound_names(tree) - BUILTINS - set(allowed_free)
    if free:
        raise NotConvertible(f"uses names it never defines: {', '.join(sorted(free))}")
    return tree


def _top_level(tree: ast.Module, target: ast.AST) -> bool:
    for stmt in tree.body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue
        if any(n is target for n in ast.walk(stmt)):
            return True
    return False


def _strip_main_guard(source: str) -> str:
    # `if __name__ == "__main__":` at the top level always ran when the program was run as a script.
    return MAIN_GUARD.sub("if True:", source)


def _clean(source: str) -> str:
    source = source.replace("\r\n", "\n").replace("\r", "\n").replace("\t", "    ")
    return textwrap.dedent(source).strip("\n") + "\n"


def stdio_body(program: str) -> str:
    """Body of `def solve(stdin: str) -> str` that runs `program` on stdin and returns its output."""
    source = _strip_main_guard(_clean(program))
    check_program(source)
    uses_buffer = ".buffer" in source
    inner = textwrap.indent(source, " " * 8)
    lines = ["    import io", "    import sys", "", "    def main():", inner.rstrip("\n"), ""]
    if uses_buffer:  # the program reads or writes bytes through .buffer
        lines += ["    out = io.TextIOWrapper(io.BytesIO(), encoding='utf-8', write_through=True)",
                  "    saved = sys.stdin, sys.stdout",
                  "    sys.stdin = io.TextIOWrapper(io.BytesIO(stdin.encode()), encoding='utf-8')",
                  "    sys.stdout = out"]
    else:
        lines += ["    out = io.StringIO()",
                  "    saved = sys.stdin, sys.stdout",
                  "    sys.stdin, sys.stdout = io.StringIO(stdin), out"]
    lines += ["    try:", "        main()", "    except SystemExit:", "        pass", "    finally:",
              "        sys.stdin, sys.stdout = saved",
              "    return out.buffer.getvalue().decode('utf-8')" if uses_buffer else "    return out.getvalue()"]
    body = "\n".join(lines) + "\n"
    _compiles("def solve(stdin: str) -> str:\n" + body)
    return body


def function_signature(starter: str, fn_name: str) -> tuple[list[tuple[str, str | None]], str | None, bool]:
    """(params [(name, annotation source)], return annotation, is_method) of fn_name in starter code."""
    try:
        tree = ast.parse(_clean(starter) + ("        pass\n" if starter.rstrip().endswith(":") else ""))
    except SyntaxError:
        tree = None
    if tree is not None:
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef) and node.name == fn_name:
                in_class = any(isinstance(p, ast.ClassDef) and node in p.body for p in ast.walk(tree))
                args = node.args.args[1:] if in_class else node.args.args
                params = [(a.arg, ast.unparse(a.annotation) if a.annotation else None) for a in args]
                if node.args.vararg:
                    params.append(("*" + node.args.vararg.arg, None))
                ret = ast.unparse(node.returns) if node.returns else None
                return params, ret, in_class
    raise NotConvertible(f"no def {fn_name} in the starter code")


def function_body(solution: str, fn_name: str, params: list[str], is_method: bool) -> str:
    """Body for `def fn_name(params)` that defines the solution inside and returns its answer."""
    source = _strip_main_guard(_clean(solution))
    tree = check_program(source, allowed_free={"List", "Optional", "Dict", "Tuple", "Set"})
    names = {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
    call_args = ", ".join(params)
    if is_method:
        if "Solution" not in names:
            raise NotConvertible("no class Solution in the solution")
        call = f"Solution().{fn_name}({call_args})"
    else:
        if fn_name not in names:
            raise NotConvertible(f"no top-level def {fn_name} in the solution")
        call = f"{fn_name}({call_args})"
    # Names the prompt binds (the parameters) must not be rebound at the solution's top level,
    # or the call would see the solution's values instead of the caller's.
    top_bound = {t.id for s in tree.body if isinstance(s, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.For))
                 for t in ast.walk(s) if isinstance(t, ast.Name) and isinstance(t.ctx, ast.Store)}
    top_bound |= names
    clash = top_bound & {p.lstrip("*") for p in params}
    if clash:
        raise NotConvertible(f"rebinds the parameter names {sorted(clash)} at top level")
    body = textwrap.indent(source, "    ").rstrip("\n") + "\n\n" + f"    return {call}\n"
    _compiles(f"def {fn_name}({', '.join(params)}):\n" + body)
    return body


def _compiles(code: str) -> None:
    try:
        compile("from typing import *\n" + code, "<solution>", "exec")
    except SyntaxError as exc:
        raise NotConvertible(f"does not compile once nested ({exc.msg}, line {exc.lineno})") from None
