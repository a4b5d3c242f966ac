"""Model sampling behind one interface (`Sampler`): an OpenAI-compatible server, vLLM in
process, Hugging Face transformers, or a file of pre-generated samples."""
from __future__ import annotations

from .base import (DEFAULT_STOP, RequestRejected, SampleBatch, SampleRequest, Sampler, SamplingError,
                   SamplingParams, ServerUnavailable, truncate_at_stop)
from .settings import BACKENDS, SamplerSettings, add_sampling_arguments, make_sampler, settings_from_context

__all__ = [
    "BACKENDS", "DEFAULT_STOP", "RequestRejected", "SampleBatch", "SampleRequest", "Sampler", "SamplerSettings",
    "SamplingError", "SamplingParams", "ServerUnavailable", "add_sampling_arguments", "make_sampler",
    "settings_from_context", "truncate_at_stop",
]
