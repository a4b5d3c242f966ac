"""Exports a trainer loads as they are: every JSONL of a version loads with `datasets`, the card's
YAML lists configs, splits and sizes that match the files, `--format` picks formats, and the
train/validation split is deterministic by task id."""
from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
import yaml

from sftset.dataset.export import is_complete
from sftset.dataset.split import split_of, split_problems
from sftset.record import Problem


def many_records(handwritten_records: list[dict], n: int = 40) -> list[dict]:
    """`n` distinct problems made from the hand-written ones (distinct prompts and bodies, so no dedup)."""
    words = ["apple", "river", "stone", "cloud", "tiger", "maple", "ocean", "ember", "quartz", "lemon"]
    rows = []
    for i in range(n):
        base = dict(handwritten_records[i % 3])
        tag = " ".join(words[(i * 7 + k) % 10] + str(i) for k in range(12))
        base["task_id"] = f"{base['source']}/{base['task_id'].split('/')[1]}-{i}"
        base["prompt"] = base["prompt"].replace('"""', f'"""{tag}. ', 1)
        if base.get("kind", "function") == "function" and base.get("canonical_solution"):
            # the same body under other names is the same task to dedup (issue 13): make the bodies differ too
            base["canonical_solution"] = f'    _variant = "{tag}"\n' + base["canonical_solution"]
        rows.append(base)
    return rows


@pytest.fixture
def exported(run_cli, jsonl_file, handwritten_records) -> Path:
    rows = many_records(handwritten_records)
    rows.append(dict(rows[0], task_id="handwritten/pairs-copy"))  # an exact copy: drops.jsonl has a row
    assert run_cli("import", jsonl_file("in.jsonl", rows), "-q").rc == 0
    assert run_cli("export", "--version", "v1", "--validation-fraction", "0.2", "-q").rc == 0
    return Path("curated") / "v1"


def test_every_jsonl_loads_with_datasets(exported, tmp_path):
    datasets = pytest.importorskip("datasets")
    files = sorted(p for p in exported.iterdir() if p.name.endswith((".jsonl", ".jsonl.gz")))
    names = {p.name for p in files}
    assert {"problems.jsonl.gz", "humaneval.jsonl", "sft_prompt_completion.jsonl", "sft_messages.jsonl",
            "humaneval.train.jsonl", "humaneval.validation.jsonl", "sft_prompt_completion.train.jsonl",
            "sft_prompt_completion.validation.jsonl", "sft_messages.train.jsonl", "sft_messages.validation.jsonl",
            "drops.jsonl"} == names
    manifest = json.loads((exported / "manifest.json").read_text())
    for path in files:
        ds = datasets.load_dataset("json", data_files=str(path), split="train", cache_dir=str(tmp_path / "hf"))
        assert ds.num_rows == manifest["files"][path.name]["rows"] > 0, path.name
    pc = datasets.load_dataset("json", data_files={"train": str(exported / "sft_prompt_completion.train.jsonl"),
                                                    "validation": str(exported / "sft_prompt_completion.validation.jsonl")},
                               cache_dir=str(tmp_path / "hf"))
    assert pc["train"].column_names == ["prompt", "completion"]
    assert pc["train"].num_rows + pc["validation"].num_rows == manifest["counts"]["problems"] == 40
    msgs = datasets.load_dataset("json", data_files=str(exported / "sft_messages.train.jsonl"), split="train",
                                 cache_dir=str(tmp_path / "hf"))
    assert [m["role"] for m in msgs[0]["messages"]] == ["user", "assistant"]
    # the folder itself, as a Hugging Face dataset repository would hold it, by config name
    by_config = datasets.load_dataset(str(exported), "sft_messages", cache_dir=str(tmp_path / "hf"))
    assert set(by_config) == {"train", "validation"}


