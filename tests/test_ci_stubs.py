"""Project helpers shown as stubs in the prompt, their bodies hidden in the check (ci_mining/stubs.py)."""
from __future__ import annotations

import ast
import textwrap

import pytest

from sftset.ci_mining.build import Target, build_candidates
from sftset.ci_mining.miner import screen
from sftset.ci_mining.report import TargetReport
from sftset.ci_mining.stubs import stub_helpers, with_stubs
from sftset.ci_mining.validate import ValidationSettings, validate
from sftset.ci_mining.worth import WorthSettings
from sftset.dataset.formats import answer_function, messages_row, prompt_completion_row
from sftset.evaluation import program_for, sample_job
from sftset.humaneval import humaneval_row, record_from_humaneval
from sftset.render import hidden_part
from sftset.sandbox import Executor

MODULE = '''
import re

_VOWELS = re.compile("[aeiou]")  # read while the hidden part loads: the check's context must hold `re`
_SEPARATOR = None


def _normalise(word):
    """The word in lower case, without spaces or punctuation around it."""
    word = word.strip()
    word = word.lower()
    while word and not word[0].isalnum():
        word = word[1:]
    while word and not word[-1].isalnum():
        word = word[:-1]
    return word


def _count_vowels(word):
    """How many vowels the word has."""
    n = 0
    for ch in word:
        if _VOWELS.match(ch):
            n += 1
    return n


def vowel_score(text):
    """Each word's vowel count times its position (from 1), summed."""
    total = 0
    for i, word in enumerate(text.split(_SEPARATOR)):
        total += (i + 1) * _count_vowels(_normalise(word))
    return total
'''
CALLS = ["", "a", "Hello, World!", "aa bb ii", "(Quiet) EVENING air", "rhythm", "x e", "one two three four",
         "...!", "Ae io U"]
TIGHT = WorthSettings(max_prompt_lines=16, max_prompt_chars=6000)


def _candidates(root):
    (root / "m.py").write_text(textwrap.dedent(MODULE))
    ns: dict = {}
    exec(MODULE, ns)  # our own code
    records = [{"a": repr((t,)), "k": "{}", "r": repr(ns["vowel_score"](t)), "n": 1} for t in CALLS]
    trace = {"functions": [{"module": "m", "qualname": "vowel_score", "kind": "function", "lineno": None,
                            "calls": len(records), "skipped": {}, "records": records}]}
    built = build_candidates(trace, Target("proj", "1", None, "u", None, "MIT", root, [root], ["m"], "3.11"))
    assert not built.drops
    return built.candidates


@pytest.fixture(scope="module")
def kept(tmp_path_factory):
    candidates = _candidates(tmp_path_factory.mktemp("proj"))
    report = TargetReport(target="proj")
    screened = screen(candidates, TIGHT, tmp_path_factory.mktemp("root"), report)
    assert report.drops == {}
    (o,) = validate(screened, ValidationSettings(workers=2, max_mutants=20, generate=10, max_generated=3))
    assert o.kept, (o.reason, o.detail)
    return o.problem


def test_a_short_context_stays_as_it_is(tmp_path):
    (c,) = _candidates(tmp_path)
    assert with_stubs(c, 120, 6000) is c and c.hidden == ""
    assert "word = word[1:]" in c.prompt


