"""Validate candidates in the sandbox executor, choose and measure their tests, make the records.

For every candidate, all in `sftset.sandbox.Executor` (calls mode, never in our process):
  1. the reference runs the pool of recorded calls in RUNS fresh processes: it must
     give the same outcomes every time (else "non-deterministic") and the outcomes the
     trace saw (else "depends on time/env/files" or "differs from the traced run"),
     within the time limit (else "too slow");
  2. hypothesis proposes inputs shaped like the recorded ones (generate.py); those with
     the same outcome in RUNS runs may become `generated` tests;
  3. mutants of the body (mutation.py) run on all those inputs; the tests kept are
     the recorded calls (at most MAX_TESTS) and generated ones (at most max_generated)
     that tell most mutants from the reference, then varied outcomes; the kill rate is
     that of the kept tests; there must be MIN_TESTS distinct ones, a recorded one among them
     (a function traced with fewer calls, build.MIN_RECORDED at least, lives on its generated
     tests, and keeps its "fewer than 3" drop reason when they fall short);
  4. coverage.py measures line and branch coverage of the reference body by the kept
     tests, and the rendered `check(candidate)` of the finished record must pass.

Strong, portable tests (issue 13): recorded calls whose values carry the mining machine's
state are not tests (environment.py); the reference also runs once "on another machine" (other
folder, HOME, PATH, user, time zone, environment) and must give the same outcomes; the shortcut
programs of shortcuts.py run next to the mutants and every one must fail the kept tests (tests
that fail them are added from the recorded and generated inputs, then from boundary inputs;
else the problem is dropped naming the shortcut); a test set where one expected value
dominates is rebalanced or dropped as degenerate; the kill rate must reach `min_kill_rate`.
An error while judging one candidate drops that candidate ("internal error"), never the others.
"""
from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field, replace
from statistics import median
from typing import Any, Callable

from ..methods import split_args
from ..record import Problem, RecordError
from .build import CHANGED_STATE, MAX_RAISES, MAX_TESTS, MIN_TESTS, PUBLIC_TESTS, Candidate
from .environment import MachineState, elsewhere, hash_order_dependent, machine_state_in
from .generate import boundary_calls, generate_calls
from .literals import canon, parse
from .mutation import mutants
from .shortcuts import combined_program, decode

_ENVIRONMENT_RE = re.compile(
    r"\b(time|datetime|date|random|uuid|secrets|environ|getenv|open|pathlib|Path|os\.path|glob|socket|locale|"
    r"platform|argv|tempfile|getcwd|listdir|scandir|stat)\b")
# Exceptions that, raised in isolation where the traced run returned, say "needs its environment".
_ENVIRONMENT_ERRORS = {"ImportError", "ModuleNotFoundError", "FileNotFoundError", "PermissionError", "OSError",
                       "IsADirectoryError", "NotADirectoryError", "ConnectionError", "TimeoutError", "NameError"}
MAX_STALE_FRACTION = 0.25  # calls that may differ from the trace (made while a test had patched module state)

# Appended to every program validation runs (never to the record): once the program has
# loaded, opening a file outside the interpreter's own folders and the scratch folder, listing
# folders or starting processes raises PermissionError. A function that reads a file the
# sandbox happens to see (an absolute path from a test) then differs from its trace and is
# dropped as depending on files, instead of passing by luck.
GUARD = """

def _sftset_guard():
    import os, sys
    allowed = tuple(sorted({os.path.realpath(p) for p in [sys.prefix, sys.base_prefix, sys.exec_prefix,
                                                           os.getcwd(), *sys.path] if p}))
    blocked = {"os.listdir", "os.scandir", "glob.glob", "subprocess.Popen", "os.system", "os.posix_spawn",
               "os.exec", "os.fork", "os.remove", "os.rename", "shutil.rmtree", "socket.connect"}

    def hook(event, args):
        if event == "open":
            path = args[0]
            if isinstance(path, int) or os.path.realpath(os.fsdecode(path)).startswith(allowed):
                return
            raise PermissionError("validation: the function opened " + repr(path))
        if event in blocked:
            raise PermissionError("validation: the function used " + event)

    sys.addaudithook(hook)


_sftset_guard()
del _sftset_guard
"""


