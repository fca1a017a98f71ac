"""`antrian report`: a day's or a period's report from the hub's database, in one format.

    antrian report --config /etc/antrian/hub.toml --date 2026-11-28 --format pdf --out laporan.pdf
    antrian report --config hub.toml --from 2026-11-01 --to 2026-11-30 --format xlsx --out nov.xlsx

The office (names of services and counters, the letterhead and signature) and the
database path (`[hub] database`, relative to the config file's folder) come from the hub's
own config file; `--database` reads another copy (a backup, a database fetched from the
hub). The database is opened read-only, so this is safe to run while the hub serves.
"""

from __future__ import annotations

import argparse
import logging
import sqlite3
import sys
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

from common import config
from common.files import write_atomic
from nodes.hub.office import read_office
from nodes.hub.reports.render import FORMATS, archive_name, render
from nodes.hub.reports.source import build_report, office_info

log = logging.getLogger("antrian.report")


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date YYYY-MM-DD: {text!r}") from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="antrian report", description="Write a queue report from the hub's database."
    )
    parser.add_argument("--config", required=True, help="the hub's TOML file")
    parser.add_argument(
        "--database", type=Path, help="the hub's SQLite file (default: the config's [hub] database)"
    )
    parser.add_argument("--date", type=_day, help="one day, YYYY-MM-DD")
    parser.add_argument("--from", dest="first", type=_day, help="first day of a period")
    parser.add_argument("--to", dest="last", type=_day, help="last day of a period (included)")
    parser.add_argument("--format", choices=FORMATS, default="html")
    parser.add_argument("--out", type=Path, help="file to write (default laporan-DAY.FORMAT)")
    parser.add_argument("--lang", choices=("id", "en"), default="id")
    parser.add_argument(
        "--target-minutes",
        type=float,
        default=None,
        help="waiting-time target in minutes; page 1 shows the share called within it "
        "(default: the hub config's [hub] target_wait_minutes, else 15)",
    )
    parser.add_argument(
        "--officers",
        action="store_true",
        help="add the per-officer table (for the head of office only)",
    )
    return parser


def _period(parser: argparse.ArgumentParser, args: argparse.Namespace) -> tuple[date, date]:
    if args.date and (args.first or args.last):
        parser.error("give either --date or --from/--to, not both")
    if args.date:
        return args.date, args.date
    if not (args.first and args.last):
        parser.error("give --date, or both --from and --to")
    if args.last < args.first:
        parser.error("--to is before --from")
    return args.first, args.last


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    first, last = _period(parser, args)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        root = config.load(args.config)
        office = read_office(root)
        hub = root.table("hub", required=True)
        database: Path = args.database or hub.filepath("database")
        target_minutes = args.target_minutes or hub.int("target_wait_minutes", 15, min=1)
    except config.ConfigError as exc:
        log.error("configuration error: %s", exc)
        return 2
    try:
        info = replace(office_info(office), show_officers=args.officers)
        report = build_report(database, info, first, last, target_minutes * 60)
    except (FileNotFoundError, sqlite3.Error) as exc:
        log.error("cannot read the hub database %s: %s (--database gives another)", database, exc)
        return 1
    if report.empty:
        log.warning(
            "no events for %s..%s in %s: an empty report (right date and database?)",
            first,
            last,
            database,
        )
    generated = datetime.now(office.tz)
    content = render(report, args.format, args.lang, generated)
    name = archive_name(first, args.format)
    if first != last:
        name = f"laporan-{first.isoformat()}_{last.isoformat()}.{args.format}"
    out: Path = args.out or Path(name)
    try:
        write_atomic(out, content, mode=0o644)
    except OSError as exc:
        log.error("cannot write %s: %s", out, exc)
        return 1
    log.info(
        "%s report %s..%s written to %s (%d bytes)", args.format, first, last, out, len(content)
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
