import sys, os
sys.path.insert(0, os.path.dirname(os.path.dirname(__file__)))
from broken import half


def test_half():
    assert half(4) == 2
