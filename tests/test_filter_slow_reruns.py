"""A passing sample near the time limit on a loaded machine is not flaky (issue 16: HumanEval/61 was
dropped with `passed, then timeout/timeout/passed`). The load is real: CPU-bound processes started
between the first execution and the reruns, on the same cores as the sandbox workers."""
from __future__ import annotations

import json
import subprocess
import sys
import time

from sftset.filtering import solve_filter
from sftset.store import StateStore

# ~0.3 s of CPU, then the right answer: well inside 1 s alone, far past it when the cores are shared.
SLOW_OK = ("    import time\n    t = time.process_time()\n    while time.process_time() - t < 0.3:\n        pass\n"
           "    return x + 1\n")
PROMPT = "def inc(x):\n    \"\"\"Return x + 1.\"\"\"\n"
TEST = "def check(candidate):\n    assert candidate(3) == 4\n    assert candidate(-1) == 0\n"


def _problem(task_id: str) -> dict:
    return {"task_id": task_id, "prompt": PROMPT, "entry_point": "inc", "canonical_solution": "", "test": TEST,
            "limits": {"time_s": 1, "memory_mb": 512}}


def test_slow_passing_sample_under_load_is_kept(workdir, run_cli, monkeypatch):
    problems = [_problem("slow/inc")]
    (workdir / "problems.jsonl").write_text("".join(json.dumps(p) + "\n" for p in problems))
    (workdir / "samples.jsonl").write_text(json.dumps({"task_id": "slow/inc", "completion": SLOW_OK}) + "\n")
    assert run_cli("import", "problems.jsonl").rc == 0

    hogs: list[subprocess.Popen] = []
    execute = solve_filter.SolveFilter._execute

    def execute_then_load(self, group):
        # The first run stands for one on a quiet machine, where the sample passes. This machine is
        # shared and may be busy already, so that run gets room to spare (the precondition, not the
        # point); the reruns then run under the problem's own 1 s limit, on cores loaded here.
        for p, _ in group:
            p.limits["time_s"] = 10
        execute(self, group)
        for p, _ in group:
            p.limits["time_s"] = 1
        # each in a session of its own, as other users' jobs are: the scheduler shares the cores
        # between sessions (autogroup), so hogs in one session would slow a sample down only 2x
        hogs.extend(subprocess.Popen([sys.executable, "-c", "while True: pass"], start_new_session=True)
                    for _ in range(6))
        time.sleep(0.5)  # until they all spin

    monkeypatch.setattr(solve_filter.SolveFilter, "_execute", execute_then_load)
    try:
        res = run_cli("filter", "--samples", "samples.jsonl", "--workers", "2", "--reruns", "2", "-v")
    finally:
        for h in hogs:
            h.kill()
            h.wait()
    assert res.rc == 0, res.err
    with StateStore(workdir / "curated" / "state.sqlite") as store:
        v = store.verdict("slow/inc", "filter")
    assert v["status"] == "kept", v
    assert v["detail"]["stable"] is True
