from wordtools import snake, vowels


def test_snake():
    assert snake("CamelCase") == "camel_case"
    assert snake("mixedCaseName") == "mixed_case_name"
    assert snake("x") == "x"
    assert snake("HTTPServer") == "h_t_t_p_server"


def test_vowels():
    assert vowels("banana") == 3
    assert vowels("rhythm") == 0
    assert vowels("AEIOU") == 5
    assert vowels("") == 0
