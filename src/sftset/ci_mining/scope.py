"""Which module-level names a piece of code needs, and which it binds.

Function bodies are read through `symtable` (the compiler's own scoping, so locals,
closures, comprehensions and `global` are exact); the module-level parts of a
statement (decorators, defaults, annotations, class bases, plain statements) through
a small AST walk that skips nested scopes.
"""
from __future__ import annotations

import ast
import symtable

_SCOPE_NODES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)


class TableIndex:
    """The symbol tables of one module, found by (block name, line)."""

    def __init__(self, source: str, filename: str):
        self.top = symtable.symtable(source, filename, "exec")
        self.by_key: dict[tuple[str, int], list[symtable.SymbolTable]] = {}
        stack = [self.top]
        while stack:
            table = stack.pop()
            for child in table.get_children():
                self.by_key.setdefault((child.get_name(), child.get_lineno()), []).append(child)
                stack.append(child)

    def tables_for(self, node: ast.AST) -> list[symtable.SymbolTable]:
        name = "lambda" if isinstance(node, ast.Lambda) else node.name
        return self.by_key.get((name, node.lineno), [])


def table_globals(table: symtable.SymbolTable) -> tuple[set[str], set[str]]:
    """(names read from the module namespace, names it assigns through `global`), nested scopes included."""
    reads, writes = set(), set()
    stack = [table]
    while stack:
        t = stack.pop()
        for sym in t.get_symbols():
            if sym.is_global():
                if sym.is_referenced() or not sym.is_assigned():
                    reads.add(sym.get_name())
                if sym.is_declared_global() and sym.is_assigned():
                    writes.add(sym.get_name())
        stack.extend(t.get_children())
    return reads, writes


def module_scope_names(node: ast.AST) -> tuple[set[str], set[str]]:
    """(names loaded, names stored) by the parts of `node` that run in module scope."""
    loads: set[str] = set()
    stores: set[str] = set()

    def visit(n: ast.AST, local: frozenset) -> None:
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for d in n.decorator_list:
                visit(d, local)
            _visit_arguments(n.args, local, visit)
            if n.returns is not None:
                visit(n.returns, local)
            stores.add(n.name)
            return
        if isinstance(n, ast.ClassDef):
            for part in [*n.decorator_list, *n.bases, *[k.value for k in n.keywords]]:
                visit(part, local)
            stores.add(n.name)
            return
        if isinstance(n, ast.Lambda):
            _visit_arguments(n.args, local, visit, annotations=False)
            return
        if isinstance(n, _COMPREHENSIONS):
            targets = set()
            for gen in n.generators:
                targets |= {x.id for x in ast.walk(gen.target) if isinstance(x, ast.Name)}
            inner = local | targets
            for i, gen in enumerate(n.generators):
                visit(gen.iter, local if i == 0 else inner)
                for cond in gen.ifs:
                    visit(cond, inner)
            for part in ([n.key, n.value] if isinstance(n, ast.DictComp) else [n.elt]):
                visit(part, inner)
            return
        if isinstance(n, ast.Name):
            if n.id not in local:
                (loads if isinstance(n.ctx, ast.Load) else stores).add(n.id)
            return
        if isinstance(n, (ast.Import, ast.ImportFrom)):
            for alias in n.names:
                stores.add((alias.asname or alias.name).split(".")[0])
            return
        if isinstance(n, ast.ExceptHandler) and n.name:
            stores.add(n.name)
        for child in ast.iter_child_nodes(n):
            visit(child, local)

    visit(node, frozenset())
    return loads, stores


def _visit_arguments(args: ast.arguments, local, visit, annotations: bool = True) -> None:
    for d in [*args.defaults, *[d for d in args.kw_defaults if d is not None]]:
        visit(d, local)
    if annotations:
        for a in [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]:
            if a is not None and a.annotation is not None:
                visit(a.annotation, local)


def annotation_names(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
    names: set[str] = set()
    for a in [*fn.args.posonlyargs, *fn.args.args, *fn.args.kwonlyargs, fn.args.vararg, fn.args.kwarg]:
        if a is not None and a.annotation is not None:
            names |= {x.id for x in ast.walk(a.annotation) if isinstance(x, ast.Name)}
    if fn.returns is not None:
        names |= {x.id for x in ast.walk(fn.returns) if isinstance(x, ast.Name)}
    return names


def statement_needs(stmt: ast.stmt, tables: TableIndex, skip_annotations: bool = False) -> tuple[set[str], set[str]]:
    """(module names the statement needs, at any time; module names it rebinds through `global`)."""
    loads, _ = module_scope_names(stmt)
    writes: set[str] = set()
    if skip_annotations:
        for node in ast.walk(stmt):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                loads -= annotation_names(node) - _non_annotation_loads(node)
    present = runtime_names(stmt)  # a pruned dead branch reads nothing (dead_branches.py)
    for node in ast.walk(stmt):
        if isinstance(node, _SCOPE_NODES):
            for table in tables.tables_for(node):
                reads, w = table_globals(table)
                loads |= reads & present
                writes |= w
    return loads, writes


def runtime_names(node: ast.AST) -> set[str]:
    """Every name the tree of `node` holds, less those only in annotations of local variables
    (`x: te.Self = ...` in a function body is never evaluated)."""
    names: set[str] = set()

    def visit(n: ast.AST, in_function: bool) -> None:
        if isinstance(n, ast.Name):
            names.add(n.id)
        for field, value in ast.iter_fields(n):
            if in_function and isinstance(n, ast.AnnAssign) and field == "annotation":
                continue
            inner = in_function or isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            for child in value if isinstance(value, list) else [value]:
                if isinstance(child, ast.AST):
                    visit(child, inner)

    visit(node, False)
    return names


def _non_annotation_loads(fn) -> set[str]:
    names = set()
    for d in [*fn.decorator_list, *fn.args.defaults, *[d for d in fn.args.kw_defaults if d is not None]]:
        names |= {x.id for x in ast.walk(d) if isinstance(x, ast.Name)}
    return names


def bound_names(stmt: ast.stmt) -> set[str]:
    """Module-level names a top-level statement binds (all branches of compound statements)."""
    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return {stmt.name}
    if isinstance(stmt, (ast.Import, ast.ImportFrom)):
        return {(a.asname or a.name).split(".")[0] for a in stmt.names if a.name != "*"}
    _, stores = module_scope_names(stmt)
    return stores


def import_time_loads(stmt: ast.stmt) -> set[str]:
    """Names a module-level statement reads while the module is imported (not inside function bodies)."""
    loads: set[str] = set()

    def visit(n: ast.AST) -> None:
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for part in [*n.decorator_list, *n.args.defaults, *[d for d in n.args.kw_defaults if d is not None]]:
                visit(part)
            return
        if isinstance(n, ast.Lambda):
            for part in [*n.args.defaults, *[d for d in n.args.kw_defaults if d is not None]]:
                visit(part)
            return
        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load):
            loads.add(n.id)
        for child in ast.iter_child_nodes(n):
            visit(child)

    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
        for part in [*stmt.decorator_list, *stmt.args.defaults, *[d for d in stmt.args.kw_defaults if d is not None]]:
            visit(part)
    else:
        visit(stmt)
    return loads
