"""Word helpers with unittest TestCases inside the package, src layout (as croniter, json-stream)."""


def initials(text):
    """The upper-cased first letters of the words of text, joined."""
    return "".join(word[0].upper() for word in text.split() if word)


def vowel_count(text):
    """How many vowels (a, e, i, o, u, either case) text holds."""
    count = 0
    for ch in text.lower():
        if ch in "aeiou":
            count += 1
    return count
