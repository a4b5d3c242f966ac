"""Text and number helpers."""


def run_lengths(text):
    """The lengths of the runs of equal characters in text, in order."""
    out = []
    prev, count = None, 0
    for ch in text:
        if ch == prev:
            count += 1
        else:
            if prev is not None:
                out.append(count)
            prev, count = ch, 1
    if prev is not None:
        out.append(count)
    return out


def bucket(n):
    """Which size bucket a count falls into: "small", "medium" or "large"."""
    if n > 1000:
        return "large"
    if n > 100:
        return "medium"
    return "small"


def checksum(data):
    """A 16-bit checksum of a string: the weighted sum of its code points."""
    total = 0
    for i, ch in enumerate(data):
        total = (total + (i + 1) * ord(ch)) % 65536
    return total


def tidy(text):
    """text without the spaces around it."""
    return text.strip()