def test_over_the_bound_the_helpers_become_stubs_and_their_bodies_are_hidden(kept):
    p = kept
    assert p.meta["stubbed_helpers"] == ["_normalise", "_count_vowels"]
    assert '    """How many vowels the word has."""\n    ...\n' in p.prompt
    assert "word = word[1:]" not in p.prompt and "n += 1" not in p.prompt
    assert "_SEPARATOR = None" in p.prompt  # a constant the function reads stays in the prompt ...
    # ... one only a hidden helper reads goes with it
    assert "_VOWELS = re.compile" not in p.prompt and "_VOWELS = re.compile" in hidden_part(p.test)
    context = p.prompt[:p.prompt.index("def vowel_score")].rstrip("\n") + "\n"
    assert context.count("\n") <= TIGHT.max_prompt_lines < len(MODULE[:MODULE.index("def vowel_score")].splitlines())
    hidden = hidden_part(p.test)
    assert "word = word[1:]" in hidden and "n += 1" in hidden and "def check" not in hidden
    assert p.test.index("def _count_vowels") < p.test.index("def check(candidate)")
    # mutation and coverage judged the function only (its own body lines)
    assert p.meta["kill_rate"] >= 0.8 and p.meta["coverage"]["lines"] == 1.0
    # HumanEval's harness: one module, the test's helpers rebind the stubs before check calls the candidate
    ns: dict = {}
    exec(p.prompt + p.canonical_solution + "\n" + p.test + "\n" + f"check({p.entry_point})", ns)
    stubs_only: dict = {}
    exec(p.prompt + p.canonical_solution, stubs_only)
    with pytest.raises(TypeError):  # the stubs alone do not solve anything
        stubs_only["vowel_score"]("Hello")


def test_the_exports_still_run_and_the_chat_answer_is_the_function_only(kept, tmp_path):
    p = kept
    answer = answer_function(p)
    assert answer.startswith("def vowel_score(text):") and "_normalise(word):" not in answer
    assert messages_row(p)["messages"][-1]["content"].count("def ") == 1
    assert prompt_completion_row(p) == {"prompt": p.prompt, "completion": p.canonical_solution}
    row = humaneval_row(p)
    back = record_from_humaneval(row)  # an exported HumanEval row read back (no meta): the test holds the helpers
    assert program_for(back, p.canonical_solution).endswith(hidden_part(p.test))
    wrong = "    return len(text)\n"
    with Executor(workers=2) as ex:
        verdicts = {v.key: v for v in ex.run([sample_job(p, p.canonical_solution, "record"),
                                              sample_job(back, p.canonical_solution, "row"),
                                              sample_job(p, wrong, "wrong")])}
    assert verdicts["record"].status == "passed", verdicts["record"].detail
    assert verdicts["row"].status == "passed", verdicts["row"].detail
    assert verdicts["wrong"].status == "failed"


def test_a_helper_used_while_the_module_loads_is_never_a_stub():
    context = textwrap.dedent('''
        def _norm(word):
            """Lower case."""
            return word.lower()


        def _twice(word):
            """The word twice."""
            out = word
            out += word
            return out


        TABLE = {w: _norm(w) for w in ("A", "B")}


        class Box:
            size = _norm("X")
        ''').lstrip()
    stubbed, hidden, names = stub_helpers(context, max_lines=16, max_chars=6000)
    assert names == ["_twice"] and "return word.lower()" in stubbed and "out += word" in hidden
    ast.parse(stubbed + hidden)
    assert stub_helpers(context, max_lines=2, max_chars=6000) is None  # cannot fit: left to the bound's drop


def test_a_constant_only_hidden_helpers_read_goes_with_them():
    context = textwrap.dedent('''
        _TABLE = {"a": 1, "b": 2, "c": 3}
        _USED = {"x": "a"}
        _REGISTERED = {}
        _REGISTERED["d"] = 4


        def _lookup(key):
            """The number of a key, or None."""
            found = _TABLE.get(key)
            if found is None:
                found = _REGISTERED.get(key)
            return found
        ''').lstrip()
    stubbed, hidden, names = stub_helpers(context, max_lines=8, max_chars=6000, needs={"_USED", "_lookup"})
    assert names == ["_lookup"] and "_USED" in stubbed and "_TABLE" not in stubbed and "_REGISTERED" not in stubbed
    assert hidden.index("_TABLE =") < hidden.index('_REGISTERED["d"] = 4') < hidden.index("def _lookup")
    ns: dict = {}
    exec(stubbed + "\n" + hidden, ns)  # our own text
    assert ns["_lookup"]("d") == 4 and ns["_USED"] == {"x": "a"}
    # read by a statement that stays shown: the table stays too
    shown = context + '\n\n_USED.update(_TABLE)\n'
    stubbed, hidden, _ = stub_helpers(shown, max_lines=10, max_chars=6000, needs={"_lookup"})
    assert "_TABLE = {" in stubbed and "_TABLE = {" not in hidden
