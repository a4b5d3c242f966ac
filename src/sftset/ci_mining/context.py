"""The code a mined function needs around it: imports and module-level names, inlined.

A problem must run on its own (in the sandbox, in a trainer's harness), so the prompt
carries what the function's body reads from its module: standard-library imports,
constants, helper functions and classes, and names imported from the project's
other modules (their definitions are copied in). Module-level statements that change
those names after they are bound (`PLURALS.insert(...)`, `_register(...)`) come along
too. What cannot be carried (a third-party import, a project module used as an
object, a star import, `__file__`) is a Drop with the reason.
"""
from __future__ import annotations

import ast
import builtins
import sys
import tokenize
from dataclasses import dataclass, field
from pathlib import Path

from .project import module_file
from .scope import TableIndex, bound_names, module_scope_names, statement_needs

_BUILTINS = set(dir(builtins))
_FILE_DUNDERS = {"__file__", "__path__", "__spec__", "__loader__", "__cached__", "__builtins__"}
_STDLIB = set(getattr(sys, "stdlib_module_names", ())) | {"__future__"}


class Drop(Exception):
    """This function cannot become a problem; `reason` is the short reason for the report."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason, self.detail = reason, detail


class ModuleSource:
    """One module of the project: its text, top-level statements, what binds which name."""

    def __init__(self, name: str, path: Path):
        self.name, self.path = name, path
        with tokenize.open(path) as fh:  # honours a coding cookie
            self.text = fh.read()
        self.lines = self.text.splitlines(keepends=True)
        self.tree = ast.parse(self.text, str(path))
        self.tables = TableIndex(self.text, str(path))
        self.stmts = self.tree.body
        self.is_package = path.name == "__init__.py"
        self.future_annotations = any(
            isinstance(s, ast.ImportFrom) and s.module == "__future__" and any(a.name == "annotations" for a in s.names)
            for s in self.stmts)
        self.star_import = any(isinstance(s, ast.ImportFrom) and any(a.name == "*" for a in s.names)
                               for s in self.stmts)
        self.bindings: dict[str, list[int]] = {}
        for i, stmt in enumerate(self.stmts):
            for name in bound_names(stmt):
                self.bindings.setdefault(name, []).append(i)
        self._needs: dict[int, tuple[set[str], set[str]]] = {}

    def needs(self, i: int) -> set[str]:
        if i not in self._needs:
            self._needs[i] = statement_needs(self.stmts[i], self.tables, self.future_annotations)
        return self._needs[i][0]

    def segment(self, node: ast.AST) -> str:
        start = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
        return "".join(self.lines[start - 1:node.end_lineno])

    def absolute(self, node: ast.ImportFrom) -> str:
        if not node.level:
            return node.module or ""
        parts = self.name.split(".")
        base = parts if self.is_package else parts[:-1]
        base = base[:len(base) - (node.level - 1)] if node.level > 1 else base
        return ".".join(base + ([node.module] if node.module else []))


class ProjectSource:
    """The project's modules, parsed on demand."""

    def __init__(self, roots: list[Path], packages: list[str]):
        self.roots, self.packages = roots, set(packages)
        self._cache: dict[str, ModuleSource | None] = {}

    def module(self, name: str) -> ModuleSource | None:
        if name not in self._cache:
            path = module_file(self.roots, name)
            try:
                self._cache[name] = ModuleSource(name, path) if path else None
            except (SyntaxError, UnicodeDecodeError, ValueError, OSError):
                self._cache[name] = None
        return self._cache[name]

    def is_own(self, module: str) -> bool:
        return module.split(".")[0] in self.packages


@dataclass
class Context:
    future: list[str] = field(default_factory=list)
    imports: list[str] = field(default_factory=list)
    blocks: list[str] = field(default_factory=list)  # statements, dependencies first

    def text(self) -> str:
        parts = []
        if self.future:
            parts.append("".join(line + "\n" for line in self.future))
        if self.imports:
            parts.append("".join(line + "\n" for line in self.imports))
        for block in self.blocks:
            parts.append(block if block.endswith("\n") else block + "\n")
        return "\n\n".join(p.rstrip("\n") + "\n" for p in parts if p.strip())


