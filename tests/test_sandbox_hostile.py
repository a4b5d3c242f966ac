"""The hostile battery: each sample attacks the sandbox; the verdict must be right, the
host unchanged (files, processes, network), and the next sample must still run."""
from __future__ import annotations

import os
import secrets
import socket
import threading
import time
from pathlib import Path

import pytest

from sandbox_attack import ROOT, executor_leftovers
from sftset.sandbox import Executor, Job

# Runs as root and as a plain user (CI does both): the promises asserted here hold for both.

TEST = "def check(candidate):\n    assert candidate(2, 3) == 5\n    assert candidate(-1, 1) == 0\n"
GOOD = "def add(a, b):\n    return a + b\n"
TOKEN = secrets.token_hex(4)
SECRET = f"hunter2-{TOKEN}"


class Listener:
    """A TCP listener on 127.0.0.1 that counts connections."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.accepted = 0
        self._stop = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self._stop:
            try:
                conn, _ = self.sock.accept()
                self.accepted += 1
                conn.close()
            except OSError:
                pass

    def close(self):
        self._stop = True
        self.thread.join()
        self.sock.close()


@pytest.fixture(scope="module")
def env():
    os.environ["SFTSET_TEST_SECRET"] = SECRET  # the tool's own env holds a secret
    listener = Listener()
    ex = Executor(workers=2)
    yield ex, listener
    ex.close()
    listener.close()
    del os.environ["SFTSET_TEST_SECRET"]


def sandbox_processes(ex: Executor) -> list[int]:
    """Processes a sample started (or the sample itself) still alive (the checkers persist by design)."""
    return executor_leftovers(ex)


def run_one(ex, program, time_s=1.0, memory_mb=512, test=TEST):
    [v] = ex.run_all([Job("x", program, "add", test=test, time_s=time_s, memory_mb=memory_mb)])
    return v


def assert_host_clean(ex, listener, victim: Path):
    time.sleep(0.05)
    assert sandbox_processes(ex) == [], "a sample's process survived it"
    assert listener.accepted == 0, "a sample reached a listener on 127.0.0.1"
    assert victim.read_text() == "precious"
    for path in (f"/tmp/sftset-evil-{TOKEN}", f"/work/sftset-evil-{TOKEN}", f"/tmp/escape-{TOKEN}",
                 f"/var/tmp/sftset-evil-{TOKEN}", f"/dev/shm/sftset-evil-{TOKEN}"):
        assert not os.path.exists(path), f"a sample wrote {path}"
    v = run_one(ex, GOOD)
    assert v.status == "passed", v  # the next sample still runs


HOSTILE = {
    # name: (program, expected statuses)
    "python_loop": ("def add(a, b):\n    while True:\n        pass\n", {"timeout"}),
    "c_loop": ("def add(a, b):\n    return sum(range(10**13))\n", {"timeout"}),
    "ignore_signals": (
        "import signal\nsignal.signal(signal.SIGALRM, signal.SIG_IGN)\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
        "def add(a, b):\n    while True:\n        pass\n", {"timeout"}),
    "fork_bomb": (
        "import os\ndef add(a, b):\n    while True:\n        try:\n            os.fork()\n        except OSError:\n            pass\n",
        {"timeout", "failed", "error"}),
    "orphans": (
        "import os, subprocess\n"
        "subprocess.Popen(['sleep', '1000'], start_new_session=True)\n"
        "if os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n        import time\n        time.sleep(1000)\n    os._exit(0)\n"
        "def add(a, b):\n    return a + b\n", {"passed"}),
    "allocate_3gb": ("def add(a, b):\n    x = bytearray(3 * 1024**3)\n    return a + b\n", {"memory"}),
    "stdout_1gb": ("import sys\ndef add(a, b):\n    chunk = 'x' * 1024**2\n    for _ in range(1024):\n"
                   "        sys.stdout.write(chunk)\n    return a + b\n", {"failed", "timeout", "error"}),
    "file_200mb": ("def add(a, b):\n    with open('big.bin', 'wb') as fh:\n        for _ in range(200):\n"
                   "            fh.write(b'x' * 1024**2)\n    return a + b\n", {"failed"}),
    "write_outside": (
        "import os\ndef add(a, b):\n"
        f"    for p in ['/tmp/sftset-evil-{TOKEN}', '/work/sftset-evil-{TOKEN}', '/var/tmp/sftset-evil-{TOKEN}',"
        f" '/dev/shm/sftset-evil-{TOKEN}', 'VICTIM']:\n"
        "        try:\n            open(p, 'w').write('pwned')\n        except OSError:\n            pass\n"
        "    try:\n        os.remove('VICTIM')\n    except OSError:\n        pass\n"
        "    try:\n        os.chdir('..')\n"
        f"        open('escape-{TOKEN}', 'w').write('pwned')\n    except OSError:\n        pass\n"
        "    return a + b\n", {"passed"}),
    "connect_loopback": (
        "import socket\ndef add(a, b):\n    try:\n        socket.create_connection(('127.0.0.1', PORT), timeout=0.5)\n"
        "    except OSError:\n        pass\n    return a + b\n", {"passed"}),
    "os_exit_early": ("import os\nos._exit(0)\n", {"failed", "error"}),
    "sys_exit_early": ("import sys\nsys.exit(0)\n", {"failed", "error"}),
    "exit_in_candidate": ("import os\ndef add(a, b):\n    os._exit(0)\n", {"failed", "error"}),
    "fake_pass_lines": (
        "import os\nprint('passed')\nprint('{\"status\": \"passed\"}')\n"
        "for fd in range(3, 64):\n    try:\n        os.write(fd, b'\\x00\\x00\\x00\\x13{\"status\":\"passed\"}')\n"
        "    except OSError:\n        pass\n"
        "def add(a, b):\n    print('passed')\n    return 0\n", {"failed", "error"}),
    "always_equal": ("class Eq:\n    def __eq__(self, other):\n        return True\n"
                     "def add(a, b):\n    return Eq()\n", {"failed"}),
    "int_subclass": ("class I(int):\n    def __eq__(self, other):\n        return True\n"
                     "def add(a, b):\n    return I(0)\n", {"failed"}),
    "keyboard_interrupt": ("def add(a, b):\n    raise KeyboardInterrupt\n", {"failed"}),
    "system_exit_in_call": ("def add(a, b):\n    raise SystemExit(0)\n", {"failed"}),
    "recursion": ("def add(a, b):\n    return add(a, b)\n", {"failed"}),
    "patch_builtins": (
        "import builtins\nbuiltins.AssertionError = type('Never', (BaseException,), {})\n"
        "builtins.isinstance = lambda *a: True\nbuiltins.len = lambda x: 0\n"
        "def add(a, b):\n    return 0\n", {"failed"}),
    "kill_parent": ("import os, signal\ndef add(a, b):\n    for pid in (os.getppid(), 1, -1):\n        try:\n"
                    "            os.kill(pid, signal.SIGKILL)\n        except OSError:\n            pass\n    return a + b\n",
                    {"passed", "failed", "error"}),  # the answer is right; what matters is that nothing else died
    "close_channel": ("import os\ndef add(a, b):\n    for fd in range(3, 256):\n        try:\n            os.close(fd)\n"
                      "        except OSError:\n            pass\n    return a + b\n", {"failed", "error"}),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_sample(env, tmp_path, name):
    ex, listener = env
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    program, expected = HOSTILE[name]
    program = program.replace("PORT", str(listener.port)).replace("VICTIM", str(victim))
    t0 = time.monotonic()
    v = run_one(ex, program)
    assert v.status in expected, (name, v)
    assert time.monotonic() - t0 < 10
    if name == "stdout_1gb":
        assert len(v.stdout) <= 4096
    assert_host_clean(ex, listener, victim)


def test_secret_env_is_not_visible(env):
    ex, listener = env
    probe = (
        "import os\ndef add(a, b):\n    seen = [os.environ.get('SFTSET_TEST_SECRET', '')]\n"
        "    for path in ('/proc/self/environ', f'/proc/{os.getppid()}/environ', f'/proc/{TESTPID}/environ'):\n"
        "        try:\n            seen.append(open(path, 'rb').read().decode('latin-1'))\n"
        "        except OSError as exc:\n            seen.append(type(exc).__name__)\n"
        "    return '|'.join(seen)\n"
    ).replace("TESTPID", str(os.getpid()))
    [v] = ex.run_all([Job("env", probe, "add", calls=[("(1, 2)", "{}")], time_s=2)])
    assert v.status == "passed", v
    output = v.outputs[0]["value"]
    assert SECRET not in output
    # the tool's own environ is not readable: its process is not even visible from the
    # sample's PID namespace any more (FileNotFoundError), or not readable (PermissionError)
    assert "PermissionError" in output or "FileNotFoundError" in output


def test_non_daemon_thread_still_passes_in_time(env):
    ex, _ = env
    program = ("import threading, time\ndef add(a, b):\n"
               "    threading.Thread(target=time.sleep, args=(1000,)).start()\n    return a + b\n")
    t0 = time.monotonic()
    v = run_one(ex, program, time_s=3)
    assert v.status == "passed", v
    assert time.monotonic() - t0 < 3
    assert sandbox_processes(ex) == []


def test_closing_stdout_and_stderr_still_passes(env):
    ex, _ = env
    v = run_one(ex, "import os\nos.close(1)\nos.close(2)\ndef add(a, b):\n    return a + b\n")
    assert v.status == "passed", v


@pytest.mark.skipif(not ROOT, reason="a plain user gets no cgroups and no uid of its own: partial by design")
def test_isolation_is_full_and_reported(env):
    ex, _ = env
    assert ex.isolation.level == "full", ex.isolation
    v = run_one(ex, GOOD)
    assert v.isolation == "full"


def test_check_runs_outside_the_sample(env):
    """Patching the checker's helpers from the sample changes nothing: they are not in its process."""
    ex, _ = env
    from sftset.record import Problem

    p = Problem.from_dict({"task_id": "t/1", "source": "t", "kind": "function", "prompt": "def add(a, b):\n",
                           "entry_point": "add", "tests": [{"args": "(2, 3)", "expected": "5"}]})
    program = p.prompt + ("    return '5'\n_sftset_same = lambda *a: True\n"
                          "globals()['_sftset_canon'] = lambda x, depth=0: 1\n")
    v = run_one(ex, program, test=p.test)
    assert v.status == "failed", v
