"""Problem building: what a function needs around it, prompt and reference body, tests from records."""
from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import pytest

from sftset.ci_mining.build import Target, build_candidates, select_tests
from sftset.ci_mining.context import Drop

PROJECTS = Path(__file__).parent / "projects"


def _records(*pairs):
    return [{"a": a, "k": "{}", "r": r, "n": 1} for a, r in pairs]


def _fn(module, qualname, kind="function", records=None, lineno=None, skipped=None):
    return {"module": module, "qualname": qualname, "kind": kind, "lineno": lineno, "calls": 5,
            "skipped": skipped or {}, "records": records if records is not None else _records(
                ("(1,)", "1"), ("(2,)", "4"), ("(3,)", "9"))}


def _target(root: Path, packages: list[str]) -> Target:
    return Target(name="proj", version="1.0", commit=None, url="https://example.invalid/proj", repo=None,
                  license="MIT", root=root, roots=[root], packages=packages, python="3.11.7")


def _build(root, packages, *fns):
    return build_candidates({"functions": list(fns)}, _target(root, packages))


def _write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(textwrap.dedent(text))
    return root


def test_hardcases_context_and_split():
    root = PROJECTS / "hardcases"
    result = _build(root, ["hardcases"],
                    _fn("hardcases.core", "count_vowels", records=_records(("('ab',)", "1"), ("('ee',)", "2"),
                                                                            ("('x',)", "0"))),
                    _fn("hardcases.core", "add_suffix", records=_records(("('a',)", "'aing'"), ("('b',)", "'bing'"),
                                                                          ("('',)", "'ing'"))),
                    _fn("hardcases.core", "Stack.is_balanced", "staticmethod",
                        records=_records(("('()',)", "True"), ("('(',)", "False"), ("('',)", "True"))),
                    _fn("hardcases.core", "Stack.describe", "classmethod"),
                    _fn("hardcases.core", "Stack.from_list", "classmethod"),
                    _fn("hardcases.core", "no_doc", records=_records(("(1, 2)", "4"), ("(0, 0)", "0"),
                                                                      ("(2, 1)", "5"))),
                    _fn("hardcases.core", "square"))
    by_name = {c.entry_point: c for c in result.candidates}
    cv = by_name["count_vowels"]
    # the helper module's names are inlined (with the alias), stdlib imports kept
    assert "import re\n" in cv.context and "def normalise_space(text):" in cv.context
    assert "_VOWELS = VOWELS" in cv.context and "from .helpers" not in cv.prompt
    assert cv.prompt.endswith('    """Count the vowels in text, ignoring case and extra whitespace."""\n')
    assert cv.solution.lstrip().startswith("return sum(")
    compile(cv.program, "<p>", "exec")
    assert cv.task_id == "ci/proj/hardcases.core.count_vowels"
    assert cv.provenance["path"] == "hardcases/core.py" and cv.provenance["license"] == "MIT"
    assert cv.provenance["version"] == "1.0" and cv.provenance["lineno"] > 1
    # a module-level statement that fills a carried list comes along
    assert 'SUFFIXES.append("ing")' in by_name["add_suffix"].context
    st = by_name["is_balanced"]
    assert st.prompt.splitlines()[0] == "def is_balanced(text):" and "class Stack" not in st.prompt
    assert "@staticmethod" not in st.prompt and st.solution.startswith("    pairs = ")
    assert by_name["describe"].prompt.startswith("def describe(n):")
    assert by_name["no_doc"].flags == ["no_docstring"]
    assert by_name["square"].prompt.startswith("from functools import lru_cache\n\n\n@lru_cache(maxsize=None)\n")
    for c in result.candidates:
        namespace: dict = {}
        exec(compile(c.program, "<p>", "exec"), namespace)  # our own test project: safe to run here
        assert callable(namespace[c.entry_point])
    assert result.drops == []
    # a class method that uses cls is a method problem called on the class (it was dropped, "needs its class")
    fl = by_name["Stack"]
    assert fl.method == "from_list" and all(t["args"].startswith("(None, {}") for t in fl.tests)
    assert "class Stack" in fl.prompt and "    @classmethod\n    def from_list(cls" in fl.prompt


