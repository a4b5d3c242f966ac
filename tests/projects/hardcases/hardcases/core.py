"""Functions that exercise every case the CI miner must handle (see the README)."""
import random
import re
import time
from functools import lru_cache

from .helpers import VOWELS as _VOWELS
from .helpers import normalise_space

_WORD = re.compile(r"[A-Za-z]+")
SUFFIXES = []
SUFFIXES.append("ing")  # module state built by a statement: a problem needs this line too


def clamp(x, lo=0, hi=10):
    """Clamp x into the closed interval [lo, hi]."""
    if x < lo:
        return lo
    if x > hi:
        return hi
    return x


def count_vowels(text):
    """Count the vowels in text, ignoring case and extra whitespace."""
    return sum(1 for c in normalise_space(text).lower() if c in _VOWELS)


def words(text):
    """The words (runs of ASCII letters) of text, in order."""
    return _WORD.findall(text)


def parse_int(text):
    """Parse a decimal integer, allowing surrounding spaces; ValueError on anything else."""
    text = text.strip()
    if not text or not text.lstrip("-").isdigit():
        raise ValueError(f"not an integer: {text!r}")
    return int(text)


def append_item(items, item):
    """Append item to items (in place) and return the new length."""
    items.append(item)
    return len(items)


def countdown(n):
    """Yield n, n - 1, ..., 1."""
    while n > 0:
        yield n
        n -= 1


def fib(n):
    """The n-th Fibonacci number (fib(0) == 0, fib(1) == 1)."""
    if n < 2:
        return n
    return fib(n - 1) + fib(n - 2)


def stamp(label):
    """label tagged with the current time."""
    return f"{label}@{time.time()}"


def roll(sides):
    """A random roll of a die with the given number of sides."""
    return random.randint(1, sides)


def read_setting(path, key):
    """The value of key in a file of key=value lines, or None."""
    with open(path) as fh:
        for line in fh:
            k, _, v = line.strip().partition("=")
            if k == key:
                return v
    return None


def add_suffix(word):
    """word followed by the first registered suffix."""
    return word + SUFFIXES[0]


def no_doc(a, b):
    return a * 2 + b


def apply(fn, x):
    """fn applied to x."""
    return fn(x)


double = lambda x: x * 2  # noqa: E731


def outer(x):
    """x + 1, through a nested function."""
    def inner(y):
        return y + 1

    return inner(x)


async def fetch_value(x):
    """x, after a context switch."""
    return x


@lru_cache(maxsize=None)
def square(n):
    """n squared (cached)."""
    return n * n


def busy(n):
    """A slow sum: the sum of i % 7 for i below n * 2000000."""
    total = 0
    for i in range(n * 2000000):
        total += i % 7
    return total


class Stack:
    """A stack of items."""

    def __init__(self):
        self.items = []

    def push(self, item):
        """Push item."""
        self.items.append(item)
        return len(self.items)

    def __len__(self):
        return len(self.items)

    @staticmethod
    def is_balanced(text):
        """True when the brackets ()[]{} in text are balanced."""
        pairs = {")": "(", "]": "[", "}": "{"}
        stack = []
        for c in text:
            if c in "([{":
                stack.append(c)
            elif c in pairs:
                if not stack or stack.pop() != pairs[c]:
                    return False
        return not stack

    @classmethod
    def from_list(cls, items):
        """A stack holding items; returns its size."""
        s = cls()
        for item in items:
            s.push(item)
        return len(s)

    @classmethod
    def describe(cls, n):
        """A description of a stack with n items."""
        return f"stack of {n} item" + ("" if n == 1 else "s")
