"""The CI miner: trace projects' own test suites into function-level problems (Codex-S, section 4).

targets -> ci_config -> venv -> suite (tracer in the sandbox) -> build -> validate -> report.
`stage.mine_stage` runs it for the pipeline; `commands/mine.py` for `build-sft-set mine`.
"""
