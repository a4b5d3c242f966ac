"""From stored problems to the rows of a version: select, quality, licence, decontaminate, dedup.

Each step keeps its own counts and names a reason for every record it drops. The quality,
decontam and dedup decisions are recorded as verdicts in the state store (stages "quality",
"decontam", "dedup"); quality and decontam verdicts are reused while the record, the settings
and the benchmarks are unchanged, so a refresh only judges new and changed records. Dedup is
decided afresh each time, since it depends on which other records are present.
"""
from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

from ..errors import InputError
from ..progress import log, progress
from ..record import Problem
from ..store import StateStore, is_current
from .dedup import NearDupSettings, dedup
from .decontam import DEFAULT_NGRAM, Decontaminator, build_decontaminator
from .export import DEFAULT_EXCLUDED_FLAGS, task_order
from .formats import resolve_formats
from .quality import QualitySettings, check_quality, license_allowed, parse_allow_list, record_license
from .select import select_for_export
from .split import DEFAULT_VALIDATION_FRACTION, check_fraction

STAGES = ("quality", "decontam", "dedup")


@dataclass(frozen=True)
class AssemblySettings:
    excluded_flags: tuple[str, ...] = DEFAULT_EXCLUDED_FLAGS
    quality: QualitySettings = QualitySettings()
    licenses: frozenset[str] | None = None  # None: every licence
    humaneval: bool = True
    benchmarks: tuple[str, ...] = ()
    ngram: int = DEFAULT_NGRAM
    keep_benchmark_items: bool = True
    near_dedup: bool = True
    near: NearDupSettings = NearDupSettings()
    validation_fraction: float | None = DEFAULT_VALIDATION_FRACTION
    formats: tuple[str, ...] | None = None  # None: all
    report: bool = True

    def to_config(self) -> dict[str, Any]:
        """What the manifest records as the settings of a version."""
        return {
            "excluded_flags": list(self.excluded_flags),
            "licenses": sorted(self.licenses) if self.licenses is not None else None,
            "quality": {"max_line_length": self.quality.max_line_length,
                        "mean_line_length": self.quality.mean_line_length,
                        "min_alnum_fraction": self.quality.min_alnum_fraction},
            "decontam": {"humaneval": self.humaneval, "benchmarks": list(self.benchmarks), "ngram": self.ngram,
                         "keep_benchmark_items": self.keep_benchmark_items},
            "dedup": {"near": self.near_dedup, "threshold": self.near.threshold, "num_perm": self.near.num_perm,
                      "ngram": self.near.ngram},
            "validation_fraction": self.validation_fraction,
            "formats": list(self.formats) if self.formats else None,
        }


def settings_from_context(ctx) -> AssemblySettings:
    """[export], [quality], [decontam], [dedup]: flags (where the command has them) > sftset.toml > defaults."""
    cfg, flag = ctx.config, ctx.flag
    excluded = () if flag("include_flagged") else tuple(
        cfg.resolve(None, "export", "exclude_flags", list(DEFAULT_EXCLUDED_FLAGS), list))
    licenses = parse_allow_list(flag("license") or cfg.resolve(None, "export", "licenses", None, list),
                                "--license" if flag("license") else "export.licenses")
    formats = resolve_formats(flag("format") or cfg.resolve(None, "export", "formats", None, list),
                              "--format" if flag("format") else "export.formats")
    fraction = cfg.resolve(flag("validation_fraction"), "export", "validation_fraction",
                           DEFAULT_VALIDATION_FRACTION, float)
    check_fraction(fraction, "--validation-fraction" if flag("validation_fraction") is not None
                   else "export.validation_fraction")
    benchmarks = tuple(flag("benchmark") or ()) + tuple(cfg.resolve(None, "decontam", "benchmarks", [], list))
    ngram = cfg.resolve(flag("ngram"), "decontam", "ngram", DEFAULT_NGRAM, int)
    if not 10 <= ngram <= 13:
        raise InputError(f"must be between 10 and 13, got {ngram}", field="--ngram" if flag("ngram") else "decontam.ngram")
    threshold = cfg.resolve(None, "dedup", "threshold", 0.7, float)
    if not 0.0 < threshold < 1.0:  # at 1 the LSH has a single band, which datasketch refuses
        raise InputError(f"must be above 0 and below 1, got {threshold} (for exact duplicates only, set "
                         "[dedup] near = false)", field="dedup.threshold")
    quality = QualitySettings(
        max_line_length=cfg.resolve(None, "quality", "max_line_length", 1000, int),
        mean_line_length=cfg.resolve(None, "quality", "mean_line_length", 100.0, float),
        min_alnum_fraction=cfg.resolve(None, "quality", "min_alnum_fraction", 0.25, float),
    )
    return AssemblySettings(
        excluded_flags=excluded, quality=quality, licenses=licenses,
        humaneval=not flag("no_humaneval") and cfg.resolve(None, "decontam", "humaneval", True, bool),
        benchmarks=benchmarks, ngram=ngram,
        keep_benchmark_items=cfg.resolve(None, "decontam", "keep_benchmark_items", True, bool),
        near_dedup=cfg.resolve(None, "dedup", "near", True, bool),
        near=NearDupSettings(threshold=threshold),
        validation_fraction=fraction, formats=tuple(formats) if formats else None,
        report=not flag("no_report") and cfg.resolve(None, "export", "report", True, bool),
    )



