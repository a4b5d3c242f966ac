"""Helpers shared by the hostile batteries: secrets planted on the host, and the check
that nothing a sample started is still running."""
from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = os.geteuid() == 0


def status_field(pid: int | str, name: str) -> str | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(name + ":"):
                return line.split(":", 1)[1].strip()
    except OSError:
        return None
    return None


def executor_leftovers(ex, wait_s: float = 3.0) -> list[int]:
    """Processes that a sample of this executor started (or the sample itself) still alive:
    everything below a worker that lives in a deeper PID namespace than the worker
    (the checker shares the worker's; each sample has its own). A killed sample's
    namespace takes the kernel a few milliseconds to tear down: allow `wait_s` for it."""
    end = time.monotonic() + wait_s
    while True:
        found = _leftovers(ex)
        if not found or time.monotonic() > end:
            return found
        time.sleep(0.02)


def _leftovers(ex) -> list[int]:
    wrappers = {w.proc.pid for w in ex._workers}
    depth = {}
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        pid, under = int(entry), None
        for _ in range(12):
            ppid = status_field(pid, "PPid")
            if ppid is None or ppid == "0":
                break
            if int(ppid) in wrappers:
                under = pid  # the worker itself (the wrapper's child)
                break
            pid = int(ppid)
        if under is None or under == int(entry):
            continue
        if under not in depth:
            depth[under] = len((status_field(under, "NSpid") or "").split())
        mine = len((status_field(entry, "NSpid") or "").split())
        if mine > depth[under]:
            found.append(int(entry))
    return found


class HostSecrets:
    """Things a sandboxed process must not reach: an owner-readable state store and a
    problems file outside its folder, another target's folder, a host process whose
    command line holds a secret, a unix socket under /run, and home folders."""

    def __init__(self, base: Path):
        self.token = secrets.token_hex(6)
        self.secret = f"hidden-tests-{self.token}"
        self.base = base
        (base / "curated").mkdir(parents=True, exist_ok=True)
        self.state = base / "curated" / "state.sqlite"
        self.state.write_text(self.secret)
        self.state.chmod(0o644)
        self.problems = base / "problems.jsonl"
        self.problems.write_text(self.secret)
        self.problems.chmod(0o644)
        self.other_target = base / "targets" / "other"
        self.other_target.mkdir(parents=True, exist_ok=True)
        (self.other_target / "conftest.py").write_text(self.secret)
        os.chmod(base, 0o755)
        for p in (base / "curated", base / "targets", self.other_target):
            p.chmod(0o755)
        (self.other_target / "conftest.py").chmod(0o644)
        self.process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)", self.secret])
        self.socket_path = None
        self.listener = None
        for folder in ("/run", str(base)):
            try:
                path = os.path.join(folder, f"sftset-test-{self.token}.sock")
                sock = socket.socket(socket.AF_UNIX)
                sock.bind(path)
                sock.listen(4)
                sock.settimeout(0.1)
                self.socket_path, self.listener = path, sock
                break
            except OSError:
                continue

    def paths(self) -> list[str]:
        return [str(self.state), str(self.problems), str(self.other_target / "conftest.py")]

    def socket_connected(self) -> bool:
        try:
            conn, _ = self.listener.accept()
            conn.close()
            return True
        except OSError:
            return False

    def close(self) -> None:
        self.process.kill()
        self.process.wait()
        if self.listener is not None:
            self.listener.close()
            os.unlink(self.socket_path)


