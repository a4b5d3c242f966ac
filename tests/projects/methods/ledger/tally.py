"""A tally of words: its state changes between calls."""


class Tally:
    """Counts words."""

    def __init__(self, start=0):
        self.total = start

    def add(self, text):
        """Add the number of words in text."""
        self.total += len(text.split())

    def report(self, unit):
        """The total so far, with its unit, pluralised."""
        if self.total == 1:
            return f"1 {unit}"
        return f"{self.total} {unit}s"


class Vocabulary:
    """Known words, with a cache of the ranks looked up so far."""

    def __init__(self, words):
        self.words = tuple(words)
        self._ranks = {}

    def rank(self, word):
        """The position of `word` among the known words in alphabetical order, or -1 when unknown."""
        if word not in self._ranks:
            ordered = sorted(self.words)
            self._ranks[word] = ordered.index(word) if word in ordered else -1
        return self._ranks[word]
