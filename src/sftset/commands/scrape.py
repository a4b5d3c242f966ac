NAME = "scrape"
HELP = "collect problems from a contest judge or a local dataset into the state store"
DESCRIPTION = """
Fetch, parse and store problems from one site: codeforces, atcoder, aoj, kattis, leetcode,
codechef; or import a local dataset with --from: apps, code_contests, taco, or Kattis problem
packages (kattis --from DIR|ARCHIVE).

Without --ids/--contests/--limit the site's entry in scrapers/sources.toml says what to collect.
Requests are polite: a User-Agent with your contact ([scrape] contact in sftset.toml), a minimum
interval per host, robots.txt honoured, retries that respect Retry-After, and an HTTP cache that
revalidates (a refresh downloads nothing unchanged). A challenge page or a 403 marks the problem
"blocked" (reported, retried on the next run, never bypassed). Each problem is stored as soon as
it is parsed, so a killed run resumes where it stopped; problems already stored are skipped
until they are older than refresh_after_days, or with --refresh.

Exit status 1 when some problems failed to fetch or parse (the others are stored), or when the
site could not be reached at all ("unreachable": offline, DNS, refused; tried again next run).
"""
EXAMPLE = """
build-sft-set scrape codeforces --contests 1950-1951 --limit 10
build-sft-set scrape atcoder --ids abc264_c agc032_a
build-sft-set scrape aoj --ids CGL_1_A ITP1_1_A
build-sft-set scrape kattis --from problemtools/examples
build-sft-set scrape apps --from APPS/train --limit 100
build-sft-set scrape code_contests --from code_contests/data/ --limit 50
"""


def add_arguments(parser) -> None:
    from ..scrapers import DATASETS, SITES

    parser.add_argument("site", choices=sorted(set(SITES) | set(DATASETS)), metavar="SITE",
                        help=f"one of: {', '.join(sorted(set(SITES) | set(DATASETS)))}")
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--ids", nargs="+", metavar="ID",
                       help="problem ids (codeforces 1918/A, atcoder abc264_c, aoj CGL_1_A, kattis hello, "
                            "leetcode two-sum, codechef BUS; apps train/0001)")
    which.add_argument("--contests", metavar="RANGE", help="contests to list, e.g. 1900-1905,1918 or abc300-abc302")
    parser.add_argument("--from", dest="from_path", metavar="PATH",
                        help="local dataset: APPS folder, CodeContests/TACO rows (.parquet/.jsonl/.json/.arrow), "
                             "Kattis problem packages (folder, .zip or .tar.gz)")
    parser.add_argument("--limit", type=int, metavar="N", help="at most N problems")
    parser.add_argument("--refresh", action="store_true", help="fetch again problems already stored or skipped")
    parser.add_argument("--sources", metavar="FILE", help="sources file (default: scrapers/sources.toml)")
    parser.add_argument("--http-cache", metavar="PATH", help="HTTP cache file (default: <curated>/http-cache.sqlite)")


def run(ctx) -> int:
    from ..errors import InputError
    from ..progress import log
    from ..scrapers import DATASETS, SITES, site_class
    from ..scrapers.sources import SourceSpec, find_sources_file, load_sources
    from ..scrapers.stage import collect, no_site_reached, settings_from_context, summary_line
    from ..scrapers.http import Fetcher

    args = ctx.args
    name = args.site
    if args.limit is not None and args.limit < 1:
        raise InputError(f"must be at least 1, got {args.limit}", field="--limit")
    local = bool(args.from_path)
    if name not in SITES and not local:
        raise InputError(f"{name} is a local dataset: give --from PATH", field="--from")
    if local and name not in DATASETS:
        raise InputError(f"{name} has no local importer; drop --from", field="--from")
    try:
        specs = {s.name: s for s in load_sources(find_sources_file(ctx))}
    except InputError:
        if ctx.flag("sources"):
            raise
        specs = {}  # no sources file: the site's defaults
    spec = specs.get(name) or SourceSpec(name, local)
    if local:
        spec = SourceSpec(name, True, spec.settings, spec.base_urls)
    elif spec.local:
        spec = SourceSpec(name, False, spec.settings, spec.base_urls)
    if args.contests and not site_class(name, local=local).lists_contests:
        raise InputError(f"{name} does not list problems by contest; give --ids", field="--contests")

    fetcher = None if local else Fetcher(settings_from_context(ctx))
    try:
        stats = collect(ctx, spec, fetcher, ids=args.ids, contests=args.contests, limit=args.limit,
                        path=args.from_path, refresh=args.refresh)
    finally:
        if fetcher is not None:
            stats_http = dict(fetcher.stats)
            fetcher.close()
            log.info("http: %d requests on the wire, %d downloaded, %d revalidated unchanged, %d from cache, "
                     "%d retries", stats_http["network"], stats_http["downloaded"], stats_http["revalidated"],
                     stats_http["from_cache"], stats_http["retries"])
    log.info("scrape %s", summary_line(name, stats))
    for reason, n in sorted(stats.get("skipped", {}).items()):
        log.info("  skipped %d: %s", n, reason)
    for line in stats.get("blocked_examples", []):
        log.warning("  blocked: %s", line)
    for line in stats.get("error_examples", []):
        log.warning("  error: %s", line)
    if stats.get("list_error"):
        log.error("scrape %s: could not list problems: %s", name, stats["list_error"])
    return 1 if stats.get("errors") or (not local and no_site_reached([stats])) else 0
