"""Long module-level tables shown abbreviated in the prompt, their full definitions hidden in the check.

A function that reads a big constant (inflection's `PLURALS`, webcolors' colour-name dicts, idna's
`codepoint_classes`) carries it whole in its prompt (context.py), and the prompt bound (worth.py:
120 lines / 6000 characters of context; build.MAX_PROMPT_CHARS on the whole prompt) then drops it.
When the context is over the bound even with helpers shown as stubs (stubs.py), a long table -- a
module-level name bound once to a literal list, tuple, set, dict, str or bytes, or to a call of such
literals (`frozenset({...})`, `array("I", (...))`), over LONG_TABLE_LINES lines or LONG_TABLE_CHARS
characters -- is shown as its first few items: largest tables first, those the function itself reads
last, as few as make the context fit (with helper stubs or without):

    PLURALS = [
        (r"(?i)(quiz)$", r'\\1zes'),
        (r"(?i)^(oxen)$", r'\\1'),
        (r"(?i)^(ox)$", r'\\1en'),
        # ... 20 more items not shown here (23 in all)
    ]

It stays valid Python of the same type and says what is left out; a table inside a table is cut the
same way. The real definition goes to the hidden part of the problem (stubs.py's path: after the
function in the program validation runs, so mutants and shortcuts are judged against the full
table; in `meta.hidden_context`, which render.py puts in `test` ahead of `check`).

What reads a table while the module loads would have seen the abbreviation, so it is replayed in
the hidden part after the full table, in source order: a derived table (`_HEX = {v: k for k, v in
NAMES.items()}`), an effect (`PLURALS.insert(...)`, `_irregular("person", "people")`, which
changes the tables through a helper), a namespace that holds the table, and, in turn, what reads
those. A replayed statement that changes another table brings that table's definition along (so
the change is not applied twice). When something that cannot be replayed reads a table while the
module loads -- a function's default or decorator (the problem's function too), a class body, an
import, a statement that changes a table after the replayed ones read it -- the table stays whole.
A str or bytes table is cut only when nothing reads it while the module loads (a cut pattern
would not compile). The hidden tables come before any stubbed helper's definition, which may read
them while it loads. Tables of at most 10 lines and 600 characters (some 10 lines of 60) are never
cut: each costs under a tenth of the 120-line bound, cutting it would save a few lines at most, and
shown whole it gives the model every case.
"""
from __future__ import annotations

import ast
from dataclasses import replace

from .scope import bound_names, import_time_loads
from .stubs import _fits, _function_needs, stub_helpers, with_stubs

LONG_TABLE_LINES = 10
LONG_TABLE_CHARS = 600
SHOWN_ITEMS = 3  # items of a cut table the prompt shows
SHOWN_NESTED_ITEMS = 2  # items of a cut table inside a table
SHORT_ITEM_CHARS = 100  # an item shown as it is written when it fits on one line of this length
SHOWN_TEXT_LINES = 3  # lines of a cut str or bytes
SHOWN_TEXT_CHARS = 240
# methods that change the object they are called on: a call of one is an effect on that object
MUTATORS = {"append", "extend", "insert", "update", "add", "discard", "remove", "pop", "popitem", "clear",
            "setdefault", "sort", "reverse", "difference_update", "intersection_update",
            "symmetric_difference_update", "__setitem__", "__delitem__", "appendleft", "extendleft"}
_UNREPLAYABLE = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Import, ast.ImportFrom, ast.Global,
                 ast.Nonlocal, ast.Return, ast.Yield, ast.YieldFrom, ast.Await)


def _is_data(node: ast.expr, top: bool = True) -> bool:
    """A literal (containers of literals), or a call of a named function on literals (`frozenset({...})`)."""
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        return isinstance(node.operand, ast.Constant) and isinstance(node.operand.value, (int, float, complex))
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        return all(not isinstance(e, ast.Starred) and _is_data(e, False) for e in node.elts)
    if isinstance(node, ast.Dict):
        return all(k is not None and _is_data(k, False) for k in node.keys) and all(
            _is_data(v, False) for v in node.values)
    if isinstance(node, ast.Call) and top:
        return _dotted(node.func) and all(not isinstance(a, ast.Starred) and _is_data(a, False) for a in node.args) \
            and all(k.arg is not None and _is_data(k.value, False) for k in node.keywords)
    return False


