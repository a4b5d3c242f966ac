import pytest

from modobj.core import apply_named, digit_sum, human_size, loud_words, numeral_label, set_separator, slug


@pytest.mark.parametrize("title, expected", [
    ("Hello, World!", "hello-world"), ("  A  b  ", "a-b"), ("It's (really) fine", "its-really-fine"),
    ("one", "one"), ("", ""), ("? !", ""), ("Mixed CASE words here", "mixed-case-words-here"),
])
def test_slug(title, expected):
    assert slug(title) == expected


@pytest.mark.parametrize("n, repeat, expected", [
    (0, False, 0), (7, False, 7), (99, False, 18), (99, True, 9), (12345, False, 15), (12345, True, 6),
    (1000, True, 1), (987654321, True, 9), (58, False, 13),
])
def test_digit_sum(n, repeat, expected):
    assert digit_sum(n, repeat=repeat) == expected


@pytest.mark.parametrize("n, expected", [
    (1, "I (1 digits)"), (4, "IV (1 digits)"), (9, "IX (1 digits)"), (14, "XIV (2 digits)"),
    (40, "XL (2 digits)"), (90, "XC (2 digits)"), (400, "CD (3 digits)"), (1994, "MCMXCIV (4 digits)"),
    (2024, "MMXXIV (4 digits)"), (3999, "MMMCMXCIX (4 digits)"),
])
def test_numeral_label(n, expected):
    assert numeral_label(n) == expected


def test_numeral_label_range():
    with pytest.raises(ValueError):
        numeral_label(0)


@pytest.mark.parametrize("size, expected", [
    (0, "0.0 B"), (1023, "1023.0 B"), (1024, "1.0 KB"), (1536, "1.5 KB"), (1048576, "1.0 MB"),
    (5 * 1024 ** 3, "5.0 GB"), (3 * 1024 ** 4, "3072.0 GB"),
])
def test_human_size(size, expected):
    assert human_size(size) == expected


def test_set_separator():
    try:
        assert set_separator("_", "a b") == "a_b"
        assert set_separator("+", "c d") == "c+d"
        assert set_separator(".", "e f") == "e.f"
    finally:
        set_separator("-", "x")
    assert slug("back to normal") == "back-to-normal"


@pytest.mark.parametrize("name, word, expected", [
    ("clean", "Hi!", "hi"), ("shout", "hi", "HI!"), ("clean", "(A)", "a"), ("shout", "ok", "OK!"),
])
def test_apply_named(name, word, expected):
    assert apply_named(name, word) == expected


@pytest.mark.parametrize("title, expected", [
    ("a b", ["A!", "B!"]), ("", []), ("one", ["ONE!"]), ("x y z", ["X!", "Y!", "Z!"]),
])
def test_loud_words(title, expected):
    assert loud_words(title) == expected
