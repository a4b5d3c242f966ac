"""The dataset card (`README.md` of a version): Hugging Face YAML metadata and how to train on it.

The YAML front matter lists one config per exported format with its splits, files and sizes, so
`load_dataset("<folder or repo>", "sft_messages")` works once the folder is uploaded as is.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Sequence

import yaml

from .. import __version__
from ..record import Problem
from .formats import ANSWERS, FORMATS

# Column types per format, for `dataset_info.features`.
FEATURES: dict[str, list[dict[str, Any]]] = {
    "humaneval": [{"name": n, "dtype": "string"} for n in ("task_id", "prompt", "canonical_solution", "test", "entry_point")],
    "sft_prompt_completion": [{"name": "prompt", "dtype": "string"}, {"name": "completion", "dtype": "string"}],
    "sft_messages": [{"name": "messages", "list": [{"name": "role", "dtype": "string"},
                                                  {"name": "content", "dtype": "string"}]}],
}


@dataclass
class ConfigFiles:
    """One Hugging Face config: a format's files per split."""

    name: str  # the format's stem, e.g. "sft_messages"
    splits: dict[str, dict[str, Any]] = field(default_factory=dict)  # split -> {"path", "rows", "bytes"}


def size_category(n: int) -> str:
    for limit, label in ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M")):
        if n < limit:
            return label
    return "1M<n<10M"


def _front_matter(problems: Sequence[Problem], configs: Sequence[ConfigFiles]) -> str:
    licences = sorted({str(p.provenance.get("license") or "unknown") for p in problems})
    licence = licences[0].lower() if len(licences) == 1 and licences[0] != "unknown" else "other"
    meta: dict[str, Any] = {
        "license": licence,
        "language": ["en", "code"],
        "task_categories": ["text-generation"],
        "tags": ["code", "sft", "codex-s"],
        "size_categories": [size_category(len(problems))],
        "configs": [],
        "dataset_info": [],
    }
    names = [c.name for c in configs]
    default = next((n for n in ("sft_prompt_completion", "sft_messages") if n in names), names[0] if names else None)
    for cfg in configs:
        entry: dict[str, Any] = {"config_name": cfg.name,
                                 "data_files": [{"split": s, "path": f["path"]} for s, f in cfg.splits.items()]}
        if cfg.name == default:
            entry["default"] = True
        meta["configs"].append(entry)
        if cfg.name in FEATURES:
            size = sum(f["bytes"] for f in cfg.splits.values())
            meta["dataset_info"].append({
                "config_name": cfg.name,
                "features": FEATURES[cfg.name],
                "splits": [{"name": s, "num_bytes": f["bytes"], "num_examples": f["rows"]} for s, f in cfg.splits.items()],
                "download_size": size,
                "dataset_size": size,
            })
    if licence == "other":
        meta["license_name"] = "mixed"
        meta["license_details"] = "Each record carries its own SPDX licence in provenance.license; see the table below."
    return yaml.safe_dump(meta, sort_keys=False, allow_unicode=True, width=1000)


