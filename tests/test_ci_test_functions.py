"""Functions of the project's tests as test values (issue 14): a higher-order function whose tests
pass module-level test functions and lambdas is kept, its hidden block defines them, and its rendered
check passes with the reference and fails with a wrong body, in our sandbox and in a plain interpreter;
closures, lambdas reading a test-module constant and test functions calling a project helper are
refused. End to end on tests/projects/higherorder, and the tracer's and build's rules one by one."""
from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest
from mining_support import mine_project

from sftset.ci_mining.context import Drop
from sftset.ci_mining.test_functions import carry
from sftset.ci_mining.tracer import Tracer
from sftset.evaluation import sample_job
from sftset.sandbox import Executor

PROJECTS = Path(__file__).parent / "projects"
WRONG = {  # a body of the right shape that gives a wrong answer
    "map_values": "    return dict(mapping)\n",
    "count_where": "    return len(items)\n",
    "pipeline": "    return [func(value) for func in funcs]\n",
}


@pytest.fixture(scope="module")
def mined(tmp_path_factory):
    """Mine tests/projects/higherorder once (sandboxed suite, validation in the executor)."""
    work = tmp_path_factory.mktemp("mine")
    rc, report, records = mine_project(work, "higherorder")
    return {"rc": rc, "report": report, "problems": {p.entry_point: p for p in records}}


def test_functions_passed_by_the_tests_are_kept_and_defined_by_the_hidden_block(mined):
    assert mined["rc"] == 0
    problems = mined["problems"]
    assert set(problems) == set(WRONG)
    hidden = {name: p.meta["hidden_context"] for name, p in problems.items()}
    assert "def inc(x):" in hidden["map_values"] and "(lambda v: v * 2)" in hidden["map_values"]
    assert "def inc_twice(x):" in hidden["map_values"]  # it calls inc, which comes with it
    assert "import math" in hidden["count_where"] and "def is_square(n):" in hidden["count_where"]
    for name, p in problems.items():
        args = " ".join(t["args"] for t in p.tests)
        assert "_test_" in args or "_sftset_fn_" in args, name
        assert set(p.meta["test_functions"]) <= set(p.meta["hidden_context"].split()) | {
            n for n in p.meta["test_functions"] if f"{n}.__qualname__" in p.meta["hidden_context"]}
        assert "def inc" not in p.prompt and "lambda" not in p.prompt  # they are not the prompt's
        assert p.meta["hidden_context"] in p.test


def test_functions_defined_inside_tests_are_carried_each_under_its_own_name(mined):
    p = mined["problems"]["pipeline"]
    hidden = p.meta["hidden_context"]
    # two tests each define a `halve`: each is bound to its own name right after its def
    assert hidden.count("\n    def halve(x):") == 2 and "return x // 2" in hidden and "return x / 2" in hidden
    assert "    def twice_inc(x):\n        return inc(inc(x))\n" in hidden and "def inc(x):" in hidden
    assert "add_step" not in hidden  # a closure is not a value
    assert "\n    def neg(x):  # two levels in: moved to the wrapper's indentation\n        return -x\n" in hidden
    calls = {t["args"] for t in p.tests}
    assert any("_sftset_fn_" in a and "9" in a for a in calls)


def test_closures_constants_and_project_helpers_are_refused(mined):
    dropped = {d["function"].rsplit(".", 1)[1]: d for d in mined["report"]["dropped"]}
    assert dropped["apply_closure"]["reason"] == "arguments not literals"
    assert dropped["scale_all"]["reason"] == "test functions the problem cannot carry"
    assert "reads FACTOR" in dropped["scale_all"]["detail"]
    assert dropped["reduce_with"]["reason"] == "test functions the problem cannot carry"
    assert "reads tidy" in dropped["reduce_with"]["detail"]


def test_rendered_checks_pass_the_reference_and_fail_wrong_bodies_in_the_sandbox(mined):
    problems = mined["problems"]
    jobs = [sample_job(p, p.canonical_solution, (name, "right")) for name, p in problems.items()]
    jobs += [sample_job(problems[name], body, (name, "wrong")) for name, body in WRONG.items()]
    with Executor(workers=2) as ex:
        verdicts = {v.key: v for v in ex.run(jobs)}
    assert len(verdicts) == 2 * len(WRONG)
    for (name, kind), v in verdicts.items():
        assert v.passed == (kind == "right"), (name, kind, v.status, v.detail)


def test_humaneval_format_runs_in_a_plain_interpreter(mined, tmp_path):
    for name, p in mined["problems"].items():
        for kind, completion in (("right", p.canonical_solution), ("wrong", WRONG[name])):
            program = p.prompt + completion + "\n" + p.test + "\n" + f"check({p.entry_point})\n"
            path = tmp_path / f"{name}_{kind}.py"
            path.write_text(program)
            proc = subprocess.run([sys.executable, "-I", "-S", str(path)], capture_output=True, text=True,
                                  timeout=30, cwd=tmp_path)
            assert (proc.returncode == 0) == (kind == "right"), (name, kind, proc.stderr[-500:])


