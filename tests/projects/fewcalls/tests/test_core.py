from fewcalls.core import bucket, checksum, run_lengths, tidy


def test_run_lengths():
    assert run_lengths("aabccc") == [2, 1, 3]
    assert run_lengths("xyyy") == [1, 3]


def test_bucket():
    assert bucket(5) == "small"
    assert bucket(7) == "small"


def test_checksum():
    assert checksum("abc") == 97 + 2 * 98 + 3 * 99


def test_tidy():
    assert tidy("  a ") == "a"
    assert tidy("b") == "b"
