"""ci_mining/choose_targets.py continuing from its survey (issue 14, the xl group): the names the survey
holds are not asked again, new verdicts are appended, the group written starts with the extended group's
entries unchanged. The index is a local server with recorded-shape JSON answers and real sdists."""
from __future__ import annotations

import hashlib
import importlib.util
import io
import json
import sys
import tarfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _choose_targets():
    spec = importlib.util.spec_from_file_location("choose_targets", REPO / "ci_mining" / "choose_targets.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["choose_targets"] = module  # its dataclass reads its own module
    spec.loader.exec_module(module)
    return module


def _sdist(name: str, functions: int) -> bytes:
    """A pure-Python sdist with its tests: pyproject.toml (setuptools), the package, tests/test_it.py."""
    pkg = name.replace("-", "_")
    files = {
        "pyproject.toml": '[build-system]\nrequires = ["setuptools"]\nbuild-backend = "setuptools.build_meta"\n',
        f"{pkg}/__init__.py": "".join(f"def f{i}(x):\n    return x + {i}\n\n" for i in range(functions)),
        "tests/test_it.py": f"import pytest\nfrom {pkg} import f0\n\ndef test_f0():\n    assert f0(1) == 1\n",
    }
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tf:
        for path, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(f"{name}-1.0/{path}")
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return buf.getvalue()


@pytest.fixture
def index(monkeypatch):
    """The JSON API of five projects (licence, public functions) and their sdists; records what was asked."""
    projects = {"quokka-one": ("MIT", 5), "quokka-cut": ("MIT", 3), "quokka-gpl": ("GPL-3.0", 9),
                "quokka-new": ("Apache-2.0", 7), "quokka-deep": ("MIT", 4)}
    routes: dict[str, bytes] = {}
    for name, (licence, functions) in projects.items():
        data = routes[f"/files/{name}-1.0.tar.gz"] = _sdist(name, functions)
        routes[f"/pypi/{name}/json"] = json.dumps({
            "info": {"version": "1.0", "license_expression": licence, "classifiers": [], "requires_python": ">=3.9",
                     "requires_dist": None},
            "urls": [{"filename": f"{name}-1.0.tar.gz", "packagetype": "sdist", "upload_time": "2025-01-02T00:00:00",
                      "size": len(data), "url": f"/files/{name}-1.0.tar.gz",
                      "digests": {"sha256": hashlib.sha256(data).hexdigest()}}]}).encode()
    asked: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            if self.path not in routes:
                self.send_error(404)
                return
            if self.path.endswith("/json"):
                asked.append(self.path.split("/")[2])
            self.send_response(200)
            self.send_header("Content-Length", str(len(routes[self.path])))
            self.end_headers()
            self.wfile.write(routes[self.path])

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    yield f"http://127.0.0.1:{server.server_address[1]}/pypi", asked
    server.shutdown()
    server.server_close()


def test_resume_survey_asks_only_new_names_and_extends_the_group_unchanged(tmp_path, index):
    url, asked = index
    ct = _choose_targets()
    reviewed_out = next(iter(ct.REVIEWED_OUT))  # a name left out on review: recorded, never asked
    names = tmp_path / "names.tsv"
    names.write_text("name\tversion\tmonth\trank\tsummary\n"
                     "quokka-one\t1.0\t2025-01\t1\tNumbers\n"
                     "quokka-cut\t1.0\t2025-01\t2\tNumbers\n"
                     f"{reviewed_out}\t1.0\t2025-01\t3\tWhatever\n"
                     "quokka-gpl\t1.0\t2025-01\t4\tNumbers\n"
                     "quokka-sdk\t1.0\t2025-01\t5\tThe SDK for a service\n"   # the summary filter: never asked
                     "quokka-new\t1.0\t2025-01\t6\tNumbers\n"
                     "quokka-deep\t1.0\t2025-01\t7\tNumbers\n")
    targets = tmp_path / "targets.toml"
    base_line = '    "pypi:quokka-one==1.0",                      # MIT; tests/ (1 test files), pytest; hand note'
    targets.write_text('[[target]]\nspec = "pypi:toolz==1.2.0"\n\n[group]\nsmall = [\n' + base_line + "\n]\n")
    survey = tmp_path / "survey.tsv"
    old = ("quokka-one\t1\t1.0\tMIT\tyes\ttests/\tpytest\t5\n"
           "quokka-cut\t2\t0.9\tMIT\tyes\ttests/\tpytest\t3\n")   # kept before, cut by the limit
    survey.write_text(ct.SURVEY_HEADER + old)
    out = tmp_path / "more.toml"
    common = ["--names", str(names), "--max-rank", "100", "--survey", str(survey), "--resume-survey",
              "--limit", "10", "--threads", "2", "--index", url, "--exclude", str(targets),
              "--extend", "small", "--group", "bigger", "--out", str(out)]
    assert ct.main([*common, "--max-checked", "2"]) == 0
    # the two new names nearest the top (quokka-gpl, quokka-new), and the cut one again; quokka-one never
    assert sorted(asked) == ["quokka-cut", "quokka-gpl", "quokka-new"]
    rows = {r["name"]: r for r in ct.read_survey(survey)}
    assert list(rows) == ["quokka-one", "quokka-cut", reviewed_out, "quokka-gpl", "quokka-new"]
    assert rows["quokka-one"]["version"] == "1.0" and rows["quokka-cut"]["version"] == "1.0"  # replaced in place
    assert (rows["quokka-gpl"]["kept"], rows["quokka-gpl"]["reason_or_tests"]) == (
        "no", "licence not permissive or unknown")
    assert rows[reviewed_out]["reason_or_tests"] == f"reviewed out: {ct.REVIEWED_OUT[reviewed_out]}"
    lines = out.read_text().splitlines()
    assert lines[0].startswith("bigger = [  # 3 packages: the 1 of small (unchanged, first), then 2 more")
    assert lines[1] == base_line
    assert [line.split('"')[1] for line in lines[2:-1]] == ["pypi:quokka-new==1.0", "pypi:quokka-cut==1.0"]
    assert "Apache-2.0; tests/ (1 test files), pytest; 7 functions; setuptools" in lines[2]

    asked.clear()  # resumed again: only the name not yet in the survey is asked (the cut one again too)
    assert ct.main([*common, "--max-checked", "5"]) == 0
    assert sorted(asked) == ["quokka-cut", "quokka-deep", "quokka-new"]
    assert list(r["name"] for r in ct.read_survey(survey))[-1] == "quokka-deep"


def test_a_broken_survey_row_is_a_one_line_error(tmp_path):
    ct = _choose_targets()
    survey = tmp_path / "survey.tsv"
    survey.write_text(ct.SURVEY_HEADER + "quokka-one\tone\t1.0\tMIT\tyes\ttests/\tpytest\t5\n")
    with pytest.raises(SystemExit, match=rf"^{survey}:2: not a survey row"):
        ct.read_survey(survey)
