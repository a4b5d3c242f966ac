import math

from hof.core import apply_closure, count_where, map_values, pipeline, reduce_with, scale_all, tidy

FACTOR = 3


def inc(x):
    return x + 1


def inc_twice(x):
    """Calls another test function."""
    return inc(inc(x))


def is_square(n):
    root = math.isqrt(n)
    return root * root == n


def shout(s):
    return s.upper() + "!"


def tidy_join(acc, item):
    return acc + tidy(item)  # a project helper: not carried


def make_adder(n):
    return lambda x: x + n  # a closure: not a value


def test_map_values():
    assert map_values(inc, {"a": 1, "b": 2}) == {"a": 2, "b": 3}
    assert map_values(shout, {"x": "hi", "y": "yo"}) == {"x": "HI!", "y": "YO!"}
    assert map_values(lambda v: v * 2, {"k": 5, "j": -1}) == {"j": -2, "k": 10}
    assert map_values(inc_twice, {"z": 0}) == {"z": 2}


def test_count_where():
    assert count_where(is_square, [1, 2, 3, 4, 9, 10]) == 3
    assert count_where(lambda n: n % 2 == 0, [1, 2, 3, 4, 6]) == 3
    assert count_where(lambda s: s.startswith("a"), ["ab", "b", "ac"]) == 2
    assert count_where(is_square, [16, 17]) == 1


def test_pipeline():
    assert pipeline([inc, lambda x: x * 10], 1) == [2, 20]
    assert pipeline([lambda x: x - 1, lambda x: x * x], 5) == [4, 16]
    assert pipeline([inc_twice, inc], 0) == [2, 3]
    assert pipeline([], 7) == []


def test_scale_all():
    assert scale_all(lambda x: x * FACTOR, [1, 2]) == [3, 6]
    assert scale_all(lambda x: x + FACTOR, [0]) == [3]
    assert scale_all(lambda x: x - FACTOR, [5, 6, 7]) == [2, 3, 4]


def test_apply_closure():
    assert apply_closure(make_adder(2), 1) == (3, 5)
    assert apply_closure(make_adder(-1), 0) == (-1, -2)
    assert apply_closure(make_adder(10), 10) == (20, 30)


def test_reduce_with():
    assert reduce_with(tidy_join, [" A", "b "], "") == "ab"
    assert reduce_with(tidy_join, ["X"], "y") == "yx"
    assert reduce_with(tidy_join, [], "q") == "q"
    assert reduce_with(tidy_join, [" Hi ", " There"], "-") == "-hithere"


def test_pipeline_with_local_functions():
    def halve(x):  # defined in the test, no closure: carried like a module-level one
        return x // 2

    def twice_inc(x):
        return inc(inc(x))

    assert pipeline([halve, twice_inc], 9) == [4, 11]
    assert pipeline([halve], -3) == [-2]


def test_pipeline_with_another_local_halve():
    def halve(x):  # the same name, another body: a value of its own
        return x / 2

    step = 3

    def add_step(x):  # a closure over `step`: not a value
        return x + step

    assert pipeline([halve], 3) == [1.5]
    assert pipeline([add_step], 1) == [4]


class TestPipeline:
    def test_in_a_method(self):
        def neg(x):  # two levels in: moved to the wrapper's indentation
            return -x

        assert pipeline([neg, neg], 2) == [-2, -2]
