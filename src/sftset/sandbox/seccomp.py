"""A seccomp filter for untrusted code, built with libseccomp (the Debian/Ubuntu
`libseccomp2` shared library, through ctypes: no compiler, no extra Python package).

The filter allows everything except the syscalls that widen what a process can reach
or see: new namespaces (unshare, setns, clone with CLONE_NEW*), mounts, kernel
modules and kexec, bpf, keyrings, userfaultfd, ptrace and cross-process memory
access, perf, io_uring (its operations bypass seccomp), and the like. Those fail with
EPERM. clone3 fails with ENOSYS, so that libc falls back to clone, whose flags the
filter can inspect (clone3 passes them in memory, out of seccomp's reach).
Syscalls of another architecture (i386 `int 0x80`, x32) kill the process: that is
libseccomp's default for a filter built for the native architecture only.

The filter is inherited by every child and cannot be removed; it needs
no_new_privs (or CAP_SYS_ADMIN), which the sandbox sets first.
"""
from __future__ import annotations

import ctypes
import errno
import os

SCMP_ACT_ALLOW = 0x7FFF0000
SCMP_CMP_MASKED_EQ = 7
SCMP_FLTATR_CTL_OPTIMIZE = 8

DENIED = (
    "unshare", "setns", "mount", "umount", "umount2", "pivot_root", "chroot", "mount_setattr", "move_mount",
    "open_tree", "fsopen", "fsconfig", "fsmount", "fspick", "bpf", "keyctl", "add_key", "request_key",
    "userfaultfd", "ptrace", "process_vm_readv", "process_vm_writev", "perf_event_open", "kexec_load",
    "kexec_file_load", "init_module", "finit_module", "delete_module", "open_by_handle_at", "name_to_handle_at",
    "io_uring_setup", "io_uring_enter", "io_uring_register", "swapon", "swapoff", "reboot", "acct", "quotactl",
    "syslog", "iopl", "ioperm", "lookup_dcookie", "vhangup", "sethostname", "setdomainname", "settimeofday",
    "clock_settime", "clock_adjtime", "adjtimex", "personality", "kcmp", "pidfd_getfd", "fanotify_init",
    "nfsservctl", "uselib", "get_kernel_syms", "query_module", "create_module", "vm86", "vm86old",
)
# Every CLONE_NEW* flag (CLONE_NEWTIME is 0x80, shared with CSIGNAL's range only in clone3).
CLONE_NEW_FLAGS = (0x00020000, 0x02000000, 0x04000000, 0x08000000, 0x10000000, 0x20000000, 0x40000000)


class _ArgCmp(ctypes.Structure):
    _fields_ = [("arg", ctypes.c_uint), ("op", ctypes.c_int), ("datum_a", ctypes.c_uint64),
                ("datum_b", ctypes.c_uint64)]


def _errno_action(code: int) -> int:
    return 0x00050000 | (code & 0xFFFF)


_lib = None


def _library():
    global _lib
    if _lib is None:
        try:  # by its soname first: ctypes.util would import subprocess and more into the worker
            lib = ctypes.CDLL("libseccomp.so.2", use_errno=True)
        except OSError:
            from ctypes.util import find_library

            lib = ctypes.CDLL(find_library("seccomp") or "libseccomp.so.2", use_errno=True)
        lib.seccomp_init.restype = ctypes.c_void_p
        lib.seccomp_init.argtypes = [ctypes.c_uint32]
        lib.seccomp_release.argtypes = [ctypes.c_void_p]
        lib.seccomp_syscall_resolve_name.argtypes = [ctypes.c_char_p]
        lib.seccomp_rule_add_array.argtypes = [ctypes.c_void_p, ctypes.c_uint32, ctypes.c_int, ctypes.c_uint,
                                               ctypes.POINTER(_ArgCmp)]
        lib.seccomp_load.argtypes = [ctypes.c_void_p]
        lib.seccomp_export_bpf.argtypes = [ctypes.c_void_p, ctypes.c_int]
        lib.seccomp_attr_set.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_uint32]
        _lib = lib
    return _lib


