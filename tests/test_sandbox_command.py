"""run_isolated: one untrusted command, no network, writes only in its folder, nothing survives it."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import venv

import pytest

from sftset.sandbox import run_isolated

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="runs the command as another uid, which needs root")


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
    assert res.isolation == "full"
    assert "no network" in res.stdout and "WROTE" not in res.stdout and "uid 0" not in res.stdout
    assert (tmp_path / "inside.txt").read_text() == "ok"
    assert (tmp_path / "inside.txt").stat().st_uid == 0  # the folder is handed back
    assert not os.path.exists(outside)
    with pytest.raises(socket.timeout):
        listener.accept()


def test_venv_interpreter_under_tmp_keeps_full_isolation(tmp_path):
    """A venv's python is a symlink to an interpreter under a 0700 home (regression)."""
    venv.create(tmp_path / "venv", with_pip=False)
    (tmp_path / "t.py").write_text("open('w.txt', 'w').write('x')\nprint('ok')\n")
    res = run_isolated([str(tmp_path / "venv" / "bin" / "python"), "t.py"], cwd=tmp_path, time_s=30)
    assert (res.returncode, res.isolation, res.stdout.strip()) == (0, "full", "ok"), res


def test_deadline_kills_everything(tmp_path):
    res = run_isolated([sys.executable, "-c", "import subprocess, time\n"
                        "subprocess.Popen(['sleep', '987'], start_new_session=True)\ntime.sleep(100)"],
                       cwd=tmp_path, time_s=2)
    assert res.timed_out and res.returncode == -9
    ps = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    assert "sleep 987" not in ps
