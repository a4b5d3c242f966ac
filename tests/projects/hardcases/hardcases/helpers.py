"""Helpers imported by core.py (their definitions must be inlined into problems)."""
import re

VOWELS = frozenset("aeiou")
_SPACES = re.compile(r"\s+")


def normalise_space(text):
    """Collapse runs of whitespace into one space and strip the ends."""
    return _SPACES.sub(" ", text).strip()