@dataclass(frozen=True)
class Drop:
    task_id: str
    stage: str  # a stage of the store ("filter", ...), "select", or one of STAGES / "license"
    category: str  # reason without specifics, for counting
    reason: str  # the full reason, naming the duplicate or benchmark item
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return f"{self.stage}: {self.category}"


@dataclass
class Assembly:
    problems: list[Problem]
    drops: list[Drop]
    stats: dict[str, Any]
    counts: Counter  # "stage: category" -> dropped, including the base selection's reasons

    def drop_of(self, task_id: str) -> Drop | None:
        return self._by_task.get(task_id)

    def __post_init__(self) -> None:
        self._by_task = {d.task_id: d for d in self.drops}


def _key(*parts: str) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(part.encode("utf-8", "surrogatepass") + b"\0")
    return h.hexdigest()[:16]


def _base_selection(problems: list[Problem], verdicts: dict, excluded: Sequence[str]) -> tuple[list[Problem], list[Drop], Counter]:
    # Our own stages' old verdicts are decided again below, so they must not pre-empt that.
    theirs = {tid: {st: v for st, v in vs.items() if st not in STAGES} for tid, vs in verdicts.items()}
    kept, counts = select_for_export(problems, theirs, excluded_flags=excluded)
    kept_ids = {p.task_id for p in kept}
    drops = []
    for p in problems:
        if p.task_id not in kept_ids:
            (reason,) = select_for_export([p], theirs, excluded_flags=excluded)[1]
            stage, _, category = reason.partition(": ") if ": " in reason else ("select", "", reason)
            drops.append(Drop(p.task_id, stage, category, reason))
    return kept, drops, counts


def mining_drops(verdicts: dict[str, dict[str, dict]], records: set[str]) -> list[Drop]:
    """The functions the CI miner traced but did not keep (they never became records), as the
    latest mining of each target listed them, so that drops.jsonl says why for them too."""
    from ..ci_mining.report import TARGET_STAGE

    out = []
    for by_stage in verdicts.values():
        v = by_stage.get(TARGET_STAGE)
        if v is None or v["status"] != "ok":
            continue
        for row in v["detail"].get("dropped", []):
            if row.get("function") and row["function"] not in records:
                out.append(Drop(row["function"], "mine", row["reason"], f"{row['reason']}: {row.get('detail', '')}"))
    return out


