import unittest

from wordtools import initials, vowel_count


class WordsTest(unittest.TestCase):
    def test_initials(self):
        self.assertEqual(initials("portable network graphics"), "PNG")
        self.assertEqual(initials("hello"), "H")
        self.assertEqual(initials(""), "")
        self.assertEqual(initials("a  b"), "AB")

    def test_vowels(self):
        self.assertEqual(vowel_count("banana"), 3)
        self.assertEqual(vowel_count("RHYTHM"), 0)
        self.assertEqual(vowel_count("Education"), 5)
        self.assertEqual(vowel_count(""), 0)