def test_card_metadata_matches_the_files(exported):
    card = (exported / "README.md").read_text()
    front = yaml.safe_load(card.split("---\n")[1])
    manifest = json.loads((exported / "manifest.json").read_text())
    assert front["license"] == "other" and "license_details" in front  # MIT and CC-BY-4.0 records
    assert [c["config_name"] for c in front["configs"]] == ["humaneval", "sft_prompt_completion", "sft_messages"]
    assert [c.get("default", False) for c in front["configs"]] == [False, True, False]
    for cfg, info in zip(front["configs"], front["dataset_info"]):
        assert info["config_name"] == cfg["config_name"]
        assert [d["split"] for d in cfg["data_files"]] == ["train", "validation"]
        for data_file, split in zip(cfg["data_files"], info["splits"]):
            meta = manifest["files"][data_file["path"]]
            assert (split["name"], split["num_examples"], split["num_bytes"]) == (
                data_file["split"], meta["rows"], meta["bytes"])
    assert manifest["splits"]["train"] + manifest["splits"]["validation"] == 40
    assert "from trl import SFTConfig, SFTTrainer" in card and "type: chat_template" in card
    assert "sft_messages.validation.jsonl" in card
    # the card's snippets are valid code and YAML
    python = card.split("```python\n")[1].split("```")[0]
    compile(python, "card", "exec")
    axolotl = yaml.safe_load(card.split("```yaml\n")[1].split("```")[0])
    assert axolotl["datasets"][0]["field_messages"] == "messages"
    assert axolotl["datasets"][0]["path"] == "sft_messages.train.jsonl"


def test_format_selection(run_cli, jsonl_file, handwritten_records):
    assert run_cli("import", jsonl_file("in.jsonl", many_records(handwritten_records, 10)), "-q").rc == 0
    assert run_cli("export", "--version", "m", "--format", "messages", "--format", "humaneval", "-q").rc == 0
    names = {p.name for p in (Path("curated") / "m").iterdir()}
    assert "sft_prompt_completion.jsonl" not in names and {"sft_messages.jsonl", "humaneval.jsonl"} <= names
    assert is_complete(Path("curated") / "m")
    Path("sftset.toml").write_text('[export]\nformats = ["sft_prompt_completion"]\nvalidation_fraction = 0.0\n')
    assert run_cli("export", "--version", "c", "-q").rc == 0
    names = {p.name for p in (Path("curated") / "c").iterdir()}
    assert {n for n in names if n.startswith("sft_") or n.startswith("humaneval")} == {
        "sft_prompt_completion.jsonl", "sft_prompt_completion.train.jsonl"}
    bad = run_cli("export", "--format", "parquet")
    assert bad.rc == 2 and bad.err_lines == ["build-sft-set: error: --format: unknown format 'parquet' "
                                             "(choose from humaneval, sft_prompt_completion, sft_messages)"]


def test_split_is_deterministic_and_stable():
    ids = [f"src/{i}" for i in range(2000)]
    first = [split_of(t, 0.1) for t in ids]
    assert first == [split_of(t, 0.1) for t in ids]
    share = first.count("validation") / len(first)
    assert 0.08 < share < 0.12
    # a problem's split does not depend on the other problems, nor on its content
    p = Problem.from_dict({"task_id": "src/7", "source": "src", "kind": "function", "prompt": "def f():\n",
                           "entry_point": "f", "tests": [{"args": "()", "expected": "1"}]})
    q = Problem.from_dict(dict(p.to_dict(), prompt="def f():\n    '''changed'''\n", content_hash=""))
    assert split_problems([p], 0.1) == {name: [p] if name == split_of("src/7", 0.1) else [] for name in ("train", "validation")}
    assert split_of(q.task_id, 0.1) == split_of(p.task_id, 0.1)


def test_outputs_are_byte_stable(run_cli, jsonl_file, handwritten_records):
    assert run_cli("import", jsonl_file("in.jsonl", many_records(handwritten_records, 12)), "-q").rc == 0
    assert run_cli("export", "--version", "a", "-q").rc == 0
    assert run_cli("export", "--version", "b", "-q").rc == 0
    a, b = Path("curated") / "a", Path("curated") / "b"
    for path in sorted(a.iterdir()):
        if path.name in ("manifest.json", "README.md", "report.html", "CHANGELOG.md", "changelog.json"):
            continue  # these name the version, or the one before
        assert path.read_bytes() == (b / path.name).read_bytes(), path.name
    with gzip.open(a / "problems.jsonl.gz") as fh:
        assert len(fh.read().splitlines()) == 12
