"""Pure functions on strings and numbers (as in slugify, inflection, isodate)."""


def slugify(text, sep="-"):
    words = "".join(c.lower() if c.isalnum() else " " for c in text).split()
    return sep.join(words)


def title_case(text):
    small = {"a", "an", "the", "of", "in", "on", "and"}
    words = text.split()
    return " ".join(w if i and w.lower() in small else w[:1].upper() + w[1:] for i, w in enumerate(words))


def checksum(n, modulus=97):
    total = 0
    while n:
        total += n % 10
        n //= 10
    return total % modulus


def parse_duration(text):
    units = {"h": 3600, "m": 60, "s": 1}
    seconds, number = 0, ""
    for c in text:
        if c.isdigit():
            number += c
        elif c in units and number:
            seconds += int(number) * units[c]
            number = ""
    return seconds


def split_pairs(items):
    return {k: v for k, v in (item.split("=", 1) for item in items if "=" in item)}
