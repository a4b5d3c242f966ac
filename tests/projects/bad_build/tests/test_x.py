from badbuild import *


def test_nothing():
    assert True
