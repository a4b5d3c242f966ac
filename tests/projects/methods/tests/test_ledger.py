import pytest

from ledger.money import Money
from ledger.tally import Tally


@pytest.mark.parametrize("cents, currency, symbol, sep, text", [
    (0, "USD", True, ",", "$0.00"),
    (5, "USD", True, ",", "$0.05"),
    (123456, "EUR", True, ",", "\u20ac1,234.56"),
    (123456789, "USD", False, ",", "1,234,567.89"),
    (100000, "GBP", True, " ", "\u00a31 000.00"),
    (99999, "CHF", True, ",", "CHF 999.99"),
    (1000, "USD", False, ".", "10.00"),
    (100000000, "EUR", False, "'", "1'000'000.00"),
])
def test_format(cents, currency, symbol, sep, text):
    assert Money(cents, currency).format(symbol, sep) == text


@pytest.mark.parametrize("cents, parts, out", [
    (100, 3, [34, 33, 33]),
    (10, 4, [3, 3, 2, 2]),
    (9, 3, [3, 3, 3]),
    (0, 2, [0, 0]),
    (7, 1, [7]),
    (5, 7, [1, 1, 1, 1, 1, 0, 0]),
])
def test_split(cents, parts, out):
    assert Money(cents).split(parts) == out


def test_split_needs_parts():
    with pytest.raises(ValueError):
        Money(10).split(0)
    with pytest.raises(ValueError):
        Money(10).split(-2)


def test_negative():
    with pytest.raises(ValueError):
        Money(-1)


@pytest.mark.parametrize("words", ["a b", "one", "x y z", "", "a b c d e"])
def test_tally(words):
    t = Tally(1)
    t.add(words)
    t.add("more words")
    assert t.report("word").startswith(str(t.total))


@pytest.mark.parametrize("bps, compound, cents, years, out", [
    (500, False, 10000, 2, 11000),
    (500, True, 10000, 2, 11025),
    (0, True, 777, 5, 777),
    (250, False, 999, 0, 999),
    (1000, True, 100, 3, 133),
    (1000, False, 100, 3, 130),
])
def test_rate(bps, compound, cents, years, out):
    from ledger.rate import Rate

    assert Rate(bps, compound).apply(cents, years) == out


def test_rate_negative_years():
    from ledger.rate import Rate

    with pytest.raises(ValueError):
        Rate(100).apply(100, -1)


@pytest.mark.parametrize("cents, currency, quantity, total", [
    (250, "USD", 1, 250),
    (250, "EUR", 4, 1000),
    (199, "USD", 10, 1891),
    (1000, "GBP", 12, 11400),
    (3, "USD", 9, 27),
    (0, "EUR", 20, 0),
])
def test_line_total(cents, currency, quantity, total):
    from ledger.invoice import line_total

    assert line_total(Money(cents, currency), quantity) == total


@pytest.mark.parametrize("cents, currency, quantity, label, text", [
    (250, "USD", 2, "pens", "2 x pens at $2.50"),
    (123456, "EUR", 1, "desk", "1 x desk at \u20ac1,234.56"),
    (99, "CHF", 7, "clips", "7 x clips at CHF 0.99"),
    (5, "GBP", 100, "stamps", "100 x stamps at \u00a30.05"),
])
def test_line_describe(cents, currency, quantity, label, text):
    from ledger.invoice import Line

    assert Line(Money(cents, currency), quantity).describe(label) == text


@pytest.mark.parametrize("cents, fee", [(100, 5), (0, 1), (999, 1), (7, 30)])
def test_add_fee(cents, fee):
    from ledger.invoice import add_fee

    amount = Money(cents)
    assert add_fee(amount, fee) == cents + fee == amount.cents


def test_vocabulary_ranks():
    from ledger.tally import Vocabulary

    v = Vocabulary(["pear", "apple", "fig"])  # each lookup fills the cache: later calls see a changed instance
    assert [v.rank(w) for w in ("pear", "apple", "fig", "kiwi", "Fig")] == [2, 0, 1, -1, -1]


@pytest.mark.parametrize("cents, weights, out", [
    (100, [1, 1, 1], [34, 33, 33]),
    (1000, [3, 1], [750, 250]),
    (7, [2, 2, 1], [3, 3, 1]),
    (0, [5], [0]),
    (99, [1, 2, 3, 4], [10, 20, 30, 39]),
])
def test_shares(cents, weights, out):
    from ledger.invoice import shares

    assert [m.cents for m in shares(Money(cents, "EUR"), weights)] == out


@pytest.mark.parametrize("text, cents", [("12.34", 1234), ("7", 700), ("0.5", 50), ("3.999", 399), ("100.01", 10001)])
def test_parse_cents(text, cents):
    assert Money.parse_cents(text) == cents