@dataclass
class ValidationSettings:
    runs: int = 3
    max_call_s: float = 0.05  # mean time per call of the reference (20 calls: 1 s)
    job_time_s: float = 20.0
    memory_mb: int = 1024
    problem_time_s: float = 3.0
    generate: int = 30  # inputs proposed by hypothesis
    max_generated: int = 10  # generated tests kept
    max_mutants: int = 30
    min_kill_rate: float = 0.8  # problems whose kept tests kill fewer mutants are dropped ("weak tests")
    max_dominant_share: float = 0.75  # of the kept tests, at most this share may expect the same outcome
    other_machine: bool = True  # run the reference once more in another environment; drop what changes
    boundary: int = 30  # boundary inputs tried when a shortcut or one outcome survives the tests
    workers: int | None = None


@dataclass
class Outcome:
    candidate: Candidate
    kept: bool
    reason: str = ""
    detail: str = ""
    problem: Problem | None = None
    coverage: dict[str, Any] = field(default_factory=dict)
    kill_rate: float | None = None
    machine_calls: int = 0  # recorded calls left out for carrying the machine's state


def validate(candidates: list[Candidate], settings: ValidationSettings, executor=None,
             on_progress: Callable[[int], None] | None = None, machine: MachineState | None = None) -> list[Outcome]:
    """Judge every candidate; returns one Outcome each, in the same order.

    `machine`: the mining machine's state; recorded calls that carry it are not tests."""
    if not candidates:
        return []
    if executor is None:
        from ..sandbox import Executor

        with Executor(workers=settings.workers) as ex:
            return validate(candidates, settings, ex, on_progress, machine)
    state = [_State(c) for c in candidates]
    for s in state:
        _guarded(s, _drop_hash_ordered, s)
        if machine is not None and s.alive:
            _drop_machine_state(s, machine)
    _reference_runs(executor, [s for s in state if s.alive], settings, on_progress)
    _mutant_runs(executor, [s for s in state if s.alive], settings, on_progress)
    _boundary_runs(executor, [s for s in state if s.alive and s.needs_more(settings.max_dominant_share)], settings, on_progress)
    for s in state:
        if s.alive:
            _guarded(s, _judge_tests, s, settings)
        if s.alive:
            _guarded(s, _enough_tests, s)
    _finish(executor, [s for s in state if s.alive], settings, on_progress)
    return [s.outcome() for s in state]


def _guarded(s: "_State", step, *args):
    """Run one candidate's step; an error in it drops that candidate only."""
    try:
        return step(*args)
    except Exception as exc:  # a bug or an odd value in one function must not sink the target
        s.drop("internal error", f"{type(exc).__name__}: {exc}")
        return None


def _drop_hash_ordered(s: "_State") -> None:
    """Calls whose outcome may follow a set's hash order are not tests (another seed, another answer)."""
    kept = [case for case in s.pool if not hash_order_dependent(case)]
    if len(kept) < len(s.pool) and len(kept) < MIN_TESTS:
        s.drop("depends on the hash seed", f"{len(s.pool) - len(kept)} of {len(s.pool)} calls pass sets of strings")
    s.pool = kept


def _drop_machine_state(s: "_State", machine: MachineState) -> None:
    kept, found = [], []
    for case in s.pool:
        hit = machine_state_in(case, machine)
        (found if hit else kept).append(hit or case)
    s.machine_calls = len(found)
    if found and len(kept) < MIN_TESTS:
        s.drop("machine state in tests", f"{len(found)} of {len(s.pool)} calls carry {found[0]!r}")
    s.pool = kept


class _State:
    def __init__(self, c: Candidate):
        self.c = c
        self.alive = True
        self.reason = self.detail = ""
        self.pool: list[dict] = [dict(t) for t in c.tests]  # recorded calls that passed step 1
        self.generated: list[dict] = []  # deterministic generated cases
        self.tests: list[dict] = []  # the kept tests
        self.call_s = 0.0
        self.coverage: dict[str, Any] = {}
        self.kill_rate: float | None = None
        self.mutant_programs: list[str] = []
        self.kills: list[set[int] | None] = []  # per mutant: indexes (pool + generated) that kill it; None: job-level
        self.chosen: list[int] = []  # indexes into pool + generated of the kept tests
        self.mutants = self.killed = self.stale_calls = self.machine_calls = 0
        self.problem: Problem | None = None
        self.shortcut_names: list[str] = []
        self.shortcut_program = ""  # one program that runs every shortcut (shortcuts.combined_program)
        self.shortcut_kills: list[set[int] | None] = []  # per shortcut: indexes that fail it; None: all do
        self.boundary_added = 0

    def cases(self) -> list[dict]:
        return self.pool + self.generated

    def surviving_shortcuts(self) -> list[int]:
        chosen = set(self.chosen)
        return [k for k, ks in enumerate(self.shortcut_kills) if ks is not None and not ks & chosen]

    def dominant(self) -> tuple[Any, int]:
        counts: dict = {}
        for t in self.tests:
            key = expected_key(t)
            counts[key] = counts.get(key, 0) + 1
        return max(counts.items(), key=lambda kv: kv[1]) if counts else (None, 0)

    def needs_more(self, share: float) -> bool:
        """A shortcut passes the chosen tests, or one outcome is more than `share` of them."""
        return bool(self.surviving_shortcuts()) or (bool(self.tests) and self.dominant()[1] > share * len(self.tests))

    def drop(self, reason: str, detail: str = "") -> None:
        if self.alive:
            self.alive, self.reason, self.detail = False, reason, detail[:300]

    def outcome(self) -> Outcome:
        if not self.alive:
            reason, detail = self.c.drop_reason(self.reason, self.detail)
            return Outcome(self.c, False, reason, detail[:300], None, self.coverage, self.kill_rate,
                           self.machine_calls)
        return Outcome(self.c, True, "", "", self.problem, self.coverage, self.kill_rate, self.machine_calls)


