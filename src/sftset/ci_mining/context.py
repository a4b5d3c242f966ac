"""The code a mined function needs around it: imports and module-level names, inlined.

A problem must run on its own (in the sandbox, in a trainer's harness), so the prompt
carries what the function's body reads from its module: standard-library imports,
constants, helper functions and classes, and names imported from the project's
other modules (their definitions are copied in). Module-level statements that change
those names after they are bound (`PLURALS.insert(...)`, `_register(...)`) come along
too. A project module the code uses as an object (`from . import utils`, then `utils.slugify(x)`)
becomes a namespace of exactly the members it reads (`Namespace`). What cannot be carried (a
third-party import, a project module used otherwise than by reading its attributes, a star import,
`__file__`) is a Drop with the reason.
"""
from __future__ import annotations

import ast
import builtins
import sys
import tokenize
from dataclasses import dataclass, field
from pathlib import Path

from .dead_branches import PY2_ONLY_BUILTINS
from .dead_branches import prune as prune_dead_branches
from .project import module_file
from .scope import TableIndex, bound_names, import_time_loads, module_scope_names, statement_needs

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
        prune_dead_branches(self.tree)  # Python 2 and TYPE_CHECKING branches bind and need nothing
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
                 owner_class: str | None = None, scan: list[ast.AST] | None = None):
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
        # project modules used as objects: (module, bound name) -> (import statement's index, the namespace)
        self.namespaces: dict[tuple[str, str], tuple[int, Namespace]] = {}
        self.deps: set[tuple[str, str]] = set()  # (module, project module it imports a carried name from)
        self.builtin_reads: set[str] = set()  # names read as builtins: no carried name may shadow them
        self.scan = list(scan) if scan is not None else [target]  # what of the module reads its module objects

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
        if name in ("__name__", "__doc__"):
            return
        if name in _BUILTINS:
            self.builtin_reads.add(name)
            return
        if name in PY2_ONLY_BUILTINS:
            return  # undefined in the module too (dead_branches.py)
        if mod.star_import:
            raise Drop("name from a star import", name)
        raise Drop("undefined name", f"{name} in {mod.name}")

    def _target_name(self) -> str:
        return getattr(self.target, "name", "") if self.owner_class is None else ""

    def _carry(self, mod: ModuleSource, i: int, name: str) -> None:
        stmt = mod.stmts[i]
        if isinstance(stmt, (ast.Import, ast.ImportFrom)):
            target = module_bound(self.project, mod, name, i)
            if target is not None:
                self._module_object(mod, i, name, target)
                return
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
        self._need_from(source, alias.name, other, importer=mod)
        if alias.asname and alias.asname != alias.name:
            line = f"{alias.asname} = {alias.name}"
            if line not in self.aliases.setdefault(mod.name, []):
                self.aliases[mod.name].append(line)

    def _need_from(self, source: str, name: str, other: ModuleSource | None = None,
                   importer: ModuleSource | None = None) -> None:
        """Carry `name` as module `source` (one of the project's) defines it, for `importer` (by default the
        function's module: a type a test value names)."""
        other = other or self.project.module(source)
        if other is None:
            raise Drop("project module not found", source)
        before = list(self.order)
        self.need(other, name)
        self.deps.add(((importer or self.module).name, other.name))
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
                        while self._fill_namespaces():  # what it reads from module objects comes with it
                            pass
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

    # ---- project modules used as objects ---------------------------------------------------------
    def _module_object(self, mod: ModuleSource, i: int, name: str, target: str) -> None:
        """`name` in `mod` is the project module `target`: bind it to a namespace of the members the
        carried code reads (filled by _fill_namespaces once the code that reads it is known)."""
        if target == self.module.name:
            raise Drop("uses a project module as an object", f"{name} is the function's own module")
        other = self.bound.setdefault(name, mod.name)
        shared = self.namespaces.get((other, name))
        if other != mod.name and (shared is None or shared[1].module != target):
            raise Drop("name clash between modules", f"{name} in {other} and {mod.name}")
        if name == self.entry_point:
            raise Drop("name clash with the function", name)
        # modules that import the same module under the same name share one namespace (`import pydash as pyd`)
        self.namespaces.setdefault((mod.name, name), (i, shared[1] if shared else Namespace(target)))
        if mod.name not in self.order:
            self.order.append(mod.name)

    def _fill_namespaces(self) -> bool:
        """Resolve each attribute the carried code reads from a module object; True if anything new was
        carried (the new code may read more)."""
        grew = False
        for (mod_name, name), (_, space) in list(self.namespaces.items()):
            mod = self.project.module(mod_name)
            nodes = [mod.stmts[i] for i in sorted(self.stmts.get(mod_name, ()))]
            if mod is self.module:
                nodes += self.scan
            for path in attribute_paths(nodes, name):
                grew |= self._member(mod, space, path, name)
        return grew

    def _member(self, mod: ModuleSource, space: Namespace, path: list[str], shown: str) -> bool:
        root = space
        for attr in path:
            shown += "." + attr
            if attr.startswith("__") and attr.endswith("__"):
                raise Drop("uses a project module as an object", f"reads {shown}")
            child = space.members.get(attr)
            if isinstance(child, Namespace):
                space = child
                continue
            if attr in space.members:
                return False  # a member already carried
            source = self.project.module(space.module)
            sub = module_bound(self.project, source, attr) if source is not None else None
            if sub is None and self.project.module(f"{space.module}.{attr}") is not None \
                    and (source is None or attr not in source.bindings):
                sub = f"{space.module}.{attr}"  # a submodule the package does not import itself
            if sub is not None:
                if sub == self.module.name:
                    raise Drop("uses a project module as an object", f"{shown} is the function's own module")
                space.members[attr] = space = Namespace(sub)
                continue
            if source is None:
                raise Drop("project module not found", space.module)
            if attr not in source.bindings:
                raise Drop("undefined name", f"{attr} in {source.name}")
            before = list(self.order)
            self.need(source, attr)
            binder = self.bound.setdefault(attr, source.name)
            if binder != source.name and not _imports_from_project(self.project, source, attr):
                raise Drop("name clash between modules", f"{attr} in {binder} and {source.name}")
            if attr == self.entry_point:
                raise Drop("name clash with the function", attr)
            space.members[attr] = None
            root.sources.add(source.name)
            if source.name not in self.order and source.name not in before:
                self.order.append(source.name)
            return True
        raise Drop("uses a project module as an object", f"{shown} used as a value")

    def _save(self):
        return ({k: set(v) for k, v in self.stmts.items()}, list(self.order), list(self.imports), list(self.future),
                dict(self.bound), set(self._done), {k: list(v) for k, v in self.aliases.items()},
                _copy_namespaces(self.namespaces), set(self.deps),
                set(self.builtin_reads))

    def _restore(self, saved) -> None:
        (self.stmts, self.order, self.imports, self.future, self.bound, self._done, self.aliases,
         self.namespaces, self.deps, self.builtin_reads) = saved

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
        while self._fill_namespaces():
            pass
        seen: set[str] = set()
        while [m for m in self.order if m not in seen]:  # a module's effects may carry names of another module
            for name in [m for m in self.order if m not in seen]:
                seen.add(name)
                mod = self.project.module(name)
                if mod is not None:
                    self._effects(mod)
        if self.module.name not in self.order:
            self.order.append(self.module.name)
        shadowed = sorted(self.builtin_reads & set(self.bound))
        if shadowed:
            raise Drop("name clash with a builtin", f"{shadowed[0]} is carried and also read as the builtin")
        if self.namespaces:
            if "types" in self.bound:
                raise Drop("name clash between modules", "types is carried and would bind the namespaces' module")
            if "import types" not in self.imports:
                self.imports.append("import types")
        # Modules a carried name came from go first (their statements run at import time); a module that imports
        # a module object goes after the modules that define its members.
        loading = self._read_while_loading()
        order = [m for m in self.order if m != self.module.name]
        if loading:
            order = dependency_order(order, self.deps | {(where, source) for (where, name), (_, space)
                                                          in self.namespaces.items()
                                                          if name in loading for source in space.sources})
        order.append(self.module.name)
        early, late = self._namespace_texts(order, loading)
        ctx = Context(future=list(self.future), imports=list(self.imports))
        # Names only used in annotations were left out for such modules: they must stay unevaluated.
        lazy = "from __future__ import annotations"
        if lazy not in ctx.future and any(getattr(self.project.module(m), "future_annotations", False) for m in order):
            ctx.future.append(lazy)
        for name in order:
            mod = self.project.module(name)
            previous = None
            spaces = early.get(name, {})
            for i in sorted(set(self.stmts.get(name, ())) | set(spaces)):
                if i in spaces:  # a module object: the namespace stands where it was imported
                    ctx.blocks.append("".join(spaces[i]))
                    previous = None
                    continue
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
        ctx.blocks.extend(late)
        return ctx

    def _read_while_loading(self) -> dict[str, list[tuple[str, int]]]:
        """Namespace name -> (module, import index) of the modules whose carried code reads it while the module
        loads (a default value, a decorator, a module-level statement)."""
        loading: dict[str, list[tuple[str, int]]] = {}
        for (where, name), (i, _) in sorted(self.namespaces.items()):
            mod = self.project.module(where)
            if any(name in import_time_loads(mod.stmts[j]) for j in self.stmts.get(where, ())):
                loading.setdefault(name, []).append((where, i))
        return loading

    def _namespace_texts(self, order: list[str], loading: dict[str, list[tuple[str, int]]]
                         ) -> tuple[dict[str, dict[int, list[str]]], list[str]]:
        """(module -> import statement's index -> namespace lines, namespace lines for the end of the context).
        A namespace goes at the end, once every member is defined, unless carried code reads it while its
        module loads: then where the first module that does so (in `order`) imports it."""
        early: dict[str, dict[int, list[str]]] = {}
        late: list[str] = []
        rendered: set[str] = set()
        for (where, name), (_, space) in sorted(self.namespaces.items()):
            if name in rendered:
                continue  # one namespace, shared by the modules that import it
            rendered.add(name)
            if name not in loading:
                late.append(space.render(name))
            else:
                first, i = min(loading[name], key=lambda place: order.index(place[0]))
                early.setdefault(first, {})[i] = [space.render(name)]
        return early, late


