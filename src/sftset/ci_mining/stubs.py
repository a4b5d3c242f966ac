"""Project helpers shown as stubs: signature and docstring in the prompt, the body hidden in the check.

A function that calls the project's helpers carries their definitions in its prompt (context.py),
and the prompt bound (worth.py: 120 lines / 6000 characters of context) then drops it. When the
context is over the bound, or a helper is long (over LONG_HELPER_LINES lines), helper functions of
the context are shown as

    def helper(x, y):
        \"\"\"The helper's own docstring.\"\"\"
        ...

and their real definitions go to the hidden part of the problem: appended to the program that
validation runs (after the function, so the function's lines, its mutants and its shortcuts are
judged as before), and into the record's `meta.hidden_context`, which render.py puts in the rendered
`test` ahead of `check`, so `prompt + completion + test` runs in HumanEval's harness with the real
helpers rebound before `check` calls the candidate.

Only module-level functions are stubbed, never classes, and never a function the context uses
while it is imported (a decorator, a default value, a table that holds it, a class body that calls
it): those would keep the stub. A module-level assignment that nothing shown reads any more (only
the hidden helpers do: webcolors' name tables behind `_get_hex_to_name_map`) goes to the hidden part
with them; one the function or any shown statement reads stays. Long helpers go first, then helpers
with a docstring before those without, larger first, until the context fits; a context that cannot
be made to fit stays as it was (and is dropped as too long).
"""
from __future__ import annotations

import ast
import re
from dataclasses import replace

from .context import is_namespace_binding
from .scope import import_time_loads

LONG_HELPER_LINES = 40


def _docstring(fn) -> ast.Expr | None:
    first = fn.body[0] if fn.body else None
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
        return first
    return None


def _start(fn) -> int:
    return min([fn.lineno] + [d.lineno for d in getattr(fn, "decorator_list", [])])


def stub_text(fn, lines: list[str]) -> str | None:
    """The helper as its header (and docstring) with `...` for a body; None for an odd layout."""
    doc = _docstring(fn)
    rest = fn.body[1:] if doc is not None else fn.body
    if not rest:
        return None  # nothing to hide
    keep_to = doc.end_lineno if doc is not None else rest[0].lineno - 1
    if keep_to < fn.lineno or rest[0].lineno <= keep_to:
        return None  # body on the def or docstring line
    indent = " " * rest[0].col_offset
    return "".join(lines[_start(fn) - 1:keep_to]) + f"{indent}...\n"


def _fits(text: str, max_lines: int, max_chars: int) -> bool:
    return text.count("\n") <= max_lines and len(text) <= max_chars


