"""Functions of the project's tests passed as arguments: carried into the problem's hidden block.

Higher-order functions (toolz, funcy, ...) are called by their tests with functions the test
modules define (`def inc(x): return x + 1`, `lambda x: x * 2`). The tracer (which runs inside the
suite) names such a function in an argument's value text (`_test_inc`, `_sftset_fn_3`) and records
where it is (module, qualname, file, first line, for a lambda the span of its body's code); this
module finds its source in the project's checkout and writes the definitions that bind those names,
which go to the problem's hidden block (`Candidate.hidden`, `meta.hidden_context`: run after the
function in validation and ahead of `check` in the rendered `test`, as stubs.py's helpers are).

A function is carried only when it is self-contained:
  * a module-level `def` (not decorated, not async, the only binding of its name in the module), a
    plain `def` inside a test function (found by its name and first line; no closure: the tracer
    checks), or a lambda whose source is found without doubt (its line, and its body's span where
    the interpreter gives one);
  * its defaults are literals, and every name it reads is a builtin (not one that acts on the process:
    `print`, `open`, `eval`, ...), a standard-library module or name the test module imports at top
    level, or another module-level function of that module that is carried by the same rule.
Each test module's functions are defined inside a function of their own, which binds the imports and
builtins they read as its locals, so nothing they read resolves to the program's names and the
program sees only the names the values use; each is given its name as `__qualname__`, by which a
check hands it to the sandbox (the program there defines it too). The source is copied exactly:
lines are indented for the wrapper except those inside a multi-line string.
"""
from __future__ import annotations

import ast
import builtins
import io
import symtable
import sys
import tokenize
from pathlib import Path

from .context import Drop

_STDLIB = frozenset(getattr(sys, "stdlib_module_names", ())) - {
    "antigravity", "this", "idlelib", "tkinter", "turtle", "turtledemo", "webbrowser", "__main__", "__future__"}
# builtins that act on the process or its environment, or whose results depend on it
_UNSAFE = frozenset(("print", "input", "open", "exec", "eval", "compile", "breakpoint", "exit", "quit", "help",
                     "globals", "locals", "vars", "setattr", "delattr", "id", "hash", "__import__", "memoryview",
                     "copyright", "credits", "license"))
_BLOCK = "_sftset_test_functions"


class Refused(Exception):
    """A test function that cannot be carried, and why."""


def carry(tests: list[dict], table: dict, root, min_tests: int = 3) -> tuple[list[dict], str, list[str]]:
    """(the tests whose test functions can be carried, the hidden block defining them, their names).

    `table`: the trace's `test_functions` (name -> where). Tests naming a function that cannot be
    carried are left out; Drop when that leaves fewer than min_tests (build.MIN_TESTS)."""
    from .literals import named_heads, parse

    if not table:
        return tests, "", []
    sources = _Sources(Path(root))
    kept, used, refused = [], set(), {}
    for case in tests:
        heads = set()
        for key in ("args", "kwargs"):
            if key in case:
                heads |= named_heads(parse(case[key])) & table.keys()
        for name in heads - used - refused.keys():
            try:
                sources.definition(name, table[name])
                used.add(name)
            except Refused as why:
                refused[name] = str(why)
        if not heads & refused.keys():
            kept.append(case)
    if len(kept) < min_tests:
        name, why = next(iter(refused.items()), ("", "too few calls"))
        raise Drop("test functions the problem cannot carry",
                   f"{len(tests) - len(kept)} of {len(tests)} calls pass one; {name}: {why}"[:300])
    names = sorted(used)
    return kept, sources.block(names, table), names