def _calls(cases: list[dict]) -> list[tuple[str, str]]:
    return [(t["args"], t.get("kwargs", "{}")) for t in cases]


def _job(key, program: str, entry_point: str, calls, time_s: float, memory_mb: int, coverage: bool = False):
    from ..sandbox import Job

    return Job(key=key, program=program + GUARD, entry_point=entry_point, calls=calls, time_s=time_s,
               memory_mb=memory_mb, coverage=coverage)


def _run(executor, jobs: list, on_progress) -> dict:
    out = {}
    for v in executor.run(jobs):
        out[v.key] = v
        if on_progress:
            on_progress(1)
    return out


def outcome_key(output: dict):
    """A comparable form of one call's outcome in the sandbox."""
    if "value" in output:
        try:
            return ("value", canon(parse(output["value"])))
        except ValueError:
            return ("unsupported",)
    if "raises" in output:
        return ("raises", output["raises"])
    return ("unsupported",)


def expected_key(case: dict):
    if "expected" in case:
        return ("value", canon(parse(case["expected"])))
    return ("raises", case["raises"])


# ---- 1 + 2: the reference on recorded and generated inputs --------------------------------------------
def _reference_runs(executor, state: list[_State], settings: ValidationSettings, on_progress) -> None:
    jobs = []
    for i, s in enumerate(state):
        for r in range(settings.runs):
            jobs.append(_job((i, "rec", r), s.c.program, s.c.call_entry, _calls(s.pool), settings.job_time_s,
                             settings.memory_mb))
        if settings.other_machine:
            jobs.append(_job((i, "elsewhere", 0), elsewhere(s.c.program), s.c.call_entry, _calls(s.pool),
                             settings.job_time_s, settings.memory_mb))
    verdicts = _run(executor, jobs, on_progress)
    for i, s in enumerate(state):
        _guarded(s, _judge_reference, s, [verdicts[(i, "rec", r)] for r in range(settings.runs)], settings,
                 verdicts.get((i, "elsewhere", 0)))
    if settings.max_generated <= 0:
        return
    # Generated inputs only for the survivors, with a time limit scaled to the reference's speed:
    # a drawn input can be far bigger than any recorded one.
    jobs, proposed = [], {}
    for i, s in enumerate(state):
        if not s.alive:
            continue
        proposed[i] = _guarded(s, generate_calls, s.pool, settings.generate) or []
        if not s.alive:
            continue
        time_s = _mutant_time(s, settings, len(proposed[i]))
        for r in range(settings.runs if proposed[i] else 0):
            jobs.append(_job((i, "gen", r), s.c.program, s.c.call_entry, proposed[i], time_s, settings.memory_mb))
    verdicts = _run(executor, jobs, on_progress)
    for i, calls in proposed.items():
        if calls and state[i].alive:
            _guarded(state[i], _keep_generated, state[i], calls, [verdicts[(i, "gen", r)] for r in range(settings.runs)])


