"""Add generated tests to a stdio problem that lacks hidden tests, with outputs that are
established (see outputs.py), and say which programs still pass.

What a problem's record then says (`meta["generated_tests"]`, `flags`):
  generated_tests.count         generated tests added (split "generated")
  generated_tests.outputs_from  "reference" or "agreement of N programs"
  generated_tests.how           inputs by kind: values, sizes, boundary (from the samples), model
  generated_tests.dropped       inputs left out, by reason (no agreement, the reference failed,
                                refused by the validator)
  flag samples_only             no generated test could be added; generated_tests.why says why
                                ("constraints not parsed", "no agreement", ...)
A problem whose generated inputs the reference fails on (most of them) is dropped: either the
inputs or the reference is wrong, and neither can be trusted.
"""
from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from ..record import Problem
from ..render import render_check
from .constraints import parse_bounds
from .generate import GenCaps, Generator, program_inputs, validate_inputs
from .outputs import AgreementRule, by_agreement, from_reference, passes, run_programs

SAMPLES_ONLY = "samples_only"


@dataclass
class VerifyOptions:
    enabled: bool = True
    model_programs: bool = True  # with a model backend: a model-written generator and validator too
    caps: GenCaps = field(default_factory=GenCaps)
    agreement: AgreementRule = field(default_factory=AgreementRule)


@dataclass
class Verification:
    tests: list[dict[str, str]]        # generated tests to add
    info: dict[str, Any]               # meta["generated_tests"]
    passing: dict[Any, bool]           # program key -> passes the generated tests too
    drop: str | None = None            # the problem must be dropped, and why

    @property
    def samples_only(self) -> bool:
        return not self.tests


def applies(p: Problem) -> bool:
    """A stdio problem judged by its samples alone (no hidden or generated tests yet)."""
    return p.kind == "stdio" and bool(p.tests) and all(t.get("split", "public") == "public" for t in p.tests)


def has_reference(p: Problem) -> bool:
    """A known-correct solution from the source (a dataset's), not a model's passing sample."""
    return bool(p.canonical_solution.strip()) and "canonical_from" not in p.meta


def _seed(task_id: str) -> int:
    return int(hashlib.sha256(task_id.encode()).hexdigest()[:8], 16)