class ContextBuilder:
    """Collects what one function needs; `build()` returns the Context or raises Drop."""

    def __init__(self, project: ProjectSource, module: ModuleSource, target: ast.AST, entry_point: str,
                 owner_class: str | None = None):
        self.project, self.module, self.target = project, module, target
        self.entry_point = entry_point
        self.owner_class = owner_class
        self.stmts: dict[str, set[int]] = {}  # module name -> indexes of statements to carry
        self.aliases: dict[str, list[str]] = {}  # module name -> "alias = name" lines
        self.order: list[str] = []  # modules, dependencies first
        self.imports: list[str] = []
        self.future: list[str] = []
        self.bound: dict[str, str] = {}  # name -> module that binds it in the problem
        self._done: set[tuple[str, str]] = set()

    # ---- resolution ---------------------------------------------------------------------------
    def need(self, mod: ModuleSource, name: str) -> None:
        key = (mod.name, name)
        if key in self._done:
            return
        self._done.add(key)
        if mod is self.module and name == self.entry_point and name not in mod.bindings:
            return
        if mod is self.module and name == self._target_name():
            return  # recursion: the problem's own function
        if name in mod.bindings:
            for i in mod.bindings[name]:
                self._carry(mod, i, name)
            return
        if name in _FILE_DUNDERS:
            raise Drop("uses module file attributes", name)
        if name in _BUILTINS or name in ("__name__", "__doc__"):
            return
        if mod.star_import:
            raise Drop("name from a star import", name)
        raise Drop("undefined name", f"{name} in {mod.name}")

    def _target_name(self) -> str:
        return getattr(self.target, "name", "") if self.owner_class is None else ""

    def _carry(self, mod: ModuleSource, i: int, name: str) -> None:
        stmt = mod.stmts[i]
        if isinstance(stmt, ast.Import):
            for alias in stmt.names:
                if (alias.asname or alias.name).split(".")[0] == name:
                    self._import_module(mod, alias)
            return
        if isinstance(stmt, ast.ImportFrom):
            for alias in stmt.names:
                if (alias.asname or alias.name) == name:
                    self._import_from(mod, stmt, alias)
            return
        if mod is self.module and stmt is self.target:
            return
        if self.owner_class and isinstance(stmt, ast.ClassDef) and stmt.name == self.owner_class:
            raise Drop("needs its class", self.owner_class)  # carrying the class would carry the answer
        self._add_statement(mod, i)

    def _add_statement(self, mod: ModuleSource, i: int) -> None:
        taken = self.stmts.setdefault(mod.name, set())
        if i in taken:
            return
        taken.add(i)
        stmt = mod.stmts[i]
        check_inner_imports(stmt, mod, self.project)
        loads_now, _ = module_scope_names(stmt)
        if mod is self.module and self.entry_point in loads_now:
            raise Drop("module code calls it", "a module-level statement it needs uses the function")
        for bound in bound_names(stmt):
            other = self.bound.setdefault(bound, mod.name)
            if other != mod.name:
                raise Drop("name clash between modules", f"{bound} in {other} and {mod.name}")
            if bound == self.entry_point and mod is self.module and self.owner_class is None:
                continue
            if bound == self.entry_point:
                raise Drop("name clash with the function", bound)
        for n in sorted(mod.needs(i)):
            self.need(mod, n)
        if mod.name not in self.order:
            self.order.append(mod.name)

    def _import_module(self, mod: ModuleSource, alias: ast.alias) -> None:
        root = alias.name.split(".")[0]
        if root in _STDLIB:
            line = f"import {alias.name}" + (f" as {alias.asname}" if alias.asname else "")
            if line not in self.imports:
                self.imports.append(line)
            return
        if self.project.is_own(alias.name):
            raise Drop("uses a project module as an object", alias.name)
        raise Drop("needs a third-party module", root)

    def _import_from(self, mod: ModuleSource, stmt: ast.ImportFrom, alias: ast.alias) -> None:
        source = mod.absolute(stmt)
        if source == "__future__":
            line = f"from __future__ import {alias.name}"
            if line not in self.future:
                self.future.append(line)
            return
        if not stmt.level and source.split(".")[0] in _STDLIB:
            line = f"from {source} import {alias.name}" + (f" as {alias.asname}" if alias.asname else "")
            if line not in self.imports:
                self.imports.append(line)
            return
        if not self.project.is_own(source):
            raise Drop("needs a third-party module", source.split(".")[0])
        other = self.project.module(source)
        if other is None:
            raise Drop("project module not found", source)
        if alias.name not in other.bindings and self.project.module(f"{source}.{alias.name}") is not None:
            raise Drop("uses a project module as an object", f"{source}.{alias.name}")
        self._need_from(source, alias.name, other)
        if alias.asname and alias.asname != alias.name:
            line = f"{alias.asname} = {alias.name}"
            if line not in self.aliases.setdefault(mod.name, []):
                self.aliases[mod.name].append(line)

    def _need_from(self, source: str, name: str, other: ModuleSource | None = None) -> None:
        """Carry `name` as module `source` (one of the project's) defines it."""
        other = other or self.project.module(source)
        if other is None:
            raise Drop("project module not found", source)
        before = list(self.order)
        self.need(other, name)
        if other.name not in self.order and other.name not in before:
            self.order.append(other.name)

    # ---- statements that change carried names after binding them -------------------------------
    def _effects(self, mod: ModuleSource) -> None:
        """Carry module-level statements that modify (or call functions that modify) carried names."""
        changed = True
        while changed:
            changed = False
            carried = {n for i in self.stmts.get(mod.name, ()) for n in bound_names(mod.stmts[i])}
            for i, stmt in enumerate(mod.stmts):
                if i in self.stmts.get(mod.name, ()) or not _is_effect(stmt):
                    continue
                touched = self._touched(mod, stmt)
                if touched & carried:
                    saved = self._save()
                    try:
                        self._add_statement(mod, i)
                        changed = True
                    except Drop:
                        self._restore(saved)

    def _touched(self, mod: ModuleSource, stmt: ast.stmt) -> set[str]:
        loads, _ = module_scope_names(stmt)
        touched = set(loads)
        frontier = [n for n in loads if n in mod.bindings]
        seen = set()
        while frontier:  # functions it calls, and what they read
            name = frontier.pop()
            if name in seen:
                continue
            seen.add(name)
            for j in mod.bindings.get(name, ()):
                if isinstance(mod.stmts[j], (ast.FunctionDef, ast.AsyncFunctionDef)):
                    for n in mod.needs(j):
                        touched.add(n)
                        frontier.append(n)
        return touched

    def _save(self):
        return ({k: set(v) for k, v in self.stmts.items()}, list(self.order), list(self.imports), list(self.future),
                dict(self.bound), set(self._done), {k: list(v) for k, v in self.aliases.items()})

    def _restore(self, saved) -> None:
        (self.stmts, self.order, self.imports, self.future, self.bound, self._done, self.aliases) = saved

    # ---- assembling ------------------------------------------------------------------------------
    def build(self, needs: set[str], elsewhere: dict[str, str] | None = None) -> Context:
        """elsewhere: {name: module} for names the function's module does not bind but a test value names
        (a project type passed in from another module): carried from that module, as if imported."""
        for name in sorted(needs):
            source = (elsewhere or {}).get(name)
            if source and source != self.module.name and name not in self.module.bindings:
                self._need_from(source, name)
            else:
                self.need(self.module, name)
        for name in list(self.order):
            mod = self.project.module(name)
            if mod is not None:
                self._effects(mod)
        if self.module.name not in self.order:
            self.order.append(self.module.name)
        ctx = Context(future=list(self.future), imports=list(self.imports))
        # Modules a carried name came from go first (their statements run at import time).
        order = [m for m in self.order if m != self.module.name] + [self.module.name]
        # Names only used in annotations were left out for such modules: they must stay unevaluated.
        lazy = "from __future__ import annotations"
        if lazy not in ctx.future and any(getattr(self.project.module(m), "future_annotations", False) for m in order):
            ctx.future.append(lazy)
        for name in order:
            mod = self.project.module(name)
            previous = None
            for i in sorted(self.stmts.get(name, ())):
                text = mod.segment(mod.stmts[i])
                # Statements that were adjacent simple statements in the module stay together.
                if previous is not None and previous == i - 1 and not _is_block(mod.stmts[i]) \
                        and not _is_block(mod.stmts[previous]):
                    ctx.blocks[-1] += text if ctx.blocks[-1].endswith("\n") else "\n" + text
                else:
                    ctx.blocks.append(text)
                previous = i
            if self.aliases.get(name):
                ctx.blocks.append("".join(line + "\n" for line in self.aliases[name]))
        return ctx


