"""Statement HTML (and TeX) to readable plain text, for docstrings.

Judges write math three ways: TeX between delimiters ($$$..$$$ on Codeforces, $..$ or \\(..\\)
on Kattis and CodeChef, <var>..</var> on AtCoder), HTML markup (<sup>, <sub>, <i>), and
images. TeX is turned into what a person would type: `2 \\leq N \\leq 10^{5}` becomes
`2 ≤ N ≤ 10^5`; `<sup>9</sup>` becomes `^9`. Images cannot be read: they become `[image]`
and the caller flags the problem (`statement_image`).
"""
from __future__ import annotations

import re
import textwrap

from bs4 import BeautifulSoup, NavigableString, Tag

TEX_SYMBOLS = {
    "leq": "≤", "le": "≤", "leqslant": "≤", "geq": "≥", "ge": "≥", "geqslant": "≥", "neq": "≠", "ne": "≠",
    "lt": "<", "gt": ">", "cdot": "·", "times": "×", "div": "÷", "pm": "±", "mp": "∓",
    "ldots": "...", "dots": "...", "cdots": "...", "dotsc": "...", "dotsb": "...", "vdots": "⋮", "ddots": "⋱",
    "to": "→", "rightarrow": "→", "leftarrow": "←", "Rightarrow": "⇒", "Leftarrow": "⇐",
    "leftrightarrow": "↔", "Leftrightarrow": "⇔", "implies": "⇒", "iff": "⇔", "mapsto": "↦",
    "infty": "∞", "sum": "∑", "prod": "∏", "in": "∈", "notin": "∉", "ni": "∋", "subset": "⊂", "subseteq": "⊆",
    "supset": "⊃", "supseteq": "⊇", "cup": "∪", "cap": "∩", "emptyset": "∅", "varnothing": "∅",
    "forall": "∀", "exists": "∃", "oplus": "⊕", "otimes": "⊗", "land": "∧", "wedge": "∧", "lor": "∨", "vee": "∨",
    "neg": "¬", "lnot": "¬", "approx": "≈", "equiv": "≡", "sim": "~", "simeq": "≃", "cong": "≅", "propto": "∝",
    "mid": "|", "vert": "|", "lvert": "|", "rvert": "|", "Vert": "‖", "lVert": "‖", "rVert": "‖", "|": "‖",
    "lfloor": "⌊", "rfloor": "⌋", "lceil": "⌈", "rceil": "⌉", "langle": "⟨", "rangle": "⟩",
    "circ": "∘", "bullet": "•", "star": "*", "ast": "*", "prime": "′", "dagger": "†", "ddagger": "‡",
    "partial": "∂", "nabla": "∇", "angle": "∠", "triangle": "△", "perp": "⊥", "parallel": "∥",
    "bmod": "mod", "mod": "mod", "max": "max", "min": "min", "log": "log", "ln": "ln", "lg": "lg", "exp": "exp",
    "gcd": "gcd", "lcm": "lcm", "sin": "sin", "cos": "cos", "tan": "tan", "arg": "arg", "deg": "deg",
    "det": "det", "dim": "dim", "lim": "lim", "sup": "sup", "inf": "inf", "Pr": "Pr",
    "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ε", "varepsilon": "ε", "zeta": "ζ",
    "eta": "η", "theta": "θ", "vartheta": "ϑ", "iota": "ι", "kappa": "κ", "lambda": "λ", "mu": "μ", "nu": "ν",
    "xi": "ξ", "pi": "π", "rho": "ρ", "sigma": "σ", "tau": "τ", "upsilon": "υ", "phi": "φ", "varphi": "φ",
    "chi": "χ", "psi": "ψ", "omega": "ω", "Gamma": "Γ", "Delta": "Δ", "Theta": "Θ", "Lambda": "Λ", "Xi": "Ξ",
    "Pi": "Π", "Sigma": "Σ", "Phi": "Φ", "Psi": "Ψ", "Omega": "Ω",
    # spacing and sizing: nothing or a space
    ",": " ", ";": " ", ":": " ", "!": "", " ": " ", "quad": " ", "qquad": "  ", "enspace": " ", "thinspace": " ",
    "displaystyle": "", "textstyle": "", "limits": "", "nolimits": "", "left": "", "right": "", "big": "",
    "Big": "", "bigg": "", "Bigg": "", "bigl": "", "bigr": "", "Bigl": "", "Bigr": "", "middle": "",
    "{": "{", "}": "}", "_": "_", "#": "#", "%": "%", "&": "&", "$": "$", "backslash": "\\",
}
# Macros whose one argument is kept as plain text.
TEX_TEXT_ARG = ("text", "textrm", "textit", "textbf", "texttt", "textsf", "mathrm", "mathit", "mathbf", "mathtt",
                "mathsf", "mathcal", "mathbb", "mathscr", "mathfrak", "operatorname", "boldsymbol", "emph",
                "mbox", "hbox", "underline", "overline", "bar", "hat", "tilde", "vec", "dot", "widehat", "widetilde")