def _copy_namespaces(spaces: dict) -> dict:
    """A copy of ContextBuilder.namespaces that keeps a namespace shared by two modules shared."""
    copies: dict[int, Namespace] = {}
    return {k: (i, copies.setdefault(id(space), space.copy())) for k, (i, space) in spaces.items()}


class Namespace:
    """What the problem binds a project module's name to: the members the code reads, by name
    (None: the carried top-level name of the same name; a Namespace: a submodule)."""

    def __init__(self, module: str):
        self.module = module
        self.members: dict[str, Namespace | None] = {}
        self.sources: set[str] = set()  # the modules whose carried statements define the members (on the root)

    def copy(self) -> Namespace:
        other = Namespace(self.module)
        other.members = {k: v.copy() if isinstance(v, Namespace) else v for k, v in self.members.items()}
        other.sources = set(self.sources)
        return other

    def expression(self, indent: str = "") -> str:
        parts = [f"{k}={v.expression(indent + '    ') if isinstance(v, Namespace) else k}"
                 for k, v in sorted(self.members.items())]
        one_line = f"types.SimpleNamespace({', '.join(parts)})"
        if len(one_line) + len(indent) <= 80:
            return one_line
        inner = indent + "    "
        return "types.SimpleNamespace(\n" + "".join(f"{inner}{p},\n" for p in parts) + f"{indent})"

    def render(self, name: str) -> str:
        return f"# the parts of {self.module} used here\n{name} = {self.expression()}\n"


