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
