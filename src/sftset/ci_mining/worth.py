"""Is a candidate worth a problem? Rules on its text, before any sandbox time is spent on it.

Each rule that fails names itself as the drop reason:

- "trivial body: identity" / "trivial body: constant": `return x`, `return 0`;
- "trivial body: delegation to a function in the prompt": one return of a call to a helper the
  prompt shows, with the arguments passed through (`return hex_to_name(rgb_to_hex(rgb), spec)`), a
  helper mapped over an argument's items (`"".join(helper(c) for c in text)`), or a choice between
  such calls and the arguments (`return unquote(code) if detect(code) else code`);
- "trivial body: lookup in a table in the prompt": one return of a subscript or `.get` of a table
  the prompt shows (`return _HEX_TO_NAME[value.lower()]`);
- "trivial body: one call on the arguments": one return of a builtin or method call on the
  arguments, with nothing computed around it (`return next(iter(seq))`, `return s.lower()`), or such a
  call made on a test of the arguments before the argument is returned (`if isinstance(x, str):
  x = x.encode(enc)` then `return x`);
- one call on the arguments, possibly negated, whose inputs are only argument names and constants, is
  named by what it calls: `return not is_x(s)` and `return _helper(b, a, 1024)` are delegations (numbers
  given to a prompt helper too), `return not s.isspace()` one call (but numbers given to a builtin or a
  method, `return s.split(",", 1)`, are part of the task);
- "trivial body: attribute of an argument": `return path.suffix`, `return not self.closed`;
- "trivial body: sets attributes of the instance": a method (judged by the state it leaves) that only
  stores what it is given, `self.x = x`, `self.items.append(item)`, `self.n += 1`, at most three of them;
- a guard that returns a constant for an empty or None argument (`if not s: return ""`) before one
  call on the arguments counts the same; so does a membership guard (`if spec not in SPECS: raise
  ValueError(spec)`) before a lookup in a table the prompt shows;
- "docstring copied from a helper": the docstring is that of a function in the prompt;
- "prompt too long": more context than a trainer wants in front of a function (lines or characters
  over the limits);
- "generated file": the module's header says a generator wrote it.
"""
from __future__ import annotations

import ast
import builtins
from dataclasses import dataclass

from ..dataset.quality import generated_marker
from .context import MemberNames, namespace_names

_BUILTINS = set(dir(builtins))
# Expressions that compute something: a body with one of these is more than a pass-through.
_COMPUTING = (ast.BinOp, ast.BoolOp, ast.Compare, ast.IfExp, ast.ListComp, ast.SetComp, ast.DictComp,
              ast.GeneratorExp, ast.Lambda, ast.JoinedStr, ast.UnaryOp, ast.NamedExpr)


@dataclass(frozen=True)
class WorthSettings:
    max_prompt_lines: int = 120
    max_prompt_chars: int = 6000
    drop_trivial: bool = True


def _function(tree: ast.Module, entry_point: str):
    """The function `name`, or the method `Class.name` (a method problem)."""
    scope = tree.body
    if "." in entry_point:
        owner, entry_point = entry_point.split(".", 1)
        scope = [s for c in scope if isinstance(c, ast.ClassDef) and c.name == owner for s in c.body]
    found = [s for s in scope if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef)) and s.name == entry_point]
    return found[-1] if found else None


def _docstring(fn) -> str | None:
    return ast.get_docstring(fn, clean=True)


def context_names(context: str) -> tuple[set[str], set[str], dict[str, str]]:
    """(functions, other names, docstring per function) that the prompt's context binds."""
    try:
        tree = ast.parse(context)
    except SyntaxError:
        return set(), set(), {}
    functions, others, docs = set(), set(), {}
    for stmt in tree.body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            functions.add(stmt.name)
            doc = _docstring(stmt)
            if doc:
                docs[stmt.name] = doc
            if isinstance(stmt, ast.ClassDef):
                for sub in stmt.body:
                    if isinstance(sub, (ast.FunctionDef, ast.AsyncFunctionDef)) and _docstring(sub):
                        docs[f"{stmt.name}.{sub.name}"] = _docstring(sub)
        else:
            for node in ast.walk(stmt):
                if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                    others.add(node.id)
                elif isinstance(node, ast.alias):
                    others.add((node.asname or node.name).split(".")[0])
    return functions, others, docs


