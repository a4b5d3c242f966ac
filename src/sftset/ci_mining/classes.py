"""The class around an instance method problem: the parts of it the prompt shows.

The prompt of a method problem is the module context, then the class cut down to what the
method needs, ending with the method's signature and docstring (the body, indented as in the
class, is the answer). Shown, in source order: the class's decorators and `class` line, its
docstring, annotated fields (a dataclass's constructor), dunder attributes (`__slots__`), its
constructor (`__init__`, `__new__`, `__post_init__`), and the attributes and methods reached from
these and from the method through `self.name`, `cls.name`, `type(self).name` or `Cls.name`, or by
name from a shown class-level statement (properties with their setters). When the method or a shown part uses the instance as a value
(`len(self)`, `self == other`, `str(self)`), the class's other dunder methods are shown too, since
operators reach them without naming them. Other methods are left out: they are not the answer's
business and only lengthen the prompt.
"""
from __future__ import annotations

import ast

from .context import Drop, ModuleSource, ProjectSource, check_inner_imports
from .scope import statement_needs

_CONSTRUCTION = ("__init__", "__new__", "__post_init__")
_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)


def class_of(module: ModuleSource, name: str, method: ast.AST) -> ast.ClassDef:
    for stmt in module.stmts:
        if isinstance(stmt, ast.ClassDef) and stmt.name == name and method in stmt.body:
            return stmt
    raise Drop("source not found", name)


def class_part(module: ModuleSource, cls: ast.ClassDef, method: ast.AST,
               project: ProjectSource) -> tuple[str, set[str]]:
    """(the class's text up to the method, module-level names that text and the method need)."""
    body = cls.body
    if body[0].lineno == cls.lineno:
        raise Drop("unusual layout", "class body on the class line")
    by_name: dict[str, list[ast.stmt]] = {}  # class-level name -> the statements that bind it
    for stmt in body:
        for name in _class_level_stores(stmt):
            by_name.setdefault(name, []).append(stmt)
    shown: set[int] = set()
    frontier: list[ast.stmt] = [method]
    for stmt in body:
        if _always_shown(stmt, bool(cls.decorator_list)):
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
                            for s in ss if s is not method and isinstance(s, _FUNCTIONS))
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
        check_inner_imports(stmt, module, project)  # what is shown must load with the standard library
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


def _always_shown(stmt: ast.stmt, decorated: bool) -> bool:
    """The class's docstring, its fields (annotated without a value, or with one in a decorated class: a
    dataclass's constructor; never a ClassVar), dunder attributes (`__slots__`) and its constructor; other
    attributes and methods only when something shown uses them."""
    if isinstance(stmt, _FUNCTIONS):
        return stmt.name in _CONSTRUCTION
    if isinstance(stmt, ast.Expr):
        return isinstance(stmt.value, ast.Constant) and isinstance(stmt.value.value, str)
    if isinstance(stmt, ast.AnnAssign):
        if "ClassVar" in ast.unparse(stmt.annotation):
            return False
        return stmt.value is None or decorated
    names = _class_level_stores(stmt)
    return bool(names) and all(n.startswith("__") and n.endswith("__") for n in names)


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
    if not isinstance(stmt, _FUNCTIONS):  # a class-level statement reads other class attributes by name
        names |= {n.id for n in ast.walk(stmt) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    for node in ast.walk(stmt):
        if isinstance(node, ast.Attribute):
            base = node.value
            if isinstance(base, ast.Name) and base.id in owners:
                names.add(node.attr)
            elif (isinstance(base, ast.Call) and isinstance(base.func, ast.Name) and base.func.id == "type"
                  and len(base.args) == 1 and isinstance(base.args[0], ast.Name) and base.args[0].id in owners):
                names.add(node.attr)
    instance = owners - {class_name}
    for node in ast.walk(stmt):
        if _dunder_use(node, instance):
            as_value = True
            break
    return names, as_value


# Builtins that reach an object's dunder methods.
_DISPATCHING = frozenset(("len", "str", "repr", "iter", "hash", "bool", "int", "float", "complex", "format", "abs",
                          "sorted", "list", "tuple", "dict", "set", "frozenset", "min", "max", "sum", "next",
                          "reversed", "divmod", "round", "bytes", "vars", "dir"))


def _dunder_use(node: ast.AST, instance: set[str]) -> bool:
    """Does `node` use the instance in a way that reaches its dunder methods without naming them
    (an operator, a comparison, `len(self)`, `self[i]`, `for x in self`, `f"{self}"`)?"""
    is_self = lambda n: isinstance(n, ast.Name) and n.id in instance  # noqa: E731
    if isinstance(node, ast.BinOp):
        return is_self(node.left) or is_self(node.right)
    if isinstance(node, ast.UnaryOp):
        return is_self(node.operand)
    if isinstance(node, ast.Compare):
        return any(is_self(n) for n in [node.left, *node.comparators]) and not all(
            isinstance(op, (ast.Is, ast.IsNot)) for op in node.ops)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _DISPATCHING:
        return any(is_self(a) for a in node.args)
    if isinstance(node, ast.Subscript):
        return is_self(node.value)
    if isinstance(node, (ast.For, ast.comprehension)):
        return is_self(node.iter)
    if isinstance(node, ast.FormattedValue):
        return is_self(node.value)
    if isinstance(node, ast.AugAssign):
        return is_self(node.target)
    return False


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
