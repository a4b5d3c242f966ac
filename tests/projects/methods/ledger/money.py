"""An amount of money in cents."""

SYMBOLS = {"USD": "$", "EUR": "\u20ac", "GBP": "\u00a3"}


class Money:
    """An amount in cents of one currency."""

    places = 2

    def __init__(self, cents, currency="USD"):
        if cents < 0:
            raise ValueError("a negative amount")
        self.cents = cents
        self.currency = currency

    def _symbol(self):
        return SYMBOLS.get(self.currency, self.currency + " ")

    def format(self, symbol=True, sep=","):
        """The amount as text like '1,234.05', its currency's symbol first when `symbol`,
        thousands separated by `sep`."""
        whole, frac = divmod(self.cents, 10 ** self.places)
        digits = str(whole)
        groups = []
        while len(digits) > 3:
            groups.insert(0, digits[-3:])
            digits = digits[:-3]
        groups.insert(0, digits)
        text = sep.join(groups) + "." + str(frac).rjust(self.places, "0")
        if symbol:
            text = self._symbol() + text
        return text

    def split(self, parts):
        """Split the amount into `parts` amounts in cents, as equal as possible (the first ones
        one cent bigger when it does not divide evenly), that add up to the whole."""
        if parts <= 0:
            raise ValueError("parts must be positive")
        base, extra = divmod(self.cents, parts)
        out = []
        for i in range(parts):
            if i < extra:
                out.append(base + 1)
            else:
                out.append(base)
        return out

    @classmethod
    def parse_cents(cls, text):
        """The number of cents in a text like '12.34' (with this class's number of decimal places); a
        missing fraction counts as zero, extra digits are cut off."""
        whole, _, frac = text.partition(".")
        frac = (frac + "0" * cls.places)[:cls.places]
        return int(whole) * 10 ** cls.places + int(frac)

    def unrelated(self):
        """Not used by the methods above: the prompt leaves it out."""
        return "nothing to see " * 3
