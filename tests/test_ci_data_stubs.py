"""Long module-level tables shown cut in the prompt, their full definitions hidden in the check
(ci_mining/data_stubs.py). End to end on tests/projects/tables, and the replay rules one by one."""
from __future__ import annotations

import ast
import subprocess
import sys
import textwrap

import pytest
from mining_support import assert_plain_interpreter_verdicts, assert_sandbox_verdicts, mine_project

from sftset.ci_mining.build import Candidate
from sftset.ci_mining.data_stubs import abbreviate_tables, with_data_stubs
from sftset.humaneval import humaneval_row
from sftset.render import HIDDEN_BEGIN, HIDDEN_END, hidden_part

WRONG = {  # a body of the right shape that gives a wrong answer
    "colour_name": "    code = code.strip().lower()\n    return _BY_CODE.get(code)\n",
    "names_like": "    return sorted(name for name in data.COLOURS if fragment in name)[:limit]\n",
    "pluralize": "    for pattern, replacement in RULES:\n        if re.search(pattern, word):\n"
                 "            return re.sub(pattern, replacement, word)\n    return word\n",
    "singularize": "    for pattern, replacement in SINGULAR_RULES:\n        if re.search(pattern, word):\n"
                   "            return re.sub(pattern, replacement, word)\n    return word\n",
}


@pytest.fixture(scope="module")
def mined(tmp_path_factory):
    """Mine tests/projects/tables once (sandboxed suite, validation in the executor)."""
    work = tmp_path_factory.mktemp("mine")
    rc, report, records = mine_project(work, "tables")
    return {"rc": rc, "report": report, "problems": {p.entry_point: p for p in records}}


def _context(p) -> str:
    return p.prompt[:p.prompt.index(f"def {p.entry_point}(")]


def test_functions_reading_long_tables_are_kept_with_the_tables_cut(mined):
    assert mined["rc"] == 0
    problems = mined["problems"]
    assert set(problems) == set(WRONG)
    colour = problems["colour_name"]
    assert colour.meta["abbreviated_tables"] == ["COLOURS"]
    assert ('COLOURS = {\n    "aliceblue": "#f0f8ff",\n    "antiquewhite": "#faebd7",\n    "aqua": "#00ffff",\n'
            '    # ... 135 more entries not shown here (138 in all)\n}\n') in colour.prompt
    plural = problems["pluralize"]
    assert plural.meta["abbreviated_tables"] == ["SINGULAR_RULES", "UNCOUNTABLE"]
    assert '    (r"(?i)(append|ind)ix$", r"\\1ices"),\n' in plural.prompt  # the rules it applies stay whole
    assert "    # ... 121 more items not shown here (124 in all)\n}\n" in plural.prompt
    assert '"wildlife"' not in plural.prompt and '"wildlife"' in hidden_part(plural.test)
    for p in problems.values():
        context = _context(p)
        assert context.count("\n") <= 120 and len(context) <= 6000, p.entry_point
        assert p.meta["hidden_context"].strip("\n") in p.test and p.meta["kill_rate"] >= 0.8
        ast.parse(p.prompt + p.canonical_solution)
    # a cut table is still a table of its type, with its first items (our own project's code)
    ns: dict = {}
    exec(_context(plural), ns)
    assert ns["UNCOUNTABLE"] == {"accommodation", "advice", "aid"} and len(ns["RULES"]) == 22 + 4


def test_a_table_a_default_value_reads_stays_whole_and_the_function_is_dropped(mined):
    dropped = {d["function"]: d for d in mined["report"]["dropped"]}
    shade = dropped["ci/tables/tables.colours.shade_count"]
    assert shade["reason"] == "prompt too long"


def test_what_reads_a_table_while_loading_is_replayed_after_its_full_definition(mined):
    colour = mined["problems"]["colour_name"]
    hidden = hidden_part(colour.test)
    # the namespace of tables.data and the reverse table are built again from the full COLOURS
    assert hidden.index('"yellowgreen": "#9acd32"') < hidden.index("data = types.SimpleNamespace(COLOURS=COLOURS)") \
        < hidden.index("_BY_CODE = {code: name for name, code in data.COLOURS.items()}")
    assert "_BY_CODE = {code: name" in colour.prompt  # and still shown where the module builds it
    plural = mined["problems"]["pluralize"]
    hidden = hidden_part(plural.test)
    # _irregular(...) changes RULES and SINGULAR_RULES: both are defined again before it runs again
    assert hidden.index("RULES = [") < hidden.index("SINGULAR_RULES = [") < hidden.index("UNCOUNTABLE = {") \
        < hidden.index('_irregular("person", "people")') < hidden.index('_irregular("foot", "feet")')


def test_the_checks_judge_the_function_against_the_full_tables(mined, tmp_path):
    problems = mined["problems"]
    assert_sandbox_verdicts(problems, WRONG)
    assert_plain_interpreter_verdicts(problems, WRONG, tmp_path)
    # the exported HumanEval row, run as HumanEval's harness runs it: passes; without the hidden tables it fails
    for name in ("colour_name", "singularize"):
        row = humaneval_row(problems[name])
        program = row["prompt"] + row["canonical_solution"] + "\n" + row["test"] + f"\ncheck({row['entry_point']})\n"
        cut = program[:program.index(HIDDEN_BEGIN)] + program[program.index(HIDDEN_END):]
        for kind, text in (("full", program), ("cut", cut)):
            path = tmp_path / f"{name}_{kind}.py"
            path.write_text(text)
            proc = subprocess.run([sys.executable, "-I", "-S", str(path)], capture_output=True, text=True, timeout=30)
            assert (proc.returncode == 0) == (kind == "full"), (name, kind, proc.stderr[-500:])