def trivial_rule(program: str, entry_point: str, context: str) -> str | None:
    """The name of the trivial-body rule the function's body falls under, or None."""
    try:
        tree = ast.parse(program)
    except SyntaxError:
        return None
    fn = _function(tree, entry_point)
    if fn is None:
        return None
    spaces = namespace_names(context)
    if spaces:  # `utils.slugify(x)` through a module object's namespace is a call of the helper slugify
        fn = MemberNames(spaces).visit(fn)
    body = fn.body[1:] if _docstring(fn) is not None else fn.body
    body = [s for s in body if not isinstance(s, ast.Pass)]
    functions, tables, _ = context_names(context)
    params = {a.arg for a in [*fn.args.posonlyargs, *fn.args.args, *fn.args.kwonlyargs, fn.args.vararg,
                              fn.args.kwarg] if a is not None}
    # `if not s: return ""` before one call on the arguments: the call is judged as if alone
    empty_guards = 0
    while len(body) > 1 and _is_empty_guard(body[0], params):
        body.pop(0)
        empty_guards += 1
    # guards (`if not is_valid(x): raise ...`) before the return: a check the prompt's helper makes
    guards = []
    while len(body) > 1 and _is_raise_guard(body[0]):
        guards.append(body.pop(0))
    if _converts_argument(body, params):
        return "trivial body: one call on the arguments"
    if "." in entry_point and _sets_attributes((fn.args.posonlyargs + fn.args.args or [None])[0], body):
        return "trivial body: sets attributes of the instance"
    if len(body) != 1 or not isinstance(body[0], ast.Return) or body[0].value is None:
        return None
    expr = _unwrap_none_test(body[0].value)
    if not guards and not empty_guards and (_per_item_delegation(expr, params, functions)
                                            or _conditional_delegation(expr, params, functions)):
        return "trivial body: delegation to a function in the prompt"
    if guards and all(_is_membership(g.test, params, tables) for g in guards) and _table_lookup(expr, params, tables):
        return "trivial body: lookup in a table in the prompt"  # `if key not in KNOWN: raise ...` then `TABLE[key]`
    if guards:
        guard_calls = [n for g in guards for n in ast.walk(g.test) if isinstance(n, ast.Call)]
        if any(isinstance(g.test, _COMPUTING) and not _is_not(g.test) for g in guards) or not any(
                isinstance(c.func, ast.Name) and c.func.id in functions for c in guard_calls):
            return None
        if any(isinstance(n, _COMPUTING) for n in ast.walk(expr)):
            return None
        return "trivial body: delegation to a function in the prompt"
    single = _single_call_on_arguments(expr, params)  # possibly negated: judged without the `not`
    if empty_guards and not isinstance(single, ast.Call):
        return None
    if "." in entry_point:  # a method: its instance's attributes and other methods are in the prompt
        own = (fn.args.posonlyargs + fn.args.args)[0].arg
        target = expr if single is None else single
        if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) and target.value.id == own:
            return "trivial body: attribute of the instance"
        if any(isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and isinstance(n.func.value, ast.Name)
               and n.func.value.id == own for n in ast.walk(target)) and not any(
                isinstance(n, _COMPUTING) for n in ast.walk(target)):
            return "trivial body: delegation to a function in the prompt"
    if isinstance(expr, ast.Name) and expr.id in params:
        return "trivial body: identity"
    if isinstance(expr, ast.Constant):
        return "trivial body: constant"
    if isinstance(single, ast.Attribute):
        return "trivial body: attribute of an argument"
    if single is not None and _numbers(single) and not (isinstance(single.func, ast.Name)
                                                         and single.func.id in functions):
        single = None  # counts and indexes given to a builtin or a method (`split(",", 1)`) stay a task
    if single is not None:
        expr = single  # the call, named below by what it calls
    elif any(isinstance(n, _COMPUTING) for n in ast.walk(expr)):
        return None
    elif _numbers(expr):
        return None  # indexes and counts given by the body (`seq[-1]`, `split(",", 1)[0]`) are part of the task
    calls = [n for n in ast.walk(expr) if isinstance(n, ast.Call)]
    callee = lambda c: c.func.id if isinstance(c.func, ast.Name) else None  # noqa: E731
    if any(callee(c) in functions for c in calls):
        return "trivial body: delegation to a function in the prompt"
    for n in ast.walk(expr):
        subject = n.value if isinstance(n, (ast.Subscript, ast.Attribute)) else None
        if isinstance(subject, ast.Name) and subject.id in tables and (
                isinstance(n, ast.Subscript) or n.attr in ("get", "match", "fullmatch", "search", "sub", "findall",
                                                           "split", "format")):
            return "trivial body: lookup in a table in the prompt"
    if calls and len(calls) <= 2:
        return "trivial body: one call on the arguments"
    return None


