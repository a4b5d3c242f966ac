import pytest

from tables.colours import colour_name, names_like, shade_count
from tables.words import pluralize, singularize


@pytest.mark.parametrize("word, expected", [
    ("quiz", "quizzes"), ("ox", "oxen"), ("mouse", "mice"), ("matrix", "matrices"), ("box", "boxes"),
    ("city", "cities"), ("knife", "knives"), ("analysis", "analyses"), ("Sheep", "Sheep"), ("status", "statuses"),
    ("cactus", "cacti"), ("criterion", "criteria"), ("fez", "fezzes"), ("bus", "buses"), ("word", "words"),
    ("", ""), ("person", "people"), ("Child", "Children"), ("foot", "feet"), ("hero", "heroes"),
    ("wildlife", "wildlife"), ("Traffic", "Traffic"), ("day", "days"), ("bliss", "blisses"),
])
def test_pluralize(word, expected):
    assert pluralize(word) == expected


@pytest.mark.parametrize("word, expected", [
    ("quizzes", "quiz"), ("oxen", "ox"), ("mice", "mouse"), ("matrices", "matrix"), ("boxes", "box"),
    ("cities", "city"), ("knives", "knife"), ("analyses", "analysis"), ("Sheep", "Sheep"), ("statuses", "status"),
    ("words", "word"), ("", ""), ("People", "Person"), ("children", "child"), ("geese", "goose"),
    ("heroes", "hero"), ("news", "news"), ("movies", "movie"), ("Wildlife", "Wildlife"), ("shoes", "shoe"),
    ("glass", "glass"), ("days", "day"), ("Chaos", "Chaos"), ("species", "species"), ("Pliers", "Pliers"),
    ("gas", "gas"), ("crises", "crisis"), ("wolves", "wolf"),
])
def test_singularize(word, expected):
    assert singularize(word) == expected


@pytest.mark.parametrize("code, expected", [
    ("#F00", "red"), (" #fffaf0 ", "floralwhite"), ("#123456", None), ("#000000", "black"), ("#FFF", "white"),
    ("#ffa500", "orange"), ("#663399", None), ("#abc", None), ("#7FFFD4", "aquamarine"),
    ("#f0f8ff", "aliceblue"), ("#9acd32", "yellowgreen"),
])
def test_colour_name(code, expected):
    assert colour_name(code) == expected


@pytest.mark.parametrize("code", ["red", "#12345", "#ggg", "", "#1234567"])
def test_colour_name_refuses(code):
    with pytest.raises(ValueError):
        colour_name(code)


@pytest.mark.parametrize("fragment, limit, expected", [
    ("blue", 5, ["blue", "skyblue", "darkblue", "aliceblue", "cadetblue"]),
    ("Red", 3, ["red", "darkred", "indianred"]),
    ("zzz", 5, []), ("olive", 2, ["olive", "olivedrab"]),
    ("sea", 4, ["seagreen", "seashell", "darkseagreen", "lightseagreen"]),
    ("goldenrod", 9, ["goldenrod", "darkgoldenrod", "palegoldenrod", "lightgoldenrodyellow"]),
])
def test_names_like(fragment, limit, expected):
    assert names_like(fragment, limit) == expected


@pytest.mark.parametrize("prefix, expected", [
    ("dark", 17), ("light", 13), ("x", 0), ("Medium", 9), ("b", 8), ("s", 13),
])
def test_shade_count(prefix, expected):
    assert shade_count(prefix) == expected


def test_shade_count_limit():
    assert shade_count("dark", 3) == 3
    assert shade_count("d", 0) == 0