def assemble(
    problems: Iterable[Problem],
    settings: AssemblySettings = AssemblySettings(),
    *,
    verdicts: dict[str, dict[str, dict]] | None = None,
    store: StateStore | None = None,
    decontaminator: Decontaminator | None = None,
    executor=None,
) -> Assembly:
    """Choose the rows of a version. With a store, verdicts are read from it and written back."""
    problems = sorted(problems, key=lambda p: task_order(p.task_id))
    if verdicts is None:
        verdicts = store.verdicts() if store is not None else {}
    dec = decontaminator or build_decontaminator(
        humaneval=settings.humaneval, files=settings.benchmarks, ngram=settings.ngram,
        keep_benchmark_items=settings.keep_benchmark_items)
    if not any(s["benchmark"] == "mbpp" or "mbpp" in s["benchmark"].split(",") for s in dec.sources):
        log.info("decontamination covers %s; name MBPP's file with --benchmark to check it too",
                 ", ".join(s["benchmark"] for s in dec.sources) or "nothing")
    kept, drops, counts = _base_selection(problems, verdicts, settings.excluded_flags)
    for d in mining_drops(verdicts, {p.task_id for p in problems}):
        drops.append(d)
        counts[d.key] += 1
    new_verdicts: list[tuple[str, str, str, str, str, dict]] = []
    stats: dict[str, Any] = {
        "quality": Counter(), "license": Counter(), "decontam": Counter(), "dedup": Counter(),
    }
    qkey = settings.quality.key()
    fingerprint = dec.fingerprint
    survivors: list[Problem] = []
    reused = 0
    for p in progress(kept, total=len(kept), desc="quality+decontam", unit="problem"):
        text_key = _key(p.prompt, p.canonical_solution, p.provenance.get("path") or "")
        # quality
        key = _key(qkey, text_key)
        old = verdicts.get(p.task_id, {}).get("quality")
        if is_current(old, content_hash=p.content_hash, detail={"key": key}):
            status, reason, detail = old["status"], old["reason"], old["detail"]
            reused += 1
        else:
            issue = check_quality(p, settings.quality)
            status, reason = ("dropped", issue.reason) if issue else ("kept", "")
            detail = {"key": key, **({"category": issue.category} if issue else {})}
        _remember(new_verdicts, old, p, "quality", status, reason, detail)
        if status == "dropped":
            drops.append(Drop(p.task_id, "quality", detail.get("category", "quality"), reason, detail))
            stats["quality"]["dropped"] += 1
            continue
        stats["quality"]["kept"] += 1
        # licence (a policy of this export, not a property of the record: not stored)
        lic = record_license(p)
        if not license_allowed(lic, settings.licenses):
            drops.append(Drop(p.task_id, "license", "not in the allow-list", f"licence {lic} not in the allow-list",
                              {"license": lic}))
            stats["license"]["dropped"] += 1
            continue
        # decontamination
        key = _key(fingerprint, text_key, p.source, p.task_id)
        old = verdicts.get(p.task_id, {}).get("decontam")
        if is_current(old, content_hash=p.content_hash, detail={"key": key}):
            status, reason, detail = old["status"], old["reason"], old["detail"]
            reused += 1
        elif dec.is_exempt(p):
            status, reason, detail = "kept", "the benchmark item itself (keep_benchmark_items)", {"key": key, "exempt": True}
        else:
            hit = dec.check(p)
            status, reason = ("dropped", hit.reason) if hit else ("kept", "")
            detail = {"key": key, **(hit.to_detail() if hit else {})}
        _remember(new_verdicts, old, p, "decontam", status, reason, detail)
        if status == "dropped":
            drops.append(Drop(p.task_id, "decontam", f"contaminated ({detail.get('benchmark', '?')})", reason, detail))
            stats["decontam"]["dropped"] += 1
            continue
        stats["decontam"]["exempt" if detail.get("exempt") else "kept"] += 1
        survivors.append(p)
    # A benchmark kept as itself stays whole (HumanEval/56 and /61 are near-duplicates of each
    # other); anything else that resembles it was dropped as contaminated above.
    exempt = [p for p in survivors if dec.is_exempt(p)]
    final, dups = dedup([p for p in survivors if not dec.is_exempt(p)], settings.near, near=settings.near_dedup,
                        executor=executor)
    final = sorted(final + exempt, key=lambda p: task_order(p.task_id))
    dup_of = {d.task_id: d for d in dups}
    for p in survivors:
        d = dup_of.get(p.task_id)
        old = verdicts.get(p.task_id, {}).get("dedup")
        if d is None:
            _remember(new_verdicts, old, p, "dedup", "kept", "", {})
        else:
            _remember(new_verdicts, old, p, "dedup", "dropped", d.reason, d.detail())
            drops.append(Drop(p.task_id, "dedup", d.category, d.reason, d.detail()))
            stats["dedup"][d.kind] += 1
    stats["dedup"]["kept"] = len(final)
    if store is not None and new_verdicts:
        store.set_verdicts(new_verdicts)
    for d in drops:
        if d.stage in STAGES or d.stage == "license":
            counts[d.key] += 1
    summary = {
        "considered": len(problems),
        "selected": len(kept),
        "kept": len(final),
        "quality": dict(sorted(stats["quality"].items())),
        "license": dict(sorted(stats["license"].items())),
        "decontam": {**dict(sorted(stats["decontam"].items())), "benchmarks": dec.sources,
                     "ngram": dec.ngram, "code_ngram": dec.code_ngram},
        "dedup": dict(sorted(stats["dedup"].items())),
        # rows kept with a marker, e.g. generated_docstring (a model wrote the mined function's docstring)
        "flags": dict(sorted(Counter(f for p in final for f in p.flags).items())),
    }
    drops.sort(key=lambda d: task_order(d.task_id))
    log.info("assembled %d of %d problems (%d verdicts reused, %d written)", len(final), len(problems), reused,
             len(new_verdicts))
    return Assembly(final, drops, summary, counts)


def _remember(out: list, old: dict | None, p: Problem, stage: str, status: str, reason: str, detail: dict) -> None:
    # write only what changed, so a refresh that changes nothing leaves the store as it was
    if old and (old["status"], old["reason"], old["content_hash"], old["detail"]) == (status, reason, p.content_hash, detail):
        return
    out.append((p.task_id, stage, status, reason, p.content_hash, detail))


def drops_jsonl(drops: Sequence[Drop]) -> bytes:
    """One line per record left out, with its stage, reason and (for dedup/decontam) what it matched."""
    import json

    lines = [json.dumps({"task_id": d.task_id, "stage": d.stage, "reason": d.reason,
                         **({"detail": d.detail} if d.detail else {})}, sort_keys=True, ensure_ascii=False)
             for d in drops]
    return ("\n".join(lines) + "\n").encode("utf-8") if lines else b""
