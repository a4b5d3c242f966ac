"""Sampling with Hugging Face transformers `generate` (small models on CPU, or one GPU).

`torch` and `transformers` are imported only when this backend is chosen.
"""
from __future__ import annotations

from typing import Any, Iterable, Iterator

from ..errors import InputError
from .base import SampleBatch, SampleRequest, Sampler, SamplingParams, chunked, truncate_at_stop


class HFSampler(Sampler):
    backend = "hf"

    def __init__(self, model: str, params: SamplingParams, *, device: str | None = None, batch_size: int = 16,
                 dtype: str | None = None, seed: int | None = None, trust_remote_code: bool = False):
        if not model:
            raise InputError("the hf backend needs --model (a Hugging Face id or a local path)", field="sampling.model")
        try:
            import torch
            import transformers
        except ImportError:
            raise InputError("the hf backend needs transformers and torch: pip install 'build-sft-set[hf]'",
                             field="sampling.backend") from None
        self.torch = torch
        self.model = model
        self.params = params
        self.batch_size = max(1, int(batch_size))
        self.device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        if seed is not None:
            transformers.set_seed(seed)
        self.tokenizer = transformers.AutoTokenizer.from_pretrained(model, trust_remote_code=trust_remote_code)
        kwargs: dict[str, Any] = {"trust_remote_code": trust_remote_code}
        if dtype and dtype != "auto":
            major, minor = (int(x) for x in transformers.__version__.split(".")[:2])
            kwargs["dtype" if (major, minor) >= (4, 56) else "torch_dtype"] = getattr(torch, dtype)  # renamed
        self.lm = transformers.AutoModelForCausalLM.from_pretrained(model, **kwargs).to(self.device).eval()
        self.pad_id = self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None \
            else self.tokenizer.eos_token_id
        # Stopping inside generate saves the tokens after a stop; the cut below makes it exact.
        self.stop_kwargs: dict[str, Any] = {}
        if params.stop and hasattr(transformers.GenerationConfig(), "stop_strings"):
            self.stop_kwargs = {"stop_strings": list(params.stop), "tokenizer": self.tokenizer}

    def _generate(self, prompt_ids, n: int) -> list[str]:
        p = self.params
        greedy = p.temperature is not None and p.temperature <= 0
        kw: dict[str, Any] = {"max_new_tokens": p.max_tokens, "pad_token_id": self.pad_id, **self.stop_kwargs}
        if greedy:  # transformers refuses num_return_sequences > 1 without sampling; greedy is one answer
            kw.update(do_sample=False, num_return_sequences=1)
        else:
            kw.update(do_sample=True, num_return_sequences=n, top_p=p.top_p if p.top_p is not None else 1.0,
                      temperature=p.temperature if p.temperature is not None else 1.0, top_k=0)
        with self.torch.no_grad():
            out = self.lm.generate(prompt_ids, attention_mask=self.torch.ones_like(prompt_ids), **kw)
        texts = self.tokenizer.batch_decode(out[:, prompt_ids.shape[1]:], skip_special_tokens=True)
        texts = [truncate_at_stop(t, p.stop) for t in texts]
        return texts * n if greedy else texts

    def generate(self, requests: Iterable[SampleRequest]) -> Iterator[SampleBatch]:
        for req in requests:
            ids = self.tokenizer(req.prompt, return_tensors="pt").input_ids.to(self.device)
            for idx in chunked(tuple(req.indices), self.batch_size):
                yield SampleBatch(req, idx, self._generate(ids, len(idx)))
