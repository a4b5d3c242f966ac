"""Interest rates."""
from dataclasses import dataclass


@dataclass(frozen=True)
class Rate:
    """An interest rate in basis points a year."""

    bps: int
    compound: bool = False

    def apply(self, cents, years):
        """The amount in cents after `years` years at this rate; when compounding, the interest of each
        year (rounded down to the cent) is added before the next."""
        if years < 0:
            raise ValueError("years must not be negative")
        if self.compound:
            for _ in range(years):
                cents = cents + cents * self.bps // 10000
            return cents
        return cents + cents * self.bps * years // 10000