def _usage(configs: Sequence[ConfigFiles]) -> list[str]:
    by_name = {c.name: c for c in configs}
    lines = ["## Training on it", ""]
    answers = [f"- `{name}`: {ANSWERS[name]}." for name in ANSWERS if name in by_name]
    if answers:
        lines += ["What the model is trained to write (the loss falls on it):", "", *answers, ""]
    pc = by_name.get("sft_prompt_completion")
    if pc:
        files = ", ".join(f'"{s}": "{f["path"]}"' for s, f in pc.splits.items())
        lines += [
            "TRL's `SFTTrainer` with the prompt-completion files (the loss falls on the completion, the",
            "function body, by default for prompt-completion data):",
            "",
            "```python",
            "from datasets import load_dataset",
            "from trl import SFTConfig, SFTTrainer",
            "",
            f'ds = load_dataset("json", data_files={{{files}}})',
            "trainer = SFTTrainer(",
            '    model="Qwen/Qwen2.5-Coder-0.5B",',
            '    train_dataset=ds["train"],',
            '    eval_dataset=ds.get("validation"),',
            '    args=SFTConfig(output_dir="codex-s-sft", completion_only_loss=True, max_length=2048),',
            ")",
            "trainer.train()",
            "```",
            "",
        ]
    msgs = by_name.get("sft_messages")
    if msgs:
        train = msgs.splits.get("train", next(iter(msgs.splits.values())))
        val = msgs.splits.get("validation")
        lines += [
            "axolotl with the conversational files (`chat_template`, loss on the assistant turn only):",
            "",
            "```yaml",
            "base_model: Qwen/Qwen2.5-Coder-0.5B-Instruct",
            "chat_template: tokenizer_default",
            "datasets:",
            f"  - path: {train['path']}",
            "    ds_type: json",
            "    type: chat_template",
            "    field_messages: messages",
            '    roles_to_train: ["assistant"]',
        ]
        if val:
            lines += [
                "test_datasets:",
                f"  - path: {val['path']}",
                "    ds_type: json",
                "    split: train",
                "    type: chat_template",
                "    field_messages: messages",
            ]
        else:
            lines += ["val_set_size: 0.05"]
        lines += [
            "sequence_len: 2048",
            "micro_batch_size: 2",
            "gradient_accumulation_steps: 8",
            "num_epochs: 3",
            "learning_rate: 2.0e-5",
            "output_dir: ./outputs/codex-s-sft",
            "```",
            "",
        ]
    he = by_name.get("humaneval")
    if he:
        paths = ", ".join(f'`{f["path"]}`' for f in he.splits.values())
        lines += [f"The HumanEval-format files ({paths}) run in OpenAI's harness as they are:",
                  "`evaluate_functional_correctness samples.jsonl --problem_file=<file>`.", ""]
    return lines


def dataset_card(version: str, problems: Sequence[Problem], files: dict[str, dict[str, Any]], *,
                 configs: Sequence[ConfigFiles] | None = None, notes: Sequence[str] = ()) -> str:
    """The card. Without `configs`, every JSONL format file is one config with a single train split."""
    if configs is None:
        configs = [ConfigFiles(name.split(".")[0], {"train": {"path": name, "rows": meta["rows"], "bytes": meta["bytes"]}})
                   for name, meta in files.items() if name in FORMATS]
    configs = [c for c in configs if c.splits]
    per_source = Counter(p.source for p in problems)
    per_licence = Counter(str(p.provenance.get("license") or "unknown") for p in problems)
    lines = [
        "---",
        _front_matter(problems, configs).rstrip("\n"),
        "---",
        "",
        f"# build-sft-set dataset {version}",
        "",
        "Function-level Python problems in the style of Codex-S (Chen et al. 2021, section 4): a prompt",
        "(imports, signature, docstring), a reference solution and unit tests, built by build-sft-set",
        f"{__version__}.",
        "",
        "| source | problems |",
        "|---|---|",
        *[f"| {src} | {n} |" for src, n in sorted(per_source.items())],
        "",
        "| licence (SPDX) | problems |",
        "|---|---|",
        *[f"| {lic} | {n} |" for lic, n in sorted(per_licence.items())],
        "",
        "Each record keeps its own licence and source URL in `provenance` (in `problems.jsonl.gz`);",
        "attribution is required by several sources (Codeforces asks for a link next to the statement).",
        "",
    ]
    if notes:
        lines += ["## How it was made", "", *notes, ""]
    if configs:
        lines += _usage(configs)
    lines += [
        "## Files",
        "",
        "| file | rows | sha256 |",
        "|---|---|---|",
        *[f"| `{name}` | {meta['rows']} | `{meta['sha256'][:16]}...` |" for name, meta in sorted(files.items())],
        "",
    ]
    return "\n".join(lines)