def verify(p: Problem, programs: dict[Any, str], executor, options: VerifyOptions | None = None, *,
           generator: str | None = None, validator: str | None = None) -> Verification:
    """Generated tests for `p`, outputs from its reference or the agreement of `programs` (distinct
    completions that pass its public tests), and which of `programs` pass them."""
    opt = options or VerifyOptions()
    samples = [t["input"] for t in p.tests]
    bounds = parse_bounds(p.prompt)
    made = Generator(samples, bounds, opt.caps, seed=_seed(p.task_id)).inputs(avoid=samples)
    info: dict[str, Any] = {"count": 0, "bounds_parsed": len(bounds)}
    if generator:  # half the inputs from the model's generator, which knows relations the bounds miss
        made = made[: opt.caps.max_inputs - opt.caps.max_inputs // 2]
        count = max(0, opt.caps.max_inputs - len(made))
        made += [(text, "model") for text in program_inputs(generator, executor, count, opt.caps)
                 if text.strip() not in {s.strip() for s in samples}]
    dropped: Counter = Counter()
    if validator and made:
        accepted, refused = validate_inputs([t for t, _ in made], validator, executor)
        keep = set(accepted)
        made = [(t, how) for t, how in made if t in keep]
        if refused:
            dropped["refused by the validator"] += len(refused)
    if not made:
        info["why"] = "constraints not parsed" if not bounds and not generator else "no input could be generated"
        return Verification([], info, {k: True for k in programs})
    inputs = [t for t, _ in made]
    time_s = float((p.limits or {}).get("time_s", 3.0))
    memory = int((p.limits or {}).get("memory_mb", 1024))
    runs = dict(programs)
    if has_reference(p):
        runs["reference"] = p.canonical_solution
    answers = run_programs(p.prompt, p.entry_point, runs, inputs, executor, time_s=time_s, memory_mb=memory)
    if has_reference(p):
        est = from_reference(answers.pop("reference"))
    else:
        est = by_agreement(answers, len(inputs), p.checker, opt.agreement)
    for why in est.dropped.values():
        dropped[why.split(" (")[0] if "agree" not in why else "no agreement"] += 1
    info.update({"outputs_from": est.source, "dropped": dict(dropped)})
    if est.source == "reference" and len(est.dropped) * 2 > len(inputs):
        info["why"] = f"the reference fails on {len(est.dropped)} of {len(inputs)} generated inputs"
        return Verification([], info, {}, drop=f"generated tests reject the reference ({info['why']})")
    if not est.outputs:
        info["why"] = "no agreement" if est.source != "reference" else "the reference failed on every input"
        return Verification([], info, {k: True for k in programs})
    kept = sorted(est.outputs)
    tests = [{"input": inputs[k], "output": est.outputs[k], "split": "generated"} for k in kept]
    info.update({"count": len(tests), "how": dict(Counter(made[k][1] for k in kept))})
    passing = {k: passes(answers[k], est.outputs, p.checker) for k in programs}
    return Verification(tests, info, passing)


def apply(p: Problem, v: Verification) -> Problem:
    """The record with the generated tests, its check rendered again and its hash recomputed."""
    p.tests = list(p.tests) + v.tests
    p.meta["generated_tests"] = v.info
    p.meta["tests"] = {s: sum(1 for t in p.tests if t.get("split", "public") == s)
                       for s in ("public", "hidden", "generated")}
    p.flags = [f for f in p.flags if f != SAMPLES_ONLY] + ([SAMPLES_ONLY] if v.samples_only else [])
    p.test = render_check(p)
    return p.rehash()


GENERATOR_PROMPT = '''def generate(seed: int) -> str:
    """Return one random input for the programming problem below, exactly in its input format
    and within every limit its constraints state, as one string. Use random.Random(seed) for all
    randomness, so that a seed always gives the same input. Keep inputs small enough to print
    quickly (at most {max_size} items per list).

{statement}
    """
    import random
    rng = random.Random(seed)
'''
VALIDATOR_PROMPT = '''def validate(stdin: str) -> bool:
    """Return True exactly when `stdin` is a valid input for the programming problem below: it
    follows the input format line by line and every value is within the stated constraints
    (including relations such as distinctness or sums). Return False otherwise; never raise.

{statement}
    """
'''


def statement_of(p: Problem) -> str:
    """The statement inside a stdio prompt's docstring, indented for another docstring."""
    quote = '"' * 3
    text = p.prompt.split(quote, 2)[1] if p.prompt.count(quote) >= 2 else p.prompt
    lines = ["    " + line.strip() if line.strip() else "" for line in text.strip("\n").splitlines()]
    return "\n".join(lines).replace(quote, "'" * 3)


def model_programs(p: Problem, sampler, caps: GenCaps | None = None) -> tuple[str | None, str | None]:
    """A generator and a validator written by the model for `p` (one sample each), as programs to
    run in the sandbox; (None, None) when the backend gives none."""
    from ..sampling.base import SampleRequest

    caps = caps or GenCaps()
    statement = statement_of(p)
    prompts = {"generator": GENERATOR_PROMPT.format(statement=statement, max_size=caps.max_size),
               "validator": VALIDATOR_PROMPT.format(statement=statement)}
    requests = [SampleRequest(f"{p.task_id}#{name}", prompt, (0,)) for name, prompt in prompts.items()]
    got: dict[str, str] = {}
    for batch in sampler.generate(requests):
        name = batch.request.task_id.rsplit("#", 1)[1]
        if not batch.error and batch.completions:
            got[name] = batch.request.prompt + batch.completions[0]
    return got.get("generator"), got.get("validator")


def options_from_config(cfg) -> VerifyOptions:
    """[filter] generated_tests, generated_by_model, generated_max_inputs, generated_max_input_bytes, generated_max_size,
    agreement_min_programs, agreement_max_dissent."""
    from ..errors import InputError

    caps, rule = GenCaps(), AgreementRule()
    opt = VerifyOptions(
        enabled=cfg.resolve(None, "filter", "generated_tests", True, bool),
        model_programs=cfg.resolve(None, "filter", "generated_by_model", True, bool),
        caps=GenCaps(cfg.resolve(None, "filter", "generated_max_inputs", caps.max_inputs, int),
                     cfg.resolve(None, "filter", "generated_max_input_bytes", caps.max_input_bytes, int),
                     cfg.resolve(None, "filter", "generated_max_size", caps.max_size, int)),
        agreement=AgreementRule(cfg.resolve(None, "filter", "agreement_min_programs", rule.min_programs, int),
                                cfg.resolve(None, "filter", "agreement_max_dissent", rule.max_dissent, float)))
    for key, value, ok in (("generated_max_inputs", opt.caps.max_inputs, opt.caps.max_inputs >= 0),
                           ("generated_max_input_bytes", opt.caps.max_input_bytes, opt.caps.max_input_bytes >= 1),
                           ("generated_max_size", opt.caps.max_size, opt.caps.max_size >= 1),
                           ("agreement_min_programs", opt.agreement.min_programs, opt.agreement.min_programs >= 1),
                           ("agreement_max_dissent", opt.agreement.max_dissent,
                            0.0 <= opt.agreement.max_dissent < 1.0)):
        if not ok:
            raise InputError(f"out of range: {value!r}", str(cfg.path), cfg.line_of("filter", key), f"filter.{key}")
    return opt