def _judge_reference(s: _State, runs: list, settings: ValidationSettings, other=None) -> None:
    for v in runs:
        if v.status == "timeout":
            return s.drop("too slow", v.detail)
        if v.status == "memory":
            return s.drop("too much memory", v.detail)
        if v.status != "passed" or v.outputs is None:
            if "Error" in v.detail and ("load" in v.detail or "NameError" in v.detail or "Import" in v.detail):
                return s.drop("does not load", v.detail)
            return s.drop("crashes in isolation", f"{v.status}: {v.detail}")
    s.call_s = max(v.duration_s for v in runs) / max(1, len(s.pool))
    if s.call_s > settings.max_call_s:
        return s.drop("too slow", f"{s.call_s:.3f}s per call")
    per_run = [[outcome_key(o) for o in v.outputs] for v in runs]
    for j in range(len(s.pool)):
        if len({run[j] for run in per_run}) > 1:
            return s.drop("non-deterministic", f"call {s.pool[j]['args'][:80]} gave different outcomes in fresh runs")
    if other is not None:
        if other.status != "passed" or other.outputs is None or len(other.outputs) != len(s.pool):
            return s.drop("depends on the machine's environment",
                          f"fails in another folder/HOME/PATH/user/time zone: {other.status}: {other.detail}")
        for j, (here, there) in enumerate(zip(per_run[0], other.outputs)):
            if outcome_key(there) != here:
                return s.drop("depends on the machine's environment",
                              f"call {s.pool[j]['args'][:60]} gives "
                              f"{runs[0].outputs[j].get('value', runs[0].outputs[j].get('raises'))!s:.40} here and "
                              f"{there.get('value', there.get('raises'))!s:.40} in another environment")
    # Method calls traced on an instance whose state had changed since its constructor call, or on a subclass's
    # instance, and calls whose argument objects had changed since theirs, are kept only where fresh objects give
    # the same outcome: the tests state what the function does with objects as their constructor calls build them.
    moved = {j for j, (case, got) in enumerate(zip(s.pool, per_run[0]))
             if case.get(CHANGED_STATE) and got != expected_key(case)}
    if moved:
        if len(s.pool) - len(moved) < MIN_TESTS:
            if all(s.pool[j][CHANGED_STATE] == 2 for j in moved):
                return s.drop("called on subclasses' instances", f"{len(moved)} of {len(s.pool)} calls, traced on a "
                                                                 f"subclass's instances, differ on the method's class")
            if s.c.method is None:  # a function called with argument objects changed since they were built
                return s.drop("argument objects changed since built", f"{len(moved)} of {len(s.pool)} calls differ "
                                                                      f"when their objects are built afresh")
            return s.drop("instance changed between calls", f"{len(moved)} of {len(s.pool)} calls, traced on an instance "
                                                            f"changed since its constructor call, differ from a fresh one")
        s.pool = [t for j, t in enumerate(s.pool) if j not in moved]
        per_run = [[o for j, o in enumerate(run) if j not in moved] for run in per_run]
        runs = [_without_outputs(v, moved) for v in runs]
    stale, environmental = [], []
    for j, (case, got) in enumerate(zip(s.pool, per_run[0])):
        if got == ("unsupported",):
            return s.drop("result not a literal", f"call {case['args'][:80]}")
        if "raises" in case and s.c.unknown_raises and case["raises"] == "Exception" and got[0] == "raises":
            case["raises"] = got[1]  # the tracer saw only that it raised (setprofile): name it now
            continue
        if got != expected_key(case):
            stale.append(j)
            if got[0] == "raises" and got[1] in _ENVIRONMENT_ERRORS:
                environmental.append(j)
    if not stale:
        return None
    # A few calls that differ, in a function stable across fresh runs, were made while a test had
    # changed module state (a patched table, say): those calls go, the function stays. When many
    # differ, or one fails for want of a module or a file, the function depends on its environment.
    if not environmental and len(stale) <= MAX_STALE_FRACTION * len(s.pool) and len(s.pool) - len(stale) >= MIN_TESTS:
        s.stale_calls = len(stale)
        s.pool = [t for j, t in enumerate(s.pool) if j not in set(stale)]
        return None
    j = (environmental or stale)[0]
    case, shown = s.pool[j], runs[0].outputs[j]
    if environmental and shown.get("raises") in ("ImportError", "ModuleNotFoundError"):
        reason = "needs a third-party module"
    elif environmental or _ENVIRONMENT_RE.search(s.c.program):
        reason = "depends on time/env/files"
    else:
        reason = "differs from the traced run"
    return s.drop(reason, f"{len(stale)} of {len(s.pool)} calls differ, e.g. {case['args'][:80]}: traced "
                          f"{case.get('expected', case.get('raises'))!s:.60}, isolated "
                          f"{shown.get('value', shown.get('raises'))!s:.60}")


def _call_key(args: str, kwargs: str) -> tuple[str, str]:
    """A call's arguments as their syntax trees: the same call whatever spacing its texts were written with."""
    try:
        return ast.dump(ast.parse(args.strip(), mode="eval")), ast.dump(ast.parse(kwargs.strip(), mode="eval"))
    except SyntaxError:
        return args, kwargs


