"""Sampling settings: command-line flags > environment > `[sampling]` in sftset.toml > the paper's defaults.

    [sampling]
    backend = "openai"                 # openai | vllm | hf | samples (inferred when left out)
    model = "deepseek-coder-1.3b-base"
    url = ["http://gpu1:8000", "http://gpu2:8000"]   # or $SFTSET_MODEL_URL (comma-separated)
    n = 100
    temperature = 0.8
    top_p = 0.95
    stop = ["\\nclass", "\\ndef", "\\n#", "\\nif", "\\nprint"]
"""
from __future__ import annotations

import argparse
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import InputError
from .base import (DEFAULT_MAX_TOKENS, DEFAULT_N, DEFAULT_STOP, DEFAULT_TEMPERATURE, DEFAULT_TOP_P, Sampler,
                   SamplingParams)

BACKENDS = ("openai", "vllm", "hf", "samples")
URL_ENV = "SFTSET_MODEL_URL"
KEY_ENV = "OPENAI_API_KEY"


def add_sampling_arguments(parser: argparse.ArgumentParser) -> None:
    g = parser.add_argument_group("sampling (also [sampling] in sftset.toml)")
    g.add_argument("--backend", choices=BACKENDS, help="where samples come from (default: samples if --samples, "
                   "openai if a URL is set)")
    g.add_argument("--model", help="model name sent to the server, or a HF id / local path for vllm and hf")
    g.add_argument("--url", action="append", metavar="URL",
                   help=f"OpenAI-compatible server base URL; repeat to spread load (env {URL_ENV})")
    g.add_argument("--api-key", metavar="KEY", help=f"bearer token for the server (better: env {KEY_ENV})")
    g.add_argument("--samples", metavar="FILE", help='pre-generated samples, JSONL of {"task_id", "completion"}')
    g.add_argument("--n", type=int, help=f"samples per problem (default {DEFAULT_N}; samples backend: all in the file)")
    g.add_argument("--temperature", type=float, help=f"default {DEFAULT_TEMPERATURE}")
    g.add_argument("--top-p", type=float, help=f"default {DEFAULT_TOP_P}")
    g.add_argument("--max-tokens", type=int, help=f"tokens per completion (default {DEFAULT_MAX_TOKENS})")
    g.add_argument("--stop", action="append", metavar="SEQ",
                   help="stop sequence, repeatable; '\\n' means a newline (default: the paper's five)")
    g.add_argument("--n-per-request", type=int, help="completions asked per HTTP request (default 100)")
    g.add_argument("--concurrency", type=int, help="requests in flight per server URL (default 8)")
    g.add_argument("--http-timeout", "--timeout", dest="http_timeout", type=float, metavar="S",
                   help="seconds to wait for one answer of the model server (default 600; [sampling] timeout_s; "
                        "--timeout is the old spelling)")
    g.add_argument("--max-retries", type=int, help="retries of a failed request before giving up (default 8)")


@dataclass
class SamplerSettings:
    backend: str | None
    model: str | None
    urls: list[str]
    api_key: str | None
    samples: Path | None
    params: SamplingParams
    n_explicit: bool
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def configured(self) -> bool:
        return bool(self.backend or self.model or self.urls or self.samples)

    def describe(self) -> str:
        if self.backend == "samples":
            return f"samples from {self.samples}"
        if self.backend == "openai":
            return f"{self.model or 'the served model'} at {', '.join(self.urls)}"
        return f"{self.model} in process ({self.backend})"


def _flag(ctx, name: str) -> Any:
    return ctx.flag(name)


def _number(ctx, flag: str | None, key: str, default: Any, type_: type, low: float | None = None,
            high: float | None = None, low_open: bool = False) -> Any:
    """`--flag` (args attribute `flag`) or `[sampling] key`, checked against a range."""
    given = _flag(ctx, flag) if flag else None
    value = ctx.config.resolve(given, "sampling", key, default, type_)
    if value is None:
        return None
    bad = (low is not None and (value <= low if low_open else value < low)) or (high is not None and value > high)
    if bad:
        rng = f"{'(' if low_open else '['}{low}, {high if high is not None else 'inf'}]"
        if given is not None:
            raise InputError(f"must be in {rng}, got {value!r}", field="--" + flag.replace("_", "-"))
        raise InputError(f"must be in {rng}, got {value!r}", str(ctx.config.path) if ctx.config.path else None,
                         ctx.config.line_of("sampling", key), f"sampling.{key}")
    return value


def _unescape(seq: str) -> str:
    return seq.replace("\\n", "\n").replace("\\t", "\t")


