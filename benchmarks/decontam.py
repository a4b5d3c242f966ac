"""Decontamination recall and false positives, measured.

    python benchmarks/decontam.py

Recall: each of HumanEval's 164 problems rewritten the hard way -- every identifier renamed
(function, parameters, locals) and every docstring replaced by one neutral sentence -- so that only
the code signal can find it. Plain copies and copies with a lightly reworded docstring are easier
(their text matches too). False positives: every documented function of the Python standard library's
top-level modules (plus json, email, asyncio), as problems; none is a benchmark problem. Also prints
the time per problem.
"""
from __future__ import annotations

import ast
import builtins
import glob
import io
import os
import re
import sys
import sysconfig
import textwrap
import time
import tokenize

from sftset.dataset.decontam import build_decontaminator
from sftset.humaneval import load_humaneval
from sftset.record import Problem

NEUTRAL = '"""Compute the requested value for the inputs."""'
KEEP = set(dir(builtins)) | {"List", "Tuple", "Optional", "Any", "Dict", "math", "typing", "hashlib"}


def rename(code: str, mapping: dict[str, str]) -> str:
    out, prev = [], None
    for tok in tokenize.generate_tokens(io.StringIO(code).readline):
        text = tok.string
        if tok.type == tokenize.NAME and text in mapping and not (prev and prev.string == "."):
            text = mapping[text]
        out.append((tok.type, text))
        prev = tok
    return tokenize.untokenize(out)


def disguised(p: Problem) -> Problem:
    full = p.prompt + p.canonical_solution
    names = set()
    for node in ast.walk(ast.parse(full)):
        if isinstance(node, ast.Name):
            names.add(node.id)
        elif isinstance(node, ast.arg):
            names.add(node.arg)
        elif isinstance(node, ast.FunctionDef):
            names.add(node.name)
    new = rename(full, {n: "v_" + n[::-1] for n in names - KEEP})
    new = re.sub(r'("""|\'\'\')(.*?)\1', NEUTRAL, new, flags=re.S)
    cut = new.index(NEUTRAL) + len(NEUTRAL) + 1
    return Problem(task_id="x/" + p.task_id, source="x", kind="function", prompt=new[:cut], entry_point="f",
                   canonical_solution=new[cut:], test="def check(candidate):\n    pass\n")


def stdlib_functions() -> list[Problem]:
    lib = sysconfig.get_paths()["stdlib"]
    files = sorted(glob.glob(lib + "/*.py")) + sorted(glob.glob(lib + "/json/*.py")) + \
        sorted(glob.glob(lib + "/email/*.py")) + sorted(glob.glob(lib + "/asyncio/*.py"))
    out = []
    for path in files:
        try:
            source = open(path, encoding="utf-8").read()
            tree = ast.parse(source)
        except (SyntaxError, UnicodeDecodeError, ValueError):
            continue
        lines = source.splitlines(keepends=True)
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef) and ast.get_docstring(node) and node.body[1:]:
                doc_end = node.body[0].end_lineno
                out.append(Problem(
                    task_id=f"std/{os.path.basename(path)}:{node.name}", source="std", kind="function",
                    prompt=textwrap.dedent("".join(lines[node.lineno - 1:doc_end])), entry_point=node.name,
                    canonical_solution="".join(lines[doc_end:node.end_lineno]),
                    test="def check(candidate):\n    pass\n"))
    return out


def main() -> int:
    dec = build_decontaminator(keep_benchmark_items=False)
    humaneval = load_humaneval()
    for label, make in (("copied as is (under another id)", lambda p: Problem(**{**p.to_dict(), "source": "y",
                                                                                     "task_id": "y/" + p.task_id})),
                        ("all identifiers renamed and docstrings replaced", disguised)):
        dropped, named, missed = 0, 0, []
        for p in humaneval:
            hit = dec.check(make(p))
            dropped += hit is not None
            named += bool(hit and hit.item == p.task_id)
            if hit is None:
                missed.append(p.task_id)
        print(f"HumanEval {label}: {dropped} of {len(humaneval)} dropped, {named} naming their own item")
        if missed:
            print(f"  missed (solutions too short for the code signal): {', '.join(missed)}")
    functions = stdlib_functions()
    started = time.perf_counter()
    flagged = [(p.task_id, hit.reason) for p in functions if (hit := dec.check(p))]
    per = (time.perf_counter() - started) / max(len(functions), 1) * 1e6
    print(f"standard-library functions flagged (false positives): {len(flagged)} of {len(functions)}; "
          f"{per:.0f} us per problem")
    for task_id, reason in flagged[:20]:
        print(f"  {task_id}: {reason}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
