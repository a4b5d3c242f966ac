"""A package whose suite never finishes."""


def spin():
    """Loop forever."""
    while True:
        pass
