from needsdep import quadruple


def test_quadruple():
    assert quadruple(3) == 12
