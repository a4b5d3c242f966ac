"""Turn traced functions into problem candidates: prompt, reference body, recorded tests.

Kept: module-level functions, static methods, class methods that never use `cls`, and
instance methods whose calls replay from a fresh instance (sftset.methods, classes.py),
whose recorded arguments and results are values that read back the same (sftset.values:
literals, dates, values of named types), with at least MIN_TESTS distinct calls, or at least
MIN_RECORDED when validation's generated tests bring the kept tests to MIN_TESTS (Candidate.few_calls); the
project's types and functions that values name are carried into the context. The prompt is the context
the body needs (see context.py), then the signature and the docstring, HumanEval
style; the reference solution is the rest of the original body. Functions without a
docstring are kept and flagged `no_docstring` (exports leave them out by default).
Validation in the sandbox (validate.py) decides what is finally kept.
"""
from __future__ import annotations

import ast
import builtins
import io
import re
import sys
import textwrap
import tokenize
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from .. import __version__
from ..methods import ADAPTER, adapter_source, combined_args
from .classes import class_of, class_part
from .context import ContextBuilder, Drop, ModuleSource, ProjectSource, check_inner_imports
from .literals import canon, has_float, named_heads, parse, roundtrips
from .scope import annotation_names, runtime_names, table_globals
from .test_functions import carry

MIN_TESTS = 3
# Recorded calls a function needs to go on to validation: below MIN_TESTS, the generated tests must make
# up the rest (validate.py keeps it only with MIN_TESTS distinct tests, the recorded ones among them).
MIN_RECORDED = 2
# A case's mark while mining (the tracer's "s"): traced on an instance changed since its construction (1), or on
# an instance of a subclass without a constructor of its own (2)
CHANGED_STATE = "_changed_state"
MAX_TESTS = 20
MAX_RAISES = 8  # recorded tests that expect an exception, at most
PUBLIC_TESTS = 3
MAX_PROMPT_CHARS = 16000
_SAFE_DECORATORS = {"lru_cache", "cache", "functools.lru_cache", "functools.cache"}


@dataclass
class Candidate:
    """A problem before validation, with what validation needs to judge it."""

    task_id: str
    entry_point: str
    prompt: str
    solution: str
    tests: list[dict[str, Any]]
    context: str  # the part of the prompt before the function
    checker: str
    flags: list[str]
    provenance: dict[str, Any]
    meta: dict[str, Any]
    unknown_raises: bool = False  # a recorded exception whose name the tracer could not see
    hidden: str = ""  # real definitions of helpers the prompt shows as stubs (stubs.py), run after the function
    method: str | None = None  # an instance method of the class `entry_point` (sftset.methods)
    state: bool = False  # the method returns None: its tests judge the state it leaves (sftset.methods)
    # (reason, detail) when fewer than MIN_TESTS recorded calls are usable: the drop validation gives it
    # unless generated tests bring the kept tests to MIN_TESTS
    few_calls: tuple[str, str] | None = None

    @property
    def program(self) -> str:
        """The reference program validation runs: the function, the hidden helpers' real definitions, and for
        a method problem the adapter its calls go through."""
        program = self.prompt + self.solution + ("\n\n" + self.hidden if self.hidden else "")
        return program + adapter_source(self.entry_point, self.method, self.state) if self.method else program

    @property
    def call_entry(self) -> str:
        """What the sandbox calls for one test: the function, or a method problem's adapter."""
        return ADAPTER if self.method else self.entry_point

    @property
    def function_path(self) -> str:
        """Where the function to write is in the program: `name`, or `Class.name` for a method."""
        return f"{self.entry_point}.{self.method}" if self.method else self.entry_point

    def drop_reason(self, reason: str, detail: str = "") -> tuple[str, str]:
        """(reason, detail) of a drop after build: a function traced with too few calls keeps its
        "fewer than 3" reason, with what its generated tests (or the screen) found in the detail."""
        return few_calls_drop(self.few_calls, reason, detail) if self.few_calls else (reason, detail)

    def body_lines(self) -> tuple[int, int]:
        """First and last line of the reference body inside `program` (1-based)."""
        start = self.prompt.count("\n") + 1
        return start, start + self.solution.rstrip("\n").count("\n")


@dataclass
class Target:
    """What build needs to know about the mined project."""

    name: str  # distribution name
    version: str | None
    commit: str | None
    url: str
    repo: str | None
    license: str
    root: Any  # Path of the source tree
    roots: list  # import roots
    packages: list[str]
    python: str = ""