# ---- the rules, one by one (no mining) -----------------------------------------------------------
MODULE = '''\
import math
from os import path as osp

LIMIT = 3


def square(x):
    """A docstring
over two lines."""
    return x * x


def root_plus(x, n=1):
    return math.isqrt(square(x)) + n


def joined(x):
    return osp.join("a", str(x))


def shows(x):
    print(x)


def with_default(x, d=LIMIT):
    return x + d


def adder(n):
    return lambda x: x + n


PAIR = (lambda x: x + 1, lambda x: x * 10)
NESTED = lambda f: (lambda y: f(y))
CAPPED = lambda x: min(x, LIMIT)
'''


@pytest.fixture()
def test_module(tmp_path, monkeypatch):
    folder = tmp_path / "tests"
    folder.mkdir()
    (folder / "test_hof.py").write_text(MODULE)
    spec = importlib.util.spec_from_file_location("tests.test_hof", folder / "test_hof.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.chdir(tmp_path)  # the suite's folder: test functions must be files under it
    return module, tmp_path


def _case(tracer, *values):
    text = tracer.arg_text(tuple(values))
    return None if text is None else {"args": text, "expected": "0", "split": "hidden"}


def test_the_tracer_names_self_contained_test_functions_only(test_module):
    module, _ = test_module
    tracer = Tracer(["hof"])
    assert tracer.arg_text((module.square, 2)) == "(_test_square, 2)"
    assert tracer.arg_text(([module.root_plus, module.square],)) == "([_test_root_plus, _test_square],)"
    first, second = (tracer.arg_text((f,)) for f in module.PAIR)
    assert first != second and first.startswith("(_sftset_fn_")
    assert tracer.arg_text((module.adder(2),)) is None  # a closure
    assert tracer.arg_text((module.NESTED(module.square),)) is None  # a closure too
    assert tracer.value_text(module.square) is None  # a result that is a test function is not a value
    where = tracer.result()["test_functions"]
    assert where["_test_square"] == {"module": "tests.test_hof", "qualname": "square", "path": "tests/test_hof.py",
                                     "lineno": 7, "kind": "def"}


def test_build_carries_the_source_exactly_and_tells_two_lambdas_on_a_line_apart(test_module):
    module, root = test_module
    tracer = Tracer(["hof"])
    cases = [_case(tracer, f, 4) for f in (module.root_plus, module.joined, *module.PAIR)]
    tests, hidden, names = carry(cases, tracer.result()["test_functions"], root)
    assert len(tests) == 4 and len(names) == 4
    assert '"""A docstring\nover two lines."""' in hidden  # a multi-line string is not re-indented
    assert "import math" in hidden and "from os import path as osp" in hidden
    namespace = {"math": None, "square": None, "str": None}  # the program's names do not leak in
    exec(compile(hidden, "<hidden>", "exec"), namespace)
    values = {n: namespace[n](4) for n in names}
    assert sorted(values.values(), key=str) == sorted([5, 40, 5, "a/4"], key=str)
    assert all(namespace[n].__qualname__ == n for n in names)


@pytest.mark.parametrize("attr, why", [("shows", "reads print"), ("with_default", "not a literal"),
                                       ("CAPPED", "reads LIMIT")])
def test_build_refuses_what_is_not_self_contained(test_module, attr, why):
    module, root = test_module
    tracer = Tracer(["hof"])
    cases = [_case(tracer, getattr(module, attr), i) for i in range(3)]
    with pytest.raises(Drop) as err:
        carry(cases, tracer.result()["test_functions"], root)
    assert err.value.reason == "test functions the problem cannot carry" and why in err.value.detail


def test_stubbed_helpers_and_test_functions_share_the_hidden_block(test_module):
    from sftset.ci_mining.build import Candidate
    from sftset.ci_mining.stubs import with_stubs

    module, root = test_module
    tracer = Tracer(["hof"])
    cases = [_case(tracer, module.square, i) for i in range(3)]
    _, block, _ = carry(cases, tracer.result()["test_functions"], root)
    helper = 'def helper(x):\n    """Adds 0 to 44."""\n' + "".join(f"    x = x + {i}\n" for i in range(45)) + "    return x\n"
    prompt = helper + '\n\ndef apply_after(func, x):\n    """func(helper(x))."""\n'
    candidate = Candidate("ci/hof/apply_after", "apply_after", prompt, "    return func(helper(x))\n", cases, helper,
                          "exact", [], {}, {"hidden_context": block}, hidden=block)
    out = with_stubs(candidate, 120, 6000)  # the helper is long: a stub, its body hidden
    assert out.meta["stubbed_helpers"] == ["helper"] and "x = x + 44" not in out.prompt
    assert out.meta["hidden_context"] == out.hidden
    assert out.hidden.index("x = x + 44") < out.hidden.index("_sftset_test_functions_1")
    namespace: dict = {}
    exec(compile(out.program, "<program>", "exec"), namespace)
    assert namespace["apply_after"](namespace["_test_square"], 1) == (1 + sum(range(45))) ** 2
