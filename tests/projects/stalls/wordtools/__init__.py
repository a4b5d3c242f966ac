"""Small word helpers (a test project for the CI miner: its suite ends waiting in accept())."""


def snake(name):
    """The snake_case form of a CamelCase or mixedCase name."""
    out = []
    for i, ch in enumerate(name):
        if ch.isupper() and i:
            out.append("_")
        out.append(ch.lower())
    return "".join(out)


def vowels(word):
    """How many vowels (a, e, i, o, u, either case) the word has."""
    return sum(ch in "aeiouAEIOU" for ch in word)
