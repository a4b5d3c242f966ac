"""One orchestrator: the import graph, byte-identical versions from `--source`, `refresh` and `export`,
and what a user met with runs and exports (issue 16): an empty export, an unchanged refresh under
another --source label, a store held by another process, file modes, plurals."""
from __future__ import annotations

import ast
import json
import os
import re
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sftset import orchestrator
from sftset.store import StateStore

SRC = Path(__file__).resolve().parents[1] / "src" / "sftset"


# ---- the import graph --------------------------------------------------------------------------

def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _runtime_nodes(tree: ast.AST):
    """Every node, except those under `if TYPE_CHECKING:` (imports for annotations only)."""
    todo = [tree]
    while todo:
        node = todo.pop()
        yield node
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                todo.extend(child.orelse)
                continue
            todo.append(child)


def import_graph() -> dict[str, set[str]]:
    """module -> the sftset modules it imports (anywhere in it, function-level imports too)."""
    modules = {_module_name(p): p for p in SRC.rglob("*.py")}
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for mod, path in modules.items():
        package = mod if path.name == "__init__.py" else mod.rpartition(".")[0]
        for node in _runtime_nodes(ast.parse(path.read_text(encoding="utf-8"))):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")
                    base = base[: len(base) - (node.level - 1)]
                    stem = ".".join(base + ([node.module] if node.module else []))
                else:
                    stem = node.module or ""
                names = [stem] + [f"{stem}.{a.name}" for a in node.names]
            for name in names:
                while name and name not in modules:
                    name = name.rpartition(".")[0]
                if name and name != mod and name.startswith("sftset"):
                    graph[mod].add(name)
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def test_import_graph_has_no_cycles():
    graph = import_graph()
    # a package importing its own submodule lazily (__getattr__) is not a cycle of modules
    for mod in graph:
        graph[mod] = {m for m in graph[mod] if not m.startswith(mod + ".")}
    assert _cycle(graph) is None, " -> ".join(_cycle(graph) or [])


def test_no_stage_imports_the_orchestrator_and_executors_depend_on_the_sandbox_only():
    graph = import_graph()
    importers = sorted(m for m, deps in graph.items() if "sftset.orchestrator" in deps)
    assert all(m == "sftset.cli" or m.startswith("sftset.commands.") for m in importers), importers
    for mod, deps in graph.items():
        if mod.startswith("sftset.executors"):
            outside = {d for d in deps if not d.startswith(("sftset.executors", "sftset.sandbox"))}
            assert outside <= {"sftset.errors", "sftset.progress"}, (mod, outside)


# ---- one orchestrator, one result ------------------------------------------------------------------

def _without_timestamps(folder: Path) -> dict[str, bytes]:
    out = {}
    for path in sorted(folder.iterdir()):
        data = path.read_bytes()
        if path.name == "manifest.json":  # created_at is the one timestamp a version records
            manifest = json.loads(data)
            manifest.pop("created_at")
            for name, meta in manifest["files"].items():
                meta.pop("sha256")  # files that name the version differ by that name only (checked below),
                if name in ("README.md", "report.html"):  # and so in size where a name has a "-2" suffix
                    meta.pop("bytes")
            data = json.dumps(manifest, sort_keys=True).encode()
        if path.name == "README.md":  # the card lists each file's sha256 prefix (report.html names the version)
            data = re.sub(rb"`[0-9a-f]{16}\.\.\.`", b"<sha>", data)
        out[path.name] = data.replace(folder.name.encode(), b"<version>")
    return out


def test_source_refresh_and_export_write_the_same_version(run_cli, monkeypatch, workdir, jsonl_file,
                                                            handwritten_records):
    import shutil

    monkeypatch.setattr(orchestrator, "collect_stages", lambda source: [])
    monkeypatch.setattr(orchestrator, "later_stages", lambda: [])
    assert run_cli("import", jsonl_file("in.jsonl", handwritten_records), "-q").rc == 0
    assert run_cli("export", "-q").rc == 0  # a previous version, so that the changelogs have one to name
    for name in ("a", "b", "c"):  # the same state, three times
        shutil.copytree(workdir / "curated", workdir / name, symlinks=True)
    assert run_cli("--source", "ci", "--curated", "a", "-q").rc == 0
    assert run_cli("refresh", "--from-store", "--force", "--curated", "b", "-q").rc == 0
    assert run_cli("export", "--curated", "c", "-q").rc == 0
    versions = [_without_timestamps((workdir / name / "latest").resolve()) for name in ("a", "b", "c")]
    for name in versions[0]:  # file by file, so that a difference names its file and its first differing text
        texts = [v.get(name, b"") for v in versions]
        at = next((i for i, chars in enumerate(zip(*texts)) if len(set(chars)) > 1), min(map(len, texts)))
        assert texts[0] == texts[1] == texts[2], (name, [t[max(0, at - 80):at + 80] for t in texts])
    assert versions[0].keys() == versions[1].keys() == versions[2].keys()
    assert "problems.jsonl.gz" in versions[0] and "report.html" in versions[0]


