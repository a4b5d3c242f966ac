"""A package whose sdist ships no tests."""


def double(x):
    """Twice x."""
    return 2 * x
