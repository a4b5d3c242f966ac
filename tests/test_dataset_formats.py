"""The SFT rows teach the function, not the context the prompt gives; fences stay unambiguous."""
from __future__ import annotations

import re

from sftset.dataset.card import dataset_card
from sftset.dataset.formats import fence, messages_row, prompt_completion_row
from sftset.record import Problem

TABLE = "COLOURS = {\n" + "".join(f"    'c{i}': '#{i:06x}',\n" for i in range(200)) + "}\n"


def mined(prompt_context: str, header: str, body: str, entry_point: str) -> Problem:
    return Problem.from_dict({
        "task_id": "ci/pkg/m.f", "source": "ci", "kind": "function", "prompt": prompt_context + header,
        "entry_point": entry_point, "canonical_solution": body, "tests": [{"args": "('c1',)", "expected": "'#000001'"}],
        "provenance": {"license": "MIT"}})


def test_the_chat_answer_is_the_function_without_the_context():
    header = 'def name_to_hex(name):\n    """The hex code of a colour name."""\n'
    p = mined("import re\n\n" + TABLE + "\n\n",
              header, "    return COLOURS[name.lower()]\n", "name_to_hex")
    user, assistant = messages_row(p)["messages"]
    code = re.fullmatch(r"```python\n(.*)```", assistant["content"], re.S).group(1)
    assert code == header + "    return COLOURS[name.lower()]\n"
    assert "COLOURS = {" not in assistant["content"] and "COLOURS = {" in user["content"]
    # the prompt's context plus the answer is the whole program: it runs and gives the traced result
    namespace: dict = {}
    exec(p.prompt[: p.prompt.index("def name_to_hex")] + code, namespace)
    assert namespace["name_to_hex"]("C1") == "#000001"
    assert prompt_completion_row(p) == {"prompt": p.prompt, "completion": p.canonical_solution}


def test_decorators_belong_to_the_answer():
    header = '@functools.lru_cache(maxsize=None)\ndef f(n):\n    """Twice n."""\n'
    p = mined("import functools\n\n\n", header, "    return 2 * n\n", "f")
    code = messages_row(p)["messages"][1]["content"]
    assert code.startswith("```python\n@functools.lru_cache") and "import functools" not in code


def test_a_longer_fence_when_the_code_holds_one():
    # issue 16: answers with ``` in their own code made the Markdown fence ambiguous
    body = '    return "```python\\n" + code + "\\n```"\n'
    p = mined("", 'def as_markdown(code):\n    """Wrap code in a ``` fence."""\n', body, "as_markdown")
    user, assistant = messages_row(p)["messages"]
    assert fence("a ``` b") == "````" and fence("no fence") == "```" and fence("`````") == "``````"
    assert assistant["content"].startswith("````python\n") and assistant["content"].endswith("\n````")
    assert user["content"].endswith("\n````") and "\n````python\n" in user["content"]
    inner = assistant["content"][len("````python\n"):-len("````")]
    assert inner == p.prompt + body


def test_the_card_says_what_the_answers_hold():
    p = mined("", 'def f(x):\n    """Doc."""\n', "    return x\n", "f")
    files = {"sft_messages.jsonl": {"rows": 1, "bytes": 10, "sha256": "0" * 64},
             "sft_prompt_completion.jsonl": {"rows": 1, "bytes": 10, "sha256": "0" * 64}}
    card = dataset_card("v1", [p], files)
    assert "the assistant's answer is the function alone" in card
    assert "the completion is the function's body" in card
