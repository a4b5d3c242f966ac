"""The scrape stage: collect problems from sites and datasets into the state store.

For every item: skip it when the store already has a current verdict for it; otherwise fetch
it (polite HTTP layer, or the local file), parse it, convert it to a record, store the record
and a verdict (stage "scrape"). Each item is committed on its own, so a killed run resumes
where it stopped and never stores a problem twice. Verdict statuses:

  stored    the record is in the store (detail: content hash, time)
  skipped   not a record, for a stated reason (interactive, heuristic, locked, several answers)
  blocked   the site refused (challenge page, 401/403, robots.txt): retried on the next run
  unreachable  the host could not be reached (offline, DNS, refused): retried on the next run;
            said once per host, and a run that reached no site at all is a failure (exit 1)
  error     fetch or parse failed (retried on the next run); the run's other items go on

Stored and skipped items are fetched again once older than `refresh_after_days` (or with
`--refresh`); the HTTP cache revalidates, so an unchanged page costs a 304 and no download.
"""
from __future__ import annotations

import time
from collections import Counter
from pathlib import Path
from typing import Any, Iterable
from urllib.parse import urlsplit

from ..errors import InputError
from ..progress import bar, log
from ..record import RecordError
from . import DATASETS, SITES, site_class
from .base import Entry, ParseError, Source, Skip, parse_range
from .convert import ConvertOptions, to_problem
from .http import Blocked, FetchError, Fetcher, HttpSettings, Unreachable
from .sources import SourceSpec, find_sources_file, load_sources

STAGE = "scrape"
DONE = ("stored", "skipped")


def settings_from_context(ctx) -> HttpSettings:
    """[scrape] in sftset.toml: contact, user_agent, cache, timeout_s, retries, backoff_s, ..."""
    cfg = ctx.config
    cache = cfg.resolve(ctx.flag("http_cache"), "scrape", "cache", None, str)
    return HttpSettings(
        contact=cfg.resolve(None, "scrape", "contact", HttpSettings.contact, str),
        user_agent=cfg.resolve(None, "scrape", "user_agent", "", str),
        cache_path=Path(cache) if cache else ctx.curated_dir / "http-cache.sqlite",
        min_interval_s=cfg.resolve(None, "scrape", "min_interval_s", 1.0, float),
        timeout_s=cfg.resolve(None, "scrape", "timeout_s", 30.0, float),
        retries=cfg.resolve(None, "scrape", "retries", 4, int),
        backoff_s=cfg.resolve(None, "scrape", "backoff_s", 2.0, float),
        max_backoff_s=cfg.resolve(None, "scrape", "max_backoff_s", 120.0, float),
        max_retry_after_s=cfg.resolve(None, "scrape", "max_retry_after_s", 600.0, float),
        expire_after_s=cfg.resolve(None, "scrape", "expire_after_s", 0, int),
    )


def make_source(spec: SourceSpec, fetcher: Fetcher | None, path: str | None = None) -> Source:
    """The site (on `fetcher`) or local dataset (at `path`, or the spec's path) that `spec` names."""
    options = spec.caps()
    if spec.local or path:
        cls = site_class(spec.name, local=True)
        where = path or spec.get("path")
        if not where:
            raise InputError(f"{spec.name}: give --from PATH (or path = ... in sources.toml)")
        try:
            return cls(Path(where), options)
        except FileNotFoundError:
            raise InputError("no such file or folder", where, field=f"{spec.name} --from") from None
    cls = site_class(spec.name)
    assert fetcher is not None
    site = cls(fetcher, spec.base_urls, options)
    interval = spec.get("min_interval_s")
    interval = cls.min_interval_s if interval is None else float(interval)
    for host in site.hosts():  # the site's interval for its hosts; the stricter one if two sites share a host
        fetcher.limiter.per_host[host] = max(interval, fetcher.limiter.per_host.get(host, 0.0))
    return site