def _dotted(node: ast.expr) -> bool:
    while isinstance(node, ast.Attribute):
        node = node.value
    return isinstance(node, ast.Name)


def _items(node: ast.expr) -> list | None:
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        return list(node.elts)
    if isinstance(node, ast.Dict):
        return list(zip(node.keys, node.values))
    return None


class _Cutter:
    """Renders a data value with its containers cut to their first items."""

    def __init__(self, source: str):
        self.source = source
        self.cut = False

    def text(self, node: ast.AST) -> str:
        return ast.get_source_segment(self.source, node) or ast.unparse(node)

    def render(self, node: ast.expr, indent: str, depth: int) -> str:
        written = self.text(node)
        if isinstance(node, ast.Call):
            args = [self.render(a, indent, depth) for a in node.args]
            args += [f"{k.arg}={self.render(k.value, indent, depth)}" for k in node.keywords]
            return f"{self.text(node.func)}({', '.join(args)})"
        items = _items(node)
        if items is None:
            return written
        shown = SHOWN_ITEMS if depth == 0 else SHOWN_NESTED_ITEMS
        if "\n" not in written and len(written) <= SHORT_ITEM_CHARS:
            return written
        opening, closing = {ast.List: "[]", ast.Tuple: "()", ast.Set: "{}", ast.Dict: "{}"}[type(node)]
        inner = indent + "    "
        lines = [opening + "\n"]
        for item in items[:shown]:
            if isinstance(item, tuple):
                key, value = item
                lines.append(f"{inner}{self.text(key)}: {self.render(value, inner, depth + 1)},\n")
            else:
                lines.append(f"{inner}{self.render(item, inner, depth + 1)},\n")
        if len(items) > shown:
            self.cut = True
            noun = "entries" if isinstance(node, ast.Dict) else "items"
            lines.append(f"{inner}# ... {len(items) - shown} more {noun} not shown here ({len(items)} in all)\n")
        lines.append(indent + closing)
        return "".join(lines)

    def render_text(self, value: str | bytes) -> str:
        """A long str or bytes as its first lines, in parentheses, with what is left out."""
        parts, size = [], 0
        for line in value.splitlines(keepends=True):
            if len(parts) >= SHOWN_TEXT_LINES or size >= SHOWN_TEXT_CHARS:
                break
            line = line[:SHOWN_TEXT_CHARS - size]
            parts.append(line)
            size += len(line)
        if size >= len(value):
            return repr(value)
        self.cut = True
        unit = "characters" if isinstance(value, str) else "bytes"
        body = "".join(f"    {p!r}\n" for p in parts)
        return f"(\n{body}    # ... {len(value) - size} more {unit} not shown here ({len(value)} in all)\n)"


