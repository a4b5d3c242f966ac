"""A package with a syntax error."""


def half(x)
    return x / 2
