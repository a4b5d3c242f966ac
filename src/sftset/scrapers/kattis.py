"""Kattis: problem pages with samples.zip, and problem packages from a local folder or archive.

Web (open.kattis.com):
- fetch: `GET {web}/problems/{id}` and `GET {web}/problems/{id}/file/statement/samples.zip`.
- parse: `div.problembody` (TeX in `$..$`), samples from samples.zip (exact bytes: trailing
  spaces survive) or else from `table.sample`; limits and licence from the page's sidebar
  when it has them.
- tests: samples only (public). Interactive problems skipped; statements that accept any of
  several answers skipped (Kattis would use a custom output validator).
- licence: as the page states it (many open problems are CC BY-SA), else NOASSERTION.

Packages (Kattis/ICPC problem package format, `problem.yaml` + `data/` + statement):
- `data/sample/*.in|.ans` are public, `data/secret/**/*.in|.ans` hidden (test groups flattened);
- `license`, `rights_owner`/`author`/`source` from problem.yaml go into provenance;
- interactive problems (`type: interactive`, `validation: custom interactive`, `.interaction`
  samples) and problems with a custom output validator (`validation: custom`) are skipped:
  their answers are not checked by comparing output. `validator_flags: float_tolerance E`
  becomes the `float:E` checker.
"""
from __future__ import annotations

import io
import re
import tarfile
import tempfile
import zipfile
from pathlib import Path
from typing import Any, Iterator

import yaml
from bs4 import BeautifulSoup

from .base import CaseCaps, Page, ParsedProblem, ParseError, Site, Skip
from .http import NotFound
from .text import (checker_for, html_to_text, looks_interactive, multiple_answers, normalise_io, pre_text,
                   replace_tex, tex_to_text)

ID_RE = re.compile(r"^[a-z0-9]+$")

LICENSES = {
    "cc by-sa": "CC-BY-SA-3.0", "cc by-sa 3.0": "CC-BY-SA-3.0", "cc by-sa 4.0": "CC-BY-SA-4.0",
    "cc by": "CC-BY-3.0", "cc by 3.0": "CC-BY-3.0", "cc by 4.0": "CC-BY-4.0", "cc0": "CC0-1.0",
    "public domain": "LicenseRef-public-domain", "educational": "LicenseRef-educational",
    "permission": "LicenseRef-permission", "unknown": "NOASSERTION",
}


def spdx_license(value: Any) -> str:
    key = re.sub(r"\s+", " ", str(value or "unknown").strip().lower())
    return LICENSES.get(key, LICENSES.get(key.replace(" international", ""), "NOASSERTION"))


def _natural(name: str) -> list:
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", name)]