def available() -> bool:
    try:
        _library()
        return True
    except OSError:
        return False


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_char_p)]


PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 22, 2


def compile_filter() -> bytes:
    """The filter as classic BPF: libseccomp compiles it once (milliseconds), each
    sample then loads the bytes with one prctl (microseconds)."""
    lib = _library()
    ctx = _build(lib)
    try:
        r, w = os.pipe()
        try:
            ret = lib.seccomp_export_bpf(ctx, w)
            os.close(w)
            w = -1
            if ret != 0:
                raise OSError(-ret, f"seccomp_export_bpf: {errno.errorcode.get(-ret, ret)}")
            data = b""
            while chunk := os.read(r, 65536):
                data += chunk
        finally:
            os.close(r)
            if w >= 0:
                os.close(w)
    finally:
        lib.seccomp_release(ctx)
    return data


class Loader:
    """A compiled filter made ready to load: built before fork, so that the forked sample
    only makes the one prctl call (building these ctypes objects in every sample cost it
    about a quarter of a millisecond, a tenth of its set-up)."""

    def __init__(self, program: bytes):
        libc = ctypes.CDLL(None, use_errno=True)
        self._prctl = libc.prctl
        self._prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_void_p, ctypes.c_ulong, ctypes.c_ulong]
        self._buf = ctypes.create_string_buffer(program, len(program))
        self._prog = _SockFprog(len(program) // 8, ctypes.cast(self._buf, ctypes.c_char_p))
        self._addr = ctypes.addressof(self._prog)

    def load(self) -> None:
        """Load the filter into this thread (needs no_new_privs or CAP_SYS_ADMIN)."""
        if self._prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, self._addr, 0, 0) != 0:
            err = ctypes.get_errno()
            raise OSError(err, f"seccomp filter refused: {os.strerror(err)}")


def load(program: bytes) -> None:
    """Load a compiled filter into this thread (needs no_new_privs or CAP_SYS_ADMIN)."""
    Loader(program).load()


def install() -> None:
    """Build and load the filter into this thread (call single-threaded, after no_new_privs).

    Raises OSError when libseccomp is missing or the kernel refuses the filter."""
    lib = _library()
    ctx = _build(lib)
    try:
        ret = lib.seccomp_load(ctx)
        if ret != 0:
            raise OSError(-ret, f"seccomp_load: {errno.errorcode.get(-ret, ret)}")
    finally:
        lib.seccomp_release(ctx)


def _build(lib):
    ctx = lib.seccomp_init(SCMP_ACT_ALLOW)
    if not ctx:
        raise OSError(errno.ENOMEM, "seccomp_init failed")
    try:
        # A binary tree of syscall numbers rather than a list: the kernel prepares the filter
        # (it runs it once per syscall number to cache the allowed ones) in each sample, so
        # the shorter walk is ~0.05 ms less per sample; same rules. libseccomp < 2.5 lacks
        # it (the call fails, the list stays).
        lib.seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2)
        deny = _errno_action(errno.EPERM)
        for name in DENIED:
            nr = lib.seccomp_syscall_resolve_name(name.encode())
            if nr < 0:  # not a syscall on this architecture
                continue
            _rule(lib, ctx, deny, nr, [])
        clone = lib.seccomp_syscall_resolve_name(b"clone")
        for flag in CLONE_NEW_FLAGS:
            _rule(lib, ctx, deny, clone, [_ArgCmp(0, SCMP_CMP_MASKED_EQ, flag, flag)])
        clone3 = lib.seccomp_syscall_resolve_name(b"clone3")
        if clone3 >= 0:
            _rule(lib, ctx, _errno_action(errno.ENOSYS), clone3, [])
    except BaseException:
        lib.seccomp_release(ctx)
        raise
    return ctx


def _rule(lib, ctx, action: int, nr: int, args: list[_ArgCmp]) -> None:
    array = (_ArgCmp * max(1, len(args)))(*args)
    ret = lib.seccomp_rule_add_array(ctx, action, nr, len(args), array)
    if ret != 0:
        raise OSError(-ret, f"seccomp rule for syscall {nr}: {errno.errorcode.get(-ret, ret)}")