def test_drops_with_reasons(tmp_path):
    root = _write(tmp_path, {
        "pkg/__init__.py": "",
        "pkg/a.py": """
            import numpy as np
            from .b import *
            import pkg.b as bmod
            try:
                import regex as re
            except ImportError:
                import re
            COUNT = 0

            def third(x):
                \"\"\"Uses numpy.\"\"\"
                return np.sum(x)

            def star(x):
                return helper(x)

            def module_object(x):
                return getattr(bmod, "helper")(x)

            def writes(x):
                global COUNT
                COUNT += x
                return COUNT

            def dynamic(x):
                import importlib
                return importlib.import_module(x).name

            def optional(x):
                \"\"\"Fallback imports are fine.\"\"\"
                return re.sub("a", "b", x)

            def uses_file(x):
                return __file__ + x

            def gen(x):
                yield x

            @some_decorator
            def decorated(x):
                return x
        """,
        "pkg/b.py": "def helper(x):\n    return x\n",
    })
    fns = [_fn("pkg.a", n) for n in ("third", "star", "module_object", "writes", "dynamic", "optional", "uses_file",
                                       "gen", "decorated")]
    result = _build(root, ["pkg"], *fns)
    reasons = {d[0].split(".")[-1]: d[1] for d in result.drops}
    assert reasons == {
        "third": "needs a third-party module", "star": "name from a star import",
        "module_object": "uses a project module as an object", "writes": "writes module globals",
        "dynamic": "imports modules dynamically", "uses_file": "uses module file attributes", "gen": "generator",
        "decorated": "decorated",
    }
    assert [c.entry_point for c in result.candidates] == ["optional"]
    assert "try:\n    import regex as re\nexcept ImportError:\n    import re\n" in result.candidates[0].context


def test_select_tests_pool():
    records = _records(("(1,)", "1"), ("(2,)", "1"), ("(3,)", "2"), ("(4,)", "'x'"))
    records.append({"a": "(5,)", "k": "{'key': 1}", "x": "ValueError", "m": "bad", "n": 1})
    records.append({"a": "(6,)", "k": "{}", "x": None, "n": 1})  # setprofile: raised, name unknown
    records.append({"a": "(nan,)", "k": "{}", "r": "1", "n": 1})  # does not read back
    tests, unknown = select_tests(records)
    assert unknown
    assert [t["args"] for t in tests] == ["(1,)", "(3,)", "(4,)", "(5,)", "(6,)", "(2,)"]  # new outcomes first
    assert tests[3] == {"args": "(5,)", "kwargs": "{'key': 1}", "raises": "ValueError", "split": "hidden"}
    assert tests[4]["raises"] == "Exception"
    with pytest.raises(Drop):
        select_tests(records[:2])


def test_too_few_calls_named_by_the_tracer(tmp_path):
    root = _write(tmp_path, {"m.py": "def f(xs):\n    xs.append(1)\n    return 1\n"})
    result = _build(root, ["m"], _fn("m", "f", records=[], skipped={"mutates_args": 3}))
    assert result.drops[0][1] == "mutates its arguments"


def test_classmethod_header_rewritten(tmp_path):
    root = _write(tmp_path, {"m.py": '''
        class C:
            @classmethod
            def make(cls, a: int, b: str = "x") -> str:
                """Doc."""
                return b * a
    '''})
    (c,) = _build(root, ["m"], _fn("m", "C.make", "classmethod")).candidates
    assert c.prompt == 'def make(a: int, b: str=\'x\') -> str:\n    """Doc."""\n'
    assert c.solution == "    return b * a\n"
    assert ast.parse(c.program)


def test_lazy_annotations_stay_lazy_in_the_prompt(tmp_path):
    # idna 3.20: `code: _ErrorCode | None` where _ErrorCode exists only for type checkers.
    root = _write(tmp_path, {"m.py": '''
        from __future__ import annotations

        from typing import TYPE_CHECKING

        if TYPE_CHECKING:
            from m2 import ErrorCode


        def square(x: int, code: ErrorCode | None = None) -> int:
            """Square x."""
            return x * x
    '''})
    (c,) = _build(root, ["m"], _fn("m", "square")).candidates
    assert c.prompt.startswith("from __future__ import annotations\n")
    namespace: dict = {}
    exec(compile(c.program + "\nassert square(3) == 9\n", "<program>", "exec", dont_inherit=True), namespace)
