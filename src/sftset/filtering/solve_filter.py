"""The solve filter (Chen et al. 2021, section 4.3): keep a problem when at least one of n
model samples passes its tests, and drop it when reruns disagree.

For each group of problems:
  1. sample: ask the sampler only for sample indices the store does not hold yet, and
     store each batch as soon as it arrives (a killed run resumes, nothing is paid twice);
  2. execute: run every sample without a result through the sandbox, program = prompt +
     completion, checked by the record's `test` (identical completions run once);
  3. rerun the distinct passing samples and the reference `reruns` times, each in a fresh
     sandboxed process, and drop the problem as flaky when the results differ. A rerun that
     times out is run again with 4x, then 16x the limit first (`slow_rerun_factor`): on a busy
     machine a passing sample near the limit times out without being wrong, and the check
     is there for stateful or non-deterministic code (different answers), not for load;
  4. write the verdict (stage "filter") and the record's `filter` field; keep up to K
     distinct passing samples in meta["extra_solutions"] and fill an empty reference.
While a group runs in the sandbox, the next group is being sampled, so a model server is
not left idle.
"""
from __future__ import annotations

import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any, Iterable

from ..contests.verify import (VerifyOptions, apply as apply_generated, applies as needs_generated, has_reference,
                               model_programs, verify)
from ..progress import bar, log
from ..record import Problem
from ..sampling.base import SampleRequest, Sampler
from ..store import FINAL, StateStore, params_hash
from .judge import Band, Decision, after_reruns, before_reruns, distinct_solutions, pass_at

STAGE = "filter"
UNFILTERED = "unfiltered"


@dataclass
class FilterOptions:
    n: int | None = None              # None: every sample the backend has (a samples file)
    reruns: int = 3
    band: Band = field(default_factory=Band)
    keep_solutions: int = 5
    workers: int | None = None
    sample_only: bool = False
    redo: bool = False
    group_size: int = 64              # problems sampled, executed and judged together
    slow_rerun_factor: float = 4.0    # a rerun that times out is retried with this times the limit,
    slow_reruns: int = 2              # and again with that much more, up to this many times (4x, 16x)
    verify: VerifyOptions = field(default_factory=VerifyOptions)  # generated tests for samples-only stdio problems