def _all_loads(stmt: ast.stmt) -> set[str]:
    """Every name a statement reads, inside function bodies too."""
    return {n.id for n in ast.walk(stmt) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def _bound(stmt: ast.stmt) -> set[str]:
    targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
    return {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}


def _moved_constants(tree: ast.Module, chosen: set[str], needs: set[str]) -> set[int]:
    """Indexes of module-level assignments that only the hidden helpers read (directly or through
    other such assignments): they go to the hidden part with the helpers."""
    stubbed = {i for i, s in enumerate(tree.body) if isinstance(s, ast.FunctionDef) and s.name in chosen}
    movable = {i for i, s in enumerate(tree.body) if isinstance(s, (ast.Assign, ast.AnnAssign))
               and i not in stubbed and getattr(s, "value", None) is not None}
    kept = set(range(len(tree.body))) - stubbed - movable
    changed = True
    while changed:
        changed = False
        visible_needs = set(needs)
        for i in kept:
            visible_needs |= _all_loads(tree.body[i])
        for i in stubbed:  # a stub's signature keeps its defaults and decorators (`def get(o, default=UNSET)`)
            visible_needs |= import_time_loads(tree.body[i])
        for i in sorted(movable):
            if _bound(tree.body[i]) & visible_needs:
                movable.discard(i)
                kept.add(i)
                changed = True
    bound_elsewhere = set()
    for i in kept | stubbed:
        bound_elsewhere |= _bound(tree.body[i]) if isinstance(tree.body[i], (ast.Assign, ast.AnnAssign)) else set()
    return {i for i in movable if not (_bound(tree.body[i]) & bound_elsewhere)}


def stub_helpers(context: str, max_lines: int, max_chars: int, needs: set[str] | None = None
                 ) -> tuple[str, str, list[str]] | None:
    """(context with stubs, the hidden real definitions, the names stubbed), or None to keep it as it is.

    `needs`: the names the function itself reads; a constant none of the shown code reads any more
    (only hidden helpers do) goes to the hidden part with them. Without `needs`, constants stay.
    """
    try:
        tree = ast.parse(context)
    except SyntaxError:
        return None
    lines = context.splitlines(keepends=True)
    at_import = set()
    for stmt in tree.body:
        if not is_namespace_binding(stmt):  # run again in the hidden part, after the real definitions
            at_import |= import_time_loads(stmt)
    names = [s.name for s in tree.body if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))]
    stubs = {}
    for stmt in tree.body:
        if isinstance(stmt, ast.FunctionDef) and stmt.name not in at_import and names.count(stmt.name) == 1:
            text = stub_text(stmt, lines)
            if text is not None:
                stubs[stmt.name] = (stmt, text)
    size = lambda fn: fn.end_lineno - _start(fn) + 1  # noqa: E731
    long = {name for name, (fn, _) in stubs.items() if size(fn) > LONG_HELPER_LINES}
    if _fits(context, max_lines, max_chars) and not long:
        return None
    order = sorted((n for n in stubs if n not in long),
                   key=lambda n: (_docstring(stubs[n][0]) is None, -size(stubs[n][0]), n))
    chosen = set(long)

    def attempt():
        moved = _moved_constants(tree, chosen, needs) if needs is not None else set()
        return _render(tree, lines, stubs, chosen, moved), moved

    text, moved = attempt()
    while not _fits(text, max_lines, max_chars) and order:
        chosen.add(order.pop(0))
        text, moved = attempt()
    if not chosen or not _fits(text, max_lines, max_chars):
        return None
    hidden_stmts = sorted([stubs[n][0] for n in chosen] + [tree.body[i] for i in moved], key=lambda s: s.lineno)
    # a module object's namespace that holds a stub is bound again once the real definitions are in
    hidden_stmts += [s for s in tree.body if is_namespace_binding(s) and _all_loads(s) & chosen
                     and s not in hidden_stmts]
    hidden = "\n\n".join("".join(lines[_start(s) - 1:s.end_lineno]).rstrip("\n") + "\n" for s in hidden_stmts)
    return text, hidden, sorted(chosen, key=lambda n: stubs[n][0].lineno)


def _render(tree: ast.Module, lines: list[str], stubs: dict, chosen: set[str], moved: set[int]) -> str:
    spans = sorted([(_start(stubs[n][0]), stubs[n][0].end_lineno, stubs[n][1]) for n in chosen]
                   + [(_start(tree.body[i]), tree.body[i].end_lineno, "") for i in moved])
    out, at = [], 1
    for start, end, stub in spans:
        out.append("".join(lines[at - 1:start - 1]))
        out.append(stub)
        at = end + 1
    out.append("".join(lines[at - 1:]))
    return re.sub(r"\n{4,}", "\n\n\n", "".join(out)).lstrip("\n")


def with_stubs(candidate, max_lines: int, max_chars: int):
    """The candidate with its helpers stubbed when its context needs it (see the module's text), else itself."""
    found = stub_helpers(candidate.context, max_lines, max_chars, _function_needs(candidate))
    if found is None or not candidate.prompt.startswith(candidate.context):
        return candidate
    context, hidden, names = found
    if candidate.hidden:  # test functions the values name (test_functions.py) stay after the helpers
        hidden = hidden.rstrip("\n") + "\n\n\n" + candidate.hidden
    prompt = context + candidate.prompt[len(candidate.context):]
    meta = dict(candidate.meta, stubbed_helpers=names, hidden_context=hidden)
    return replace(candidate, context=context, prompt=prompt, hidden=hidden, meta=meta)


def _function_needs(candidate) -> set[str] | None:
    """The names the problem's function reads (its body, defaults, decorators), or None when unsure."""
    try:
        tree = ast.parse(candidate.prompt + candidate.solution)
    except SyntaxError:
        return None
    found = [s for s in tree.body if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef))
             and s.name == candidate.entry_point]
    return _all_loads(found[-1]) if found else None
