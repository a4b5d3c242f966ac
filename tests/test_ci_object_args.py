"""Objects of the project's classes as test values (issue 14): an argument that is an instance still as its
traced constructor call left it is written as that call (`fits(Box(0, 2), 1)`), in argument lists, containers
and other constructors' arguments alike; one whose state changed since, or that the function mutates, is not."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest
from mining_support import run_driver, traced_driver

PYENV = Path.home() / ".pyenv" / "versions"

MODULE = '''
import enum


class Unit(enum.Enum):
    CM = "cm"
    INCH = "in"

    def to_mm(self, n):
        return n * (10 if self is Unit.CM else 25.4)


class Box:  # keeps its size, not its parameters: not a simple object, only its constructor call rebuilds it
    def __init__(self, w, h):
        self.size = (w, h)
        self.tags = []


class Big(Box):
    def __init__(self, w):
        super().__init__(w, w)


class Shelf:
    def __init__(self, box, count):
        self.box, self.count = box, count

    def load(self, factor):
        return self.box.size[0] * self.box.size[1] * self.count * factor


class Shape:
    def __init__(self, n):
        self.n = n

    def sides(self, k):
        return self.n * k


class Square(Shape):  # no constructor of its own: Shape(4) is built the same way
    pass


class Named(Shape):
    def __init__(self, name):
        super().__init__(len(name))


def fits(box, width):
    return box.size[0] <= width


def grow(box):
    box.size = (box.size[0] + 1, box.size[1])
    return box.size


def total(boxes):
    return sum(b.size[0] * b.size[1] for b in boxes)


class Color:
    def __init__(self, spec):
        self.rgb = self._parse(spec)  # a method called while the instance is being built

    def _parse(self, spec):
        return tuple(int(spec[i:i + 2], 16) for i in (1, 3, 5))
'''

DRIVER = '''
import sys
sys.path.insert(0, sys.argv[1]); sys.path.insert(0, sys.argv[2])
from sftset_trace.tracer import Tracer
t = Tracer(["objs"], engine=sys.argv[4] or None); t.start()
import objs
for i in range(3):
    b = objs.Box(i, 2)
    objs.fits(b, 1)
    objs.total([b, objs.Big(i)])            # in a list; a subclass built by its own constructor
    objs.Shelf(objs.Box(i, 3), 2).load(1)   # a constructor's argument written as its own constructor call
    objs.grow(objs.Box(i, 1))               # mutates its argument: not a value to test
    b.tags.append("x")
    objs.fits(b, 5)                         # changed since its constructor call: marked, replayed from a fresh Box
objs.grow(b)                               # changed before the call and during it: mutates its argument
class Local:
    size = (1, 1)
objs.fits(Local(), 1)                      # not the project's: no constructor call is known
for n in (1, 2, 3):
    objs.Unit.CM.to_mm(n); objs.Unit("in").to_mm(n)  # enum members: Unit(value) gives them back
    objs.Square(4).sides(n)                           # a subclass's instance, marked "s": 2
    objs.Named("abc").sides(n)                        # its own constructor: Shape(...) would not build it
for spec in ("#ff0000", "#00ff10"):
    objs.Color(spec)                                  # Color._parse runs inside the constructor call
t.stop(); t.write(sys.argv[3])
'''


def _pythons():
    found = [(sys.executable, ""), (sys.executable, "setprofile")]
    for exe in sorted(PYENV.glob("3.12.*/bin/python3.12"))[:1]:  # sys.monitoring
        found.append((str(exe), ""))
    return found


@pytest.fixture(scope="module")
def runtime(tmp_path_factory):
    return traced_driver(tmp_path_factory.mktemp("trace"), "objs.py", MODULE, DRIVER)


@pytest.mark.parametrize("python, engine", _pythons(), ids=lambda v: Path(v).name if "/" in str(v) else v or "auto")
def test_arguments_written_as_their_constructor_calls(runtime, python, engine, tmp_path):
    trace = run_driver(runtime, python, engine, tmp_path / "trace.json")
    fns = {f["qualname"]: f for f in trace["functions"]}
    fits = fns["fits"]
    # the calls after b.tags.append: written as the constructor call all the same, marked "s": 1 (validation keeps
    # them only where a fresh Box gives the same outcome)
    assert sorted((r["a"], r["r"], r.get("s")) for r in fits["records"]) == [
        ("(Box(0, 2), 1)", "True", None), ("(Box(0, 2), 5)", "True", 1), ("(Box(1, 2), 1)", "True", None),
        ("(Box(1, 2), 5)", "True", 1), ("(Box(2, 2), 1)", "False", None), ("(Box(2, 2), 5)", "True", 1)]
    assert fits["skipped"] == {"nonliteral_args": 1}  # Local(): no constructor call is known
    assert sorted((r["a"], r["r"]) for r in fns["total"]["records"]) == [
        ("([Box(0, 2), Big(0)],)", "0"), ("([Box(1, 2), Big(1)],)", "3"), ("([Box(2, 2), Big(2)],)", "8")]
    assert sorted((r["c"], r["a"], r["r"]) for r in fns["Shelf.load"]["records"]) == [
        ("(Box(0, 3), 2)", "(1,)", "0"), ("(Box(1, 3), 2)", "(1,)", "6"), ("(Box(2, 3), 2)", "(1,)", "12")]
    assert fns["grow"]["records"] == [] and fns["grow"]["skipped"] == {"mutates_args": 4}
    assert trace["named_types"] == {"Box": "objs", "Big": "objs"}  # where the build step finds them
    assert sorted((r["c"], r["a"], r["r"], r["s"]) for r in fns["Shape.sides"]["records"]) == [
        ("(4,)", "(1,)", "4", 2), ("(4,)", "(2,)", "8", 2), ("(4,)", "(3,)", "12", 2)]
    assert fns["Shape.sides"]["skipped"] == {"subclass_instance": 6}
    assert sorted((r["c"], r["a"], r["r"]) for r in fns["Unit.to_mm"]["records"]) == [
        ("('cm',)", "(1,)", "10"), ("('cm',)", "(2,)", "20"), ("('cm',)", "(3,)", "30"),
        ("('in',)", "(1,)", "25.4"), ("('in',)", "(2,)", "50.8"), ("('in',)", "(3,)", "76.19999999999999")]
    # called from its own constructor: recorded on that constructor call, marked changed (validation replays it)
    assert sorted((r["c"], r["a"], r["r"], r["s"]) for r in fns["Color._parse"]["records"]) == [
        ("('#00ff10',)", "('#00ff10',)", "(0, 255, 16)", 1), ("('#ff0000',)", "('#ff0000',)", "(255, 0, 0)", 1)]


ENUM_MODULE = '''
import enum

SCALE = 10


class Unit(enum.Enum):
    """Units of length."""

    CM = "cm"
    INCH = "in"
    _ignore_ = ["helper"]

    def to_mm(self, n):
        """n of this unit in millimetres."""
        return n * (SCALE if self is Unit.CM else 25.4)

    def unrelated(self):
        return 1
'''


def test_an_enum_method_prompt_shows_every_member(tmp_path):
    """The instance may be any member (rebuilt as Unit(value)): the prompt shows them all, not only the ones
    the method names, and leaves other methods out."""
    from sftset.ci_mining.build import Target, build_candidates

    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "units.py").write_text(ENUM_MODULE)
    records = [{"c": c, "ck": "{}", "a": a, "k": "{}", "r": r, "n": 1}
               for c, a, r in (("('in',)", "(1,)", "25.4"), ("('in',)", "(2,)", "50.8"), ("('cm',)", "(3,)", "30"))]
    fn = {"module": "pkg.units", "qualname": "Unit.to_mm", "kind": "method", "lineno": None, "calls": 3,
          "skipped": {}, "records": records}
    target = Target(name="proj", version="1.0", commit=None, url="u", repo=None, license="MIT", root=tmp_path,
                    roots=[tmp_path], packages=["pkg"], python="3.11")
    result = build_candidates({"functions": [fn]}, target)
    assert not result.drops, result.drops
    prompt = result.candidates[0].prompt
    assert '    CM = "cm"\n    INCH = "in"\n' in prompt and "SCALE = 10" in prompt
    assert "_ignore_" not in prompt and "def unrelated" not in prompt
    program = prompt + result.candidates[0].solution + "\nassert Unit('in').to_mm(2) == 50.8\n"
    exec(compile(program, "units", "exec"), {"__name__": "units"})


def test_module_names_from_the_trace_stay_inside_the_project(tmp_path):
    """A hostile suite writes the trace: a module name that is a path must not make the build read a file
    outside the project's roots into a prompt."""
    from sftset.ci_mining.project import module_file

    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "mod.py").write_text("X = 1\n")
    secret = tmp_path.parent / "secret_outside"
    secret.mkdir(exist_ok=True)
    (secret / "__init__.py").write_text("TOKEN = 'hunter2'\n")
    assert module_file([tmp_path], "pkg.mod") == tmp_path / "pkg" / "mod.py"
    for name in (str(secret), "../secret_outside", f"pkg.{secret}", "pkg..mod", ""):
        assert module_file([tmp_path], name) is None, name
