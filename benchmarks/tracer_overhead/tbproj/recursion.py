"""Deep recursion (as in parsers and tree walkers)."""


def depth_sum(n):
    return 0 if n == 0 else n + depth_sum(n - 1)


def flatten(nested):
    out = []
    for item in nested:
        if isinstance(item, list):
            out.extend(flatten(item))
        else:
            out.append(item)
    return out


def nest(n):
    return [n] if n == 0 else [n, nest(n - 1)]


def partitions(n, largest=None):
    largest = n if largest is None else largest
    if n == 0:
        return 1
    return sum(partitions(n - k, k) for k in range(1, min(n, largest) + 1))