@dataclass
class BuildResult:
    candidates: list[Candidate] = field(default_factory=list)
    drops: list[tuple[str, str, str]] = field(default_factory=list)  # (function, reason, detail)


def task_id_of(package: str, function: str) -> str:
    """The record id of a project's function (`module.qualname`)."""
    return f"ci/{_slug(package)}/{function}"


def build_candidates(trace: dict, target: Target) -> BuildResult:
    project = ProjectSource(target.roots, target.packages)
    out = BuildResult()
    test_functions = trace.get("test_functions") or {}
    named_types = trace.get("named_types") or {}
    for fn in trace.get("functions", []):
        name = f"{fn['module']}.{fn['qualname']}"
        try:
            out.candidates.append(build_one(fn, project, target, test_functions, named_types))
        except Drop as drop:
            out.drops.append((name, drop.reason, drop.detail))
        except Exception as exc:  # one function's odd source or values must not sink the target
            out.drops.append((name, "internal error", f"{type(exc).__name__}: {exc}"[:300]))
    return out


def build_one(fn: dict, project: ProjectSource, target: Target, test_functions: dict | None = None,
              named_types: dict | None = None, on_class: bool = False) -> Candidate:
    """test_functions: the trace's functions of the project's tests that values name (test_functions.py);
    named_types: the module of each project type that values name ({head: module}, the trace's).
    on_class: a class or static method that needs its class, as a method problem called on the class
    (tried when the function alone is dropped for "needs its class")."""
    kind = fn.get("kind", "function")
    if not on_class and kind in ("classmethod", "staticmethod"):
        try:
            return _build_one(fn, project, target, test_functions, named_types, False)
        except Drop as drop:
            if drop.reason != "needs its class" or "." not in fn.get("qualname", ""):
                raise
        on_class = True
    return _build_one(fn, project, target, test_functions, named_types, on_class)


def _build_one(fn: dict, project: ProjectSource, target: Target, test_functions: dict | None,
               named_types: dict | None, on_class: bool) -> Candidate:
    kind = fn.get("kind", "function")
    records = fn.get("records", [])
    if kind == "method":  # each call as the adapter's: (constructor args, constructor kwargs, *args)
        records = [{**r, "a": combined_args(r["c"], r["ck"], r["a"])} for r in records if "c" in r]
    elif on_class:  # called on the class itself: no constructor call
        records = [{**r, "a": combined_args("None", "{}", r["a"])} for r in records]
    # a procedure on its instance (returns None, changes it): each call's outcome is the state it leaves
    state = kind == "method" and any(r.get("u") for r in records)
    if state:
        records = [{**r, "r": r["t"]} if "t" in r else r for r in records if "t" in r or "x" in r]
    types = fn.get("nonliteral_types")
    saw = f"; saw {', '.join(types)}" if types else ""
    try:
        tests, unknown = select_tests(records, MIN_RECORDED)
    except Drop as drop:
        raise Drop(_why_too_few(fn), drop.detail + saw) from None
    if len(tests) >= MIN_TESTS:
        candidate = _candidate(fn, kind, tests, unknown, project, target, test_functions, named_types, on_class)
        candidate.state = state
        return candidate
    # the drop it gets unless validation's generated tests make up the rest
    few_calls = (_why_too_few(fn), f"{len(tests)} of {len(records)} recorded calls are literal{saw}")
    skipped = fn.get("skipped", {})
    if skipped.get("mutates_args") or skipped.get("mutates_self"):
        raise Drop(*few_calls)  # generated inputs would be the calls the tracer refused
    try:
        candidate = _candidate(fn, kind, tests, unknown, project, target, test_functions, named_types, on_class)
    except Drop as drop:
        raise Drop(*few_calls_drop(few_calls, drop.reason, drop.detail)) from None
    candidate.few_calls, candidate.state = few_calls, state
    return candidate


def few_calls_drop(few_calls: tuple[str, str], reason: str, detail: str) -> tuple[str, str]:
    """A function traced with too few calls, dropped by a later rule, keeps its "fewer than 3" reason;
    the later rule goes in the detail."""
    return few_calls[0], f"{few_calls[1]}; then {reason}" + (f": {detail}" if detail else "")


