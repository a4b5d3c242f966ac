"""Units."""

STEPS = ("B", "KB", "MB", "GB")


def scale(size):
    """(value, unit) for a byte count, in steps of 1024."""
    value = float(size)
    for unit in STEPS[:-1]:
        if value < 1024:
            return value, unit
        value /= 1024
    return value, STEPS[-1]
