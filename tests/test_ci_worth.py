"""Trivial bodies a hand review found past worth.py (issue 14): one call on the arguments, possibly
negated, whose inputs are only argument names and constants (a helper the prompt shows called with
its arguments reordered or constants added, `not` of a predicate, one method call on an argument),
and the near misses that do real work and must stay."""
from __future__ import annotations

import pytest

from sftset.ci_mining.worth import trivial_rule

CONTEXT = '''import os
import re

_WORD = re.compile(r"\\w+")


def _to_str(size, suffixes, base):
    """A human-readable size."""
    return "%d %s" % (size // base, suffixes[0])


def is_number(value):
    """Whether value is a number."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)
'''
DELEGATION = "trivial body: delegation to a function in the prompt"
ONE_CALL = "trivial body: one call on the arguments"


@pytest.mark.parametrize("params, body, rule", [
    # a prompt helper with the arguments reordered, or constants of the body added
    ("size, base", "return _to_str(base, ('KB', 'MB'), size)", DELEGATION),
    ("size", "return _to_str(size, ('KiB', 'MiB', 'GiB'), 1024)", DELEGATION),
    ("size", "return _to_str(size, suffixes=['B'], base=1000)", DELEGATION),
    # negation of one call
    ("value", "return not is_number(value)", DELEGATION),
    ("text", "return not text.isspace()", ONE_CALL),
    ("text", "return not _WORD.match(text)", "trivial body: lookup in a table in the prompt"),
    # one method call on an argument, constants whatever they are
    ("s", "return s.lower()", ONE_CALL),
    ("x", "return x.strip()", ONE_CALL),
    ("s", "return s.split(',')", ONE_CALL),
    ("s", "return not s.startswith('#')", ONE_CALL),
    ("p", "return os.path.basename(p)", ONE_CALL),
    ("p", "return p.suffix", "trivial body: attribute of an argument"),
    # a guard that returns a constant for an empty argument, then one call
    ("s", "if not s:\n        return ''\n    return s.lower()", ONE_CALL),
    ("s", "if s is None:\n        return None\n    return not s.startswith('#')", ONE_CALL),
    # near misses: something computed around the call, or an argument computed before it
    ("s", "if not s:\n        return ''\n    return s", None),
    ("s", "if not s:\n        return ''\n    return s[:-1] + '.'", None),
    ("s, t", "if not t:\n        return s\n    return s.lower()", None),
    ("xs", "if not xs:\n        return True\n    return any(x > 0 for x in xs)", None),
    ("value", "return not is_number(value) or value < 0", None),
    ("size", "return _to_str(size * 8, ('b',), 1000)", None),
    ("s", "return s.split(',', 1)[0]", None),
    # counts and indexes given to a builtin or a method are part of the task (issue 13)
    ("s", "return s.split(',', 1)", None),
    ("s", "return int(s, 16)", None),
    ("n", "return random.randint(1, n)", None),
    ("s", "return s.lower() + '!'", None),
    ("s", "return s[-1]", None),
    ("a, b", "return a is b", None),
    ("s", "return not s", None),
    ("xs", "return sum(x * x for x in xs)", None),
    ("s", "return [p.strip() for p in s.split(',')]", None),
    ("s", "return f'{s}'.lower()", None),
])
def test_one_call_on_the_arguments(params, body, rule):
    program = CONTEXT + f'\n\ndef f({params}):\n    """Doc."""\n    {body}\n'
    assert trivial_rule(program, "f", CONTEXT) == rule


def test_a_method_negating_its_own_predicate():
    context = '''class Box:
    def __init__(self, items):
        self.items = items

    def is_empty(self):
        """No items?"""
        return not self.items
'''
    program = context + '\n    def is_full(self):\n        """Any items?"""\n        return not self.is_empty()\n'
    assert trivial_rule(program, "Box.is_full", context) == DELEGATION
    program = context + '\n    def count(self, kind):\n        """How many of a kind."""\n' \
                        '        return sum(1 for i in self.items if i == kind)\n'
    assert trivial_rule(program, "Box.count", context) is None
    program = context + '\n    def is_open(self):\n        """Open?"""\n        return not self.closed\n'
    assert trivial_rule(program, "Box.is_open", context) == "trivial body: attribute of the instance"