def _candidate(fn: dict, kind: str, tests: list[dict], unknown: bool, project: ProjectSource, target: Target,
               test_functions: dict | None, named_types: dict | None, on_class: bool) -> Candidate:
    """The candidate of a function whose recorded tests are chosen (select_tests)."""
    floor = min(MIN_TESTS, len(tests))  # below MIN_TESTS recorded calls, none may be lost on the way
    tests, hidden, carried = carry(tests, test_functions or {}, target.root, floor)
    module = project.module(fn["module"])
    if module is None:
        raise Drop("source not found", fn["module"])
    node, owner = find_function(module, fn["qualname"], fn.get("lineno"))
    entry_point = node.name
    _check_function(node, kind, module, on_class)
    check_inner_imports(node, module, project)
    needs = _function_needs(node, module, kind)
    method = None
    if kind == "method" or on_class:  # the class is the entry point; the prompt shows the parts of it the method needs
        method, entry_point = node.name, owner
        cls = class_of(module, owner, node)
        class_text, class_needs = class_part(module, cls, node, project)
        tests, context = _context_for_values(tests, (needs | class_needs) - {owner},
                                             lambda: ContextBuilder(project, module, node, owner, owner_class=owner,
                                                                    scan=[cls]),
                                             set(carried) | {owner}, named_types, floor)  # the class text defines owner
        context = (context + "\n\n" if context.strip() else "") + class_text
    else:
        tests, context = _context_for_values(tests, needs, lambda: ContextBuilder(project, module, node, entry_point,
                                                                                 owner_class=owner), set(carried),
                                             named_types, floor)
    shape = "method" if on_class else kind  # a method problem's function stays in its class
    header, docstring, body = split_function(module, node, shape)
    prompt = (context + ("" if shape == "method" else "\n\n") if context.strip() else "") + header + docstring
    # MAX_PROMPT_CHARS is checked by the miner's screen, once helpers may have become stubs (stubs.py)
    flags = [] if docstring else ["no_docstring"]
    checker = "exact"
    if any("expected" in t and has_float(parse(t["expected"])) for t in tests):
        checker = "float:1e-09"
    rel_path = _relative(module.path, target.root)
    provenance = {
        "url": target.url, "repo": target.repo, "package": target.name, "path": rel_path, "lineno": node.lineno,
        "license": target.license, "retrieved_at": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "tool_version": __version__,
    }
    if target.commit:
        provenance["commit"] = target.commit
    if target.version:
        provenance["version"] = target.version
    meta = {"module": fn["module"], "qualname": fn["qualname"], "kind": kind, "calls_seen": fn.get("calls", 0),
            "recorded_calls": len(fn.get("records", [])), "python": target.python}
    if carried:  # the test functions its values name: defined by the hidden block
        meta.update(test_functions=carried, hidden_context=hidden)
    task_id = task_id_of(target.name, f"{fn['module']}.{fn['qualname']}")
    return Candidate(task_id, entry_point, prompt, body, tests, context, checker, flags, provenance, meta, unknown,
                     hidden=hidden, method=method)


# ---- tests from records ------------------------------------------------------------------------
def select_tests(records: list[dict], floor: int = MIN_TESTS) -> tuple[list[dict], bool]:
    """The pool of usable recorded calls, varied outcomes first; raises Drop below `floor` of them.

    All of them go to validation, which keeps the (at most MAX_TESTS) that tell the
    reference from its mutants best.
    """
    usable = []
    for r in records:
        if not (roundtrips(r["a"]) and roundtrips(r["k"])):
            continue
        if "r" in r:
            if not roundtrips(r["r"]):
                continue
            outcome = ("value", canon(parse(r["r"])))
        else:
            outcome = ("raises", r.get("x"))
        usable.append((r, outcome))
    if len(usable) < floor:
        raise Drop("fewer than 3 usable calls", f"{len(usable)} of {len(records)} recorded calls are literal")
    first, rest, seen = [], [], set()
    for r, outcome in usable:
        (rest if outcome in seen else first).append(r)
        seen.add(outcome)
    tests, unknown = [], False
    for r in first + rest:
        case: dict[str, Any] = {"args": r["a"]}
        if r["k"] != "{}":
            case["kwargs"] = r["k"]
        if "r" in r:
            case["expected"] = r["r"]
        else:
            case["raises"] = r.get("x") or "Exception"
            unknown = unknown or not r.get("x")
        case["split"] = "hidden"
        if r.get("s"):
            case[CHANGED_STATE] = r["s"]  # validation keeps it only if a fresh instance gives the same outcome
        tests.append(case)
    return tests, unknown


