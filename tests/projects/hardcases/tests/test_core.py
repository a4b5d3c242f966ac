import asyncio
import os
import socket
from pathlib import Path

import pytest

from hardcases import core
from hardcases.core import Stack

HERE = Path(__file__).parent


@pytest.mark.parametrize("x, lo, hi, want", [(5, 0, 10, 5), (-3, 0, 10, 0), (12, 0, 10, 10), (7, 8, 9, 8),
                                             (2.5, 0, 1, 1), (4, -5, 5, 4)])
def test_clamp(x, lo, hi, want):
    assert core.clamp(x, lo, hi) == want


def test_clamp_defaults():
    assert core.clamp(11) == 10
    assert core.clamp(-1) == 0


@pytest.mark.parametrize("text, want", [("Hello World", 3), ("  AEIOU  ", 5), ("rhythm", 0), ("a e  i", 3)])
def test_count_vowels(text, want):
    assert core.count_vowels(text) == want


def test_words():
    assert core.words("Hello, world!") == ["Hello", "world"]
    assert core.words("") == []
    assert core.words("one two  three") == ["one", "two", "three"]
    assert core.words("x1y2z") == ["x", "y", "z"]


@pytest.mark.parametrize("text, want", [("42", 42), (" -7 ", -7), ("0", 0), ("123456", 123456)])
def test_parse_int(text, want):
    assert core.parse_int(text) == want


@pytest.mark.parametrize("text", ["", "abc", "4.2", "--1"])
def test_parse_int_rejects(text):
    with pytest.raises(ValueError):
        core.parse_int(text)


def test_append_item_mutates():
    items = [1, 2]
    assert core.append_item(items, 3) == 3
    assert core.append_item(items, 4) == 4
    assert core.append_item([], "x") == 1
    assert items == [1, 2, 3, 4]


def test_countdown():
    assert list(core.countdown(3)) == [3, 2, 1]
    assert list(core.countdown(0)) == []
    assert list(core.countdown(5)) == [5, 4, 3, 2, 1]


@pytest.mark.parametrize("n, want", [(0, 0), (1, 1), (2, 1), (7, 13), (10, 55)])
def test_fib(n, want):
    assert core.fib(n) == want


def test_stamp_and_roll():
    for label in ("a", "b", "c", "d"):
        assert core.stamp(label).startswith(label + "@")
    for sides in (6, 20, 100, 1000, 10**6):
        assert 1 <= core.roll(sides) <= sides


def test_read_setting():
    path = str(HERE / "data" / "settings.txt")
    assert core.read_setting(path, "name") == "hardcases"
    assert core.read_setting(path, "level") == "3"
    assert core.read_setting(path, "mode") == "strict"
    assert core.read_setting(path, "missing") is None


def test_add_suffix():
    assert core.add_suffix("walk") == "walking"
    assert core.add_suffix("read") == "reading"
    assert core.add_suffix("") == "ing"


def test_no_doc():
    assert core.no_doc(1, 2) == 4
    assert core.no_doc(0, 0) == 0
    assert core.no_doc(-3, 1) == -5


def test_apply_lambda_nested_coroutine():
    assert core.apply(core.double, 3) == 6
    assert core.apply(str, 4) == "4"
    assert core.apply(len, "abc") == 3
    assert core.outer(1) == 2 and core.outer(5) == 6 and core.outer(-1) == 0
    assert asyncio.run(core.fetch_value(3)) == 3


def test_square_cached():
    assert [core.square(n) for n in (2, 3, 4, 2)] == [4, 9, 16, 4]


def test_busy():
    assert core.busy(1) == core.busy(1)
    assert core.busy(2) > 0
    assert core.busy(0) == 0


def test_stack():
    s = Stack()
    assert s.push(1) == 1 and s.push(2) == 2 and len(s) == 2
    assert Stack.is_balanced("(a[b]{c})")
    assert not Stack.is_balanced("(]")
    assert not Stack.is_balanced("((")
    assert Stack.is_balanced("")
    assert Stack.from_list([1, 2]) == 2 and Stack.from_list([]) == 0 and Stack.from_list("abc") == 3
    assert Stack.describe(1) == "stack of 1 item"
    assert Stack.describe(0) == "stack of 0 items"
    assert Stack.describe(3) == "stack of 3 items"


def test_tries_the_network():
    # In the miner's sandbox there is no route anywhere; a plain run may or may not connect.
    try:
        socket.create_connection(("127.0.0.1", 9), timeout=1).close()
    except OSError:
        pass


def test_tries_to_write_outside():
    # Two levels up from the project is outside what the miner lets the suite write.
    target = HERE.parents[1] / "escaped-by-hardcases.txt"
    try:
        with open(target, "w") as fh:
            fh.write("escaped")
    except OSError:
        pass
    try:
        with open(os.path.join("/tmp", "escaped-by-hardcases.txt"), "w") as fh:
            fh.write("escaped")
    except OSError:
        pass
