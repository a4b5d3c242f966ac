"""The class around an instance method problem: the parts of it the prompt shows.

The prompt of a method problem is the module context, then the class cut down to what the
method needs, ending with the method's signature and docstring (the body, indented as in the
class, is the answer). Shown, in source order: the class's decorators and `class` line, its
docstring, annotated fields (a dataclass's constructor), dunder attributes (`__slots__`), its
constructor (`__init__`, `__new__`, `__post_init__`; an enum's members), and the attributes and methods reached from
these and from the method through `self.name`, `cls.name`, `type(self).name` or `Cls.name`, or by
name from a shown class-level statement (properties with their setters), and the dunder methods
an operator or builtin reaches on the instance (`self + x`: `__add__`, `__radd__`, `__iadd__`;
`len(self)`: `__len__`; `self[i]`, `for x in self`, `f"{self}"`). Other methods are left out:
they are not the answer's business and only lengthen the prompt.
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
    members = _is_enum(cls)  # an enum's instance may be any member: all of them are its construction
    for stmt in body:
        if _always_shown(stmt, bool(cls.decorator_list)) or members and _is_member(stmt):
            frontier.append(stmt)
    while frontier:
        stmt = frontier.pop()
        if id(stmt) in shown:
            continue
        shown.add(id(stmt))
        for name in _members_used(stmt, cls.name):
            frontier.extend(s for s in by_name.get(name, ()) if s is not method)
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


_ENUM_BASES = ("Enum", "IntEnum", "StrEnum", "Flag", "IntFlag", "ReprEnum")


def _is_enum(cls: ast.ClassDef) -> bool:
    """A class derived from one of the enum module's base classes by name (`Enum`, `enum.IntFlag`, ...)."""
    return any(ast.unparse(b).rpartition(".")[2] in _ENUM_BASES for b in cls.bases)


def _is_member(stmt: ast.stmt) -> bool:
    """An enum member's definition: a plain assignment of public names at class level."""
    names = _class_level_stores(stmt) if isinstance(stmt, (ast.Assign, ast.AnnAssign)) else set()
    return bool(names) and not any(n.startswith("_") for n in names)


def _first_param(fn: ast.AST) -> str | None:
    params = [*fn.args.posonlyargs, *fn.args.args]
    return params[0].arg if params else None


def _members_used(stmt: ast.stmt, class_name: str) -> set[str]:
    """Member names reached through the instance or the class, named or through an operator."""
    owners = {class_name}
    if isinstance(stmt, _FUNCTIONS):
        first = _first_param(stmt)
        if first:
            owners.add(first)
    names: set[str] = set()
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
        names |= _dunders_reached(node, instance)
    return names


_BINARY = {ast.Add: "add", ast.Sub: "sub", ast.Mult: "mul", ast.Div: "truediv", ast.FloorDiv: "floordiv",
           ast.Mod: "mod", ast.Pow: "pow", ast.LShift: "lshift", ast.RShift: "rshift", ast.BitOr: "or",
           ast.BitAnd: "and", ast.BitXor: "xor", ast.MatMult: "matmul"}
_COMPARE = {ast.Eq: ("__eq__",), ast.NotEq: ("__ne__", "__eq__"), ast.Lt: ("__lt__", "__gt__"),
            ast.LtE: ("__le__", "__ge__"), ast.Gt: ("__gt__", "__lt__"), ast.GtE: ("__ge__", "__le__"),
            ast.In: ("__contains__", "__iter__", "__getitem__"), ast.NotIn: ("__contains__", "__iter__", "__getitem__")}
_UNARY = {ast.USub: ("__neg__",), ast.UAdd: ("__pos__",), ast.Invert: ("__invert__",), ast.Not: ("__bool__", "__len__")}
_ORDER = ("__lt__", "__gt__", "__le__", "__ge__", "__eq__", "__iter__")
# Builtins and the dunder methods they reach.
_DISPATCHING = {"len": ("__len__",), "str": ("__str__", "__repr__"), "repr": ("__repr__",),
                "iter": ("__iter__", "__getitem__"), "hash": ("__hash__",), "bool": ("__bool__", "__len__"),
                "int": ("__int__", "__index__", "__trunc__"), "float": ("__float__", "__index__"),
                "complex": ("__complex__",), "format": ("__format__", "__str__"), "abs": ("__abs__",),
                "round": ("__round__",), "divmod": ("__divmod__", "__rdivmod__"), "bytes": ("__bytes__",),
                "reversed": ("__reversed__", "__len__", "__getitem__"), "next": ("__next__",),
                "sorted": _ORDER, "min": _ORDER, "max": _ORDER, "list": ("__iter__", "__len__", "__getitem__"),
                "tuple": ("__iter__", "__len__", "__getitem__"), "set": ("__iter__",), "frozenset": ("__iter__",),
                "dict": ("__iter__", "keys", "__getitem__"), "sum": ("__iter__", "__add__", "__radd__")}


def _dunders_reached(node: ast.AST, instance: set[str]) -> set[str]:
    """The dunder methods `node` reaches on the instance without naming them (an operator, a comparison,
    `len(self)`, `self[i]`, `for x in self`, `f"{self}"`)."""
    is_self = lambda n: isinstance(n, ast.Name) and n.id in instance  # noqa: E731
    if isinstance(node, (ast.BinOp, ast.AugAssign)):
        name = _BINARY.get(type(node.op))
        operands = [node.left, node.right] if isinstance(node, ast.BinOp) else [node.target, node.value]
        if name and any(is_self(n) for n in operands):
            return {f"__{name}__", f"__r{name}__", f"__i{name}__"}
    elif isinstance(node, ast.UnaryOp) and is_self(node.operand):
        return set(_UNARY.get(type(node.op), ()))
    elif isinstance(node, ast.Compare) and any(is_self(n) for n in [node.left, *node.comparators]):
        return {d for op in node.ops for d in _COMPARE.get(type(op), ())}
    elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and any(is_self(a) for a in node.args):
        return set(_DISPATCHING.get(node.func.id, ()))
    elif isinstance(node, ast.Subscript) and is_self(node.value):
        return {"__getitem__", "__setitem__", "__delitem__", "__class_getitem__"}
    elif isinstance(node, (ast.For, ast.comprehension)) and is_self(node.iter):
        return {"__iter__", "__getitem__", "__len__"}
    elif isinstance(node, ast.FormattedValue) and is_self(node.value):
        return {"__format__", "__str__", "__repr__"}
    return set()


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