def test_export_of_an_empty_store_is_an_error_unless_asked_for(run_cli, workdir):
    result = run_cli("export", "--curated", "out")
    assert result.rc == 2
    assert "holds no problems" in result.err and "--allow-empty" in result.err and len(result.err_lines) == 1
    assert not [p for p in (workdir / "out").iterdir() if p.name not in ("state.sqlite", ".refresh.lock")
                and not p.name.startswith("state.sqlite-")]
    assert run_cli("export", "--curated", "out", "--allow-empty", "-q").rc == 0
    assert (workdir / "out" / "latest" / "manifest.json").exists()


def test_help_examples_name_real_flags():
    from sftset.cli import EXAMPLES

    assert "export --curated out --state" in EXAMPLES


def test_refresh_compares_contents_not_the_source_label(run_cli, workdir, jsonl_file, handwritten_records):
    assert run_cli("import", jsonl_file("in.jsonl", handwritten_records), "-q").rc == 0
    assert run_cli("refresh", "--from-store", "--source", "contests", "-q").rc == 0
    again = run_cli("refresh", "--from-store", "--source", "ci")
    assert again.rc == 0 and "nothing changed since" in again.err
    assert len([p for p in (workdir / "curated").iterdir() if p.is_dir() and not p.is_symlink()]) == 1


HOLD = r"""
import sqlite3, sys, time
from sftset.dataset.lock import CuratedLock
curated, state, mode = sys.argv[1:]
lock = CuratedLock(curated, "refresh --source all").acquire()
db = sqlite3.connect(state, isolation_level=None)
if mode == "exclusive":  # a writer that keeps even readers out
    db.execute("PRAGMA locking_mode=EXCLUSIVE")
db.execute("BEGIN EXCLUSIVE" if mode == "exclusive" else "BEGIN IMMEDIATE")
db.execute("INSERT INTO meta VALUES ('held', '1')")
print("held", flush=True)
time.sleep(60)  # a refresh stopped mid-write
"""


@pytest.mark.parametrize("mode, command, says", [
    ("writing", ["refresh", "--from-store"], "another refresh is running (pid {pid}"),
    ("exclusive", ["import", "--humaneval"], "the state store is in use by process {pid}"),
])
def test_a_held_store_is_reported_as_held_not_as_damaged(run_cli, workdir, jsonl_file, handwritten_records,
                                                         mode, command, says):
    assert run_cli("import", jsonl_file("in.jsonl", handwritten_records), "-q").rc == 0
    curated, state = workdir / "curated", workdir / "curated" / "state.sqlite"
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(curated), str(state), mode], stdout=subprocess.PIPE,
                              text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        t0 = time.monotonic()
        busy = run_cli(*command)
        assert busy.rc == 1, busy.err
        assert says.format(pid=holder.pid) in busy.err and "move it aside" not in busy.err
        assert time.monotonic() - t0 < 15
    finally:
        holder.kill()
        holder.wait()
    assert run_cli(*command, "-q").rc == 0  # the state file was healthy all along


def test_file_modes_store_owner_only_results_follow_umask(tmp_path):
    from sftset.jsonl import write_jsonl_atomic

    old = os.umask(0o022)
    try:
        with StateStore(tmp_path / "s" / "state.sqlite") as store:
            store.put_problems([])
            for suffix in ("", "-wal", "-shm"):
                path = tmp_path / "s" / f"state.sqlite{suffix}"
                assert stat.S_IMODE(path.stat().st_mode) == 0o600, suffix
        write_jsonl_atomic(tmp_path / "results.jsonl", [{"a": 1}])
        assert stat.S_IMODE((tmp_path / "results.jsonl").stat().st_mode) == 0o644
    finally:
        os.umask(old)