# A program that tries each way of reading the host's secrets and prints what it got.
SNOOP = r'''
import os, socket, glob
def snoop(paths, sock_path, secret_pid):
    got = []
    for p in list(paths) + ['/etc/shadow', '/root/.bash_history', '/proc/%d/cmdline' % secret_pid,
                            '/proc/%d/environ' % secret_pid, '/proc/1/cmdline']:
        try:
            with open(p, 'rb') as fh:
                got.append(p + '=' + fh.read(4096).decode('latin-1'))
        except OSError as exc:
            got.append(p + ':' + type(exc).__name__)
    for pid in os.listdir('/proc'):
        if pid.isdigit():
            try:
                got.append('cmdline:' + open('/proc/%s/cmdline' % pid, 'rb').read().decode('latin-1'))
            except OSError:
                pass
    got.append('pids:' + ','.join(sorted(p for p in os.listdir('/proc') if p.isdigit())))
    for d in ('/home', '/root', '/run', '/work', '/var', '/sys/fs/cgroup', '/tmp', '/scratch'):
        try:
            got.append(d + ' lists ' + ','.join(os.listdir(d)))
        except OSError as exc:
            got.append(d + ':' + type(exc).__name__)
    if sock_path:
        s = socket.socket(socket.AF_UNIX)
        try:
            s.connect(sock_path)
            got.append('SOCKET CONNECTED')
        except OSError as exc:
            got.append('socket:' + type(exc).__name__)
    return '\n'.join(got)
'''

# SysV and POSIX IPC from ctypes: create (and leave) or look up objects with a fixed key.
IPC = r'''
import ctypes, ctypes.util, os, errno
libc = ctypes.CDLL(None, use_errno=True)
libc.shmat.restype = ctypes.c_void_p
libc.shmat.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_int]
try:
    rt = ctypes.CDLL(ctypes.util.find_library('rt') or 'librt.so.1', use_errno=True)
except OSError:
    rt = libc
IPC_CREAT = 0o1000
def leave(key, payload, shm_mb=1):
    out = []
    shm = libc.shmget(key, shm_mb << 20, IPC_CREAT | 0o666)
    out.append('shm=%d' % shm)
    if shm >= 0:
        addr = libc.shmat(shm, None, 0)
        if addr not in (None, ctypes.c_void_p(-1).value):
            ctypes.memmove(addr, payload, len(payload))
            ctypes.memset(addr + len(payload), 1, (shm_mb << 20) - len(payload))  # touch every page
    out.append('sem=%d' % libc.semget(key, 4, IPC_CREAT | 0o666))
    mq = libc.msgget(key, IPC_CREAT | 0o666)
    out.append('msg=%d' % mq)
    if mq >= 0:
        buf = ctypes.create_string_buffer(8 + len(payload))
        ctypes.memmove(ctypes.addressof(buf), (1).to_bytes(8, 'little') + payload, 8 + len(payload))
        libc.msgsnd(mq, buf, len(payload), 0)
    pmq = rt.mq_open(b'/sftset-leak', os.O_CREAT | os.O_RDWR, 0o666, None)
    out.append('pmq=%d' % pmq)
    try:
        with open('/dev/shm/sftset-leak', 'wb') as fh:
            fh.write(payload)
        out.append('devshm=ok')
    except OSError as exc:
        out.append('devshm=' + type(exc).__name__)
    return ' '.join(out)
def find(key):
    out = []
    shm = libc.shmget(key, 0, 0)
    if shm >= 0:
        addr = libc.shmat(shm, None, 0)
        out.append('SHM:' + ctypes.string_at(addr, 64).split(b'\x01')[0].decode('latin-1'))
    for name, call in (('SEM', lambda: libc.semget(key, 0, 0)), ('MSG', lambda: libc.msgget(key, 0, 0)),
                       ('PMQ', lambda: rt.mq_open(b'/sftset-leak', os.O_RDWR))):
        if call() >= 0:
            out.append(name)
    if os.path.exists('/dev/shm/sftset-leak'):
        out.append('DEVSHM:' + open('/dev/shm/sftset-leak').read())
    return ' '.join(out) or 'nothing'
'''


def host_sysv_keys() -> set[str]:
    keys = set()
    for name in ("shm", "sem", "msg"):
        try:
            lines = Path(f"/proc/sysvipc/{name}").read_text().splitlines()[1:]
        except OSError:
            continue
        keys |= {line.split()[0] for line in lines if line.strip()}
    return keys
