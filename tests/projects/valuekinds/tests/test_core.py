import operator
import re

import pytest

from valuekinds.core import (add_money, apply_twice, flag_letters, fold, join_words, map_words, masked, midpoint,
                             overlap, shift_color, tag_length, unbox)
from valuekinds.model import Box, Color, Interval, Money, Point, Tag


def test_masked():
    assert masked(bytearray(b"abc"), b"\x01") == bytearray(b"`cb")
    assert masked(b"\x00\x01\x02\x03", bytearray(b"\x0f\xf0")) == bytearray(b"\x0f\xf1\x0d\xf3")
    assert masked(bytearray(b""), b"k") == bytearray()
    assert masked(bytearray(b"hello"), b"key") == bytearray(b"\x03\x00\x15\x07\n")
    assert masked(bytearray(b"zz"), b"\xff") == bytearray(b"\x85\x85")


def test_shift_color():
    assert shift_color(Color.RED, 1) is Color.GREEN
    assert shift_color(Color.GREEN, 2) is Color.RED
    assert shift_color(Color.BLUE, 0) is Color.BLUE
    assert shift_color(Color.BLUE, 4) is Color.RED
    assert shift_color(Color.RED, -1) is Color.BLUE
    assert shift_color(Color.GREEN, 1) is Color.BLUE


def test_flag_letters():
    assert flag_letters(re.IGNORECASE) == "i"
    assert flag_letters(re.MULTILINE | re.DOTALL) == "ms"
    assert flag_letters(re.VERBOSE | re.IGNORECASE) == "ix"
    assert flag_letters(re.DOTALL) == "s"
    assert flag_letters(re.IGNORECASE | re.MULTILINE | re.DOTALL | re.VERBOSE) == "imsx"
    assert flag_letters(re.ASCII) == ""


def test_midpoint():
    assert midpoint(Point(0, 0), Point(4, 6)) == Point(2, 3)
    assert midpoint(Point(1, 1), Point(2, 2)) == Point(1, 1)
    assert midpoint(Point(-3, 5), Point(3, -5)) == Point(0, 0)
    assert midpoint(Point(10, 7), Point(0, 1)) == Point(5, 4)
    assert midpoint(Point(-5, -7), Point(0, 0)) == Point(-3, -4)


def test_add_money():
    assert add_money(Money(5, "EUR"), Money(7, "EUR")) == Money(12, "EUR")
    assert add_money(Money(0, "USD"), Money(3, "USD")) == Money(3, "USD")
    assert add_money(Money(-2, "GBP"), Money(2, "GBP")) == Money(0, "GBP")
    assert add_money(Money(10, "JPY"), Money(250, "JPY")) == Money(260, "JPY")
    with pytest.raises(ValueError):
        add_money(Money(1, "EUR"), Money(1, "USD"))


def test_overlap():
    assert overlap(Interval(0, 5), Interval(3, 9)) == Interval(3, 5)
    assert overlap(Interval(0, 2), Interval(3, 4)) is None
    assert overlap(Interval(1, 10), Interval(2, 3)) == Interval(2, 3)
    assert overlap(Interval(4, 4), Interval(4, 8)) == Interval(4, 4)
    assert overlap(Interval(-5, -1), Interval(-3, 7)) == Interval(-3, -1)
    assert overlap(Interval(6, 9), Interval(0, 5)) is None


def test_fold():
    assert fold(operator.add, [1, 2, 3], 0) == 6
    assert fold(operator.mul, [2, 3, 4], 1) == 24
    assert fold(max, [3, 9, 2], 0) == 9
    assert fold(operator.sub, [1, 2], 10) == 7
    assert fold(join_words, ["b", "c"], "a") == "a b c"
    assert fold(operator.add, [], 5) == 5
    assert fold(min, [4, 1, 8], 3) == 1


def test_map_words():
    assert map_words(str.upper, "hello big world") == "HELLO BIG WORLD"
    assert map_words(str.title, "the  quick fox") == "The Quick Fox"
    assert map_words(str.swapcase, "aB Cd") == "Ab cD"
    assert map_words(str.lower, "  MIXED Case ") == "mixed case"
    assert map_words(str.capitalize, "x yz") == "X Yz"


def test_negative_cases():
    assert unbox(Box(3), 0) == 3
    assert unbox(Box(None), 7) == 7
    assert unbox(Box("a"), "b") == "a"
    assert unbox(Box([1]), None) == [1]
    assert tag_length(Tag("ab"), 1) == 3
    assert tag_length(Tag("abcd"), -1) == 4
    assert tag_length(Tag(""), 5) == 5
    assert tag_length(Tag("xyz"), 0) == 3
    words = ["a", "b"]
    assert apply_twice(words.__add__, ["c"]) == ["a", "b", "a", "b", "c"]
    assert apply_twice("<{}>".format, "x") == "<<x>>"
    assert apply_twice(" ".join, "ab") == "a   b"
    assert apply_twice(lambda v: v * 2, 3) == 12
    assert apply_twice(lambda v: v + "!", "hi") == "hi!!"
    assert apply_twice(lambda v: -v, 5) == 5
