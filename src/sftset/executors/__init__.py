"""Where heavy work runs: this machine's cores (`local`) or a Ray cluster (`ray`).

    from sftset import executors

    with executors.from_args(ctx, workers=n) as ex:      # --executor / --ray-address / sftset.toml
        for v in ex.run(jobs): ...                        # sandbox jobs -> Verdicts (as sandbox.Executor)
        for r in ex.map(fn, items): ...                   # fn(item) per item -> ItemResult
    sig, nonempty = executors.minhash.signatures(texts, executor=ex)
    for spec, r in executors.mining.mine_targets(specs, ex): ...

Stages don't know which one they got; results are the same either way. Ray is imported
only when chosen (`pip install 'build-sft-set[ray]'`).

Settings (flags win over sftset.toml):
    [executor]  kind = "local" | "ray"     (--executor)      retries = 2
    [ray]       address = "auto" | "HOST:PORT" | "ray://HOST:10001"   (--ray-address; default: a
                private local Ray)   batch_size = 16   num_cpus = N (private local Ray only)
"""
from __future__ import annotations

from typing import Any

from ..errors import InputError
from .base import DEFAULT_RETRIES, ItemResult, Spreader
from .local import LocalExecutor

KINDS = ("local", "ray")

__all__ = ["KINDS", "ItemResult", "Spreader", "LocalExecutor", "make", "choose", "from_args", "add_arguments"]


def add_arguments(parser) -> None:
    """Add --executor and --ray-address to a command's parser."""
    group = parser.add_argument_group("where the work runs")
    group.add_argument("--executor", choices=KINDS, default=None,
                       help="local: this machine's cores (default); ray: a Ray cluster ([executor] kind)")
    group.add_argument("--ray-address", default=None, metavar="ADDR",
                       help="Ray cluster to join: auto (the one `ray start` made here), HOST:PORT or "
                            "ray://HOST:10001; implies --executor ray (default: a private local Ray; [ray] address)")


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


def choose(ctx) -> dict[str, Any]:
    """The keywords for `make` that a command's flags and sftset.toml ask for."""
    args, cfg = ctx.args, ctx.config
    flag = getattr(args, "executor", None)
    if flag is None and getattr(args, "ray_address", None):
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
    extra = {"sample_python": sample_python} if sample_python else {}
    if kind == "local":
        return {"kind": kind, "retries": retries, **extra}
    return {"kind": kind, "retries": retries, **extra,
            "address": cfg.resolve(getattr(args, "ray_address", None), "ray", "address", None, str),
            "batch_size": cfg.resolve(None, "ray", "batch_size", None, int),
            "num_cpus": cfg.resolve(None, "ray", "num_cpus", None, int)}


def from_args(ctx, *, workers: int | None = None) -> Spreader:
    """The executor a command's flags and sftset.toml ask for (call `.close()` or use `with`)."""
    return make(workers=workers, **choose(ctx))


def __getattr__(name: str) -> Any:  # `executors.minhash`, `executors.mining` without importing them up front
    if name in ("minhash", "mining"):
        import importlib

        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(name)