_MACRO = re.compile(r"\\([A-Za-z]+|.)")
_WS = re.compile(r"\s+")  # Unicode spaces too (Codeforces uses thin spaces)


def _group(s: str, i: int) -> tuple[str, int]:
    """The brace group (or single token) starting at s[i]; returns (content, index after)."""
    while i < len(s) and s[i] == " ":
        i += 1
    if i >= len(s):
        return "", i
    if s[i] == "{":
        depth = 0
        for j in range(i, len(s)):
            if s[j] == "{" and (j == 0 or s[j - 1] != "\\"):
                depth += 1
            elif s[j] == "}" and s[j - 1] != "\\":
                depth -= 1
                if depth == 0:
                    return s[i + 1:j], j + 1
        return s[i + 1:], len(s)
    if s[i] == "\\":
        m = _MACRO.match(s, i)
        assert m
        return m.group(0), m.end()
    return s[i], i + 1


def _simple(text: str) -> bool:
    return bool(re.fullmatch(r"[A-Za-z0-9.′*]+|-?\d+|[^\s]", text))


def tex_to_text(tex: str) -> str:
    """Readable text from a TeX math fragment."""
    out: list[str] = []
    i = 0
    s = tex.replace("~", " ")
    while i < len(s):
        c = s[i]
        if c == "\\":
            m = _MACRO.match(s, i)
            assert m
            name = m.group(1)
            i = m.end()
            if name == "frac" or name in ("dfrac", "tfrac"):
                num, i = _group(s, i)
                den, i = _group(s, i)
                num, den = tex_to_text(num), tex_to_text(den)
                num = num if _simple(num) else f"({num})"
                out.append(f"{num}/{den}" if _simple(den) else f"{num}/({den})")
            elif name == "sqrt":
                if i < len(s) and s[i] == "[":
                    j = s.find("]", i)
                    root, i = s[i + 1:j], j + 1
                    arg, i = _group(s, i)
                    out.append(f"{tex_to_text(root)}√({tex_to_text(arg)})")
                else:
                    arg, i = _group(s, i)
                    arg = tex_to_text(arg)
                    out.append(f"√{arg}" if _simple(arg) else f"√({arg})")
            elif name == "binom":
                n, i = _group(s, i)
                k, i = _group(s, i)
                out.append(f"C({tex_to_text(n)}, {tex_to_text(k)})")
            elif name == "pmod":
                arg, i = _group(s, i)
                out.append(f" (mod {tex_to_text(arg)})")
            elif name in TEX_TEXT_ARG:
                arg, i = _group(s, i)
                out.append(tex_to_text(arg))
            elif name in TEX_SYMBOLS:
                sym = TEX_SYMBOLS[name]
                # Relations and operators read better with spaces around them.
                if sym in ("≤", "≥", "≠", "<", ">", "→", "⇒", "⇔", "∈", "∉", "≈", "≡", "⊆", "⊂", "×", "·", "±", "mod"):
                    out.append(f" {sym} ")
                else:
                    out.append(sym)
                    if name.isalpha() and sym.isalpha() and i < len(s) and (s[i].isalnum()):
                        out.append(" ")
            else:
                out.append(name if name.isalpha() else name)
        elif c in "^_":
            arg, i = _group(s, i + 1)
            arg = tex_to_text(arg)
            out.append(c + (arg if _simple(arg) else "{" + arg + "}"))
        elif c in "{}":
            i += 1
        else:
            out.append(c)
            i += 1
    text = "".join(out)
    text = re.sub(r" {2,}", " ", text)
    return text.strip()


# Codeforces: $$$..$$$ (inline) and $$$$$$..$$$$$$ (display); elsewhere $$..$$, $..$, \(..\), \[..\].
_TEX_SPANS = re.compile(
    r"\${6}(.+?)\${6}|\${3}(.+?)\${3}|\$\$(.+?)\$\$|(?<![\\$])\$(?!\$)(.+?)(?<![\\$])\$|\\\((.+?)\\\)|\\\[(.+?)\\\]",
    re.S,
)


def replace_tex(text: str) -> str:
    """Convert every delimited TeX fragment in running text."""
    return _TEX_SPANS.sub(lambda m: tex_to_text(next(g for g in m.groups() if g is not None)), text)


BLOCK = {"p", "div", "section", "article", "ul", "ol", "li", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "table",
         "tr", "blockquote", "center", "dl", "dt", "dd", "hr", "figure", "figcaption", "aside", "header", "footer"}