class _Program:
    """The problem's program (prompt and reference) as module-level statements, with what each reads and
    changes while the module loads."""

    def __init__(self, text: str, context_lines: int):
        self.text = text
        self.tree = ast.parse(text)
        self.stmts = self.tree.body
        self.lines = text.splitlines(keepends=True)
        self.in_context = [s.end_lineno <= context_lines for s in self.stmts]
        self.binders: dict[str, list[int]] = {}
        for i, s in enumerate(self.stmts):
            for name in bound_names(s):
                self.binders.setdefault(name, []).append(i)
        self.functions = {s.name: s for s in self.stmts if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef))
                          and len(self.binders.get(s.name, ())) == 1}
        self.reads = [self._through_calls(import_time_loads(s)) for s in self.stmts]
        self.changes = [self._changes(s) for s in self.stmts]

    def _through_calls(self, names: set[str]) -> set[str]:
        """`names`, and what the bodies of the program's functions among them read, transitively."""
        out, todo = set(names), [n for n in names if n in self.functions]
        seen = set()
        while todo:
            name = todo.pop()
            if name in seen:
                continue
            seen.add(name)
            body = {n.id for n in ast.walk(self.functions[name]) if isinstance(n, ast.Name)
                    and isinstance(n.ctx, ast.Load)}
            out |= body
            todo += [n for n in body if n in self.functions]
        return out

    def _changes(self, stmt: ast.stmt) -> set[str]:
        """Module-level names the statement (or a function it calls while loading) changes in place."""
        nodes = [stmt] if not isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) else []
        for name in self._through_calls(import_time_loads(stmt)) & set(self.functions):
            nodes.append(self.functions[name])
        found = set()
        for node in nodes:
            for sub in ast.walk(node):
                if isinstance(sub, (ast.Subscript, ast.Attribute)) and isinstance(sub.ctx, (ast.Store, ast.Del)):
                    found.add(_root(sub))
                elif isinstance(sub, ast.AugAssign):
                    found.add(_root(sub.target))
                elif isinstance(sub, ast.Call) and isinstance(sub.func, ast.Attribute) and sub.func.attr in MUTATORS:
                    found.add(_root(sub.func.value))
                elif isinstance(sub, ast.Global):
                    found |= set(sub.names)
        return {n for n in found if n in self.binders}

    def replayable(self, i: int) -> bool:
        stmt = self.stmts[i]
        return self.in_context[i] and not any(isinstance(n, _UNREPLAYABLE) for n in ast.walk(stmt))

    def replay(self, tables: set[int]) -> set[int] | None:
        """The statements to run again, after the full tables, so that everything built from them while the
        module loads is built from the full ones; None when one of them cannot be run again."""
        chosen = set(tables)
        changed = True
        while changed:
            changed = False
            bound = {n for i in chosen for n in bound_names(self.stmts[i])}
            for j in range(len(self.stmts)):
                if j not in chosen and self.reads[j] & bound:
                    if not self.replayable(j):
                        return None
                    chosen.add(j)
                    changed = True
            for j in list(chosen):  # a table a replayed statement changes is defined again before it
                for name in self.changes[j]:
                    for k in self.binders[name]:
                        if k not in chosen:
                            if not self.replayable(k) or not isinstance(self.stmts[k], (ast.Assign, ast.AnnAssign)):
                                return None
                            chosen.add(k)
                            changed = True
        for j in chosen:  # what a replayed statement read was changed after it by one that is not replayed:
            for k in range(j + 1, len(self.stmts)):  # the replay would read the changed value
                if k not in chosen and self.changes[k] & self.reads[j]:
                    return None
        return chosen

    def segment(self, i: int) -> str:
        stmt = self.stmts[i]
        return "".join(self.lines[stmt.lineno - 1:stmt.end_lineno])


