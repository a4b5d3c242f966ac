"""Word helpers."""

SEPARATOR = "-"
_DROP = set(".,;:!?'\"()")


def clean(word):
    """The word in lower case without punctuation."""
    return "".join(ch for ch in word.lower() if ch not in _DROP)


def shout(word):
    """The word in upper case with an exclamation mark."""
    return word.upper() + "!"
