"""run_isolated: one untrusted command, no network, writes only in its folder, nothing survives it."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import venv

import pytest

from sandbox_attack import IPC, ROOT, SNOOP, HostSecrets, host_sysv_keys
from sftset.sandbox import run_isolated

# Runs as root and as a plain user (CI does both). As root the command gets a uid of its
# own and cgroups; a plain user's command is root of a user namespace with no capabilities.
needs_root = pytest.mark.skipif(not ROOT, reason="cgroups and a uid of its own need root on this host")


def test_contained_command(tmp_path):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.settimeout(0.5)
    port = listener.getsockname()[1]
    outside = f"/work/sftset-cmd-evil-{os.getpid()}"
    (tmp_path / "t.py").write_text(
        "import os, socket\n"
        "open('inside.txt', 'w').write('ok')\n"
        f"for p in ['{outside}', '/etc/sftset-evil']:\n"
        "    try:\n        open(p, 'w')\n        print('WROTE', p)\n    except OSError:\n        pass\n"
        f"try:\n    socket.create_connection(('127.0.0.1', {port}), timeout=0.5)\n    print('CONNECTED')\n"
        "except OSError:\n    print('no network')\n"
        "print('uid', os.getuid())\n"
    )
    res = run_isolated([sys.executable, "t.py"], cwd=tmp_path, time_s=30)
    assert res.returncode == 0, res.stderr
    assert res.isolation == "full" if ROOT else res.isolation.startswith("partial(")
    assert "no network" in res.stdout and "WROTE" not in res.stdout
    assert (tmp_path / "inside.txt").read_text() == "ok"
    if ROOT:
        assert "uid 0" not in res.stdout
        assert (tmp_path / "inside.txt").stat().st_uid == 0  # the folder is handed back
    assert not os.path.exists(outside)
    with pytest.raises(socket.timeout):
        listener.accept()


def test_venv_interpreter_under_tmp_keeps_full_isolation(tmp_path):
    """A venv's python is a symlink to an interpreter under a 0700 home (regression)."""
    venv.create(tmp_path / "venv", with_pip=False)
    (tmp_path / "t.py").write_text("open('w.txt', 'w').write('x')\nprint('ok')\n")
    res = run_isolated([str(tmp_path / "venv" / "bin" / "python"), "t.py"], cwd=tmp_path, time_s=30)
    assert (res.returncode, res.stdout.strip()) == (0, "ok"), res
    assert res.isolation == "full" if ROOT else "tree" not in res.isolation, res


def test_interpreter_in_a_folder_other_users_cannot_enter(tmp_path):
    # CI's venv lives in mktemp -d's 0700 folder; as root the command runs as another uid, which must
    # still reach the interpreter it was given (and the host folder's mode is left as it was).
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(tmp_path / "closed")], check=True)
    os.chmod(tmp_path / "closed", 0o700)
    (tmp_path / "work").mkdir()
    res = run_isolated([str(tmp_path / "closed" / "bin" / "python"), "-c", "import sys; print('ran', sys.prefix)"],
                       cwd=tmp_path / "work", time_s=30)
    assert res.returncode == 0, res.stderr
    assert f"ran {tmp_path / 'closed'}" in res.stdout
    assert os.stat(tmp_path / "closed").st_mode & 0o777 == 0o700


def test_deadline_kills_everything(tmp_path):
    res = run_isolated([sys.executable, "-c", "import subprocess, time\n"
                        "subprocess.Popen(['sleep', '987'], start_new_session=True)\ntime.sleep(100)"],
                       cwd=tmp_path, time_s=2)
    assert res.timed_out and res.returncode == -15  # SIGTERM at the deadline (SIGKILL if it is ignored)
    ps = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    assert "sleep 987" not in ps


def test_command_sees_only_its_folder_venv_and_interpreter(tmp_path):
    """A hostile conftest.py/setup.py: the state store, the problems file, another target,
    host processes' command lines, /run's sockets and homes are out of its reach."""
    host = HostSecrets(tmp_path / "tool")
    work = tmp_path / "target"
    work.mkdir()
    (work / "t.py").write_text(SNOOP + "print(snoop(%r, %r, %d))\nimport os\nprint('listing', os.listdir('/'))\n" % (
        host.paths(), host.socket_path, host.process.pid))
    try:
        res = run_isolated([sys.executable, "t.py"], cwd=work, time_s=30)
        assert res.returncode == 0, res.stderr
        assert host.secret not in res.stdout and "SOCKET CONNECTED" not in res.stdout
        assert not host.socket_connected()
        for folder in ("/home", "/run", "/var", "/sys/fs/cgroup"):
            assert f"{folder}:FileNotFoundError" in res.stdout, res.stdout
        pids = next(line for line in res.stdout.splitlines() if line.startswith("pids:"))[5:].split(",")
        assert len(pids) <= 3, pids  # its own PID namespace: the launcher's PID 1, the command
    finally:
        host.close()


def test_daemon_holding_the_output_does_not_stall_the_build(tmp_path):
    token = f"daemon-{os.getpid()}-{time.monotonic_ns()}"
    code = ("import os, sys, time\n"
            f"# {token}\n"
            "if os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n        time.sleep(300)\n    os._exit(0)\n"
            "print('main done', flush=True)\n")
    t0 = time.monotonic()
    res = run_isolated([sys.executable, "-c", code], cwd=tmp_path, time_s=120)
    assert time.monotonic() - t0 < 20
    assert res.returncode == 0 and "main done" in res.stdout and not res.timed_out, res
    ps = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    assert token not in ps