def settings_from_context(ctx) -> SamplerSettings:
    cfg = ctx.config
    urls_flag = _flag(ctx, "url")
    env_urls = [u.strip() for u in os.environ.get(URL_ENV, "").split(",") if u.strip()]
    urls = urls_flag or env_urls or cfg.get("sampling", "url", None) or []
    if isinstance(urls, str):
        urls = [urls]
    if not isinstance(urls, list) or not all(isinstance(u, str) for u in urls):
        raise InputError("must be a URL or a list of URLs", str(cfg.path), cfg.line_of("sampling", "url"),
                         "sampling.url")
    api_key = _flag(ctx, "api_key") or os.environ.get(KEY_ENV) or cfg.resolve(None, "sampling", "api_key", None, str)
    samples = cfg.resolve(_flag(ctx, "samples"), "sampling", "samples", None, str)
    model = cfg.resolve(_flag(ctx, "model"), "sampling", "model", None, str)
    backend = cfg.resolve(_flag(ctx, "backend"), "sampling", "backend", None, str)
    if backend is not None and backend not in BACKENDS:
        raise InputError(f"must be one of {', '.join(BACKENDS)}, got {backend!r}", str(cfg.path),
                         cfg.line_of("sampling", "backend"), "sampling.backend")
    if backend is None:
        backend = "samples" if samples else "openai" if urls else None
        if backend is None and model:
            raise InputError("say how to run the model: --url for a server, or --backend hf|vllm",
                             field="sampling.backend")
    if backend == "samples" and not samples:
        raise InputError("the samples backend needs --samples FILE", field="sampling.samples")

    from_file = backend == "samples"  # a file's samples were drawn elsewhere: record only what the user states
    n = _number(ctx, "n", "n", None if from_file else DEFAULT_N, int, 1)
    stop_flag = [_unescape(s) for s in _flag(ctx, "stop")] if _flag(ctx, "stop") else None
    stop = cfg.resolve(stop_flag, "sampling", "stop", list(DEFAULT_STOP), list)
    if not all(isinstance(s, str) and s for s in stop):
        raise InputError("must be a list of non-empty strings", str(cfg.path), cfg.line_of("sampling", "stop"),
                         "sampling.stop")
    params = SamplingParams(
        n=n or 0,
        temperature=_number(ctx, "temperature", "temperature", None if from_file else DEFAULT_TEMPERATURE,
                            float, 0.0, 2.0),
        top_p=_number(ctx, "top_p", "top_p", None if from_file else DEFAULT_TOP_P, float, 0.0, 1.0,
                      low_open=True),
        max_tokens=_number(ctx, "max_tokens", "max_tokens", DEFAULT_MAX_TOKENS, int, 1),
        stop=tuple(stop),
    )
    extra_body = cfg.resolve(None, "sampling", "extra_body", {}, dict)
    options = {
        "n_per_request": _number(ctx, "n_per_request", "n_per_request", 100, int, 1),
        "concurrency": _number(ctx, "concurrency", "concurrency", 8, int, 1),
        "timeout_s": _number(ctx, "http_timeout", "timeout_s", 600.0, float, 0.0, low_open=True),
        "connect_timeout_s": _number(ctx, None, "connect_timeout_s", 10.0, float, 0.0, low_open=True),
        "max_retries": _number(ctx, "max_retries", "max_retries", 8, int, 0),
        "backoff_s": _number(ctx, None, "backoff_s", 1.0, float, 0.0),
        "backoff_max_s": _number(ctx, None, "backoff_max_s", 60.0, float, 0.0),
        "extra_body": extra_body,
        # hf and vllm
        "device": cfg.resolve(None, "sampling", "device", None, str),
        "batch_size": _number(ctx, None, "batch_size", 16, int, 1),
        "dtype": cfg.resolve(None, "sampling", "dtype", None, str),
        "seed": cfg.resolve(None, "sampling", "seed", None, int),
        "tensor_parallel_size": _number(ctx, None, "tensor_parallel_size", 1, int, 1),
        "gpu_memory_utilization": _number(ctx, None, "gpu_memory_utilization", None, float, 0.0, 1.0, low_open=True),
        "max_model_len": _number(ctx, None, "max_model_len", None, int, 1),
        "prompts_per_call": _number(ctx, None, "prompts_per_call", 256, int, 1),
    }
    return SamplerSettings(backend=backend, model=model, urls=list(urls), api_key=api_key,
                           samples=Path(samples) if samples else None, params=params,
                           n_explicit=n is not None, options=options)


def make_sampler(s: SamplerSettings) -> Sampler:
    """Build the chosen backend; vllm and transformers are imported only here, only when chosen."""
    o = s.options
    if s.backend == "samples":
        from .samples_file import SamplesFileSampler

        return SamplesFileSampler(s.samples, s.params, model=s.model)
    if s.backend == "openai":
        from .openai_compat import OpenAICompatSampler

        return OpenAICompatSampler(
            s.urls, s.model, s.params, api_key=s.api_key, concurrency=o["concurrency"],
            n_per_request=o["n_per_request"], timeout_s=o["timeout_s"], connect_timeout_s=o["connect_timeout_s"],
            max_retries=o["max_retries"], backoff_s=o["backoff_s"], backoff_max_s=o["backoff_max_s"],
            extra_body=o["extra_body"])
    if s.backend == "vllm":
        from .vllm_local import VLLMSampler

        return VLLMSampler(s.model or "", s.params, prompts_per_call=o["prompts_per_call"],
                           seed=o["seed"] if o["seed"] is not None else 0,
                           tensor_parallel_size=o["tensor_parallel_size"],
                           gpu_memory_utilization=o["gpu_memory_utilization"], dtype=o["dtype"],
                           max_model_len=o["max_model_len"])
    if s.backend == "hf":
        from .hf_local import HFSampler

        return HFSampler(s.model or "", s.params, device=o["device"], batch_size=o["batch_size"], dtype=o["dtype"],
                         seed=o["seed"])
    raise InputError("no model or samples file configured", field="sampling.backend")
