"""Where heavy work runs: this machine's cores (`local`) or a Ray cluster (`ray`).

    settings = executors.settings_from_context(ctx)     # --executor / --ray-address / sftset.toml, once
    ex = ctx.executors.get(workers=n)                    # the run's executor (one private Ray per run)
    for v in ex.run(jobs): ...                           # sandbox jobs -> Verdicts (as sandbox.Executor)
    for r in ex.map(fn, items): ...                      # fn(item) per item -> ItemResult

Stages don't know which one they got; results are the same either way. Ray is imported
only when chosen (`pip install 'build-sft-set[ray]'`). This package depends on the sandbox
only: what runs on an executor (mining a target, MinHash chunks) lives with its stage.

Settings (flags win over sftset.toml):
    [executor]  kind = "local" | "ray"     (--executor)      retries = 2
    [ray]       address = "auto" | "HOST:PORT" | "ray://HOST:10001"   (--ray-address; default: a
                private local Ray)   batch_size = 16   num_cpus = N (private local Ray only)
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from ..errors import InputError
from .base import DEFAULT_RETRIES, ItemResult, Spreader
from .local import LocalExecutor

KINDS = ("local", "ray")

__all__ = ["KINDS", "ItemResult", "Spreader", "LocalExecutor", "ExecutorSettings", "RunExecutors", "make",
           "settings_from_context", "add_arguments"]


def add_arguments(parser) -> None:
    """Add --executor and --ray-address to a command's parser."""
    group = parser.add_argument_group("where the work runs")
    group.add_argument("--executor", choices=KINDS, default=None,
                       help="local: this machine's cores (default); ray: a Ray cluster ([executor] kind)")
    group.add_argument("--ray-address", default=None, metavar="ADDR",
                       help="Ray cluster to join: auto (the one `ray start` made here), HOST:PORT or "
                            "ray://HOST:10001; implies --executor ray (default: a private local Ray; [ray] address)")


@dataclass(frozen=True)
class ExecutorSettings:
    kind: str = "local"
    retries: int = DEFAULT_RETRIES
    address: str | None = None  # ray only
    batch_size: int | None = None
    num_cpus: int | None = None
    sample_python: str | None = None  # [sandbox] sample_python: what samples import (None: the stdlib only)

    def as_dict(self) -> dict[str, Any]:
        """The keywords of `make` (a local executor has no Ray settings)."""
        d = asdict(self) if self.kind != "local" else {"kind": self.kind, "retries": self.retries}
        d["sample_python"] = self.sample_python
        if d["sample_python"] is None:
            del d["sample_python"]  # the default: the standard library only
        return d


def make(kind: str = "local", workers: int | None = None, *, retries: int = DEFAULT_RETRIES,
         address: str | None = None, batch_size: int | None = None, num_cpus: int | None = None,
         sample_python: str | None = None) -> Spreader:
    if kind == "local":
        return LocalExecutor(workers, retries=retries, sample_python=sample_python)
    if kind == "ray":
        try:
            from .ray_cluster import DEFAULT_BATCH, RayExecutor
        except ImportError:
            raise InputError("Ray is not installed: pip install 'build-sft-set[ray]'", field="executor") from None
        return RayExecutor(workers, address=address, retries=retries, batch_size=batch_size or DEFAULT_BATCH,
                           num_cpus=num_cpus, sample_python=sample_python)
    raise InputError(f"must be one of {', '.join(KINDS)}, got {kind!r}", field="executor")


def settings_from_context(ctx) -> ExecutorSettings:
    """What the command's flags and sftset.toml ask for."""
    cfg = ctx.config
    flag = ctx.flag("executor")
    if flag is None and ctx.flag("ray_address"):
        flag = "ray"  # naming a cluster means running on it
    kind = cfg.resolve(flag, "executor", "kind", "local", str)
    if kind not in KINDS:
        raise InputError(f"must be one of {', '.join(KINDS)}, got {kind!r}", str(cfg.path),
                         cfg.line_of("executor", "kind"), "executor.kind")
    retries = cfg.resolve(None, "executor", "retries", DEFAULT_RETRIES, int)
    if retries < 0:
        raise InputError(f"must be 0 or more, got {retries}", str(cfg.path), cfg.line_of("executor", "retries"),
                         "executor.retries")
    # What samples import: the standard library only unless a pinned interpreter is named.
    sample_python = cfg.resolve(None, "sandbox", "sample_python", None, str)
    if sample_python is not None:
        from ..sandbox.pool import SampleEnv

        if SampleEnv.find(sample_python) is None:
            raise InputError(f"no such interpreter: {sample_python}", str(cfg.path),
                             cfg.line_of("sandbox", "sample_python"), "sandbox.sample_python")
    if kind == "local":
        return ExecutorSettings(kind, retries, sample_python=sample_python)
    return ExecutorSettings(kind, retries, address=cfg.resolve(ctx.flag("ray_address"), "ray", "address", None, str),
                            batch_size=cfg.resolve(None, "ray", "batch_size", None, int),
                            num_cpus=cfg.resolve(None, "ray", "num_cpus", None, int), sample_python=sample_python)


class RunExecutors:
    """The executors of one run, made on first use from one ExecutorSettings and closed at its end.

    Stages ask for the number of workers they want; with Ray they all share the one cluster
    connection (and the one private Ray, when no address is given) that the first made."""

    def __init__(self, settings: ExecutorSettings):
        self.settings = settings
        self._made: dict[int | None, Spreader] = {}

    def get(self, workers: int | None = None) -> Spreader:
        if workers not in self._made:
            self._made[workers] = make(workers=workers, **self.settings.as_dict())
        return self._made[workers]

    def close(self) -> None:
        # the first made owns the private Ray: close it last
        for ex in reversed(list(self._made.values())):
            ex.close()
        self._made.clear()