def _converts_argument(body: list[ast.stmt], params: set[str]) -> bool:
    """`if isinstance(x, str): x = x.encode(enc)` then `return x`: one call on the arguments, made when a
    test of the arguments says so, and the argument returned."""
    if len(body) != 2 or not isinstance(body[0], ast.If) or body[0].orelse:
        return False
    test, inner, ret = body[0].test, body[0].body, body[1]
    if not (isinstance(ret, ast.Return) and isinstance(ret.value, ast.Name) and ret.value.id in params):
        return False
    if len(inner) != 1 or not isinstance(inner[0], ast.Assign) or len(inner[0].targets) != 1:
        return False
    target = inner[0].targets[0]
    return (isinstance(target, ast.Name) and target.id == ret.value.id
            and isinstance(_single_call_on_arguments(inner[0].value, params), ast.Call)
            and (isinstance(_single_call_on_arguments(test, params), ast.Call) or _type_test(test, params)))


def _type_test(test: ast.expr, params: set[str]) -> bool:
    """`isinstance(x, T)` or `isinstance(x, (T, U))`, possibly negated, x an argument, the types named."""
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        test = test.operand
    if not (isinstance(test, ast.Call) and isinstance(test.func, ast.Name) and test.func.id == "isinstance"
            and len(test.args) == 2 and not test.keywords and _on_argument(test.args[0], params)):
        return False
    types = test.args[1].elts if isinstance(test.args[1], ast.Tuple) else [test.args[1]]
    return all(isinstance(t, (ast.Name, ast.Attribute)) for t in types)


def _sets_attributes(own: ast.arg | None, body: list[ast.stmt]) -> bool:
    """A method that only stores what it is given (`self.x = x`, `self.items.append(item)`, `self.n += 1`):
    at most three such statements, nothing computed, no other call."""
    if own is None or not body or len(body) > 3:
        return False

    def rooted(node: ast.expr) -> bool:  # self.a, self.a.b, self.a[k]
        while isinstance(node, (ast.Attribute, ast.Subscript)):
            node = node.value
        return isinstance(node, ast.Name) and node.id == own.arg

    def plain(node: ast.expr) -> bool:  # a name, a constant, or an attribute or item of one
        return not any(isinstance(n, (*_COMPUTING, ast.Call)) for n in ast.walk(node))

    for stmt in body:
        if isinstance(stmt, ast.Assign) and all(isinstance(t, (ast.Attribute, ast.Subscript)) and rooted(t)
                                                for t in stmt.targets) and plain(stmt.value):
            continue
        if isinstance(stmt, ast.AugAssign) and rooted(stmt.target) and plain(stmt.value):
            continue
        if (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call) and isinstance(stmt.value.func, ast.Attribute)
                and rooted(stmt.value.func.value) and all(plain(a) for a in stmt.value.args)
                and all(plain(k.value) for k in stmt.value.keywords)):
            continue
        return False
    return True