def samples_from_zip(data: bytes) -> list[tuple[str, str]]:
    """Pairs (N.in, N.ans) of a Kattis samples.zip, in natural order of N."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise ParseError("samples.zip is not a zip archive") from None
    names = set(zf.namelist())
    pairs = []
    for name in sorted((n for n in names if n.endswith(".in")), key=_natural):
        ans = name[:-3] + ".ans"
        if ans in names:
            pairs.append((normalise_io(zf.read(name).decode("utf-8")), normalise_io(zf.read(ans).decode("utf-8"))))
    return pairs


def parse_problem_page(native_id: str, html: str, samples_zip: bytes | None, url: str) -> ParsedProblem:
    soup = BeautifulSoup(html, "html.parser")
    body = soup.select_one("div.problembody")
    if body is None:
        raise ParseError("no div.problembody on the page")
    tables = body.select("table.sample")
    headers = " ".join(th.get_text(" ", strip=True).lower() for t in tables for th in t.select("th"))
    table_samples: list[tuple[str, str]] = []
    for table in tables:
        pres = table.select("pre")
        if len(pres) >= 2:
            table_samples.append((normalise_io(pre_text(pres[0])), normalise_io(pre_text(pres[1]))))
        table.decompose()
    statement, images = html_to_text(body)
    if not statement:
        raise ParseError("empty statement")
    if "read" in headers and "write" in headers or looks_interactive(statement):
        raise Skip("interactive problem")
    if multiple_answers(statement):
        raise Skip("several answers are accepted (needs a custom output validator)")
    samples = samples_from_zip(samples_zip) if samples_zip else table_samples
    if not samples:
        raise ParseError("no samples in samples.zip or the statement")
    title_el = soup.select_one("h1")
    title = title_el.get_text(" ", strip=True) if title_el else native_id
    page_text = soup.get_text(" ", strip=True)
    tm = re.search(r"(?:CPU )?Time limit\s*:?\s*(\d+(?:\.\d+)?)\s*second", page_text, re.I)
    mm = re.search(r"Memory limit\s*:?\s*(\d+)\s*MB", page_text, re.I)
    lm = re.search(r"License\s*:?\s*(CC BY(?:-SA)?(?: \d\.\d)?|CC0|Public domain|Educational|Permission)", page_text, re.I)
    return ParsedProblem(
        site="kattis", native_id=native_id, title=title, url=url, statement=statement, samples=samples,
        checker=checker_for(statement), time_s=float(tm.group(1)) if tm else None,
        memory_mb=float(mm.group(1)) if mm else None,
        license=spdx_license(lm.group(1)) if lm else "NOASSERTION",
        attribution=f"Kattis problem {native_id} \"{title}\", {url}",
        flags=["statement_image"] if images else [],
        meta={"title": title, "samples_from": "samples.zip" if samples_zip else "statement"},
    )


class Kattis(Site):
    name = "kattis"
    bases = {"web": "https://open.kattis.com"}
    min_interval_s = 2.0
    notes = ("statements and samples (samples.zip) from problem pages, samples only; local problem packages add "
             "data/secret as hidden tests with the licence from problem.yaml; interactive and custom-validator "
             "problems skipped")

    def fetch(self, native_id: str) -> Page:
        if not ID_RE.match(native_id):
            raise ParseError(f"not a Kattis problem id: {native_id!r}")
        url = self.url("web", f"/problems/{native_id}")
        html = self.http.get(url).text
        try:
            zip_bytes: bytes | None = self.http.get(url + "/file/statement/samples.zip").content
        except NotFound:
            zip_bytes = None
        return Page(url=url, docs={"html": html, "samples.zip": zip_bytes})

    def parse(self, native_id: str, page: Page) -> ParsedProblem:
        return parse_problem_page(native_id, page.docs["html"], page.docs.get("samples.zip"), page.url)


# ---- problem packages ---------------------------------------------------------------

def latex_to_text(tex: str) -> tuple[str, str]:
    """(title, readable text) of a problemtools LaTeX statement."""
    title = ""
    m = re.search(r"\\problemname\{([^}]*)\}", tex)
    if m:
        title = m.group(1).strip()
        tex = tex[:m.start()] + tex[m.end():]
    tex = re.sub(r"(?<!\\)%.*", "", tex)  # comments
    tex = re.sub(r"\\(?:sub)*section\*?\{([^}]*)\}", r"\n\n\1\n\n", tex)
    tex = re.sub(r"\\begin\{(?:itemize|enumerate)\}|\\end\{(?:itemize|enumerate)\}", "\n", tex)
    tex = re.sub(r"\\item\s*", "\n- ", tex)
    tex = re.sub(r"\\begin\{tabular\}\{[^}]*\}|\\end\{tabular\}|\\hline", "\n", tex)
    tex = re.sub(r"\\begin\{[a-z*]+\}(\[[^\]]*\])?|\\end\{[a-z*]+\}", "\n", tex)
    tex = re.sub(r"\\(?:noindent|medskip|bigskip|smallskip|newline|par|centering)\b", "\n", tex)
    tex = re.sub(r"\\illustration\{[^}]*\}\{[^}]*\}\{[^}]*\}|\\includegraphics(\[[^\]]*\])?\{[^}]*\}", "[image]", tex)
    tex = re.sub(r"\\(?:emph|textit|textbf|texttt|url)\{([^}]*)\}", r"\1", tex)
    tex = tex.replace("``", '"').replace("''", '"').replace("\\\\", "\n").replace("---", "—").replace("--", "–")
    tex = re.sub(r"(?<!\\)&", " | ", tex)
    text = replace_tex(tex)
    text = re.sub(r"\\([%$#&_{}])", r"\1", text)
    paras = [re.sub(r"[ \t]{2,}", " ", re.sub(r"[ \t]*\n[ \t]*(?!- )", " ", p)).strip()
             for p in re.split(r"\n\s*\n", text)]
    return title, "\n\n".join(p for p in paras if p)


def _statement(pkg: Path, lang: str = "en") -> tuple[str, str, str]:
    """(title, text, path) from statement/ or problem_statement/, LaTeX or Markdown."""
    for folder in ("statement", "problem_statement"):
        for name in (f"problem.{lang}.tex", "problem.tex", f"problem.{lang}.md", "problem.md"):
            path = pkg / folder / name
            if path.is_file():
                text = path.read_text(encoding="utf-8")
                if name.endswith(".md"):
                    title_m = re.match(r"#\s*(.+)", text)
                    return (title_m.group(1).strip() if title_m else ""), replace_tex(text).strip(), str(path)
                title, body = latex_to_text(text)
                return title, body, str(path)
    return "", "", ""


def _pairs(folder: Path) -> list[tuple[str, str, str]]:
    """(relative name, input, answer) for every .in with an .ans below folder, natural order."""
    out = []
    if not folder.is_dir():
        return out
    for path in sorted(folder.rglob("*.in"), key=lambda p: _natural(str(p.relative_to(folder)))):
        ans = path.with_suffix(".ans")
        if ans.is_file():
            out.append((str(path.relative_to(folder)), _data_text(path, folder), _data_text(ans, folder)))
    return out


def _data_text(path: Path, folder: Path) -> str:
    """A data file's text. Packages reuse cases through symlinks (`subtask2/1.in -> ../subtask1/1.in`);
    a checkout or archive without symlink support leaves the link's target as the file's only
    line, which is followed here when it names another data file of the package."""
    text = path.read_text(encoding="utf-8")
    target = text.strip()
    if "\n" not in target and target.endswith((".in", ".ans")) and not target.startswith("/"):
        linked = (path.parent / target).resolve()
        root = folder.resolve().parent
        if linked.is_file() and linked != path.resolve() and root in linked.parents:
            return linked.read_text(encoding="utf-8")
    return text


def parse_package(pkg: Path, caps: CaseCaps | None = None) -> ParsedProblem:
    """A problem package directory -> ParsedProblem. Pure function of the files."""
    caps = caps or CaseCaps()
    yaml_path = pkg / "problem.yaml"
    try:
        conf = yaml.safe_load(yaml_path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise ParseError(f"{pkg}: no problem.yaml") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ParseError(f"{yaml_path}:{mark.line + 1 if mark else '?'}: invalid YAML") from None
    if not isinstance(conf, dict):
        raise ParseError(f"{yaml_path}: expected a mapping")
    short = pkg.name
    types = conf.get("type", "pass-fail")
    types = types.split() if isinstance(types, str) else list(types or [])
    validation = str(conf.get("validation", "default"))
    if "interactive" in types or "interactive" in validation.split() or any((pkg / "data" / "sample").glob("*.interaction")):
        raise Skip("interactive problem")
    if "custom" in validation.split() or "multi-pass" in types:
        raise Skip("custom output validator: answers are not checked by comparing output")
    name = conf.get("name")
    if isinstance(name, dict):
        name = name.get("en") or next(iter(name.values()), "")
    title_tex, statement, statement_path = _statement(pkg)
    title = str(name or title_tex or short)
    if not statement:
        raise ParseError(f"{pkg}: no English statement (statement/problem.en.tex or .md)")
    samples = [(normalise_io(i), normalise_io(a)) for _, i, a in _pairs(pkg / "data" / "sample")]
    hidden: list[tuple[str, str]] = []
    omitted = 0
    for _, i, a in _pairs(pkg / "data" / "secret"):
        if len(i) + len(a) > caps.max_case_bytes or len(hidden) >= caps.max_hidden:
            omitted += 1
            continue
        pair = (normalise_io(i), normalise_io(a))
        if pair not in hidden:
            hidden.append(pair)
    if not samples and not hidden:
        raise ParseError(f"{pkg}: no test data (data/sample, data/secret)")
    flags_text = " ".join(str(conf.get(k, "")) for k in ("validator_flags",))
    tol = re.search(r"float_(?:relative_|absolute_)?tolerance\s+([0-9.eE+-]+)", flags_text)
    checker = f"float:{float(tol.group(1)):g}" if tol else "tokens"
    limits = conf.get("limits") or {}
    time_s = limits.get("time_limit") if isinstance(limits, dict) else None
    timelimit_file = pkg / ".timelimit"
    if time_s is None and timelimit_file.is_file():
        try:
            time_s = float(timelimit_file.read_text().split()[0])
        except (ValueError, IndexError):
            time_s = None
    memory = limits.get("memory") if isinstance(limits, dict) else None
    owner = conf.get("rights_owner") or conf.get("author") or conf.get("credits") or conf.get("source") or ""
    meta: dict[str, Any] = {"title": title, "package": short, "type": types}
    if "scoring" in types:
        meta["scoring"] = True
    if omitted:
        meta["hidden_omitted"] = omitted
    for key in ("source", "source_url", "author", "rights_owner", "credits", "uuid", "keywords"):
        if conf.get(key):
            meta[key] = conf[key] if isinstance(conf[key], (str, int, float, list)) else str(conf[key])
    return ParsedProblem(
        site="kattis", native_id=short, title=title, url=str(conf.get("source_url") or ""), statement=statement,
        samples=samples, hidden=hidden, checker=checker,
        time_s=float(time_s) if isinstance(time_s, (int, float)) else None,
        memory_mb=float(memory) if isinstance(memory, (int, float)) else None,
        license=spdx_license(conf.get("license")),
        attribution=f"\"{title}\"" + (f" by {owner}" if owner else "") + f" (problem package {short})",
        meta={**meta, "statement_path": statement_path},
    )


def find_packages(root: Path) -> Iterator[Path]:
    """Problem package directories under root (root itself, or any folder holding problem.yaml)."""
    if (root / "problem.yaml").is_file():
        yield root
        return
    for path in sorted(root.rglob("problem.yaml"), key=lambda p: _natural(str(p))):
        yield path.parent


class unpacked:
    """Context manager: a folder as is, or a .zip/.tar(.gz) archive unpacked to a temporary folder."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._tmp: tempfile.TemporaryDirectory | None = None

    def __enter__(self) -> Path:
        if self.path.is_dir():
            return self.path
        if not self.path.exists():
            raise FileNotFoundError(str(self.path))
        self._tmp = tempfile.TemporaryDirectory(prefix="sftset-pkg-")
        dest = Path(self._tmp.name)
        if zipfile.is_zipfile(self.path):
            with zipfile.ZipFile(self.path) as zf:
                for member in zf.namelist():  # refuse paths that escape the folder
                    if member.startswith("/") or ".." in Path(member).parts:
                        raise ParseError(f"{self.path}: unsafe path in archive: {member}")
                zf.extractall(dest)
        elif tarfile.is_tarfile(self.path):
            with tarfile.open(self.path) as tf:
                try:
                    tf.extractall(dest, filter="data")
                except TypeError:  # Python without extraction filters: check members ourselves
                    for m in tf.getmembers():
                        if m.name.startswith("/") or ".." in Path(m.name).parts or m.issym() or m.islnk():
                            raise ParseError(f"{self.path}: unsafe member in archive: {m.name}") from None
                    tf.extractall(dest)
        else:
            raise ParseError(f"{self.path}: not a folder, zip or tar archive")
        return dest

    def __exit__(self, *exc: object) -> None:
        if self._tmp is not None:
            self._tmp.cleanup()


__all__ = ["Kattis", "parse_problem_page", "parse_package", "find_packages", "unpacked", "samples_from_zip",
           "spdx_license", "latex_to_text", "tex_to_text"]