def _keep_generated(s: _State, proposed: list[tuple[str, str]], runs: list, allow_new_raises: bool = False) -> None:
    if any(v.status != "passed" or v.outputs is None for v in runs):
        return  # an input that hangs or crashes the reference only costs us the generated tests
    per_run = [[outcome_key(o) for o in v.outputs] for v in runs]
    raised = {t["raises"] for t in s.pool if "raises" in t}
    seen = {_call_key(t["args"], t.get("kwargs", "{}")) for t in s.pool + s.generated}  # calls the tests make
    for j, (args, kwargs) in enumerate(proposed):
        if _call_key(args, kwargs) in seen:
            continue
        seen.add(_call_key(args, kwargs))
        keys = {run[j] for run in per_run}
        if len(keys) != 1:
            continue
        key = keys.pop()
        if key[0] == "unsupported" or (key[0] == "raises" and key[1] not in raised and not allow_new_raises):
            continue  # an exception the function was never seen raising: probably an input it is not for
        case: dict[str, Any] = {"args": args}
        if kwargs != "{}":
            case["kwargs"] = kwargs
        if hash_order_dependent(case):
            continue
        if key[0] == "value":
            case["expected"] = runs[0].outputs[j]["value"]
        else:
            case["raises"] = key[1]
        case["split"] = "generated"
        s.generated.append(case)


# ---- 3: mutants, and the tests that tell them apart -----------------------------------------------
def _mutant_runs(executor, state: list[_State], settings: ValidationSettings, on_progress) -> None:
    jobs = []
    for s in state:
        c = s.c
        calls = _calls(s.pool + s.generated)
        s.mutant_programs = _guarded(s, lambda: [src for _, src in mutants(c.program, c.function_path, settings.max_mutants,
                                                                           c.task_id)]) or []
        s.shortcut_names, s.shortcut_program = _guarded(s, combined_program, c.program, c.function_path, s.pool) \
            or ([], "")
        for k, program in enumerate(s.mutant_programs):
            jobs.append(_job((id(s), "mut", k), program, c.call_entry, calls, _mutant_time(s, settings, len(calls)),
                             settings.memory_mb))
        if s.shortcut_program:
            jobs.append(_job((id(s), "short"), s.shortcut_program, c.call_entry, calls,
                             _mutant_time(s, settings, len(calls)) * 2, settings.memory_mb))
    verdicts = _run(executor, jobs, on_progress)
    for s in state:
        if not s.alive:
            continue
        expected = [expected_key(t) for t in s.pool + s.generated]
        s.kills = [_kill_set(verdicts[(id(s), "mut", k)], expected) for k in range(len(s.mutant_programs))]
        if s.shortcut_program:
            s.shortcut_kills = _shortcut_kills(s, verdicts[(id(s), "short")], expected)
            if not s.alive:
                continue
        _guarded(s, _choose_tests, s, settings)
        if s.alive and len({expected_key(t) for t in s.tests}) == 1:
            case = s.tests[0]
            s.drop("constant output", f"every test expects {case.get('expected', case.get('raises'))!s:.80}")


def _kill_set(v, expected: list) -> set[int] | None:
    """Indexes of the cases whose outcome differs from the expected one; None when the whole job failed."""
    if v.status != "passed" or v.outputs is None or len(v.outputs) != len(expected):
        return None
    return {j for j, (o, e) in enumerate(zip(v.outputs, expected)) if outcome_key(o) != e}


def _shortcut_kills(s: _State, v, expected: list) -> list[set[int] | None]:
    """Per shortcut, the indexes of the cases it fails (from the combined program's results)."""
    n = len(s.shortcut_names)
    if v.status != "passed" or v.outputs is None or len(v.outputs) != len(expected):
        s.drop("shortcuts could not be judged", f"{v.status}: {v.detail}")
        return [None] * n
    kills: list[set[int] | None] = [set() for _ in range(n)]
    for j, (o, e) in enumerate(zip(v.outputs, expected)):
        got = decode(parse(o["value"]), n) if "value" in o else None
        for k in range(n):
            if got is None or got[k] != e:
                kills[k].add(j)
    return kills


