"""Values and messages that cross a process boundary: framed JSON, and a tagged encoding
of Python values that keeps exact builtin types (tuple vs list, set vs frozenset,
int vs bool vs float, nan and inf), the standard-library value types of
sftset.values (dates, Decimal, Fraction, bytearray) and values of named types (enum members,
namedtuples, dataclasses, simple objects, named callables) as their value text, and refuses
everything else. A value text crosses as text: the sample resolves it in its program's
namespace (decode's `names`), the trusted side keeps it unresolved (an ObjectValue).

The decoder runs in trusted processes on bytes an untrusted sample wrote, so it only
builds builtins from JSON and value types through values.read_value (no eval, no
pickle), and bounds size and depth.
Only the standard library (and sftset.values, which uses only it) is imported: samples
run next to this module.
"""
from __future__ import annotations

import json
import math
import os
import struct

from ..values import READ_ERRORS, describe, is_object_value, is_value_type, read_value, text_of

MAX_MESSAGE = 64 << 20
MAX_DEPTH = 200

_HEADER = struct.Struct("!I")


class WireError(Exception):
    pass


class Unsupported(TypeError):
    """A value that cannot leave the sandbox (not an exact builtin literal type)."""


def encode(x, depth=0):
    if depth > MAX_DEPTH:
        raise Unsupported("value nested too deeply")
    t = type(x)
    if x is None:
        return ["n"]
    if t is bool:
        return ["T" if x else "F"]
    if t is int:
        return ["i", str(x)]
    if t is float:
        return ["f", repr(x)]
    if t is str:
        return ["s", x]
    if t is bytes:
        return ["b", x.hex()]
    if t is complex:
        return ["c", repr(x.real), repr(x.imag)]
    if t is list:
        return ["l", [encode(e, depth + 1) for e in x]]
    if t is tuple:
        return ["u", [encode(e, depth + 1) for e in x]]
    if t is set:
        return ["S", [encode(e, depth + 1) for e in x]]
    if t is frozenset:
        return ["z", [encode(e, depth + 1) for e in x]]
    if t is dict:
        return ["d", [[encode(k, depth + 1), encode(v, depth + 1)] for k, v in x.items()]]
    if is_value_type(x):
        return ["v", repr(x)]
    if is_object_value(x):
        return ["o", repr(x)]
    text = text_of(x) if describe(x) is not None else None
    if text is not None and len(text) <= MAX_OBJECT_TEXT:
        return ["o", text]
    raise Unsupported(f"a value of type {t.__qualname__} cannot leave the sandbox")


MAX_OBJECT_TEXT = 10000


def _float(text):
    value = float(text)  # accepts 'nan', 'inf', '-inf' and plain reprs only
    return value


def decode(node, depth=0, names=None):
    """The value an encoded node denotes; `names`: the program's namespace, where values of named
    types resolve (the sample's side); without it they stay ObjectValues."""
    if depth > MAX_DEPTH or type(node) is not list or not node or type(node[0]) is not str:
        raise WireError("malformed value")
    tag = node[0]
    if tag == "n":
        return None
    if tag == "T":
        return True
    if tag == "F":
        return False
    if tag == "i":
        return int(_checked_str(node[1]))
    if tag == "f":
        return _float(_checked_str(node[1]))
    if tag == "s":
        return _checked_str(node[1])
    if tag == "b":
        return bytes.fromhex(_checked_str(node[1]))
    if tag == "c":
        return complex(_float(_checked_str(node[1])), _float(_checked_str(node[2])))
    if tag in ("l", "u", "S", "z"):
        items = node[1]
        if type(items) is not list:
            raise WireError("malformed sequence")
        values = [decode(e, depth + 1, names) for e in items]
        return {"l": list, "u": tuple, "S": set, "z": frozenset}[tag](values)
    if tag == "d":
        items = node[1]
        if type(items) is not list:
            raise WireError("malformed dict")
        out = {}
        for pair in items:
            if type(pair) is not list or len(pair) != 2:
                raise WireError("malformed dict item")
            out[decode(pair[0], depth + 1, names)] = decode(pair[1], depth + 1, names)
        return out
    if tag == "v":
        text = _checked_str(node[1])
        if len(text) > 1000:
            raise WireError("value text too long")
        try:
            value = read_value(text)
        except READ_ERRORS:
            raise WireError("malformed value text") from None
        if not is_value_type(value):
            raise WireError("not a value type")
        return value
    if tag == "o":
        text = _checked_str(node[1])
        if len(text) > MAX_OBJECT_TEXT:
            raise WireError("value text too long")
        try:
            value = read_value(text, names)
        except READ_ERRORS:
            raise WireError("malformed value text") from None
        except Exception as exc:  # the program's constructor or a name's import failed
            raise WireError(f"value text {text[:60]} does not build: {type(exc).__name__}") from None
        if names is None and not is_object_value(value):
            raise WireError("not a value of a named type")
        if names is not None and is_object_value(value):
            raise WireError(f"the program does not define {value.path[:60]}")
        return value
    raise WireError(f"unknown tag {tag!r}")


