"""The class around an instance method problem: the parts of it the prompt shows.

The prompt of a method problem is the module context, then the class cut down to what the
method needs, ending with the method's signature and docstring (the body, indented as in the
class, is the answer). Shown, in source order: the class's decorators and `class` line, every
statement of its body that is not a function (docstring, class attributes, `__slots__`, dataclass
fields), its constructor (`__init__`, `__new__`, `__post_init__`), and the methods reached from
these and from the method through `self.name`, `cls.name`, `type(self).name` or `Cls.name`
(properties with their setters). When the method or a shown part uses the instance as a value
(`len(self)`, `self == other`, `str(self)`), the class's other dunder methods are shown too, since
operators reach them without naming them. Other methods are left out: they are not the answer's
business and only lengthen the prompt.
"""
from __future__ import annotations

import ast

from .context import Drop, ModuleSource
from .scope import statement_needs

_CONSTRUCTION = ("__init__", "__new__", "__post_init__")
_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)


def class_of(module: ModuleSource, name: str, method: ast.AST) -> ast.ClassDef:
    for stmt in module.stmts:
        if isinstance(stmt, ast.ClassDef) and stmt.name == name and method in stmt.body:
            return stmt
    raise Drop("source not found", name)


def class_part(module: ModuleSource, cls: ast.ClassDef, method: ast.AST) -> tuple[str, set[str]]:
    """(the class's text up to the method, module-level names that text and the method need)."""
    body = cls.body
    if body[0].lineno == cls.lineno:
        raise Drop("unusual layout", "class body on the class line")
    by_name: dict[str, list[ast.stmt]] = {}
    for stmt in body:
        if isinstance(stmt, _FUNCTIONS):
            by_name.setdefault(stmt.name, []).append(stmt)
    shown: set[int] = set()
    frontier: list[ast.stmt] = [method]
    for stmt in body:
        if not isinstance(stmt, _FUNCTIONS) or stmt.name in _CONSTRUCTION:
            frontier.append(stmt)
    dunders_added = False
    while frontier:
        stmt = frontier.pop()
        if id(stmt) in shown:
            continue
        shown.add(id(stmt))
        names, as_value = _members_used(stmt, cls.name)
        for name in names:
            frontier.extend(s for s in by_name.get(name, ()) if s is not method)
        if as_value and not dunders_added:
            dunders_added = True
            frontier.extend(s for n, ss in by_name.items() if n.startswith("__") and n.endswith("__")
                            for s in ss if s is not method)
    lines = module.lines
    start = min([cls.lineno] + [d.lineno for d in cls.decorator_list])
    first = body[0]
    first_line = min([first.lineno] + [d.lineno for d in getattr(first, "decorator_list", [])])
    parts = ["".join(lines[start - 1:first_line - 1])]
    # names the class body binds (a property's `@x.setter` reads x there); a function body's global read
    # of the same name is rare, and would show in validation as a reference that does not load
    class_bound = {n for stmt in body for n in _class_level_stores(stmt)}
    needs = {x.id for part in [*cls.decorator_list, *cls.bases, *[k.value for k in cls.keywords]]
             for x in ast.walk(part) if isinstance(x, ast.Name)}
    for stmt in body:
        if stmt is method or id(stmt) not in shown:
            continue
        text = module.segment(stmt)
        begin = min([stmt.lineno] + [d.lineno for d in getattr(stmt, "decorator_list", [])])
        gap = isinstance(stmt, _FUNCTIONS) or (begin > 1 and not lines[begin - 2].strip())  # as in the source
        if gap and parts[-1].strip() and not parts[-1].endswith("\n\n"):
            text = "\n" + text
        parts.append(text if text.endswith("\n") else text + "\n")
        loads = statement_needs(stmt, module.tables, module.future_annotations)[0]
        needs |= loads - class_bound
    text = "".join(parts)
    if len(parts) > 1 and not text.endswith("\n\n"):
        text += "\n"  # a blank line before the method, as between the shown members
    return text, needs - {cls.name}


def _first_param(fn: ast.AST) -> str | None:
    params = [*fn.args.posonlyargs, *fn.args.args]
    return params[0].arg if params else None


def _members_used(stmt: ast.stmt, class_name: str) -> tuple[set[str], bool]:
    """(member names reached through the instance or the class, whether the instance is used as a value)."""
    owners = {class_name}
    if isinstance(stmt, _FUNCTIONS):
        first = _first_param(stmt)
        if first:
            owners.add(first)
    names, as_value = set(), False
    attribute_bases = set()
    for node in ast.walk(stmt):
        if isinstance(node, ast.Attribute):
            base = node.value
            if isinstance(base, ast.Name) and base.id in owners:
                names.add(node.attr)
                attribute_bases.add(id(base))
            elif (isinstance(base, ast.Call) and isinstance(base.func, ast.Name) and base.func.id == "type"
                  and len(base.args) == 1 and isinstance(base.args[0], ast.Name) and base.args[0].id in owners):
                names.add(node.attr)
                attribute_bases.add(id(base.args[0]))
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "getattr":
            as_value = True  # getattr(self, name): any member may be meant
    for node in ast.walk(stmt):
        if isinstance(node, ast.Name) and node.id in owners - {class_name} and id(node) not in attribute_bases \
                and isinstance(node.ctx, ast.Load):
            as_value = True
    return names, as_value


def _class_level_stores(stmt: ast.stmt) -> set[str]:
    if isinstance(stmt, _FUNCTIONS):
        return {stmt.name}
    out = set()
    for node in ast.walk(stmt):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            out.add(node.id)
        elif isinstance(node, ast.ClassDef):
            out.add(node.name)
    return out