# ---- 3b: boundary inputs, when a shortcut passes the tests or one outcome dominates them ------------
def _boundary_runs(executor, state: list[_State], settings: ValidationSettings, on_progress) -> None:
    """The reference (twice) and the surviving shortcuts on boundary inputs; deterministic outcomes join
    the generated cases, with the shortcuts they fail recorded."""
    if settings.boundary <= 0:
        return
    jobs, proposed = [], {}
    for s in state:
        calls = _guarded(s, boundary_calls, s.pool, settings.boundary) or []
        known = set(_calls(s.cases()))
        calls = [c for c in calls if c not in known]
        if not calls:
            continue
        proposed[id(s)] = (s, calls)
        time_s = _mutant_time(s, settings, len(calls))
        for r in range(2):
            jobs.append(_job((id(s), "bound", r), s.c.program, s.c.call_entry, calls, time_s, settings.memory_mb))
        if s.shortcut_program:
            jobs.append(_job((id(s), "bshort"), s.shortcut_program, s.c.call_entry, calls, time_s * 2,
                             settings.memory_mb))
    verdicts = _run(executor, jobs, on_progress)
    for s, calls in proposed.values():
        _guarded(s, _keep_boundary, s, calls, [verdicts[(id(s), "bound", r)] for r in range(2)],
                 verdicts.get((id(s), "bshort")))


def _keep_boundary(s: _State, calls: list[tuple[str, str]], runs: list, shortcut_run) -> None:
    before = len(s.generated)
    start = len(s.cases())
    _keep_generated(s, calls, runs, allow_new_raises=False)
    added = s.generated[before:]
    if not added:
        return
    index = {pair: j for j, pair in enumerate(calls)}
    v = shortcut_run
    usable = v is not None and v.status == "passed" and v.outputs is not None and len(v.outputs) == len(calls)
    n = len(s.shortcut_names)
    if not usable:
        return  # what the shortcuts do on these inputs is unknown: they count for nothing
    for offset, case in enumerate(added):
        out = v.outputs[index[(case["args"], case.get("kwargs", "{}"))]]
        got = decode(parse(out["value"]), n) if "value" in out else None
        for k, ks in enumerate(s.shortcut_kills):
            if ks is not None and (got is None or got[k] != expected_key(case)):
                ks.add(start + offset)
    s.boundary_added = len(added)


# ---- 3c: every shortcut fails, no outcome dominates ---------------------------------------------
def _judge_tests(s: _State, settings: ValidationSettings) -> None:
    """Add tests that fail surviving shortcuts; rebalance a dominated test set; else drop, naming why."""
    cases = s.cases()
    n_pool = len(s.pool)
    for k in s.surviving_shortcuts():
        ks = s.shortcut_kills[k]
        if ks & set(s.chosen):
            continue  # a test added for another shortcut fails this one too
        if not ks:
            return s.drop("a shortcut passes the tests", s.shortcut_names[k])
        j = min(ks, key=lambda j: (j >= n_pool, j))  # a recorded call first
        s.chosen.append(j)
        s.tests.append(dict(cases[j]))
    share = settings.max_dominant_share
    key, count = s.dominant()
    if count > share * len(s.tests):
        # other outcomes first: add cases that expect something else, then leave out dominant ones
        # that no mutant or shortcut needs
        others = [j for j in range(len(cases)) if j not in s.chosen and expected_key(cases[j]) != key]
        for j in others:
            if count <= share * len(s.tests):
                break
            s.chosen.append(j)
            s.tests.append(dict(cases[j]))
        for j in sorted([j for j in s.chosen if expected_key(cases[j]) == key], reverse=True):
            if count <= share * len(s.tests) or len(s.tests) <= MIN_TESTS:
                break
            if _needed(s, j):
                continue
            position = s.chosen.index(j)
            s.chosen.pop(position)
            s.tests.pop(position)
            count -= 1
        if count > share * len(s.tests):
            return s.drop("degenerate tests", f"{count} of {len(s.tests)} tests expect {key[1]!s:.60}")
    survivors = s.surviving_shortcuts()
    if survivors:
        return s.drop("a shortcut passes the tests", s.shortcut_names[survivors[0]])
    # the recorded tests first, the generated ones after them (the order the record keeps)
    order = sorted(range(len(s.chosen)), key=lambda i: (s.chosen[i] >= n_pool, s.chosen[i] if s.chosen[i] < n_pool
                                                         else i))
    s.chosen = [s.chosen[i] for i in order]
    s.tests = [s.tests[i] for i in order]


def _enough_tests(s: _State) -> None:
    """At least MIN_TESTS distinct kept tests, one of them recorded: a function traced with fewer calls
    (Candidate.few_calls) is kept only when its generated tests make up the rest."""
    distinct = {(t["args"], t.get("kwargs", "{}")) for t in s.tests}
    recorded = sum(1 for t in s.tests if t.get("split") != "generated")
    if len(distinct) < MIN_TESTS or not recorded:
        s.drop("too few tests", f"{len(distinct)} distinct tests kept, {recorded} of them recorded")