def test_a_procedure_that_only_stores_what_it_is_given():
    context = '''class Box:
    def __init__(self, items):
        self.items = items
        self.n = 0
'''
    setter = "trivial body: sets attributes of the instance"

    def rule(body):
        return trivial_rule(context + f'\n    def put(self, item):\n        """Store it."""\n        {body}\n',
                            "Box.put", context)

    for body in ("self.items.append(item)", "self.label = item", "self.n += 1\n        self.items[item] = None"):
        assert rule(body) == setter, body
    for body in ("self.items.append(item.strip().lower())", "if item:\n            self.items.append(item)",
                 "self.n += len(item.split())"):
        assert rule(body) is None, body


def test_a_membership_guard_before_a_table_lookup():
    context = '''SPECS = ("html4", "css2", "css3")
NAMES = {"html4": {"red": "#ff0000"}, "css2": {}, "css3": {}}
'''
    lookup = "trivial body: lookup in a table in the prompt"
    for guard, ret in (("if spec not in SPECS:", "return NAMES[spec]"),
                       ("if spec not in ('html4', 'css3'):", "return NAMES.get(spec, {})")):
        program = context + f'\n\ndef names_of(spec):\n    """Names of a spec."""\n    {guard}\n' \
                            f'        raise ValueError(spec)\n    {ret}\n'
        assert trivial_rule(program, "names_of", context) == lookup
    program = context + '\n\ndef names_of(spec):\n    """Sorted names."""\n    if spec not in SPECS:\n' \
                        '        raise ValueError(spec)\n    return sorted(NAMES[spec])\n'
    assert trivial_rule(program, "names_of", context) is None


def test_a_helper_mapped_over_items_or_chosen_by_a_predicate():
    context = '''from urllib.parse import unquote_plus


def detect(code):
    """Whether code is urlencoded."""
    return " " not in code


def style_char(c, style):
    """c in a style."""
    return c.upper() if style == "bold" else c
'''
    delegation = "trivial body: delegation to a function in the prompt"

    def rule(ret):
        return trivial_rule(context + f'\n\ndef f(code, s=None):\n    """Doc."""\n    return {ret}\n', "f", context)

    for ret in ("unquote_plus(code) if detect(code) else code", "''.join(style_char(c, style=s) for c in code)",
                "[style_char(c, s) for c in code]", "code if not detect(code) else ''"):
        assert rule(ret) == delegation, ret
    for ret in ("''.join(style_char(c, s) for c in code if c != ' ')", "code.upper() if len(code) > 3 else code",
                "[style_char(c, s) + c for c in code]"):
        assert rule(ret) is None, ret


def test_a_conditional_conversion_of_an_argument():
    one_call = "trivial body: one call on the arguments"
    for test, conv in (("isinstance(mixed, str)", "mixed.encode(enc)"), ("not isinstance(mixed, bytes)", "str(mixed)")):
        program = f'def f(mixed, enc):\n    """Doc."""\n    if {test}:\n        mixed = {conv}\n    return mixed\n'
        assert trivial_rule(program, "f", "") == one_call
    for body in ("    if isinstance(mixed, str):\n        mixed = mixed.encode(enc) + b'!'\n    return mixed\n",
                 "    if len(mixed) > 3:\n        mixed = mixed[:3]\n    return mixed\n",
                 "    if isinstance(mixed, str):\n        mixed = mixed.encode(enc)\n    return enc\n"):
        assert trivial_rule(f'def f(mixed, enc):\n    """Doc."""\n{body}', "f", "") is None, body