def _checked_str(value):
    if type(value) is not str:
        raise WireError("malformed scalar")
    return value


def to_literal(value) -> str:
    """repr() that values.read_value reads back; nan/inf have no literal form."""
    if type(value) is float and (math.isnan(value) or math.isinf(value)):
        raise Unsupported("nan and inf have no Python literal")
    t = type(value)
    if is_value_type(value) or is_object_value(value):
        return repr(value)
    if t is set and not value:
        return "set()"
    if t in (list, tuple, set, frozenset):
        for e in value:
            to_literal(e)
    elif t is dict:
        for k, v in value.items():
            to_literal(k)
            to_literal(v)
    return repr(value)


# ---- framing ------------------------------------------------------------------------
# One encoder for every message: json.dumps with separators builds a new one per call
# (~1.6 us more per message, a dozen or more messages per sample across its processes).
_dumps = json.JSONEncoder(separators=(",", ":")).encode


def send(fd: int, message) -> None:
    data = _dumps(message).encode("utf-8")
    buf = _HEADER.pack(len(data)) + data
    n = os.write(fd, buf)  # a small message goes in one write
    if n < len(buf):
        view = memoryview(buf)[n:]
        while view:
            view = view[os.write(fd, view):]


def send_with_fds(sock, message, fds: list[int]) -> None:
    """Send a framed message with open file descriptors attached (SCM_RIGHTS). `sock`: a
    socket object (cheapest: nothing to wrap) or a descriptor number."""
    import socket

    data = _dumps(message).encode("utf-8")
    if isinstance(sock, socket.socket):
        socket.send_fds(sock, [_HEADER.pack(len(data)) + data], fds)
        return
    wrapped = socket.socket(fileno=sock)  # wrapping costs three syscalls
    try:
        socket.send_fds(wrapped, [_HEADER.pack(len(data)) + data], fds)
    finally:
        wrapped.detach()


def recv_with_fds(sock, max_fds: int = 4):
    """Receive a message sent by send_with_fds: (message, [fds]). `sock`: a socket object
    or a descriptor number."""
    import socket

    if isinstance(sock, socket.socket):
        head, fds, _, _ = socket.recv_fds(sock, _HEADER.size, max_fds)
        sock_fd = sock.fileno()
    else:
        sock_fd = sock
        wrapped = socket.socket(fileno=sock)
        try:
            head, fds, _, _ = socket.recv_fds(wrapped, _HEADER.size, max_fds)
        finally:
            wrapped.detach()
    if not head:
        raise EOFError("peer closed the channel")
    if len(head) < _HEADER.size:
        head += _read_exact(sock_fd, _HEADER.size - len(head))
    (size,) = _HEADER.unpack(head)
    if size > MAX_MESSAGE:
        raise WireError(f"message of {size} bytes is over the limit")
    return json.loads(_read_exact(sock_fd, size)), list(fds)


def _read_exact(fd: int, n: int) -> bytes:
    chunks = []
    while n:
        chunk = os.read(fd, min(n, 1 << 20))
        if not chunk:
            raise EOFError("peer closed the channel")
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


def recv(fd: int):
    (size,) = _HEADER.unpack(_read_exact(fd, _HEADER.size))
    if size > MAX_MESSAGE:
        raise WireError(f"message of {size} bytes is over the limit")
    try:
        return json.loads(_read_exact(fd, size))
    except (ValueError, RecursionError) as exc:
        raise WireError(f"undecodable message: {exc}") from None