def is_namespace_binding(stmt: ast.stmt) -> bool:
    """`utils = types.SimpleNamespace(slugify=slugify, ...)`, how a project module used as an object is shown:
    it only collects names, so running it again rebinds its members to their real definitions."""
    def collects(value: ast.expr) -> bool:
        if isinstance(value, ast.Name):
            return True
        return (isinstance(value, ast.Call) and ast.unparse(value.func) == "types.SimpleNamespace" and not value.args
                and all(k.arg and collects(k.value) for k in value.keywords))
    return (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name)
            and isinstance(stmt.value, ast.Call) and collects(stmt.value))


def namespace_names(context: str) -> set[str]:
    """The names the context binds to namespaces of a project module's members, and the members that are
    namespaces themselves (submodules)."""
    try:
        tree = ast.parse(context)
    except SyntaxError:
        return set()
    names = set()
    for stmt in tree.body:
        if is_namespace_binding(stmt):
            names.add(stmt.targets[0].id)
            names |= {k.arg for call in ast.walk(stmt.value) if isinstance(call, ast.Call)
                      for k in call.keywords if isinstance(k.value, ast.Call)}
    return names


class MemberNames(ast.NodeTransformer):
    """`utils.slugify` read as `slugify` when `utils` is a namespace of members: the rules on a body
    (worth.py) then judge it as they judge a call of the helper by its name."""

    def __init__(self, spaces: set[str]):
        self.spaces = spaces

    def visit_Attribute(self, node: ast.Attribute) -> ast.AST:
        self.generic_visit(node)  # inner first: `pkg.util.SEP` -> `util.SEP` -> `SEP`
        if isinstance(node.value, ast.Name) and node.value.id in self.spaces and isinstance(node.ctx, ast.Load):
            return ast.copy_location(ast.Name(id=node.attr, ctx=ast.Load()), node)
        return node