# ---- the rules, on contexts written here ------------------------------------------------------------
def _candidate(context: str, function: str) -> Candidate:
    context = textwrap.dedent(context).lstrip()
    header, _, body = textwrap.dedent(function).lstrip().partition('"""\n')
    header, _, doc_rest = header.partition('"""')
    signature_doc = header + '"""' + doc_rest + '"""\n'
    entry = signature_doc.split("(")[0].split()[-1]
    return Candidate(task_id=f"t/{entry}", entry_point=entry, prompt=context + "\n\n" + signature_doc, solution=body,
                     tests=[], context=context, checker="exact", flags=[], provenance={}, meta={})


LONG = "NAMES = {\n" + "".join(f'    "n{i}": {i},\n' for i in range(40)) + "}\n"
COUNT = '''
def count(prefix):
    """How many names start with prefix."""
    return sum(1 for name in NAMES if name.startswith(prefix))
'''


def test_a_short_context_is_left_as_it_is():
    c = _candidate(LONG, COUNT)
    assert with_data_stubs(c, 120, 6000) is c


def test_a_derived_table_is_replayed_but_a_default_or_a_class_body_keeps_the_table_whole():
    derived = LONG + "_BY_NUMBER = {v: k for k, v in NAMES.items()}\n"
    context, hidden, names, _ = abbreviate_tables(_candidate(derived, COUNT), 10, 6000)
    assert names == ["NAMES"] and "# ... 37 more entries not shown here (40 in all)" in context
    assert hidden.index('"n39": 39') < hidden.index("_BY_NUMBER = {v: k")
    ns: dict = {}
    exec(context + "\n" + hidden, ns)  # our own text
    assert ns["_BY_NUMBER"][39] == "n39"
    with_default = '''
    def count(prefix, names=NAMES):
        """How many names start with prefix."""
        return sum(1 for name in names if name.startswith(prefix))
    '''
    assert abbreviate_tables(_candidate(LONG, with_default), 10, 6000) is None
    in_class = LONG + "\n\nclass Box:\n    size = len(NAMES)\n"
    assert abbreviate_tables(_candidate(in_class, COUNT), 10, 6000) is None


def test_an_effect_through_a_helper_is_replayed_with_every_table_it_changes():
    context = LONG + '''EXTRA = ["x"]


def _add(name, number):
    """Register a name."""
    NAMES[name] = number
    EXTRA.append(name)


_add("zz", 99)
'''
    c = _candidate(context, COUNT)
    found = with_data_stubs(c, 20, 6000)
    assert found.meta["abbreviated_tables"] == ["NAMES"]
    hidden = found.hidden
    # EXTRA is shown whole but defined again, so that _add's append is not made twice
    assert hidden.index("NAMES = {") < hidden.index('EXTRA = ["x"]') < hidden.index('_add("zz", 99)')
    ns: dict = {}
    exec(found.prompt + found.solution + "\n" + hidden, ns)  # our own text
    assert ns["EXTRA"] == ["x", "zz"] and ns["NAMES"]["n39"] == 39 and ns["NAMES"]["zz"] == 99
    assert ns["count"]("n") == 40


def test_a_long_text_is_cut_only_when_nothing_reads_it_while_loading():
    text = "HELP = '''" + "".join(f"line {i} of the help text\n" for i in range(40)) + "'''\n"
    show = '''
    def help_line(n):
        """Line n of the help text."""
        return HELP.splitlines()[n]
    '''
    context, hidden, names, _ = abbreviate_tables(_candidate(text, show), 10, 6000)
    assert names == ["HELP"] and "'line 0 of the help text\\n'" in context and "more characters not shown" in context
    ns: dict = {}
    exec(context, ns)
    assert ns["HELP"].startswith("line 0 of the help text\nline 1")
    compiled = text + "import re\n_LINES = re.compile(HELP)\n"
    assert abbreviate_tables(_candidate(compiled, show), 10, 6000) is None


def test_tables_inside_tables_and_calls_of_literals_are_cut_the_same_way():
    context = (
        "from array import array\n\n"
        "CLASSES: dict[str, tuple[int, ...]] = {\n"
        + "".join(f'    "{k}": (\n' + "".join(f"        0x{n:X},\n" for n in range(30)) + "    ),\n" for k in "AB")
        + '    "C": (0x1,),\n}\n'
        "WORDS = frozenset({\n" + "".join(f'    "w{n}",\n' for n in range(30)) + "})\n"
        "STARTS = array(\"I\", (\n" + "".join(f"    {n},\n" for n in range(30)) + "))\n"
    )
    function = '''
    def classify(n, word):
        """The classes n is in, and whether word is known."""
        return sorted(k for k, v in CLASSES.items() if n in v), word in WORDS, n in STARTS
    '''
    context_cut, hidden, names, _ = abbreviate_tables(_candidate(context, function), 12, 6000)
    assert names == ["CLASSES", "WORDS", "STARTS"]
    assert 'CLASSES: dict[str, tuple[int, ...]] = {\n    "A": (\n        0x0,\n        0x1,\n' \
           "        # ... 28 more items not shown here (30 in all)\n    ),\n" in context_cut
    assert '    "C": (0x1,),\n}\n' in context_cut and "WORDS = frozenset({\n" in context_cut
    ns: dict = {}
    exec(context_cut, ns)  # our own text: each cut table keeps its type
    assert ns["CLASSES"] == {"A": (0, 1), "B": (0, 1), "C": (1,)} and ns["WORDS"] == {"w0", "w1", "w2"}
    assert list(ns["STARTS"]) == [0, 1, 2] and ns["STARTS"].typecode == "I"
    exec(hidden, ns)
    assert len(ns["CLASSES"]["B"]) == 30 and len(ns["WORDS"]) == 30 and len(ns["STARTS"]) == 30
