"""Small number helpers, tested with unittest (a test project for the CI miner)."""


def digits(n):
    """The decimal digits of a non-negative integer n, most significant first."""
    if n < 0:
        raise ValueError("n must not be negative")
    if n == 0:
        return [0]
    out = []
    while n:
        n, d = divmod(n, 10)
        out.append(d)
    return out[::-1]


def gcd(a, b):
    """The greatest common divisor of two integers (gcd(0, 0) == 0)."""
    a, b = abs(a), abs(b)
    while b:
        a, b = b, a % b
    return a
