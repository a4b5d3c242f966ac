from sdistonlydep import twice


def quadruple(x):
    return twice(twice(x))
