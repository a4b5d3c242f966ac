"""build-sft-set: turn public code into a Codex-S style supervised fine-tuning set."""
__version__ = "0.1.0"