def _needed(s: _State, j: int) -> bool:
    """Whether case j is the only kept test that kills some mutant or fails some shortcut."""
    others = set(s.chosen) - {j}
    for ks in [*s.kills, *s.shortcut_kills]:
        if ks is not None and j in ks and not ks & others:
            return True
    return False


def _mutant_time(s: _State, settings: ValidationSettings, n_calls: int) -> float:
    return min(settings.job_time_s, max(2.0, 5 * s.call_s * n_calls + 1.0))


def _choose_tests(s: _State, settings: ValidationSettings) -> None:
    """Recorded calls, then generated ones, that kill the most mutants not yet killed; then varied outcomes."""
    n_pool = len(s.pool)
    cases = s.pool + s.generated
    killed: set[int] = set()

    def pick(indexes: list[int], limit: int) -> list[int]:
        chosen: list[int] = []
        raises = 0
        candidates = list(indexes)
        while len(chosen) < limit:  # greedy: the call that kills most mutants still alive
            best, gain = None, 0
            for j in candidates:
                g = sum(1 for m, ks in enumerate(s.kills) if ks is not None and m not in killed and j in ks)
                if g > gain and not ("raises" in cases[j] and raises >= MAX_RAISES):
                    best, gain = j, g
            if best is None:
                break
            chosen.append(best)
            candidates.remove(best)
            raises += "raises" in cases[best]
            killed.update(m for m, ks in enumerate(s.kills) if ks is not None and best in ks)
        seen = {expected_key(cases[j]) for j in chosen}
        for want_new in (True, False):  # then varied outcomes, then the rest in order
            for j in candidates:
                if len(chosen) >= limit:
                    break
                if j in chosen or (want_new and expected_key(cases[j]) in seen):
                    continue
                if "raises" in cases[j] and raises >= MAX_RAISES:
                    continue
                chosen.append(j)
                raises += "raises" in cases[j]
                seen.add(expected_key(cases[j]))
        return chosen

    recorded = pick(list(range(n_pool)), MAX_TESTS)
    generated = pick(list(range(n_pool, len(cases))), settings.max_generated)
    s.tests = [dict(cases[j]) for j in sorted(recorded)] + [dict(cases[j]) for j in generated]
    s.chosen = sorted(recorded) + generated


# ---- 4: coverage, the kill rate of the kept tests, and the finished record -------------------------
def _finish(executor, state: list[_State], settings: ValidationSettings, on_progress) -> None:
    from ..sandbox import Job

    jobs = []
    for s in state:
        c = s.c
        calls = _calls(s.tests)
        jobs.append(_job((id(s), "cov"), c.program, c.call_entry, calls, settings.job_time_s, settings.memory_mb,
                         coverage=True))
        for k, ks in enumerate(s.kills):
            if ks is None:  # job-level failure on the whole pool: try again on the kept tests
                jobs.append(_job((id(s), "mut", k), s.mutant_programs[k], c.call_entry, calls,
                                 _mutant_time(s, settings, len(calls)), settings.memory_mb))
        for j, case in enumerate(s.tests):
            if case.get("split") != "generated":
                case["split"] = "public" if j < PUBLIC_TESTS else "hidden"
        try:
            s.problem = Problem.from_dict(_record(s, settings))
        except RecordError as exc:
            s.drop("invalid record", str(exc))
            continue
        except Exception as exc:  # one odd value must not sink the target
            s.drop("internal error", f"{type(exc).__name__}: {exc}")
            continue
        # prompt: the check's trusted context, as evaluation.sample_job gives it (a stubbed helper's hidden
        # definition, in the test, may read the prompt's names while it loads)
        jobs.append(Job(key=(id(s), "check"), program=c.program + GUARD, entry_point=c.call_entry, test=s.problem.test,
                        prompt=c.prompt, time_s=settings.problem_time_s * 3, memory_mb=settings.memory_mb))
    verdicts = _run(executor, jobs, on_progress)
    for s in state:
        if s.alive:
            _guarded(s, _conclude, s, verdicts, settings)