def test_log_lines_count_exported_unfiltered_ones_in_the_singular_too(run_cli, monkeypatch, workdir, jsonl_file,
                                                                      handwritten_records):
    import gzip

    monkeypatch.setattr(orchestrator, "collect_stages", lambda source: [])  # the real filter stage, no model
    copy = {**handwritten_records[0], "task_id": "handwritten/copy"}  # stored, not exported (an exact duplicate)
    assert run_cli("import", jsonl_file("in.jsonl", handwritten_records + [copy]), "-q").rc == 0
    result = run_cli("refresh", "--source", "contests", "--no-report")
    assert result.rc == 0, result.err
    rows = [json.loads(line) for line in
            gzip.decompress((workdir / "curated" / "latest" / "problems.jsonl.gz").read_bytes()).splitlines()]
    exported = sum("unfiltered" in r.get("flags", []) for r in rows)
    assert 0 < exported <= len(handwritten_records)  # the copy is not exported
    assert f"flagged {len(handwritten_records) + 1} problems unfiltered" in result.err
    word = "problem" if exported == 1 else "problems"
    assert f"{exported} {word} exported marked unfiltered" in result.err
    assert "(the first version)" in result.err


def test_plural():
    from sftset.progress import plural

    assert (plural(1, "candidate"), plural(2, "problem"), plural(0, "problem")) == \
        ("1 candidate", "2 problems", "0 problems")


def test_report_of_a_first_version_does_not_say_since_nothing():
    from sftset.dataset.report import render_report

    page = render_report("v1", [], drops={}, assembly=None,
                         changelog={"previous": None, "added": 74, "removed": 0, "changed": 0})
    assert "since nothing" not in page and "first version" in page


# ---- the miner's per-target skip is in the store ----------------------------------------------

def test_a_fresh_store_mines_targets_again(tmp_path):
    from sftset.ci_mining.miner import MineSettings
    from sftset.ci_mining.stage import TARGET_STAGE, _per_target, _target_key
    from sftset.ci_mining.targets import parse_target

    target = parse_target(str(Path(__file__).parent / "projects" / "unittest_only"))
    settings = MineSettings(work_dir=tmp_path / "ci_work")
    with StateStore(tmp_path / "a.sqlite") as store:
        [(_, own)] = _per_target(store, [(target, {})], settings)
        assert own.force  # nothing recorded: mined, whatever the work folder holds
        store.set_verdict(_target_key(target), TARGET_STAGE, "ok", detail={"settings": settings.key()})
        [(_, own)] = _per_target(store, [(target, {})], settings)
        assert not own.force  # recorded with these settings: the miner may skip it
    with StateStore(tmp_path / "b.sqlite") as fresh:  # the store deleted, ci_work kept
        [(_, own)] = _per_target(fresh, [(target, {})], settings)
        assert own.force


@pytest.mark.parametrize("target, reason", [  # "does not build": tests/test_ci_mine.py::test_bad_targets_and_unittest
    ("suite_crash", "suite crashed"),
    ("file:///nonexistent/sftset-no-such-repo.git", "clone failed"),
])
def test_a_failed_target_makes_mine_exit_1(run_cli, workdir, target, reason):
    spec = str(Path(__file__).parent / "projects" / target) if "/" not in target else target
    result = run_cli("mine", spec, "--report", "r.json", "--workers", "1")
    assert result.rc == 1, result.err
    (report,) = json.loads((workdir / "r.json").read_text())["targets"]
    assert (report["status"], report["reason"]) == ("dropped", reason)


def test_executor_ray_without_an_address_starts_one_private_ray_per_run(run_cli, monkeypatch, workdir):
    ray = pytest.importorskip("ray", reason="ray is not installed (pip install 'build-sft-set[ray]')")
    starts = []
    real_init = ray.init

    def counting_init(*args, **kwargs):  # the real ray.init, counted
        starts.append(kwargs.get("address"))
        kwargs.setdefault("object_store_memory", 200 << 20)  # small: the machine is shared
        return real_init(*args, **kwargs)

    monkeypatch.setattr(ray, "init", counting_init)
    seen = []

    def stage(workers):
        def run(ctx, source):
            ex = ctx.executors.get(workers)  # another number of workers: another executor, the same Ray
            seen.append((ex.kind, ex.workers, [r.value for r in ex.map_all(abs, [-1, -2])] if workers == 1 else None))
            return {}
        return run

    monkeypatch.setattr(orchestrator, "collect_stages", lambda source: [("mine", stage(1))])
    monkeypatch.setattr(orchestrator, "later_stages", lambda: [("filter", stage(2))])
    (workdir / "sftset.toml").write_text("[ray]\nnum_cpus = 2\n")
    result = run_cli("--source", "ci", "--executor", "ray", "-q")
    assert result.rc == 0, result.err
    assert seen == [("ray", 1, [1, 2]), ("ray", 2, None)]
    assert starts == ["local"]  # one private Ray for both stages (and the MinHash of the export)
    assert not ray.is_initialized()  # and it is gone when the run ends