def _per_item_delegation(expr: ast.expr, params: set[str], functions: set[str]) -> bool:
    """A prompt helper mapped over an argument's items, nothing else computed: `[helper(x) for x in xs]`,
    `"".join(helper(c, style=style) for c in text)` (also inside list/tuple/set/sum/any/all)."""
    if isinstance(expr, ast.Call) and len(expr.args) == 1 and not expr.keywords and (
            isinstance(expr.func, ast.Attribute) and expr.func.attr == "join" and isinstance(expr.func.value, ast.Constant)
            or isinstance(expr.func, ast.Name) and expr.func.id in ("list", "tuple", "set", "sum", "any", "all")):
        expr = expr.args[0]
    if not isinstance(expr, (ast.ListComp, ast.SetComp, ast.GeneratorExp)) or len(expr.generators) != 1:
        return False
    gen = expr.generators[0]
    if gen.ifs or gen.is_async or not isinstance(gen.target, ast.Name) or not _on_argument(gen.iter, params):
        return False
    call = expr.elt
    return (isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id in functions
            and _single_call_on_arguments(call, params | {gen.target.id}) is call)


def _conditional_delegation(expr: ast.expr, params: set[str], functions: set[str]) -> bool:
    """`helper(x) if is_y(x) else x`: a choice between argument names, constants and single calls on the
    arguments, at least one of them a prompt helper's."""
    if not isinstance(expr, ast.IfExp):
        return False
    parts = [expr.test, expr.body, expr.orelse]
    helper = False
    for part in parts:
        if isinstance(part, ast.Name) and part.id in params or _constant(part):
            continue
        single = _single_call_on_arguments(part, params)
        if not isinstance(single, ast.Call):
            return False
        helper = helper or isinstance(single.func, ast.Name) and single.func.id in functions
    return helper


def _is_membership(test: ast.expr, params: set[str], tables: set[str]) -> bool:
    """`x not in TABLE` (or `in`), x an argument, TABLE a table the prompt shows or a literal collection."""
    if _is_not(test):
        test = test.operand
    return (isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], (ast.In, ast.NotIn))
            and _on_argument(test.left, params) and (
                isinstance(test.comparators[0], ast.Name) and test.comparators[0].id in tables
                or isinstance(test.comparators[0], (ast.Tuple, ast.List, ast.Set)) and _constant(test.comparators[0])))


def _table_lookup(expr: ast.expr, params: set[str], tables: set[str]) -> bool:
    """`TABLE[x]` or `TABLE.get(x, ...)` of a table the prompt shows, x an argument."""
    if isinstance(expr, ast.Subscript):
        return isinstance(expr.value, ast.Name) and expr.value.id in tables and _on_argument(expr.slice, params)
    return (isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute) and expr.func.attr == "get"
            and isinstance(expr.func.value, ast.Name) and expr.func.value.id in tables and expr.args
            and _on_argument(expr.args[0], params))


def _single_call_on_arguments(expr: ast.expr, params: set[str]) -> ast.Call | ast.Attribute | None:
    """The call (or attribute) when `expr` is one call on the arguments, possibly negated: callee a name
    or a method of an argument, inputs only argument names (or their attributes) and constants
    (`return not is_x(s)`, `return _helper(b, a, True)`, `return s.lower()`); else None."""
    while isinstance(expr, ast.UnaryOp) and isinstance(expr.op, ast.Not):
        expr = _unwrap_none_test(expr.operand)
    if isinstance(expr, ast.Attribute):
        return expr if _on_argument(expr.value, params) else None
    if not isinstance(expr, ast.Call):
        return None
    func = expr.func
    if isinstance(func, ast.Attribute):  # a method of an argument, or a function of a module or table
        root = func.value
        while isinstance(root, ast.Attribute):
            root = root.value
        if not isinstance(root, ast.Name):
            return None
    elif not isinstance(func, ast.Name):
        return None
    inputs = [a.value if isinstance(a, ast.Starred) else a for a in expr.args] + [k.value for k in expr.keywords]
    return expr if all(_on_argument(a, params) or _constant(a) for a in inputs) else None