def check_inner_imports(node: ast.AST, mod: ModuleSource, project: ProjectSource) -> None:
    """Imports inside function bodies (and dynamic ones) must be of the standard library too."""
    top = node if isinstance(node, (ast.Import, ast.ImportFrom)) else None
    # `try: import regex / except ImportError: import re as regex`: the optional module may be absent.
    guarded = {id(imp) for t in ast.walk(node) if isinstance(t, ast.Try) and _catches_import_error(t)
               for stmt in t.body for imp in ast.walk(stmt) if isinstance(imp, (ast.Import, ast.ImportFrom))}
    for sub in ast.walk(node):
        names: list[str] = []
        if sub is top or (id(sub) in guarded and not getattr(sub, "level", 0)):
            continue
        if isinstance(sub, ast.Import):
            names = [a.name for a in sub.names]
        elif isinstance(sub, ast.ImportFrom):
            names = [mod.absolute(sub) if sub.level else (sub.module or "")]
            if sub.level:
                raise Drop("imports a project module in a function", names[0])
        elif isinstance(sub, ast.Call):
            func = sub.func
            called = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
            if called in ("import_module", "__import__"):
                arg = sub.args[0] if sub.args else None
                if not (isinstance(arg, ast.Constant) and isinstance(arg.value, str)):
                    raise Drop("imports modules dynamically", ast.unparse(sub)[:80])
                names = [arg.value]
        for name in names:
            root = name.split(".")[0]
            if root in _STDLIB:
                continue
            if project.is_own(name):
                raise Drop("imports a project module in a function", name)
            raise Drop("needs a third-party module", root)


def _is_block(stmt: ast.stmt) -> bool:
    return isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.If, ast.Try, ast.For, ast.While,
                             ast.With))


def _catches_import_error(node: ast.Try) -> bool:
    for handler in node.handlers:
        if handler.type is None:
            return True
        names = {x.id for x in ast.walk(handler.type) if isinstance(x, ast.Name)}
        if names & {"ImportError", "ModuleNotFoundError", "Exception", "BaseException"}:
            return True
    return False


def _is_effect(stmt: ast.stmt) -> bool:
    """A top-level statement run for what it changes, not for a name it binds."""
    if isinstance(stmt, ast.Expr):
        return not isinstance(stmt.value, ast.Constant)  # not a docstring
    if isinstance(stmt, ast.If):
        test = stmt.test
        if isinstance(test, ast.Compare) and isinstance(test.left, ast.Name) and test.left.id == "__name__":
            return False  # the `if __name__ == "__main__":` block
        return not bound_names(stmt)
    if isinstance(stmt, (ast.Assign, ast.AugAssign)):
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
        return all(isinstance(t, (ast.Subscript, ast.Attribute)) for t in targets)
    if isinstance(stmt, (ast.For, ast.With, ast.Try)):
        return True
    return False
