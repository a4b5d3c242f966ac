"""The one interface every sampling backend implements, and what they share.

A caller asks for samples of a prompt by *index* (sample 0..n-1 of a problem), so that
stored samples are never requested again: `SampleRequest(task_id, prompt, indices)`.
A backend answers with `SampleBatch`es, each covering some of those indices, as soon as
they are ready, so the caller can store them before asking for more.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator

# Chen et al. 2021, section 3.3: stop at the first line that leaves the function body.
DEFAULT_STOP = ("\nclass", "\ndef", "\n#", "\nif", "\nprint")
DEFAULT_N = 100
DEFAULT_TEMPERATURE = 0.8
DEFAULT_TOP_P = 0.95
DEFAULT_MAX_TOKENS = 512


class SamplingError(Exception):
    """Sampling could not go on; what is stored stays stored."""


class ServerUnavailable(SamplingError):
    """Every retry failed (connection refused, 5xx, 429, timeouts): stop the run, resume later."""


class RequestRejected(SamplingError):
    """The server refused this one request (4xx other than 408/429), e.g. a prompt longer than
    the context window: this problem cannot be sampled, the others can."""


@dataclass(frozen=True)
class SamplingParams:
    n: int = DEFAULT_N
    temperature: float | None = DEFAULT_TEMPERATURE
    top_p: float | None = DEFAULT_TOP_P
    max_tokens: int = DEFAULT_MAX_TOKENS
    stop: tuple[str, ...] = DEFAULT_STOP

    def identity(self) -> dict[str, Any]:
        """What makes two samples comparable: not `n`, so raising n reuses samples 0..n-1."""
        return {"temperature": self.temperature, "top_p": self.top_p, "max_tokens": self.max_tokens,
                "stop": list(self.stop)}


@dataclass(frozen=True)
class SampleRequest:
    task_id: str
    prompt: str
    indices: tuple[int, ...]


@dataclass
class SampleBatch:
    """Completions for `indices` (same length), or `error` for a request the backend refused."""

    request: SampleRequest
    indices: tuple[int, ...]
    completions: list[str] = field(default_factory=list)
    error: str | None = None


def truncate_at_stop(text: str, stop: Iterable[str]) -> str:
    """Cut `text` at the earliest stop sequence, as HumanEval's sampling does; servers that
    ignore `stop` (or apply only some of them) give the same samples as those that don't."""
    cut = len(text)
    for s in stop:
        if s:
            pos = text.find(s)
            if 0 <= pos < cut:
                cut = pos
    return text[:cut]


def chunked(indices: tuple[int, ...], size: int) -> Iterator[tuple[int, ...]]:
    for start in range(0, len(indices), max(1, size)):
        yield indices[start:start + max(1, size)]


class Sampler(ABC):
    """A source of completions for prompts.

    `model` names the stream of samples in the state store and in the record's `filter`
    field; `identity()` is hashed with it, so samples drawn under other settings are not mixed.
    """

    backend: str = ""
    model: str = ""
    params: SamplingParams

    def identity(self) -> dict[str, Any]:
        return self.params.identity()

    def available(self, task_id: str) -> int | None:
        """How many samples this backend can give for a task; None when unbounded (a model)."""
        return None

    @abstractmethod
    def generate(self, requests: Iterable[SampleRequest]) -> Iterator[SampleBatch]:
        """Yield batches as they complete, in any order. Raises ServerUnavailable to stop."""

    def close(self) -> None:
        pass

    def __enter__(self) -> "Sampler":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