def run_items(store, site: Source, entries: Iterable[Entry], *, total: int | None = None,
              refresh: bool = False, refresh_after_days: float | None = None,
              options: ConvertOptions | None = None) -> dict[str, Any]:
    """Fetch, parse, convert and store each entry; returns counters."""
    stats: dict[str, Any] = Counter()
    skipped: Counter = Counter()
    errors: list[str] = []
    blocked: list[str] = []
    unreachable: dict[str, str] = {}  # host -> why
    with bar(total, desc=f"scrape {site.name}", unit="problem") as progress:
        for native_id, load in entries:
            progress.update(1)
            task_id = f"{site.name}/{native_id}"
            stats["seen"] += 1
            if not refresh and store.is_done(task_id, STAGE, statuses=DONE,
                                             max_age_s=(refresh_after_days or 0) * 86400):
                stats["already_done"] += 1
                continue
            detail: dict[str, Any] = {"at": time.time()}
            try:
                page = load()
                detail["url"] = page.url
                parsed = site.parse(native_id, page)
                problem = to_problem(parsed, options)
            except Skip as exc:
                skipped[exc.reason] += 1
                store.set_verdict(task_id, STAGE, "skipped", exc.reason, detail=detail)
                continue
            except Unreachable as exc:
                host = urlsplit(exc.url).netloc
                stats["unreachable"] += 1
                unreachable.setdefault(host, exc.reason)
                detail["url"] = exc.url
                store.set_verdict(task_id, STAGE, "unreachable", exc.reason, detail=detail)
                continue
            except Blocked as exc:
                blocked.append(f"{task_id}: {exc.reason}")
                detail["url"] = exc.url
                store.set_verdict(task_id, STAGE, "blocked", exc.reason, detail=detail)
                log.warning("scrape: %s blocked (%s); not retried now, retried on the next run", task_id, exc.reason)
                continue
            except (FetchError, ParseError, RecordError, UnicodeDecodeError, NotImplementedError) as exc:
                reason = f"{type(exc).__name__}: {exc}"
                errors.append(f"{task_id}: {reason}")
                store.set_verdict(task_id, STAGE, "error", reason[:500], detail=detail)
                log.warning("scrape: %s: %s", task_id, reason)
                continue
            except Exception as exc:  # a page no parser foresaw: recorded for this item, the run goes on
                reason = f"unexpected {type(exc).__name__}: {exc}"
                errors.append(f"{task_id}: {reason}")
                store.set_verdict(task_id, STAGE, "error", reason[:500], detail=detail)
                log.warning("scrape: %s: %s (rerun with -v for the traceback)", task_id, reason)
                log.debug("traceback for %s", task_id, exc_info=True)
                continue
            counts = store.put_problems([problem])
            for key, n in counts.items():
                stats[key] += n
            detail["tests"] = problem.meta.get("tests")
            store.set_verdict(task_id, STAGE, "stored", "", problem.content_hash, detail)
    out: dict[str, Any] = dict(stats)
    out["skipped"] = dict(skipped)
    out["blocked"] = len(blocked)
    out["errors"] = len(errors)
    if errors:
        out["error_examples"] = errors[:5]
    if blocked:
        out["blocked_examples"] = blocked[:5]
    if unreachable:
        out["unreachable_hosts"] = unreachable
        for host, why in unreachable.items():
            log.warning("scrape: %s: %s unreachable (%s); its problems are tried again on the next run",
                        site.name, host, why)
    return out