def _root(node: ast.expr) -> str:
    while isinstance(node, (ast.Subscript, ast.Attribute)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else ""


def _tables(program: _Program) -> dict[int, str]:
    """Statement index -> its abbreviated text, for each long table of the context."""
    out = {}
    for i, stmt in enumerate(program.stmts):
        if not program.in_context[i]:
            continue
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
            target, value = stmt.targets[0], stmt.value
        elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None and stmt.simple:
            target, value = stmt.target, stmt.value
        else:
            continue
        if not isinstance(target, ast.Name) or len(program.binders.get(target.id, ())) != 1 or not _is_data(value):
            continue
        written = program.segment(i)
        if written.count("\n") <= LONG_TABLE_LINES and len(written) <= LONG_TABLE_CHARS:
            continue
        if i > 0 and program.stmts[i - 1].end_lineno >= stmt.lineno or \
                i + 1 < len(program.stmts) and program.stmts[i + 1].lineno <= stmt.end_lineno:
            continue  # shares a line with another statement
        cutter = _Cutter(program.text)
        if isinstance(value, ast.Constant) and isinstance(value.value, (str, bytes)):
            if any(target.id in program.reads[j] for j in range(len(program.stmts)) if j != i):
                continue  # a cut text read while loading (a pattern compiled) would not do
            shown = cutter.render_text(value.value)
        else:
            shown = cutter.render(value, "", 0)
        if not cutter.cut:
            continue
        head = target.id if isinstance(stmt, ast.Assign) else f"{target.id}: {cutter.text(stmt.annotation)}"
        out[i] = f"{head} = {shown}\n"
    return out


def cut_steps(candidate) -> list[tuple[str, str, list[str], set[str]]]:
    """Each way of cutting the context's long tables, one more table at a time (largest first, those the
    function reads last): (context with the tables cut, the hidden full definitions and replayed statements,
    the tables cut, the names the hidden part binds). Empty when no table can be cut."""
    context = candidate.context
    if not context or not candidate.prompt.startswith(context):
        return []
    try:
        program = _Program(candidate.prompt + candidate.solution, context.count("\n"))
    except SyntaxError:
        return []
    cuts = _tables(program)
    needs = _function_needs(candidate) or set()
    # the tables the function itself reads are cut last: what it works on stays in view when it can
    order = sorted(cuts, key=lambda i: (bool(bound_names(program.stmts[i]) & needs), -len(program.segment(i)), i))
    chosen: set[int] = set()
    steps = []
    for i in order:
        replayed = program.replay(chosen | {i})
        if replayed is None:
            continue  # read while loading by what cannot be replayed: stays whole
        chosen.add(i)
        hidden = "\n\n".join(program.segment(j).rstrip("\n") + "\n" for j in sorted(replayed))
        names = [program.stmts[k].targets[0].id if isinstance(program.stmts[k], ast.Assign)
                 else program.stmts[k].target.id for k in sorted(chosen)]
        bound = {n for j in replayed for n in bound_names(program.stmts[j])}
        steps.append((_render(program, cuts, chosen, context), hidden, names, bound))
    return steps


def abbreviate_tables(candidate, max_lines: int, max_chars: int) -> tuple[str, str, list[str], set[str]] | None:
    """The first of cut_steps whose context fits, else the last (every table that can be cut is); None when
    no table can be cut."""
    steps = cut_steps(candidate)
    return next((s for s in steps if _fits(s[0], max_lines, max_chars)), steps[-1] if steps else None)


def _render(program: _Program, cuts: dict[int, str], chosen: set[int], context: str) -> str:
    lines = context.splitlines(keepends=True)
    out, at = [], 1
    for i in sorted(chosen):
        stmt = program.stmts[i]
        out.append("".join(lines[at - 1:stmt.lineno - 1]))
        out.append(cuts[i])
        at = stmt.end_lineno + 1
    out.append("".join(lines[at - 1:]))
    return "".join(out)


def with_data_stubs(candidate, max_lines: int, max_chars: int):
    """The candidate with its long tables cut (and then its helpers stubbed, if that is still needed) when
    helper stubs alone do not bring its context within the bound; else as stubs.with_stubs leaves it.
    As few tables are cut as make it fit, with helper stubs or without."""
    stubbed = with_stubs(candidate, max_lines, max_chars)
    if _fits(stubbed.context, max_lines, max_chars):
        return stubbed
    needs = _function_needs(candidate)
    for context, hidden, names, bound in cut_steps(candidate):
        # the cut tables and what is replayed stay where they are shown: a helper stub's hidden part comes
        # after the full tables and must not bind them again
        helpers = stub_helpers(context, max_lines, max_chars, None if needs is None else needs | bound)
        meta = dict(candidate.meta, abbreviated_tables=names)
        if helpers is not None:
            context, helper_hidden, helper_names = helpers
            hidden = hidden.rstrip("\n") + "\n\n\n" + helper_hidden
            meta["stubbed_helpers"] = helper_names
        elif not _fits(context, max_lines, max_chars):
            continue  # cut one more table
        if candidate.hidden:  # test functions the values name (test_functions.py) stay last
            hidden = hidden.rstrip("\n") + "\n\n\n" + candidate.hidden
        meta["hidden_context"] = hidden
        prompt = context + candidate.prompt[len(candidate.context):]
        return replace(candidate, context=context, prompt=prompt, hidden=hidden, meta=meta)
    return stubbed  # still too long: dropped as before