def test_loopback_works_inside_and_nothing_outside(tmp_path):
    """Suites that serve on 127.0.0.1 and connect to themselves work (issue 14); the
    host's own listeners stay out of reach."""
    outside = socket.socket()
    outside.bind(("127.0.0.1", 0))
    outside.listen(1)
    outside.settimeout(0.3)
    (tmp_path / "t.py").write_text(
        "import socket, threading\n"
        "srv = socket.socket()\nsrv.bind(('127.0.0.1', 0))\nsrv.listen(1)\n"
        "threading.Thread(target=lambda: srv.accept()[0].sendall(b'hello'), daemon=True).start()\n"
        "c = socket.create_connection(srv.getsockname(), timeout=5)\nprint('self', c.recv(5).decode())\n"
        f"try:\n    socket.create_connection(('127.0.0.1', {outside.getsockname()[1]}), timeout=1)\n"
        "    print('HOST REACHED')\nexcept OSError:\n    print('host unreachable')\n"
        "try:\n    socket.create_connection(('10.0.0.1', 80), timeout=1)\n    print('NET REACHED')\n"
        "except OSError:\n    print('net unreachable')\n")
    res = run_isolated([sys.executable, "t.py"], cwd=tmp_path, time_s=30)
    assert "self hello" in res.stdout, res
    assert "host unreachable" in res.stdout and "net unreachable" in res.stdout, res
    with pytest.raises(socket.timeout):
        outside.accept()
    outside.close()


def test_private_tmp_and_shm_have_a_size_limit(tmp_path):
    (tmp_path / "t.py").write_text(
        "for path in ('/tmp/fill', '/dev/shm/fill'):\n    try:\n        with open(path, 'wb') as fh:\n"
        "            for _ in range(40):\n                fh.write(b'x' * (1 << 20))\n        print('FILLED', path)\n"
        "    except OSError as exc:\n        print('full', path, exc.errno)\n")
    res = run_isolated([sys.executable, "t.py"], cwd=tmp_path, time_s=30, tmp_mb=16)
    assert "full /tmp/fill 28" in res.stdout and "full /dev/shm/fill 28" in res.stdout, res  # ENOSPC


def test_deadline_asks_first_then_kills_what_ignores_it(tmp_path):
    script = ("import signal, time\n"
              "signal.signal(signal.SIGTERM, lambda *a: (open('term.txt', 'w').write('asked'), None))\n"
              "time.sleep(1000)")
    res = run_isolated([sys.executable, "-c", script], cwd=tmp_path, time_s=1)
    assert res.timed_out and res.returncode == -9 and (tmp_path / "term.txt").read_text() == "asked", res
    assert res.duration_s < 1 + 15 + 10


def test_writable_folders_have_a_size_limit_files_hidden_or_not(tmp_path):
    # Many files each under RLIMIT_FSIZE, some in a folder the command makes unreadable: the total is bounded.
    (tmp_path / "t.py").write_text(
        "import os, time\nos.makedirs('hide/deep')\n"
        "for i in range(3000):\n"
        "    with open(f'hide/deep/{i}', 'wb') as fh:\n        fh.write(os.urandom(1 << 20))\n"
        "    os.chmod('hide', 0)\n    time.sleep(0.01)\n    os.chmod('hide', 0o700)\n"
        "print('WROTE 3 GB')\n")
    res = run_isolated([sys.executable, "t.py"], cwd=tmp_path, time_s=120, disk_mb=40)
    assert res.disk_exceeded and "WROTE" not in res.stdout, res
    assert res.duration_s < 60 and any("over 40 MB" in n for n in res.notes), res


def test_ipc_and_namespaces_do_not_outlive_the_command(tmp_path):
    key = 0x5F7C0000 + os.getpid() % 65536
    (tmp_path / "t.py").write_text(IPC + f"print(leave({key}, b'left'))\n"
                                   "import subprocess\nr = subprocess.run(['unshare', '-r', 'true'])\n"
                                   "print('unshare', r.returncode)\n")
    res = run_isolated([sys.executable, "t.py"], cwd=tmp_path, time_s=30)
    assert "shm=-1" not in res.stdout, res
    assert "unshare 1" in res.stdout, res  # the seccomp filter refuses new namespaces
    assert str(key) not in host_sysv_keys()


@needs_root
def test_memory_is_limited_for_the_whole_tree(tmp_path):
    """Three children, each within RLIMIT_AS (set per process to memory_mb), cannot add
    up past memory_mb together."""
    (tmp_path / "t.py").write_text(
        "import os, time\nkids = []\nfor _ in range(3):\n    pid = os.fork()\n    if pid == 0:\n"
        "        x = bytearray(200 << 20)\n        time.sleep(1)\n        os._exit(0)\n    kids.append(pid)\n"
        "print('statuses', [os.waitpid(k, 0)[1] for k in kids])\n")
    res = run_isolated([sys.executable, "t.py"], cwd=tmp_path, time_s=60, memory_mb=400)
    statuses = eval(res.stdout.split("statuses", 1)[1]) if "statuses" in res.stdout else None
    assert statuses is None or any(s != 0 for s in statuses), res