class _Writer:
    """Accumulates paragraphs; inline text is whitespace-collapsed, <pre> kept verbatim."""

    def __init__(self) -> None:
        self.blocks: list[str] = []
        self.cur: list[str] = []
        self.images = 0

    def inline(self, text: str) -> None:
        self.cur.append(text)

    def flush(self) -> None:
        text = _WS.sub(" ", "".join(self.cur)).strip()
        if text:
            self.blocks.append(text)
        self.cur = []

    def verbatim(self, text: str) -> None:
        self.flush()
        text = text.replace("\r\n", "\n").replace("\r", "\n").strip("\n")
        if text.strip():
            self.blocks.append("\0PRE\0" + text)


def _walk(node: Tag, w: _Writer, tex_in_text: bool) -> None:
    for child in node.children:
        if isinstance(child, NavigableString):
            if type(child).__name__ in ("Comment", "Doctype", "Declaration", "ProcessingInstruction", "CData"):
                continue
            text = str(child)
            w.inline(replace_tex(text) if tex_in_text else text)
            continue
        if not isinstance(child, Tag):
            continue
        name = child.name
        if name in ("script", "style", "noscript", "button", "svg"):
            continue
        classes = child.get("class") or []
        if "input-output-copier" in classes:  # Codeforces' "Copy" buttons
            continue
        if name == "br":
            w.inline("\n")
            w.flush()
        elif name == "var":  # AtCoder: TeX inside <var>
            w.inline(tex_to_text(child.get_text()))
        elif name in ("sup", "sub"):
            inner = _inline_text(child, tex_in_text)
            mark = "^" if name == "sup" else "_"
            w.inline(mark + (inner if _simple(inner) else "{" + inner + "}"))
        elif name == "img":
            alt = (child.get("alt") or "").strip()
            w.images += 1
            w.inline(f"[image: {alt}]" if alt and not alt.startswith("http") else "[image]")
        elif name == "pre":
            text = pre_text(child)
            w.verbatim(replace_tex(text) if tex_in_text else text)
        elif name == "li":
            w.flush()
            w.inline("\0LI\0- ")
            _walk(child, w, tex_in_text)
            w.flush()
        elif name in ("h1", "h2", "h3", "h4", "h5", "h6"):
            w.flush()
            _walk(child, w, tex_in_text)
            w.flush()
        elif name == "table":
            w.flush()
            for row in child.find_all("tr"):
                cells = [_inline_text(c, tex_in_text) for c in row.find_all(["td", "th"])]
                if any(cells):
                    w.blocks.append(" | ".join(cells))
        elif name in BLOCK:
            w.flush()
            _walk(child, w, tex_in_text)
            w.flush()
        else:
            _walk(child, w, tex_in_text)


def pre_text(pre: Tag) -> str:
    """Text of a <pre> as the judge shows it: <br> and Codeforces' per-line divs become newlines,
    AtCoder's <var> TeX becomes readable text."""
    lines = pre.select("div.test-example-line")
    if lines:
        return "".join(div.get_text() + "\n" for div in lines)
    parts: list[str] = []

    def rec(node: Tag) -> None:
        for child in node.children:
            if isinstance(child, NavigableString):
                if type(child).__name__ not in ("Comment", "Doctype", "Declaration", "ProcessingInstruction"):
                    parts.append(str(child))
            elif isinstance(child, Tag):
                if child.name == "br":
                    parts.append("\n")
                elif child.name == "var":
                    parts.append(tex_to_text(child.get_text()))
                elif child.name not in ("script", "style"):
                    rec(child)

    rec(pre)
    return "".join(parts)


def _inline_text(node: Tag, tex_in_text: bool) -> str:
    w = _Writer()
    _walk(node, w, tex_in_text)
    w.flush()
    return " ".join(b.replace("\0PRE\0", "").replace("\0LI\0", "") for b in w.blocks)


def html_to_text(html: "str | Tag", *, tex: bool = True) -> tuple[str, int]:
    """(readable text, number of images) for a statement fragment. Paragraphs are separated by a
    blank line, list items start with '- ', <pre> blocks are kept line for line."""
    if isinstance(html, str):
        html = html.replace("\r\n", "\n").replace("\r", "\n")
    node = BeautifulSoup(html, "html.parser") if isinstance(html, str) else html
    w = _Writer()
    _walk(node, w, tex)
    w.flush()
    return _join(w.blocks), w.images


