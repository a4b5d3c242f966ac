"""Simple mutants of a reference body, to measure how strong its tests are.

Operators: flipped comparisons (`<` -> `>=`, `==` -> `!=`, `in` -> `not in`, ...),
off-by-one integer constants (c+1, c-1), flipped booleans, swapped arithmetic and
bitwise operators, `and` <-> `or`, dropped `not` and unary minus, `break` <->
`continue`, and dropped statements (replaced by `pass`). Only the function's own body
is mutated (not its docstring, not the context around it). A test set that kills a
mutant notices that change; the kill rate is killed / mutants tried.
"""
from __future__ import annotations

import ast
import copy
import random

_COMPARE = {ast.Lt: ast.GtE, ast.LtE: ast.Gt, ast.Gt: ast.LtE, ast.GtE: ast.Lt, ast.Eq: ast.NotEq,
            ast.NotEq: ast.Eq, ast.In: ast.NotIn, ast.NotIn: ast.In, ast.Is: ast.IsNot, ast.IsNot: ast.Is}
_BINOP = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult, ast.FloorDiv: ast.Mult,
          ast.Mod: ast.FloorDiv, ast.Pow: ast.Mult, ast.LShift: ast.RShift, ast.RShift: ast.LShift,
          ast.BitOr: ast.BitAnd, ast.BitAnd: ast.BitOr, ast.BitXor: ast.BitOr}


def _function(tree: ast.Module, entry_point: str):
    """The function `name`, or the method `Class.name` (a method problem), at the program's top level."""
    scope = tree.body
    if "." in entry_point:
        owner, entry_point = entry_point.split(".", 1)
        scope = [s for c in scope if isinstance(c, ast.ClassDef) and c.name == owner for s in c.body]
    found = [s for s in scope if isinstance(s, ast.FunctionDef) and s.name == entry_point]
    if not found:
        raise ValueError(f"no function {entry_point} in the program")
    return found[-1]


def _body(fn: ast.FunctionDef) -> list[ast.stmt]:
    body = fn.body
    first = body[0] if body else None
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
        return body[1:]
    return body


def _nodes(fn: ast.FunctionDef) -> list[ast.AST]:
    """The body's nodes in a fixed order (the same for a deep copy)."""
    out: list[ast.AST] = []
    for stmt in _body(fn):
        out.extend(ast.walk(stmt))
    return out


def _sites(fn: ast.FunctionDef) -> list[tuple[str, int, object]]:
    """(operator, node index, detail) for every mutation this body allows."""
    sites = []
    for i, node in enumerate(_nodes(fn)):
        if isinstance(node, ast.Compare):
            for k, op in enumerate(node.ops):
                if type(op) in _COMPARE:
                    sites.append(("compare", i, k))
        elif isinstance(node, ast.Constant):
            if type(node.value) is bool:
                sites.append(("bool", i, None))
            elif type(node.value) is int:
                sites.append(("constant", i, 1))
                sites.append(("constant", i, -1))
        elif isinstance(node, (ast.BinOp, ast.AugAssign)) and type(node.op) in _BINOP:
            sites.append(("arithmetic", i, None))
        elif isinstance(node, ast.BoolOp):
            sites.append(("boolean", i, None))
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.Not, ast.USub)):
            sites.append(("unary", i, None))
        elif isinstance(node, (ast.Break, ast.Continue)):
            sites.append(("loop", i, None))
        if isinstance(node, ast.stmt) and not isinstance(node, ast.Pass):
            sites.append(("drop", i, None))
    return sites


class _Replace(ast.NodeTransformer):
    def __init__(self, target: ast.AST, replacement: ast.AST):
        self.target, self.replacement = target, replacement

    def visit(self, node):
        if node is self.target:
            return self.replacement
        return super().visit(node)


def _apply(tree: ast.Module, entry_point: str, site) -> ast.Module | None:
    kind, index, detail = site
    tree = copy.deepcopy(tree)
    fn = _function(tree, entry_point)
    node = _nodes(fn)[index]
    if kind == "compare":
        node.ops[detail] = _COMPARE[type(node.ops[detail])]()
    elif kind == "bool":
        node.value = not node.value
    elif kind == "constant":
        node.value = node.value + detail
    elif kind == "arithmetic":
        node.op = _BINOP[type(node.op)]()
    elif kind == "boolean":
        node.op = ast.Or() if isinstance(node.op, ast.And) else ast.And()
    elif kind == "unary":
        _Replace(node, node.operand).visit(fn)
    elif kind == "loop":
        _Replace(node, ast.Continue() if isinstance(node, ast.Break) else ast.Break()).visit(fn)
    elif kind == "drop":
        _Replace(node, ast.Pass()).visit(fn)
    return ast.fix_missing_locations(tree)


def mutants(program: str, entry_point: str, limit: int = 30, seed: str = "") -> list[tuple[str, str]]:
    """Up to `limit` distinct mutant programs as (description, source), spread over the operators."""
    tree = ast.parse(program)
    fn = _function(tree, entry_point)
    original = ast.unparse(fn)
    sites = _sites(fn)
    rng = random.Random(seed)
    by_kind: dict[str, list] = {}
    for site in sites:
        by_kind.setdefault(site[0], []).append(site)
    for group in by_kind.values():
        rng.shuffle(group)
    ordered = []
    while any(by_kind.values()):  # round-robin so that no operator crowds out the others
        for kind in sorted(by_kind):
            if by_kind[kind]:
                ordered.append(by_kind[kind].pop())
    out, seen = [], {original}
    for site in ordered:
        if len(out) >= limit:
            break
        try:
            mutated = _apply(tree, entry_point, site)
            text = ast.unparse(_function(mutated, entry_point))
            if text in seen:
                continue
            compile(mutated, "<mutant>", "exec")
        except (ValueError, SyntaxError, TypeError, IndexError):
            continue
        seen.add(text)
        out.append((f"{site[0]}@{site[1]}", ast.unparse(mutated) + "\n"))
    return out