def module_bound(project: ProjectSource, mod: ModuleSource, name: str, index: int | None = None,
                 depth: int = 0) -> str | None:
    """The project module `name` is bound to at the top level of `mod` by an import (the one at `index`,
    or all that bind it), or None when it is bound to anything else."""
    found = None
    for i in ([index] if index is not None else mod.bindings.get(name, [])):
        stmt, target = mod.stmts[i], None
        if isinstance(stmt, ast.Import):
            for alias in stmt.names:
                if alias.asname == name:
                    target = alias.name
                elif not alias.asname and alias.name.split(".")[0] == name:
                    target = name
            if target is None or not project.is_own(target):
                return None
        elif isinstance(stmt, ast.ImportFrom):
            if any(a.name == "*" for a in stmt.names) and name not in {a.asname or a.name for a in stmt.names}:
                return None
            source = mod.absolute(stmt)
            if not project.is_own(source):
                return None
            alias = next(a for a in stmt.names if (a.asname or a.name) == name)
            sub, other = f"{source}.{alias.name}", project.module(source)
            if project.module(sub) is not None and (other is None or alias.name not in other.bindings
                                                     or other is mod):
                target = sub
            elif other is not None and other is not mod and alias.name in other.bindings and depth < 8:
                target = module_bound(project, other, alias.name, depth=depth + 1)
            if target is None:
                return None
        else:
            return None
        if found not in (None, target):
            return None  # bound to different modules: not followed
        found = target
    return found


def attribute_paths(nodes: list[ast.AST], name: str) -> list[list[str]]:
    """The attribute chains read from the module-level name `name` in `nodes` (`utils.text.slug(x)`:
    ['text', 'slug']); any other use of the name (passed as a value, an attribute assigned or deleted,
    `getattr(utils, n)`) is a Drop."""
    paths: list[list[str]] = []
    for node in nodes:
        parents: dict[int, ast.AST] = {}
        for parent in ast.walk(node):
            for child in ast.iter_child_nodes(parent):
                parents[id(child)] = parent
        for sub in ast.walk(node):
            if not (isinstance(sub, ast.Name) and sub.id == name):
                continue
            if not isinstance(sub.ctx, ast.Load):
                continue  # a local of the same name (the module-level one is not rebound: writes are refused)
            path, at = [], sub
            while isinstance(parents.get(id(at)), ast.Attribute) and parents[id(at)].value is at:
                at = parents[id(at)]
                path.append(at.attr)
                if not isinstance(at.ctx, ast.Load):
                    raise Drop("uses a project module as an object",
                               f"{'assigns' if isinstance(at.ctx, ast.Store) else 'deletes'} "
                               f"{name}.{'.'.join(path)}")
            if not path:
                raise Drop("uses a project module as an object", f"{name} used as a value")
            if path not in paths:
                paths.append(path)
    return paths


def _imports_from_project(project: ProjectSource, mod: ModuleSource, name: str) -> bool:
    """Whether `mod` binds `name` only by importing it from another project module (whose definition
    was carried, and checked for clashes, under that module's name)."""
    stmts = [mod.stmts[i] for i in mod.bindings.get(name, ())]
    return bool(stmts) and all(isinstance(s, ast.ImportFrom) and project.is_own(mod.absolute(s)) for s in stmts)


def dependency_order(modules: list[str], deps: set[tuple[str, str]]) -> list[str]:
    """`modules` with each after the modules it uses at import time, else in their order (a cycle keeps it)."""
    out: list[str] = []
    visiting: set[str] = set()

    def visit(m: str) -> bool:
        if m in out:
            return True
        if m in visiting:
            return False
        visiting.add(m)
        for user, used in sorted(deps):
            if user == m and used in modules and used != m and not visit(used):
                return False
        visiting.discard(m)
        out.append(m)
        return True

    for m in modules:
        if not visit(m):
            return list(modules)
    return out


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
