"""Sampling with vLLM in this process (a GPU machine). `vllm` is imported only here.

Prompts go to `LLM.generate` in groups, one `SamplingParams(n=len(indices))` per prompt,
so vLLM batches across problems and shares each prompt's KV cache among its n samples.
Untested in CI (no GPU there); written against vLLM's documented `LLM` API.
"""
from __future__ import annotations

from typing import Any, Iterable, Iterator

from ..errors import InputError
from .base import SampleBatch, SampleRequest, Sampler, SamplingParams, truncate_at_stop


class VLLMSampler(Sampler):
    backend = "vllm"

    def __init__(self, model: str, params: SamplingParams, *, prompts_per_call: int = 256, seed: int = 0,
                 **llm_kwargs: Any):
        if not model:
            raise InputError("the vllm backend needs --model (a Hugging Face id or a local path)",
                             field="sampling.model")
        try:
            import vllm
        except ImportError:
            raise InputError("the vllm backend needs vLLM: pip install 'build-sft-set[vllm]'",
                             field="sampling.backend") from None
        self._vllm = vllm
        self.model = model
        self.params = params
        self.prompts_per_call = max(1, int(prompts_per_call))
        kwargs = {k: v for k, v in llm_kwargs.items() if v is not None}
        self.llm = vllm.LLM(model=model, seed=seed, **kwargs)

    def _sampling_params(self, n: int):
        p = self.params
        kw: dict[str, Any] = {"n": n, "max_tokens": p.max_tokens, "stop": list(p.stop)}
        if p.temperature is not None:
            kw["temperature"] = p.temperature
        if p.top_p is not None:
            kw["top_p"] = p.top_p
        return self._vllm.SamplingParams(**kw)

    def _run(self, reqs: list[SampleRequest]) -> list[SampleBatch]:
        try:
            outputs = self.llm.generate([r.prompt for r in reqs], [self._sampling_params(len(r.indices)) for r in reqs],
                                        use_tqdm=False)
        except ValueError as exc:  # e.g. a prompt longer than max_model_len fails the whole call
            if len(reqs) == 1:
                return [SampleBatch(reqs[0], reqs[0].indices, [], error=f"vllm: {exc}")]
            return [b for r in reqs for b in self._run([r])]
        batches = []
        for req, out in zip(reqs, outputs):
            texts = [truncate_at_stop(o.text, self.params.stop) for o in sorted(out.outputs, key=lambda o: o.index)]
            batches.append(SampleBatch(req, tuple(req.indices[: len(texts)]), texts))
        return batches

    def generate(self, requests: Iterable[SampleRequest]) -> Iterator[SampleBatch]:
        group: list[SampleRequest] = []
        for req in requests:
            group.append(req)
            if len(group) >= self.prompts_per_call:
                yield from self._run(group)
                group = []
        if group:
            yield from self._run(group)