def _numbers(node: ast.expr) -> bool:
    return any(isinstance(n, ast.Constant) and isinstance(n.value, (int, float)) and not isinstance(n.value, bool)
               for n in ast.walk(node))


def _on_argument(node: ast.expr, params: set[str]) -> bool:
    """An argument, or an attribute of one (`self.name`)."""
    while isinstance(node, ast.Attribute):
        node = node.value
    return isinstance(node, ast.Name) and node.id in params


def _constant(node: ast.expr) -> bool:
    """A constant, or a tuple/list/set/dict of constants."""
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        return all(_constant(e) for e in node.elts)
    if isinstance(node, ast.Dict):
        return all(k is not None and _constant(k) for k in node.keys) and all(_constant(v) for v in node.values)
    return False


def _is_empty_guard(stmt: ast.stmt, params: set[str]) -> bool:
    """`if not x: return <constant>` or `if x is None: return <constant>`, x an argument."""
    if not (isinstance(stmt, ast.If) and not stmt.orelse and len(stmt.body) == 1
            and isinstance(stmt.body[0], ast.Return) and (stmt.body[0].value is None
                                                         or _constant(stmt.body[0].value))):
        return False
    test = stmt.test
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        subject = test.operand
    elif isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Is) \
            and isinstance(test.comparators[0], ast.Constant) and test.comparators[0].value is None:
        subject = test.left
    else:
        return False
    return isinstance(subject, ast.Name) and subject.id in params


def _is_raise_guard(stmt: ast.stmt) -> bool:
    return isinstance(stmt, ast.If) and not stmt.orelse and len(stmt.body) == 1 and isinstance(stmt.body[0], ast.Raise)


def _is_not(test: ast.expr) -> bool:
    return isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not) and not any(
        isinstance(n, _COMPUTING) for n in ast.walk(test.operand))


def _unwrap_none_test(expr: ast.expr) -> ast.expr:
    """`X is not None` / `X is None` / `bool(X)` judged as X: a match of a pattern the prompt gives stays a lookup."""
    if isinstance(expr, ast.Compare) and len(expr.ops) == 1 and isinstance(expr.ops[0], (ast.Is, ast.IsNot)) \
            and isinstance(expr.comparators[0], ast.Constant) and expr.comparators[0].value is None:
        return expr.left
    if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Name) and expr.func.id == "bool" and len(expr.args) == 1:
        return expr.args[0]
    return expr


def copied_docstring(program: str, entry_point: str, context: str) -> str | None:
    """The helper in the prompt whose docstring the function's docstring repeats, or None."""
    try:
        fn = _function(ast.parse(program), entry_point)
    except SyntaxError:
        return None
    own = _docstring(fn) if fn is not None else None
    if not own:
        return None
    _, _, docs = context_names(context)
    key = " ".join(own.split()).lower()
    for name, doc in docs.items():
        if " ".join(doc.split()).lower() == key:
            return name
    return None


def worth_drop(program: str, entry_point: str, context: str, settings: WorthSettings = WorthSettings(),
               module_text: str | None = None) -> tuple[str, str] | None:
    """(reason, detail) when the candidate is not worth a problem, else None."""
    if module_text is not None:
        marker = generated_marker(module_text)
        if marker:
            return "generated file", f"module header says {marker!r}"
    if settings.drop_trivial:
        rule = trivial_rule(program, entry_point, context)
        if rule:
            fn = _function(ast.parse(program), entry_point)
            return rule, " ".join(ast.unparse(fn.body[-1]).split())[:120]
    helper = copied_docstring(program, entry_point, context)
    if helper:
        return "docstring copied from a helper", f"the docstring is {helper}'s"
    lines = context.count("\n")
    if lines > settings.max_prompt_lines or len(context) > settings.max_prompt_chars:
        return "prompt too long", (f"{lines} lines, {len(context)} characters of context (limits "
                                   f"{settings.max_prompt_lines} lines, {settings.max_prompt_chars} characters)")
    return None
