import unittest

from numtools import digits, gcd


class DigitsTest(unittest.TestCase):
    def test_digits(self):
        self.assertEqual(digits(0), [0])
        self.assertEqual(digits(7), [7])
        self.assertEqual(digits(1203), [1, 2, 0, 3])
        self.assertEqual(digits(99), [9, 9])

    def test_negative(self):
        with self.assertRaises(ValueError):
            digits(-5)


class GcdTest(unittest.TestCase):
    def test_gcd(self):
        self.assertEqual(gcd(12, 18), 6)
        self.assertEqual(gcd(7, 5), 1)
        self.assertEqual(gcd(0, 9), 9)
        self.assertEqual(gcd(-4, 6), 2)
        self.assertEqual(gcd(0, 0), 0)
