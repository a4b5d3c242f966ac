"""Functions that use their package's modules as objects."""
from . import fmt, text
import modobj.numbers as numbers


def slug(title):
    """The title's words, cleaned, joined by the separator; empty words are left out."""
    words = [text.clean(w) for w in title.split()]
    return text.SEPARATOR.join(w for w in words if w)


def digit_sum(n, repeat=False):
    """The sum of the decimal digits of n; with repeat, summed again until one digit is left."""
    total = sum(numbers.digits(n))
    while repeat and total >= numbers.BASE:
        total = sum(numbers.digits(total))
    return total


def numeral_label(n):
    """A label for n: its Roman numeral and its number of digits."""
    return f"{numbers.roman(n)} ({len(numbers.digits(n))} digits)"


def human_size(size):
    """A byte count for people: one decimal, then the unit."""
    value, unit = fmt.units.scale(size)
    return f"{value:.1f} {unit}"


def set_separator(sep, title):
    """Change the separator for good; the title's words joined by it."""
    text.SEPARATOR = sep
    return sep.join(title.split())


def apply_named(name, word):
    """Apply the text helper called `name` to the word."""
    return getattr(text, name)(word)


def loud_words(title):
    """Each word of the title, shouted."""
    from .text import shout
    return [shout(w) for w in title.split()]