class _Sources:
    def __init__(self, root: Path):
        self.root = root
        self.modules: dict[str, tuple[str, ast.Module]] = {}
        self.defs: dict[str, tuple[str, str]] = {}  # value name -> (test file, definition text)

    def _module(self, path: str) -> tuple[str, ast.Module]:
        if path not in self.modules:
            file = (self.root / path).resolve()
            if not file.is_relative_to(self.root.resolve()) or file.suffix != ".py":
                raise Refused(f"not a file of the project's tests: {path}")
            try:
                text = file.read_text(encoding="utf-8")
                self.modules[path] = (text, ast.parse(text))
            except (OSError, SyntaxError, ValueError, UnicodeDecodeError) as exc:
                raise Refused(f"{path}: {type(exc).__name__}") from None
        return self.modules[path]

    def definition(self, name: str, where: dict) -> None:
        """Check that the function `name` can be carried (Refused if not) and remember its source."""
        if not name.isidentifier() or not name.startswith(("_test_", "_sftset_fn_")):
            raise Refused(f"not a test function's name: {name[:60]}")
        path = str(where.get("path", ""))
        text, tree = self._module(path)
        node = _node(tree, where)
        _collect(node, tree, set(), {}, set())
        source = "(" + ast.get_source_segment(text, node) + ")" if isinstance(node, ast.Lambda) else node.name
        if where.get("kind") == "nested":
            _moved(_source_lines(text, node), 4 - node.col_offset)  # Refused if it cannot be re-indented
        self.defs[name] = (path, source)

    def block(self, names: list[str], table: dict) -> str:
        """The definitions: one wrapper function per test module, then the names bound."""
        out = []
        for i, path in enumerate(sorted({self.defs[n][0] for n in names}), 1):
            text, tree = self.modules[path]
            mine = [n for n in names if self.defs[n][0] == path]
            needed_defs, imports, builtin_names = set(), {}, set()
            seen: set[int] = set()
            nested = {n: _node(tree, table[n]) for n in mine if table[n].get("kind") == "nested"}
            for n in mine:
                _collect(_node(tree, table[n]), tree, needed_defs, imports, builtin_names, seen)
            needed_defs -= set(nested.values())  # defined one by one below: two tests may each have a `key`
            lines = [f"def {_BLOCK}_{i}():\n", f"    # from {ascii(path)[1:-1]}\n"]
            if builtin_names:
                lines.append("    import builtins as _sftset_builtins\n")
                lines += [f"    {b} = _sftset_builtins.{b}\n" for b in sorted(builtin_names)]
            lines += [f"    {imports[k]}\n" for k in sorted(imports)]
            for node in sorted((d for d in needed_defs), key=lambda d: d.lineno):
                lines.append(_moved(_source_lines(text, node), 4))
            results = []
            for n in mine:
                if n in nested:  # its source, moved to the wrapper's indentation, bound at once
                    node = nested[n]
                    lines.append(_moved(_source_lines(text, node), 4 - node.col_offset))
                    lines.append(f"    {n} = {node.name}\n")
                    results.append(n)
                elif table[n].get("kind") == "lambda":
                    lines.append(_moved(f"{n} = {self.defs[n][1]}\n", 4))
                    results.append(n)
                else:
                    results.append(self.defs[n][1])
            lines.append(f"    return {', '.join(results)},\n")
            lines.append(f"\n\n{', '.join(mine)}, = {_BLOCK}_{i}()\n")
            # a check hands a function to the sandbox by its name (sftset.values: a path without `<locals>`)
            lines += [f"{n}.__qualname__ = {n!r}\n" for n in mine]
            out.append("".join(lines))
        return "\n\n".join(out)


def _node(tree: ast.Module, where: dict):
    if where.get("kind") == "lambda":
        return _find_lambda(tree, where)
    if where.get("kind") == "nested":
        return _find_nested(tree, str(where.get("qualname", "")), where.get("lineno"))
    return _find_def(tree, str(where.get("qualname", "")), where.get("lineno"))


def _find_nested(tree: ast.Module, qualname: str, lineno) -> ast.FunctionDef:
    """A plain `def` directly inside a function of the test module, found by its name and first line."""
    name = qualname.rpartition(".")[2]
    found = [n for parent in ast.walk(tree) if isinstance(parent, (ast.FunctionDef, ast.AsyncFunctionDef))
             for n in ast.walk(parent) if n is not parent and isinstance(n, ast.FunctionDef) and n.name == name
             and n.lineno == lineno]
    found = list({id(n): n for n in found}.values())  # a def in a def in a def is seen from both
    if len(found) != 1 or found[0].decorator_list:
        raise Refused(f"{qualname}: not found once as a plain def on line {lineno}")
    return found[0]


def _source_lines(text: str, node: ast.AST) -> str:
    src_lines = [line + "\n" for line in text.split("\n")]  # as ast counts lines (not str.splitlines)
    return "".join(src_lines[node.lineno - 1:node.end_lineno])


def _find_def(tree: ast.Module, qualname: str, lineno) -> ast.FunctionDef:
    found = [s for s in tree.body if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef)) and s.name == qualname]
    if len(found) != 1 or (lineno is not None and found[0].lineno != lineno):
        raise Refused(f"{qualname}: not found once at module level")
    if isinstance(found[0], ast.AsyncFunctionDef) or found[0].decorator_list:
        raise Refused(f"{qualname}: async or decorated")
    return found[0]


def _find_lambda(tree: ast.Module, where: dict) -> ast.Lambda:
    lineno, span = where.get("lineno"), where.get("span")
    found = [n for n in ast.walk(tree) if isinstance(n, ast.Lambda) and n.lineno == lineno]
    if span and len(span) == 4:
        start, end = (span[0], span[1]), (span[2], span[3])
        found = [n for n in found if (n.body.lineno, n.body.col_offset) <= start
                 and end <= (n.body.end_lineno, n.body.end_col_offset)]
        # a lambda inside another one's body: the innermost holds the span
        found = [n for n in found if not any(m is not n and m in ast.walk(n) for m in found)]
    if len(found) != 1:
        raise Refused(f"lambda on line {lineno}: {len(found)} lambdas match")
    return found[0]