def collect(ctx, spec: SourceSpec, fetcher: Fetcher | None, *, ids: list[str] | None = None,
            contests: str | None = None, limit: int | None = None, path: str | None = None,
            refresh: bool = False) -> dict[str, Any]:
    """Run one site or dataset. Listing failures (the site's index blocked or down) are counted
    as one error for the site; nothing else is lost."""
    source = make_source(spec, fetcher, path)
    options = ConvertOptions(**vars(spec.caps()))
    given_contests = contests
    if not path:  # sources.toml says what to collect unless the command line gives a local path
        ids = ids or spec.get("ids")
        contests = contests or spec.get("contests")
        limit = limit if limit is not None else spec.get("limit")
    if contests:
        try:  # a bad range is the user's one-line error, before anything is fetched
            parse_range(contests)
        except ValueError as exc:
            raise InputError(str(exc), field="--contests" if given_contests else f"{spec.name}.contests") from None
    refresh_days = spec.get("refresh_after_days")
    try:
        entries = source.entries(ids, contests, limit)
    except Unreachable as exc:
        host = urlsplit(exc.url).netloc
        log.warning("scrape: %s: %s unreachable (%s); tried again on the next run", spec.name, host, exc.reason)
        return {"listed": 0, "unreachable": 1, "unreachable_hosts": {host: exc.reason},
                "list_error": str(exc), "errors": 0, "blocked": 0}
    except (Blocked, FetchError, ParseError) as exc:
        status = "blocked" if isinstance(exc, Blocked) else "errors"
        log.warning("scrape: %s: cannot list problems: %s", spec.name, exc)
        return {"listed": 0, status: 1, "list_error": str(exc), "errors": int(status == "errors"),
                "blocked": int(status == "blocked")}
    except NotImplementedError as exc:
        raise InputError(str(exc), field=spec.name) from None
    total = len(entries) if isinstance(entries, list) else None  # a local dataset streams
    stats = run_items(ctx.store, source, entries, total=total, refresh=refresh, refresh_after_days=refresh_days,
                      options=options)
    if total is not None:
        stats["listed"] = total
    return stats


def summary_line(name: str, s: dict[str, Any]) -> str:
    skipped = sum(s.get("skipped", {}).values()) if isinstance(s.get("skipped"), dict) else 0
    return (f"{name}: {s.get('seen', 0)} seen, {s.get('already_done', 0)} already done, {s.get('added', 0)} added, "
            f"{s.get('changed', 0)} changed, {s.get('unchanged', 0)} unchanged, {skipped} skipped, "
            f"{s.get('blocked', 0)} blocked, {s.get('unreachable', 0)} unreachable, {s.get('errors', 0)} errors")


def scrape_stage(ctx, source: str) -> dict[str, Any]:
    """Pipeline stage for `--source contests|all`: every enabled entry of scrapers/sources.toml."""
    specs = [s for s in load_sources(find_sources_file(ctx)) if s.get("enabled")]
    stats: dict[str, Any] = {"sites": {}}
    fetcher = Fetcher(settings_from_context(ctx)) if any(not s.local for s in specs) else None
    try:
        for spec in specs:
            if spec.local and not spec.get("path"):
                log.info("scrape: %s has no path set in sources.toml; skipped", spec.name)
                continue
            log.info("scrape: %s", spec.name)
            site_stats = collect(ctx, spec, fetcher)
            stats["sites"][spec.name] = site_stats
            log.info("scrape: %s", summary_line(spec.name, site_stats))
    finally:
        if fetcher is not None:
            stats["http"] = dict(fetcher.stats)
            fetcher.close()
    stats["failures"] = sum(s.get("errors", 0) for s in stats["sites"].values())
    stats["blocked"] = sum(s.get("blocked", 0) for s in stats["sites"].values())
    stats["unreachable"] = sum(s.get("unreachable", 0) for s in stats["sites"].values())
    web = [stats["sites"][s.name] for s in specs if not s.local and s.name in stats["sites"]]
    if no_site_reached(web):
        log.error("scrape: no site could be reached (offline?); nothing was collected")
        stats["failures"] += 1
    return stats


def no_site_reached(sites: list[dict[str, Any]]) -> bool:
    """True when every web site that had work could not be reached for any of it (an offline run)."""
    tried = [s for s in sites if s.get("unreachable") or s.get("seen", 0) > s.get("already_done", 0)]
    return bool(tried) and all(
        s.get("unreachable", 0) and s.get("unreachable", 0) + s.get("already_done", 0) >= s.get("seen", 0)
        for s in tried)


__all__ = ["scrape_stage", "collect", "run_items", "settings_from_context", "STAGE", "SITES", "DATASETS"]