def _conclude(s: _State, verdicts: dict, settings: ValidationSettings) -> None:
    v = verdicts[(id(s), "cov")]
    s.coverage = body_coverage(v.coverage, s.c.body_lines()) if v.status == "passed" else {}
    chosen = set(s.chosen)
    expected = [expected_key(t) for t in s.tests]
    killed = 0
    for k, ks in enumerate(s.kills):
        if ks is not None:
            killed += bool(ks & chosen)
            continue
        mv = verdicts[(id(s), "mut", k)]
        killed += mv.status != "passed" or mv.outputs is None or [outcome_key(o) for o in mv.outputs] != expected
    s.mutants, s.killed = len(s.kills), killed
    s.kill_rate = round(killed / s.mutants, 4) if s.mutants else None
    s.problem = Problem.from_dict(_record(s, settings))  # now with coverage and kill rate in meta
    check = verdicts[(id(s), "check")]
    if check.status != "passed":
        s.drop("fails its rendered check", f"{check.status}: {check.detail}")
    elif s.kill_rate is not None and s.kill_rate < settings.min_kill_rate:
        s.drop("weak tests", f"kill rate {s.kill_rate:.2f} below {settings.min_kill_rate:.2f}")


def _record(s: _State, settings: ValidationSettings) -> dict[str, Any]:
    c = s.c
    meta = dict(c.meta)
    meta.update({
        "coverage": {k: v for k, v in s.coverage.items() if k != "missing_lines"} or None,
        "kill_rate": s.kill_rate, "mutants": s.mutants, "mutants_killed": s.killed,
        "recorded_tests": sum(1 for t in s.tests if t.get("split") != "generated"),
        "generated_tests": sum(1 for t in s.tests if t.get("split") == "generated"),
        "usable_calls": len(s.pool), "stale_calls_dropped": s.stale_calls,
        "machine_state_calls_dropped": s.machine_calls, "boundary_cases": s.boundary_added,
        "shortcuts_failed": len(s.shortcut_names),
        "reference_call_s": round(s.call_s, 5), "validation_runs": settings.runs,
    })
    return {
        "task_id": c.task_id, "source": "ci", "kind": "function", "prompt": c.prompt, "entry_point": c.entry_point,
        "canonical_solution": c.solution, "tests": [_record_case(t, c.method, c.state) for t in s.tests],
        "checker": c.checker,
        "limits": {"time_s": settings.problem_time_s, "memory_mb": settings.memory_mb},
        "provenance": c.provenance, "flags": list(c.flags), "meta": meta,
    }


def _without_outputs(verdict, drop: set[int]):
    """The verdict with the outputs of the calls at `drop` left out (they left the pool)."""
    return replace(verdict, outputs=[o for j, o in enumerate(verdict.outputs) if j not in drop])


def _record_case(case: dict[str, Any], method: str | None, state: bool = False) -> dict[str, Any]:
    """A kept test as the record holds it: a method problem's adapter arguments become the constructor
    call and the method's own arguments (sftset.methods); `state`: judged by the state it leaves."""
    case = {k: v for k, v in case.items() if k != CHANGED_STATE}
    if method is None:
        return case
    init_args, init_kwargs, args = split_args(case["args"])
    out: dict[str, Any] = {"method": method, "init_args": init_args}
    if init_kwargs != "{}":
        out["init_kwargs"] = init_kwargs
    out.update({k: v for k, v in case.items() if k != "args"})
    out["args"] = args
    if state:
        out["state"] = True
    return out


def body_coverage(report: dict | None, span: tuple[int, int]) -> dict[str, Any]:
    """Line and branch coverage of the lines in `span` (the reference body) from coverage.py's report."""
    if not report:
        return {}
    first, last = span
    inside = lambda line: first <= line <= last  # noqa: E731
    executed = {n for n in report.get("executed_lines", []) if inside(n)}
    missing = {n for n in report.get("missing_lines", []) if inside(n)}
    taken = [b for b in report.get("executed_branches", []) if inside(b[0])]
    missed = [b for b in report.get("missing_branches", []) if inside(b[0])]
    lines = len(executed) / (len(executed) + len(missing)) if executed or missing else None
    branches = len(taken) / (len(taken) + len(missed)) if taken or missed else None
    return {"lines": None if lines is None else round(lines, 4),
            "branches": None if branches is None else round(branches, 4),
            "missing_lines": sorted(n - first + 1 for n in missing)}


def medians(outcomes: list[Outcome]) -> dict[str, float | None]:
    kept = [o for o in outcomes if o.kept]
    lines = [o.coverage.get("lines") for o in kept if o.coverage.get("lines") is not None]
    branches = [o.coverage.get("branches") for o in kept if o.coverage.get("branches") is not None]
    kills = [o.kill_rate for o in kept if o.kill_rate is not None]
    return {"coverage_lines": round(median(lines), 4) if lines else None,
            "coverage_branches": round(median(branches), 4) if branches else None,
            "kill_rate": round(median(kills), 4) if kills else None}