def _bindings(tree: ast.Module, name: str) -> list[ast.stmt]:
    """The module's statements that bind `name`; Refused when one binds it conditionally or in a way
    the source alone cannot tell (a star import, a `global` statement, a binding inside a block)."""
    found = []
    for stmt in tree.body:
        if isinstance(stmt, ast.ImportFrom) and any(a.name == "*" for a in stmt.names):
            raise Refused("the test module has a star import")
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            if stmt.name == name:
                found.append(stmt)
            inner = stmt
            if any(isinstance(n, ast.Global) and name in n.names for n in ast.walk(inner)):
                raise Refused(f"reads {name}, which a function sets as a global")
            continue
        if isinstance(stmt, (ast.Import, ast.ImportFrom)):
            if any((a.asname or a.name.partition(".")[0]) == name for a in stmt.names):
                found.append(stmt)
            continue
        bound = {n.id for n in ast.walk(stmt) if isinstance(n, ast.Name) and isinstance(n.ctx, (ast.Store, ast.Del))}
        bound |= {a.asname or a.name.partition(".")[0] for n in ast.walk(stmt)
                  if isinstance(n, (ast.Import, ast.ImportFrom)) for a in n.names}
        bound |= {n.name for n in ast.walk(stmt) if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
        if name in bound:
            found.append(stmt)
    return found


_LAMBDA = "_sftset_lambda_"


def _reads(node) -> set[str]:
    """The global names a def or lambda reads (body, nested scopes, defaults, annotations); Refused when
    a default is not a literal or it sets a global."""
    for d in [*node.args.defaults, *[d for d in node.args.kw_defaults if d is not None]]:
        try:
            ast.literal_eval(d)
        except ValueError:
            raise Refused(f"a default that is not a literal: {ast.unparse(d)[:60]}") from None
    text = f"{_LAMBDA} = {ast.unparse(node)}" if isinstance(node, ast.Lambda) else ast.unparse(node)
    reads: set[str] = set()

    def visit(table, outer: bool) -> None:
        for sym in table.get_symbols():
            if sym.is_declared_global():
                raise Refused(f"sets the global {sym.get_name()}")
            if (sym.is_referenced() if outer else sym.is_global()):
                reads.add(sym.get_name())
        for child in table.get_children():
            visit(child, False)

    visit(symtable.symtable(text, "<test function>", "exec"), True)
    return reads - {_LAMBDA}


def _collect(node, tree: ast.Module, defs: set, imports: dict, builtin_names: set, seen: set[int] | None = None) -> None:
    """Add what `node` needs: the module's functions (defs), import statements (name -> text) and builtins."""
    seen = set() if seen is None else seen
    if id(node) in seen:
        return
    seen.add(id(node))
    if isinstance(node, ast.FunctionDef):
        defs.add(node)
    for name in sorted(_reads(node)):
        if name.startswith("__"):
            raise Refused(f"reads {name}")
        bound = _bindings(tree, name)
        if not bound:
            if not hasattr(builtins, name) or name in _UNSAFE:
                raise Refused(f"reads {name}, not a builtin it may use")
            builtin_names.add(name)
            continue
        if len(bound) > 1:
            raise Refused(f"reads {name}, bound more than once in the test module")
        stmt = bound[0]
        if isinstance(stmt, ast.FunctionDef) and stmt.name == name:
            _collect(_find_def(tree, name, None), tree, defs, imports, builtin_names, seen)
        elif isinstance(stmt, ast.Import):
            alias = next(a for a in stmt.names if (a.asname or a.name.partition(".")[0]) == name)
            if alias.name.partition(".")[0] not in _STDLIB:
                raise Refused(f"reads {name}, a module outside the standard library")
            imports[name] = f"import {alias.name}" + (f" as {alias.asname}" if alias.asname else "")
        elif isinstance(stmt, ast.ImportFrom) and stmt.level == 0 and stmt.module:
            alias = next(a for a in stmt.names if (a.asname or a.name) == name)
            if stmt.module.partition(".")[0] not in _STDLIB:
                raise Refused(f"reads {name}, from outside the standard library ({stmt.module})")
            imports[name] = f"from {stmt.module} import {alias.name}" + (f" as {alias.asname}" if alias.asname else "")
        else:
            raise Refused(f"reads {name}, a test module global that is not a function or standard-library import")


def _moved(text: str, by: int) -> str:
    """`text` indented by `by` more spaces (fewer when negative: Refused unless they are all spaces),
    except the lines that start inside a multi-line string."""
    inside: set[int] = set()
    f_starts: list[int] = []  # Python >= 3.12 tokenizes an f-string in parts
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.type == tokenize.STRING and tok.end[0] > tok.start[0]:
                inside.update(range(tok.start[0] + 1, tok.end[0] + 1))
            elif tok.type == getattr(tokenize, "FSTRING_START", None):
                f_starts.append(tok.start[0])
            elif tok.type == getattr(tokenize, "FSTRING_END", None) and f_starts:
                inside.update(range(f_starts.pop() + 1, tok.end[0] + 1))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        raise Refused("source does not tokenize") from None
    lines = text.splitlines(keepends=True)
    if by < 0 and any(line[:-by].strip() for i, line in enumerate(lines, 1) if i not in inside and line.strip()):
        raise Refused("source does not dedent")
    return "".join(line if i in inside or not line.strip() else (" " * by + line if by >= 0 else line[-by:])
                   for i, line in enumerate(lines, 1))
