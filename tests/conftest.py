"""Shared fixtures: a scratch working directory, the CLI in-process and as a real subprocess,
and a few hand-written records (both kinds) with their reference solutions."""
from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"  # /work/shared next to the checkout; tests must not need it


@dataclass
class CliResult:
    rc: int
    out: str
    err: str

    @property
    def err_lines(self) -> list[str]:
        return [line for line in self.err.splitlines() if line.strip()]


@pytest.fixture
def workdir(tmp_path, monkeypatch) -> Path:
    """An empty current directory, with no settings from the environment."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SFTSET_CONFIG", raising=False)
    return tmp_path


@pytest.fixture
def run_cli(workdir, capsys):
    """Call `sftset.cli.main(argv)` in-process; returns CliResult(rc, out, err)."""
    from sftset.cli import main

    def run(*argv: str) -> CliResult:
        capsys.readouterr()  # drop anything printed before
        rc = main([str(a) for a in argv])
        captured = capsys.readouterr()
        return CliResult(rc, captured.out, captured.err)

    return run


@pytest.fixture
def run_cli_subprocess(workdir):
    """Run `python -m sftset ARGS` as a real process in `workdir` (for tracebacks, signals, exit codes)."""

    def run(*argv: str, timeout: float = 120, cwd: Path | None = None) -> CliResult:
        env = {k: v for k, v in os.environ.items() if k != "SFTSET_CONFIG"}
        proc = subprocess.run(
            [sys.executable, "-m", "sftset", *[str(a) for a in argv]],
            cwd=cwd or workdir, env=env, capture_output=True, text=True, timeout=timeout,
        )
        return CliResult(proc.returncode, proc.stdout, proc.stderr)

    return run


# ---- hand-written records with structured tests and reference solutions ---------------

FUNCTION_RECORD = {
    "task_id": "handwritten/pairs",
    "source": "handwritten",
    "kind": "function",
    "prompt": (
        "def pairs(xs: list, unique: bool = False):\n"
        '    """Return the adjacent pairs of xs as a list of tuples; as a set when unique is true.\n'
        "    Raises ValueError when xs is not a list.\n"
        "    >>> pairs([1, 2, 3])\n"
        "    [(1, 2), (2, 3)]\n"
        '    """\n'
    ),
    "entry_point": "pairs",
    "canonical_solution": (
        "    if not isinstance(xs, list):\n"
        "        raise ValueError('xs must be a list')\n"
        "    out = [(a, b) for a, b in zip(xs, xs[1:])]\n"
        "    return set(out) if unique else out\n"
    ),
    "tests": [
        {"args": "([1, 2, 3],)", "expected": "[(1, 2), (2, 3)]", "split": "public"},
        {"args": "([1, 1, 1],)", "kwargs": "{'unique': True}", "expected": "{(1, 1)}", "split": "hidden"},
        {"args": "([],)", "expected": "[]", "split": "generated"},
        {"args": "('ab',)", "raises": "ValueError", "split": "generated"},
    ],
    "checker": "exact",
    "provenance": {"url": "https://example.invalid/pairs", "license": "MIT"},
}

FLOAT_RECORD = {
    "task_id": "handwritten/mean",
    "source": "handwritten",
    "kind": "function",
    "prompt": 'def mean(xs):\n    """Arithmetic mean of a non-empty list of numbers."""\n',
    "entry_point": "mean",
    "canonical_solution": "    return sum(xs) / len(xs)\n",
    "tests": [
        {"args": "([0.1, 0.2],)", "expected": "0.15", "split": "public"},
        {"args": "([1, 2, 3, 4],)", "expected": "2.5", "split": "hidden"},
    ],
    "checker": "float:1e-9",
    "provenance": {"license": "MIT"},
}

STDIO_RECORD = {
    "task_id": "handwritten/sum-pairs",
    "source": "handwritten",
    "kind": "stdio",
    "prompt": (
        "def solve(stdin: str) -> str:\n"
        '    """The first line holds n; each of the next n lines holds two integers a and b.\n'
        "    Print a + b for each line.\n"
        '    """\n'
    ),
    "entry_point": "solve",
    "canonical_solution": (
        "    lines = stdin.split('\\n')\n"
        "    n = int(lines[0])\n"
        "    out = [str(sum(map(int, lines[i].split()))) for i in range(1, n + 1)]\n"
        "    return '\\n'.join(out) + '\\n'\n"
    ),
    "tests": [
        {"input": "2\n1 2\n3 4\n", "output": "3\n7\n", "split": "public"},
        {"input": "1\n-5 5\n", "output": "0\n", "split": "hidden"},
    ],
    "checker": "tokens",
    "limits": {"time_s": 2, "memory_mb": 256},
    "provenance": {"url": "https://example.invalid/sum-pairs", "license": "CC-BY-4.0"},
}


@pytest.fixture(scope="session")
def make_handwritten_records():
    """A function returning fresh copies of three valid records (function/exact, function/float,
    stdio/tokens) as plain dicts, with reference solutions; usable from fixtures of any scope."""
    import copy

    return lambda: copy.deepcopy([FUNCTION_RECORD, FLOAT_RECORD, STDIO_RECORD])


@pytest.fixture
def handwritten_records(make_handwritten_records) -> list[dict]:
    """Three valid records (function/exact, function/float, stdio/tokens) as plain dicts (fresh copies)."""
    return make_handwritten_records()


def write_jsonl(path: Path, rows: list) -> Path:
    import json

    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.fixture
def jsonl_file(workdir):
    """jsonl_file(name, rows) writes rows (dicts, or raw strings for malformed lines) and returns the path."""
    return lambda name, rows: write_jsonl(workdir / name, rows)