class SolveFilter:
    def __init__(self, store: StateStore, sampler: Sampler, options: FilterOptions, executor=None):
        """`executor`: the run's (sftset.executors Spreader, closed by its owner); None: a local one made
        on first use and closed at the end of `run`."""
        self.store = store
        self.sampler = sampler
        self.opt = options
        self.model = sampler.model
        self.phash = params_hash({"model": sampler.model, **sampler.identity()})
        self.stats: Counter = Counter()
        self.drops: Counter = Counter()
        self._executor = executor
        self._owns_executor = executor is None
        self._lock = threading.Lock()

    # ---- public -----------------------------------------------------------------------
    def run(self, problems: Iterable[Problem]) -> dict[str, Any]:
        todo: list[tuple[Problem, int]] = []
        for p in problems:
            self.stats["problems"] += 1
            n = self._n_for(p)
            if n == 0:
                self.stats["no_samples"] += 1
                continue
            if not self.opt.redo and self._is_done(p, n):
                self.stats["already_done"] += 1
                continue
            todo.append((p, n))
        if todo:
            log.info("filter: %d problems to judge with %s (%d already judged)", len(todo), self.model,
                     self.stats["already_done"])
        groups = [todo[i:i + self.opt.group_size] for i in range(0, len(todo), self.opt.group_size)]
        ahead: _SampleAhead | None = None
        try:
            for k, group in enumerate(groups):
                refused = ahead.result() if ahead is not None else self._sample(group, self.store)
                ahead = None
                if self.opt.sample_only:
                    continue
                if k + 1 < len(groups):
                    # The model server keeps working on the next group while this one runs in the sandbox.
                    ahead = _SampleAhead(self, groups[k + 1])
                self._judge([(p, n) for p, n in group if p.task_id not in refused])
            if ahead is not None:
                ahead.result()
        finally:
            if self._executor is not None and self._owns_executor:
                self._executor.close()
                self._executor = None
        return self.summary()

    def summary(self) -> dict[str, Any]:
        """Counts so far (also after a run that stopped half way)."""
        out: dict[str, Any] = dict(self.stats)
        out["dropped_by_reason"] = dict(self.drops)
        out["failures"] = self.stats["errors"]
        return out

    # ---- bookkeeping ------------------------------------------------------------------
    def _n_for(self, p: Problem) -> int:
        have = self.sampler.available(p.task_id)
        if have is None:
            return int(self.opt.n or 0)
        return min(have, self.opt.n) if self.opt.n else have

    def _settings_key(self, n: int) -> str:
        b, v = self.opt.band, self.opt.verify
        key = {"phash": self.phash, "n": n, "reruns": self.opt.reruns, "keep": self.opt.keep_solutions,
               "band": [b.min_pass_rate, b.max_pass_rate]}
        if v.enabled:
            key["generated"] = [v.caps.max_inputs, v.caps.max_input_bytes, v.caps.max_size,
                                v.agreement.min_programs, v.agreement.max_dissent]
        return params_hash(key)

    def _is_done(self, p: Problem, n: int) -> bool:
        return self.store.is_done(p.task_id, STAGE, p.content_hash, statuses=FINAL,
                                  detail={"settings": self._settings_key(n)})

    # ---- 1. sampling ------------------------------------------------------------------
    def _count(self, key: str, value: int = 1) -> None:
        with self._lock:
            self.stats[key] += value

    def _sample(self, group: list[tuple[Problem, int]], store: StateStore) -> set[str]:
        """Draw the missing samples into `store`; returns task_ids the sampler refused."""
        requests: list[SampleRequest] = []
        seen_hash: set[str] = set()
        for p, n in group:
            if p.content_hash in seen_hash:  # the same problem under two ids shares its samples
                continue
            seen_hash.add(p.content_hash)
            stored = {s["idx"] for s in store.samples(p.content_hash, self.model, self.phash)}
            self._count("samples_reused", sum(1 for i in stored if i < n))
            missing = tuple(i for i in range(n) if i not in stored)
            if missing:
                requests.append(SampleRequest(p.task_id, p.prompt, missing))
        refused: set[str] = set()
        total = sum(len(r.indices) for r in requests)
        if not total:
            return refused
        hash_of = {p.task_id: p.content_hash for p, _ in group}
        with bar(total, desc="sampling", unit="sample") as progress:
            for batch in self.sampler.generate(requests):
                task_id = batch.request.task_id
                if batch.error:
                    if task_id not in refused:
                        refused.add(task_id)
                        self._error(task_id, hash_of[task_id], f"sampler: {batch.error}", store)
                    progress.update(len(batch.indices))
                    continue
                pairs = list(zip(batch.indices, batch.completions))
                self._count("samples_drawn", store.put_samples(hash_of[task_id], self.model, self.phash, pairs))
                progress.update(len(pairs))
        return refused

    # ---- 2. executing -----------------------------------------------------------------
    def _executor_(self):
        if self._executor is None:
            from .. import executors

            self._executor = executors.make(workers=self.opt.workers)
        return self._executor

    @staticmethod
    def _job(p: Problem, key: Any, completion: str, time_s: float | None = None):
        from ..evaluation import sample_job

        return sample_job(p, completion, key, time_s=time_s)

    def _execute(self, group: list[tuple[Problem, int]]) -> None:
        jobs = []
        copies: dict[tuple[str, int], list[int]] = {}
        seen_hash: set[str] = set()
        for p, n in group:
            if p.content_hash in seen_hash:
                continue
            seen_hash.add(p.content_hash)
            first_of: dict[str, int] = {}
            for s in self.store.samples(p.content_hash, self.model, self.phash):
                if s["idx"] >= n or s["status"] is not None:
                    continue
                head = first_of.setdefault(s["completion"], s["idx"])
                if head == s["idx"]:
                    jobs.append(self._job(p, (p.content_hash, head), s["completion"]))
                    copies[(p.content_hash, head)] = []
                else:
                    copies[(p.content_hash, head)].append(s["idx"])
        if not jobs:
            return
        pending: list[tuple[str, int, str, dict]] = []
        last_flush = time.monotonic()
        with bar(len(jobs), desc="executing", unit="sample") as progress:
            for v in self._executor_().run(jobs):
                chash, head = v.key
                detail = {"detail": v.detail[:500], "duration_s": round(v.duration_s, 4), "environment": v.environment}
                pending.append((chash, head, v.status, detail))
                pending += [(chash, i, v.status, {**detail, "same_as": head}) for i in copies[v.key]]
                self._count("executions")
                progress.update(1)
                if len(pending) >= 500 or time.monotonic() - last_flush > 2:
                    self.store.set_sample_results(self.model, self.phash, pending)
                    pending, last_flush = [], time.monotonic()
        self.store.set_sample_results(self.model, self.phash, pending)

    # ---- 3. reruns and 4. verdicts ----------------------------------------------------
    def _judge(self, group: list[tuple[Problem, int]]) -> None:
        self._execute(group)
        plans: list[tuple[Problem, int, list[dict], dict[Any, str]]] = []
        jobs = []
        for p, n in group:
            rejected = self._generated_tests(p, n) if self.opt.verify.enabled and needs_generated(p) else None
            samples = [s for s in self.store.samples(p.content_hash, self.model, self.phash) if s["idx"] < n]
            if rejected:
                self._write(p, n, samples, Decision("dropped", rejected, kind="generated tests reject the reference"),
                            {}, None)
                continue
            if len(samples) < n or any(s["status"] is None for s in samples):
                self._error(p.task_id, p.content_hash, f"only {len(samples)} of {n} samples stored and run")
                continue
            c = sum(s["status"] == "passed" for s in samples)
            early = before_reruns(n, c, self.opt.band)
            if early is not None:
                self._write(p, n, samples, early, {}, None)
                continue
            targets: dict[Any, str] = {}
            for s in samples:
                if s["status"] == "passed" and s["completion"] not in targets.values():
                    targets[s["idx"]] = s["completion"]
            if p.canonical_solution.strip():
                targets["reference"] = p.canonical_solution
            for name, completion in targets.items():
                for r in range(self.opt.reruns):
                    jobs.append(self._job(p, (p.task_id, name, r), completion))
            plans.append((p, n, samples, targets))
        statuses = self._rerun(jobs, {p.task_id: (p, targets) for p, _, _, targets in plans})
        results: dict[tuple[str, Any], list[str]] = defaultdict(list)
        for (task_id, name, _), status in sorted(statuses.items(), key=lambda kv: kv[0][2]):
            results[(task_id, name)].append(status)
        for p, n, samples, targets in plans:
            sample_reruns = {name: results[(p.task_id, name)] for name in targets if name != "reference"}
            ref = results[(p.task_id, "reference")] if "reference" in targets else None
            self._write(p, n, samples, after_reruns(sample_reruns, ref), sample_reruns, ref)

    def _generated_tests(self, p: Problem, n: int) -> str | None:
        """Give a samples-only stdio problem generated tests (contests.verify), in place: the
        record gets them and a new hash, and its samples move to that hash with a sample that
        fails a generated test marked failed. Returns why the problem must be dropped, or None."""
        samples = [s for s in self.store.samples(p.content_hash, self.model, self.phash) if s["idx"] < n]
        if len(samples) < n or any(s["status"] is None for s in samples):
            return None  # reported by the caller
        programs: dict[int, str] = {}
        for s in samples:
            if s["status"] == "passed" and s["completion"] not in programs.values():
                programs[s["idx"]] = s["completion"]
        if not programs and not has_reference(p):
            return None  # dropped for having no passing sample
        generator = validator = None
        if self.opt.verify.model_programs and self.sampler.backend != "samples":  # a model, not a file
            try:
                generator, validator = model_programs(p, self.sampler, self.opt.verify.caps)
            except Exception as exc:  # the model's help is optional: the samples' own inputs still count
                log.warning("%s: no generator from the model (%s)", p.task_id, exc)
        v = verify(p, programs, self._executor_(), self.opt.verify, generator=generator, validator=validator)
        self._count("generated_tests", len(v.tests))
        if v.drop:
            p.meta["generated_tests"] = v.info
            return v.drop
        old = p.content_hash
        apply_generated(p, v)
        if p.content_hash == old:
            return None
        ok_code = {code: v.passing.get(k, False) for k, code in programs.items()}
        self.store.put_samples(p.content_hash, self.model, self.phash, [(s["idx"], s["completion"]) for s in samples])
        results = []
        for s in samples:
            status, detail = s["status"], dict(s["detail"] or {})
            if status == "passed" and not ok_code.get(s["completion"], False):
                status, detail = "failed", {**detail, "detail": "wrong output on a generated test"}
                self._count("failed_generated")
            results.append((p.content_hash, s["idx"], status, detail))
        self.store.set_sample_results(self.model, self.phash, results)
        return None

    def _rerun(self, jobs: list, plans: dict[str, tuple[Problem, dict[Any, str]]]) -> dict[tuple, str]:
        """Status of every rerun, keyed (task_id, name, r); timeouts are retried with more time."""
        statuses: dict[tuple, str] = {}
        if not jobs:
            return statuses
        with bar(len(jobs), desc="rerunning", unit="run") as progress:
            for v in self._executor_().run(jobs):
                statuses[v.key] = v.status
                self._count("reruns")
                progress.update(1)
        factor = 1.0
        for _ in range(self.opt.slow_reruns):
            slow = [key for key, status in statuses.items() if status == "timeout"]
            factor *= self.opt.slow_rerun_factor
            if not slow or factor <= 1:
                break
            retry = []
            for key in slow:
                p, targets = plans[key[0]]
                limit = float((p.limits or {}).get("time_s", 3.0)) * factor
                retry.append(self._job(p, key, targets[key[1]], time_s=limit))
            for v in self._executor_().run(retry):
                statuses[v.key] = v.status
                self._count("slow_reruns")
                if v.status != "timeout":
                    self._count("slow_reruns_recovered")
        return statuses

    def _write(self, p: Problem, n: int, samples: list[dict], decision: Decision, sample_reruns: dict,
               ref_reruns: list[str] | None) -> None:
        c = sum(s["status"] == "passed" for s in samples)
        params = self.sampler.params
        p.filter = {"model": self.model, "n": n, "temperature": params.temperature, "top_p": params.top_p,
                    "passed": c, "reruns": self.opt.reruns if (sample_reruns or ref_reruns) else 0,
                    "stable": decision.stable, "pass_at": pass_at(n, c)}
        p.flags = [f for f in p.flags if f != UNFILTERED]
        if decision.status == "kept":
            passing = [s["completion"] for s in samples if s["status"] == "passed"]
            if not p.canonical_solution.strip():
                first = next(s for s in samples if s["status"] == "passed")
                p.canonical_solution = first["completion"]
                p.meta["canonical_from"] = {"model": self.model, "sample": first["idx"]}
            # a shortcut (`return x`, `return None`, ...) that passed is no solution to learn from (issue 13)
            from ..ci_mining.shortcuts import shortcut_of
            from ..methods import function_path

            passing = [c for c in passing if shortcut_of(p.prompt, function_path(p.entry_point, p.tests), c) is None]
            extras = distinct_solutions(p.prompt, passing, self.opt.keep_solutions, exclude=[p.canonical_solution])
            if extras:
                p.meta["extra_solutions"] = extras
            else:
                p.meta.pop("extra_solutions", None)
            self._count("kept")
        else:
            self._count("dropped")
            self.drops[decision.kind or decision.reason] += 1
        self.store.put_problems([p])
        detail = {**p.filter, "settings": self._settings_key(n), "params_hash": self.phash,
                  "backend": self.sampler.backend}
        if decision.flaky:
            detail["flaky"] = decision.flaky[:20]
        self.store.set_verdict(p.task_id, STAGE, decision.status, decision.reason, p.content_hash, detail)

    def _error(self, task_id: str, chash: str, reason: str, store: StateStore | None = None) -> None:
        self._count("errors")
        log.warning("%s: %s", task_id, reason)
        (store or self.store).set_verdict(task_id, STAGE, "error", reason[:500], chash, {"model": self.model})


class _SampleAhead(threading.Thread):
    """Samples one group in the background, through its own connection to the state file."""

    def __init__(self, owner: SolveFilter, group: list[tuple[Problem, int]]):
        super().__init__(name="sftset-sample-ahead", daemon=True)
        self.owner, self.group = owner, group
        self.refused: set[str] = set()
        self.exc: BaseException | None = None
        self.start()

    def run(self) -> None:
        try:
            with StateStore(self.owner.store.path) as store:
                self.refused = self.owner._sample(self.group, store)
        except BaseException as exc:  # handed to the main thread by result()
            self.exc = exc

    def result(self) -> set[str]:
        self.join()
        if self.exc is not None:
            raise self.exc
        return self.refused
