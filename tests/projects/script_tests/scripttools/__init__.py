"""Number helpers whose tests are a script (as casefy's): a test project for the CI miner."""


def to_base(n, base):
    """The digits of a non-negative integer n written in the given base (2..36), as a string."""
    if n < 0 or not 2 <= base <= 36:
        raise ValueError("n must not be negative and base must be within 2..36")
    symbols = "0123456789abcdefghijklmnopqrstuvwxyz"
    if n == 0:
        return "0"
    out = []
    while n:
        n, d = divmod(n, base)
        out.append(symbols[d])
    return "".join(reversed(out))


def collatz_steps(n):
    """How many steps of the Collatz map (n/2 if even, 3n+1 if odd) take a positive n to 1."""
    if n < 1:
        raise ValueError("n must be positive")
    steps = 0
    while n != 1:
        n = n // 2 if n % 2 == 0 else 3 * n + 1
        steps += 1
    return steps
