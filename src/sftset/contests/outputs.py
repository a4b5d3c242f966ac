"""Expected outputs for generated inputs, established and never guessed.

From a known-correct reference when the problem has one (a dataset's solution, not a model's
sample): its output is the expected one; an input it fails on (error, timeout, no string) is
dropped. Otherwise by agreement: the distinct programs that pass every public and hidden test
run on each input; the output of the largest group of equal answers (equal under the problem's
checker: tokens, exact or float tolerance) is accepted only when that group has at least
`min_programs` programs, no other group is as large, and the programs outside it (other
answers, errors, timeouts) are at most `max_dissent` of all (0, the default: all must agree;
0.5: a majority). An input without agreement is dropped. Unanimity is the default because it
never rejects a correct program that is in the pool; a margin lets the generated tests reject
wrong programs that pass the public tests, but when wrong programs outnumber the correct ones
and answer alike, it rejects the correct ones (measured in benchmarks/test_strength.py).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from ..render import STDIO_HELPERS


def _out_same() -> Callable[[str, str, str], bool]:
    # The very comparison the rendered check uses (one definition), run here on plain strings.
    namespace: dict[str, Any] = {}
    exec(compile(STDIO_HELPERS, "<sftset.render.STDIO_HELPERS>", "exec"), namespace)
    return namespace["_sftset_out_same"]


out_same = _out_same()


@dataclass
class AgreementRule:
    min_programs: int = 2      # distinct passing programs that must give the accepted answer
    max_dissent: float = 0.0   # share of passing programs allowed to answer otherwise (0: none)


@dataclass
class Established:
    outputs: dict[int, str]  # input index -> expected output
    dropped: dict[int, str]  # input index -> why no output was accepted
    source: str              # "reference" | "agreement of N programs"


def run_programs(prompt: str, entry_point: str, programs: dict[Any, str], inputs: list[str], executor, *,
                 time_s: float, memory_mb: int = 1024) -> dict[Any, list[str | None]]:
    """Each program's output on each input (None: it raised, timed out or returned no str), run in
    the sandbox: one job per program, calling `entry_point(input)` for every input in turn."""
    from ..sandbox.api import Job
    from ..values import read_value

    if not inputs or not programs:
        return {name: [None] * len(inputs) for name in programs}
    calls = [(repr((text,)), "{}") for text in inputs]
    budget = time_s * (1 + len(inputs))  # for the whole batch: these runs establish answers, they judge no speed
    jobs = [Job(key=name, program=prompt + code, entry_point=entry_point, calls=calls, time_s=budget,
                memory_mb=memory_mb) for name, code in programs.items()]
    out: dict[Any, list[str | None]] = {}
    for v in executor.run(jobs):
        got: list[str | None] = []
        for k in range(len(inputs)):
            outcome = (v.outputs or [])[k] if k < len(v.outputs or []) else {}
            value = None
            if "value" in outcome:
                try:
                    value = read_value(outcome["value"])
                except (ValueError, SyntaxError):
                    value = None
            got.append(value if isinstance(value, str) else None)
        out[v.key] = got
    return out


def from_reference(reference: list[str | None]) -> Established:
    outputs = {k: o for k, o in enumerate(reference) if o is not None}
    dropped = {k: "the reference failed on it" for k, o in enumerate(reference) if o is None}
    return Established(outputs, dropped, "reference")


def by_agreement(answers: dict[Any, list[str | None]], n_inputs: int, checker: str,
                 rule: AgreementRule | None = None) -> Established:
    rule = rule or AgreementRule()
    programs = sorted(answers, key=str)  # the order programs finished in must not matter
    outputs: dict[int, str] = {}
    dropped: dict[int, str] = {}
    if len(programs) < rule.min_programs:
        why = f"only {len(programs)} passing program(s), {rule.min_programs} must agree"
        return Established({}, {k: why for k in range(n_inputs)}, f"agreement of {len(programs)} programs")
    for k in range(n_inputs):
        groups: list[list[str]] = []  # each: answers equal to its first under the checker
        failed = 0
        for name in programs:
            o = answers[name][k]
            if o is None:
                failed += 1
                continue
            for g in groups:
                if out_same(o, g[0], checker) and out_same(g[0], o, checker):
                    g.append(o)
                    break
            else:
                groups.append([o])
        groups.sort(key=len, reverse=True)
        best = groups[0] if groups else []
        dissent = len(programs) - len(best)
        if len(groups) > 1 and len(groups[1]) == len(best):
            dropped[k] = f"no agreement: two answers with {len(best)} programs each"
        elif len(best) < rule.min_programs:
            dropped[k] = f"{len(best)} of {len(programs)} programs agree ({failed} failed)"
        elif dissent > rule.max_dissent * len(programs):
            dropped[k] = f"{dissent} of {len(programs)} programs disagree ({failed} failed)"
        else:  # the answer most of the group gave letter for letter (they differ in layout at most)
            outputs[k] = max(best, key=lambda o: (best.count(o), -best.index(o)))
    return Established(outputs, dropped, f"agreement of {len(programs)} programs")


def passes(answers: list[str | None], expected: dict[int, str], checker: str) -> bool:
    """Whether one program's answers match every established output."""
    return all(answers[k] is not None and out_same(answers[k], want, checker) for k, want in expected.items())