def _why_too_few(fn: dict) -> str:
    """Name what kept a function under MIN_TESTS usable calls, from the tracer's skip counts."""
    skipped = fn.get("skipped", {})
    if skipped.get("mutates_args"):
        return "mutates its arguments"
    if skipped.get("mutates_self"):  # a procedure on its instance: not a value problem
        return "mutates its instance, returns None"
    if skipped:
        top = max(skipped, key=skipped.get)
        return {"nonliteral_args": "arguments not literals", "nonliteral_result": "results not literals",
                "state_changed": "instance changed between calls",
                "nonliteral_constructor": "constructor arguments not literals",
                "no_constructor_call": "instance not built by a traced constructor",
                "subclass_instance": "called on subclasses' instances"}.get(
            top, "fewer than 3 usable calls")
    return "fewer than 3 distinct calls"


def _context_for_values(tests: list[dict], needs: set[str], builder, hidden_names: frozenset | set = frozenset(),
                        named_types: dict | None = None, floor: int = MIN_TESTS) -> tuple[list[dict], str]:
    """(tests, context text): the context also defines the project's types and functions that test
    values name (`Color` of `Color.RED`), from the module `named_types` says defines them when the
    function's own module does not bind them; tests naming one it cannot carry are left out.
    hidden_names: names the context must not carry: the hidden block defines them (test functions), or the
    class text does (a method problem's class, which its tests may pass to the method)."""
    heads = [_project_heads(t) - hidden_names for t in tests]
    extra = set().union(*heads)
    elsewhere = {h: m for h, m in (named_types or {}).items() if h in extra and m}
    try:
        return tests, builder().build(needs | extra, elsewhere).text()
    except Drop as drop:
        if not extra:
            raise
        why = drop
    kept = [t for t, h in zip(tests, heads) if not h]
    context = builder().build(needs).text()
    if len(kept) < floor:
        raise Drop("values the prompt cannot define", f"{len(tests) - len(kept)} of {len(tests)} calls name "
                                                         f"{', '.join(sorted(extra))[:100]} ({why.reason}: "
                                                         f"{why.detail[:80]})")
    return kept, context


def _project_heads(case: dict) -> set[str]:
    """The names a test's values take from the program (not builtins, not standard-library modules)."""
    heads: set[str] = set()
    for key in ("args", "kwargs", "expected"):
        if key in case:
            heads |= named_heads(parse(case[key]))
    return {h for h in heads if h not in _BUILTIN_NAMES and h not in _STDLIB_NAMES}


_BUILTIN_NAMES = set(dir(builtins))
_STDLIB_NAMES = set(getattr(sys, "stdlib_module_names", ()))


# ---- the function's source ---------------------------------------------------------------------
def find_function(module: ModuleSource, qualname: str, lineno: int | None):
    """(FunctionDef, owning class name or None) for a traced qualname."""
    parts = qualname.split(".")
    if len(parts) == 1:
        scope, owner = module.stmts, None
    elif len(parts) == 2:
        classes = [s for s in module.stmts if isinstance(s, ast.ClassDef) and s.name == parts[0]]
        if not classes:
            raise Drop("source not found", qualname)
        scope, owner = [s for c in classes for s in c.body], parts[0]
    else:
        raise Drop("nested class", qualname)
    found = [s for s in scope if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef)) and s.name == parts[-1]]
    if lineno is not None:
        exact = [s for s in found if lineno in {s.lineno, *[d.lineno for d in s.decorator_list]}]
        found = exact or found
    if not found:
        raise Drop("source not found", qualname)
    return found[-1], owner


def _decorator_name(d: ast.expr) -> str:
    target = d.func if isinstance(d, ast.Call) else d
    try:
        return ast.unparse(target)
    except Exception:  # pragma: no cover
        return "?"


