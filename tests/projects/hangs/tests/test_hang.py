import os, sys
sys.path.insert(0, os.path.dirname(os.path.dirname(__file__)))
from hanging import spin


def test_spin():
    spin()
