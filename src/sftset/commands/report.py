NAME = "report"
HELP = "write report.html for a version: plots of sources, pass rates, tests, licences, drops"
DESCRIPTION = """
Write an HTML page with plots (problems per source, pass-rate histogram of the solve filter,
tests per problem, licences, drops by reason) for a dataset version. Exports write it into the
version as report.html already; this command makes it for a version written with --no-report
(or by an older build), or writes it elsewhere with --output. It prints the page's path.
"""
EXAMPLE = """
build-sft-set report                       # curated/latest/report.html
build-sft-set report --version 20250101T000000Z --output /tmp/report.html
"""


def add_arguments(parser) -> None:
    parser.add_argument("--version", dest="version_name", metavar="NAME", default="latest",
                        help="the version folder under <curated> (default: latest)")
    parser.add_argument("--output", metavar="FILE", help="write the page here instead of into the version")


def run(ctx) -> int:
    import json
    import os
    import tempfile
    from pathlib import Path

    from ..dataset.changelog import read_version_records
    from ..dataset.export import is_complete
    from ..dataset.report import render_report
    from ..errors import InputError
    from ..jsonl import default_file_mode
    from ..record import Problem

    args = ctx.args
    folder = ctx.curated_dir / args.version_name
    if not folder.is_dir() or not is_complete(folder):
        raise InputError("not a complete dataset version", str(folder), field="--version")
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    target = Path(args.output) if args.output else folder / "report.html"
    if not args.output and "report.html" in manifest["files"]:
        print(target)  # written with the version; it is part of its checksums, so it stays as it is
        return 0
    problems = [Problem.from_dict(r, render=False) for r in read_version_records(folder).values()]
    page = render_report(manifest["version"], problems, drops=manifest.get("drops", {}),
                         assembly=manifest.get("assembly"), changelog=manifest.get("changelog"))
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".report-", dir=target.parent)
    os.fchmod(fd, default_file_mode())  # the user's file, under the user's umask (mkstemp makes 0600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(page)
    os.replace(tmp, target)
    print(target)
    return 0