def _check_function(node, kind: str, module: ModuleSource, on_class: bool = False) -> None:
    if isinstance(node, ast.AsyncFunctionDef):
        raise Drop("coroutine")
    for d in node.decorator_list:
        name = _decorator_name(d)
        if kind in ("staticmethod", "classmethod") and name in ("staticmethod", "classmethod"):
            continue
        if name not in _SAFE_DECORATORS:
            raise Drop("decorated", name)
    for sub in ast.walk(node):
        if isinstance(sub, (ast.Yield, ast.YieldFrom, ast.Await)):
            raise Drop("generator")
        if isinstance(sub, ast.Name) and sub.id in ("super", "__class__") and kind != "method" and not on_class:
            raise Drop("needs its class", "uses super()")
    first = node.body[0]
    if first.lineno == node.lineno or (len(node.body) > 1 and node.body[1].lineno == first.end_lineno
                                       and _docstring(node) is not None):
        raise Drop("unusual layout", "body on the def or docstring line")
    if kind == "classmethod" and not on_class:
        cls_name = (node.args.posonlyargs + node.args.args)[0].arg
        if any(isinstance(s, ast.Name) and s.id == cls_name for s in ast.walk(node)):
            raise Drop("needs its class", f"uses {cls_name}")


def _function_needs(node, module: ModuleSource, kind: str) -> set[str]:
    tables = [t for t in module.tables.tables_for(node) if t.get_type() == "function"]
    if not tables:
        raise Drop("source not found", "no symbol table")
    reads, writes = table_globals(tables[0])
    reads &= runtime_names(node)  # not what a dead branch or a local annotation reads
    if writes:
        raise Drop("writes module globals", ", ".join(sorted(writes)))
    extra = set()
    for part in [*node.args.defaults, *[d for d in node.args.kw_defaults if d is not None]]:
        extra |= {x.id for x in ast.walk(part) if isinstance(x, ast.Name)}
    for d in node.decorator_list:
        if _decorator_name(d) not in ("staticmethod", "classmethod"):
            extra |= {x.id for x in ast.walk(d) if isinstance(x, ast.Name)}
    if not module.future_annotations:
        extra |= annotation_names(node)
    return reads | extra


def _docstring(node) -> ast.Expr | None:
    first = node.body[0] if node.body else None
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
        return first
    return None


def split_function(module: ModuleSource, node, kind: str) -> tuple[str, str, str]:
    """(header, docstring lines, body) of the function as a module-level function."""
    lines = module.lines
    indent = node.col_offset
    doc = _docstring(node)
    header_end = _header_end_line(module, node)
    start = min([node.lineno] + [d.lineno for d in node.decorator_list])
    if kind == "function":
        header = "".join(lines[start - 1:header_end])
    elif kind == "method":  # stays in its class: indented as in the source, and so is the answer
        header = "".join(lines[start - 1:header_end])
        indent = 0
    elif kind == "staticmethod":
        kept = [d for d in node.decorator_list if _decorator_name(d) != "staticmethod"]
        if kept:
            raise Drop("decorated", _decorator_name(kept[0]))
        header = _dedent("".join(lines[node.lineno - 1:header_end]), indent)
    else:  # a classmethod that never uses cls: same function without it
        copy = ast.parse(textwrap.dedent("".join(lines[node.lineno - 1:node.end_lineno]))).body[0]
        copy.decorator_list = []
        params = copy.args.posonlyargs or copy.args.args
        params.pop(0)
        copy.body = [ast.Pass()]
        header = ast.unparse(copy).rsplit("\n", 1)[0] + "\n"
    if doc is not None:
        docstring = _dedent("".join(lines[header_end:doc.end_lineno]), indent)
        body_start = doc.end_lineno
    else:
        docstring = ""
        body_start = header_end
    body = _dedent("".join(lines[body_start:node.end_lineno]), indent)
    if not body.strip():
        raise Drop("empty body")
    if not body.endswith("\n"):
        body += "\n"
    if not header.endswith("\n"):
        header += "\n"
    return header, docstring, body


def _header_end_line(module: ModuleSource, node) -> int:
    """The line holding the colon that ends the `def` header."""
    text = "".join(module.lines[node.lineno - 1:node.body[0].lineno])
    depth = 0
    try:
        for tok in tokenize.generate_tokens(io.StringIO(textwrap.dedent(text)).readline):
            if tok.type == tokenize.OP:
                if tok.string in "([{":
                    depth += 1
                elif tok.string in ")]}":
                    depth -= 1
                elif tok.string == ":" and depth == 0:
                    return node.lineno + tok.start[0] - 1
    except (tokenize.TokenError, IndentationError):
        pass
    raise Drop("unusual layout", "cannot find the end of the signature")


def _dedent(text: str, n: int) -> str:
    if n <= 0:
        return text
    out = []
    for line in text.splitlines(keepends=True):
        strip = len(line) - len(line.lstrip(" \t"))
        out.append(line[min(n, strip):])
    return "".join(out)


def _relative(path, root) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return path.name


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name).lower()
