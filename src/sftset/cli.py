"""The `build-sft-set` command line.

`build-sft-set --source {ci,contests,all}` runs the whole pipeline; subcommands run one
stage. Each subcommand is a module in `sftset.commands` with NAME, HELP, DESCRIPTION,
`add_arguments(parser)` and `run(ctx) -> int`; adding a command is adding a file.

Exit status: 0 ok, 1 failures in the work, 2 bad usage or input.
"""
from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
import textwrap
import traceback
from types import ModuleType

from . import __version__
from .config import Config
from .context import Context
from .errors import InputError, WorkFailed
from .progress import log, plural, setup_logging
from .store import StoreBusy, StoreError

EXAMPLES = """\
examples:
  build-sft-set --source ci                 mine the default CI targets, validate, export
  build-sft-set --source contests -q        scrape the sites in scrapers/sources.toml (for cron)
  build-sft-set export                      write curated/<version>/ from the state store
  build-sft-set export --curated out --state curated/state.sqlite   the same, into out/
  build-sft-set <command> --help            help and an example for each command
"""


def _commands() -> list[ModuleType]:
    from . import commands

    mods = []
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda i: i.name):
        if not info.name.startswith("_"):
            mods.append(importlib.import_module(f"{commands.__name__}.{info.name}"))
    return mods


def _common(parser: argparse.ArgumentParser, suppress: bool) -> None:
    default = argparse.SUPPRESS if suppress else None
    group = parser.add_argument_group("common options")
    group.add_argument("-v", "--verbose", action="count", default=argparse.SUPPRESS if suppress else 0,
                       help="more output; tracebacks on errors")
    group.add_argument("-q", "--quiet", action="count", default=argparse.SUPPRESS if suppress else 0,
                       help="only warnings and errors; no progress bars")
    group.add_argument("--config", metavar="FILE", default=default, help="settings file (default: ./sftset.toml)")
    group.add_argument("--state", metavar="PATH", default=default,
                       help="state store (default: <curated>/state.sqlite)")
    group.add_argument("--curated", metavar="DIR", default=default, help="output root (default: curated)")


def build_parser() -> argparse.ArgumentParser:
    from .orchestrator import SOURCES

    parser = argparse.ArgumentParser(
        prog="build-sft-set",
        description="Build a Codex-S style supervised fine-tuning set from contest sites and the test suites of open-source projects.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--source", choices=SOURCES, help="run the whole pipeline for these problems")
    parser.add_argument("--targets", dest="target_list", metavar="NAME|FILE",
                        help="CI targets for --source ci|all: a group of ci_mining/targets.toml or a file "
                             "(default: [mine] targets, else the default group)")
    _common(parser, suppress=False)
    from . import executors

    executors.add_arguments(parser)  # where --source runs its heavy stages
    sub = parser.add_subparsers(dest="command", metavar="<command>", title="commands")
    for mod in _commands():
        p = sub.add_parser(
            mod.NAME,
            help=mod.HELP,
            description=textwrap.dedent(getattr(mod, "DESCRIPTION", mod.HELP)).strip(),
            epilog="example:\n" + textwrap.indent(textwrap.dedent(mod.EXAMPLE).strip(), "  "),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        mod.add_arguments(p)
        _common(p, suppress=True)
        p.set_defaults(_run=mod.run)
    return parser


def _run_source(ctx: Context, source: str) -> int:
    from .dataset.assemble import settings_from_context
    from .orchestrator import run

    settings = settings_from_context(ctx)  # bad settings fail before any work
    result = run(ctx, settings, command=f"--source {source}", source=source)
    pub = result.publication
    log.info("wrote %s with %s", pub.path, plural(len(pub.assembly.problems), "problem"))
    return 1 if result.failures else 0


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on bad usage, 0 on --help
        return int(exc.code or 0)
    verbosity = args.verbose - args.quiet
    setup_logging(verbosity)
    ctx = None
    try:
        config = Config.load(args.config)
        ctx = Context(args, config)
        if getattr(args, "_run", None) is not None:
            return int(args._run(ctx) or 0)
        if args.source:
            return _run_source(ctx, args.source)
        parser.print_help(sys.stderr)
        return 2
    except StoreBusy as exc:  # a healthy state file another run is writing: try again later
        print(f"build-sft-set: {exc}", file=sys.stderr)
        return 1
    except (InputError, StoreError) as exc:
        if verbosity > 0:  # the traceback on request, and still exit status 2
            traceback.print_exc()
        print(f"build-sft-set: error: {exc}", file=sys.stderr)
        return 2
    except WorkFailed as exc:
        print(f"build-sft-set: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        log.warning("interrupted; finished work is saved in the state store, rerun to resume")
        return 130
    finally:
        if ctx is not None:
            ctx.close()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
