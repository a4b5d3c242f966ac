"""A project whose test suite kills its own process: the suite crashes (a test of the miner's exit status)."""


def double(x):
    """Return twice x."""
    return 2 * x
