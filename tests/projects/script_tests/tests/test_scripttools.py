# Tests as a script: `python tests/test_scripttools.py` (no test_ functions, no TestCase).
from scripttools import collatz_steps, to_base


def main():
    assert to_base(0, 2) == "0"
    assert to_base(10, 2) == "1010"
    assert to_base(255, 16) == "ff"
    assert to_base(35, 36) == "z"
    assert to_base(100, 10) == "100"
    assert to_base(8, 8) == "10"
    assert collatz_steps(1) == 0
    assert collatz_steps(6) == 8
    assert collatz_steps(7) == 16
    assert collatz_steps(27) == 111
    assert collatz_steps(2) == 1
    print("all passed")


if __name__ == "__main__":
    main()