def _join(blocks: list[str]) -> str:
    """Paragraphs apart by a blank line; the items of one list on consecutive lines."""
    out: list[str] = []
    prev_li = False
    for b in blocks:
        li = b.startswith("\0LI\0")
        b = b.replace("\0LI\0", "").replace("\0PRE\0", "")
        if out and not (li and prev_li):
            out.append("\n\n")
        elif out:
            out.append("\n")
        out.append(b)
        prev_li = li
    return "".join(out)


def wrap_paragraphs(text: str, width: int = 96) -> str:
    """Wrap long prose lines and list items; leave other lines of a block (preformatted text) alone."""
    out = []
    for para in text.split("\n\n"):
        lines = para.split("\n")
        wrapped = []
        for line in lines:
            if len(line) > width and (len(lines) == 1 or line.startswith("- ")):
                indent = "  " if line.startswith("- ") else ""
                line = textwrap.fill(line, width, subsequent_indent=indent, break_long_words=False,
                                     break_on_hyphens=False)
            wrapped.append(line)
        out.append("\n".join(wrapped))
    return "\n\n".join(out)


def docstring(text: str, indent: str = "    ") -> str:
    """A triple-quoted docstring holding `text` exactly (backslashes and quotes escaped)."""
    body = text.replace("\\", "\\\\").replace('"""', '\\"\\"\\"').replace("\t", "    ")
    body = "\n".join((indent + line) if line.strip() else "" for line in body.split("\n"))
    if body.endswith('"'):
        body += " "
    return f'{indent}"""\n{body}\n{indent}"""\n'


# ---- what a statement says about checking -------------------------------------------

_FLOAT_TOL = re.compile(
    r"(?:absolute|relative)\s+(?:or\s+(?:absolute|relative)\s+)?error[^.]{0,120}?"
    r"(?:10\s*\^\s*\{?\s*[-−]\s*(\d+)\s*\}?|1e-?(\d+)|(0\.0*1)\b)",
    re.I | re.S,
)
_FLOAT_TOL2 = re.compile(r"error (?:less than|at most|within|of at most|not exceeding|does not exceed)\s*"
                         r"(?:10\s*\^\s*\{?\s*[-−]\s*(\d+)\s*\}?|1e-?(\d+)|(0\.0*1)\b)", re.I)
_MULTI_ANSWER = re.compile(
    r"(?:multiple|several|many|more than one)\s+(?:\w+\s+){0,3}(?:answers|solutions|ways|outputs|possibilities"
    r"|sequences|orders|options)\b[^.]{0,80}?\b(?:any|either|arbitrary)\b"
    r"|(?:print|output|return|accept\w*)\s+(?:\w+\s+){0,2}any of them"
    r"|any of them (?:is|will be|are|would be) (?:accepted|correct|considered)"
    r"|(?:print|output)\s+any\s+(?:one|valid|correct|possible|such|of)\b"
    r"|any (?:valid|correct) (?:answer|solution|output) (?:is|will be) accepted",
    re.I,
)
_INTERACTIVE = re.compile(r"\binteractive (?:problem|task)\b|\bthis is an interactive\b|\bflush (?:the )?(?:standard )?output\b"
                          r"|\bInteraction Protocol\b|\bfflush\s*\(\s*stdout\s*\)", re.I)


def float_tolerance(statement: str) -> float | None:
    """The tolerance a statement grants to real-valued answers, if it says one."""
    for pat in (_FLOAT_TOL, _FLOAT_TOL2):
        m = pat.search(statement)
        if m:
            exp, exp2, dec = m.groups()
            if exp or exp2:
                return 10.0 ** -int(exp or exp2)
            return float(dec)
    return None


def multiple_answers(statement: str) -> bool:
    """True when the statement accepts any of several answers (needs a special judge)."""
    return bool(_MULTI_ANSWER.search(statement))


def looks_interactive(statement: str) -> bool:
    return bool(_INTERACTIVE.search(statement))


def checker_for(statement: str) -> str:
    """`float:<tol>` when the statement grants a tolerance, else `tokens`."""
    tol = float_tolerance(statement)
    return f"float:{tol:g}" if tol is not None else "tokens"


def normalise_io(text: str) -> str:
    """Sample text as a program sees it: LF line ends, one trailing newline, no trailing spaces
    at the very end (judges' default checkers ignore them)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\xa0", " ")
    text = text.strip("\n")
    return text + "\n" if text else ""


_CASE_INSENSITIVE = re.compile(
    r"in any case|any letter case|case[- ]insensitive|(?:output|answer) is not case[- ]sensitive"
    r"|while the output is not[.,]|(?:upper|lower)case or (?:upper|lower)case letters? (?:are|is) accepted",
    re.I,
)


def case_insensitive_output(statement: str) -> bool:
    """True when the judge accepts the answer in any letter case (our checkers compare exactly)."""
    return bool(_CASE_INSENSITIVE.search(statement))
