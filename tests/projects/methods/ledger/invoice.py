"""Invoice lines: a function and a class that take Money objects."""


def line_total(amount, quantity):
    """The total in cents of `quantity` items that cost `amount` (a Money) each, less 5% (rounded down
    to the cent) from 10 items up."""
    total = amount.cents * quantity
    if quantity >= 10:
        total -= total * 5 // 100
    return total


def add_fee(amount, fee):
    """Add `fee` cents to `amount` in place; the new number of cents."""
    amount.cents += fee
    return amount.cents


class Line:
    """An invoice line: an amount per item and a quantity."""

    def __init__(self, amount, quantity):
        self.amount = amount
        self.quantity = quantity

    def describe(self, label):
        """The line as '<quantity> x <label> at <amount>', the amount formatted with its symbol."""
        return f"{self.quantity} x {label} at {self.amount.format()}"


def shares(amount, weights):
    """Split `amount` (a Money) by integer `weights` into Money amounts of its currency, rounded down to
    the cent, the cents left over going to the first shares one each."""
    total = sum(weights)
    cents = [amount.cents * w // total for w in weights]
    left = amount.cents - sum(cents)
    for i in range(left):
        cents[i] += 1
    return [type(amount)(c, amount.currency) for c in cents]
