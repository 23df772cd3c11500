"""``carillon when``: show how Carillon reads a time or a schedule, without touching anything.

Contract (tests and tools rely on it)::

    carillon when TEXT [--tz ZONE] [--now ISO8601] [--count N] [--json]
    carillon when --batch [--tz ZONE] [--now ISO8601] [--count N]

``--json`` prints one object, ``{"input", "timezone", "kind", "recurrence", "interval", "cron",
"stored", "description", "next_runs", "warnings"}`` (``stored``: the task table's recurrence
fields), and exits 0; on failure ``{"error": ...}`` and exit 2.
``--batch`` reads JSON lines ``{"text", "tz", "now", "count"}`` (all but ``text`` optional; the
options give the defaults) and writes exactly one such object per input line, in order; it exits 0
once every line is answered, since errors are part of the answers.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from bot.errors import CarillonError, ParseError

if TYPE_CHECKING:
    from bot.scheduling.recurrence import Recurrence

EXIT_USAGE = 2
DEFAULT_COUNT = 5
MAX_SHOWN_RUNS = 1000  # --count: runs a preview lists (not a schedule's repeat count)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``when`` subcommand."""
    parser = subparsers.add_parser(
        "when",
        help="preview how a time or schedule is read (next runs, description, DST warnings)",
        description="Preview how Carillon reads a time or a schedule. Nothing is scheduled.",
    )
    parser.add_argument("text", nargs="*", help="e.g. 'every weekday at 9am' or '0 9 * * 1-5'")
    parser.add_argument("--tz", metavar="ZONE", help="time zone (default: the configured default)")
    parser.add_argument(
        "--now",
        metavar="ISO8601",
        help="pretend it is this time (with an offset, or local time in --tz); default: now",
    )
    parser.add_argument(
        "--count", type=int, default=DEFAULT_COUNT, metavar="N", help="runs to show (default 5)"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--batch", action="store_true", help="read JSON lines from stdin, answer one per line"
    )
    parser.set_defaults(handler=handle)


def _configured_zone(config: str | None) -> Callable[[], str]:
    """The configured default zone, loaded only when a request has no zone of its own."""
    cached: list[str] = []

    def default() -> str:
        if not cached:
            from bot.config import load_settings

            cached.append(load_settings(config).default_timezone)
        return cached[0]

    return default


def _parse_now(value: str | None, zone: ZoneInfo, clock: datetime) -> datetime:
    if value is None:
        return clock
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ParseError(
            f"--now {value!r} is not an ISO 8601 time; use e.g. 2026-03-07T12:00:00-05:00 "
            "or 2026-03-07T12:00 (local time in --tz)."
        ) from None
    return parsed.replace(tzinfo=zone) if parsed.tzinfo is None else parsed


def answer(
    text: str, tz: str | None, now: str | None, count: int, default_zone: Callable[[], str]
) -> dict[str, Any]:
    """The ``--json`` object for one request; raises :class:`CarillonError` for bad input."""
    # Imported here: `carillon --help` must not load the time language.
    from bot.scheduling.describe import preview
    from bot.scheduling.timelang import parse_when
    from bot.scheduling.zones import resolve_zone

    if not 1 <= count <= MAX_SHOWN_RUNS:
        raise ParseError(f"--count must be between 1 and {MAX_SHOWN_RUNS}, not {count}.")
    zone = resolve_zone(tz if tz is not None else default_zone())
    moment = _parse_now(now, zone, datetime.now(UTC))
    recurrence = parse_when(text, moment, zone)
    shown = preview(recurrence, moment, count)
    return {
        "input": text,
        "timezone": shown.timezone,
        "kind": "once" if recurrence.is_once else "recurring",
        "recurrence": recurrence.kind.value,
        "interval": recurrence.interval,
        "cron": recurrence.cron,
        "stored": _stored(recurrence),
        "description": shown.description,
        "next_runs": [run.isoformat() for run in shown.runs],
        "warnings": shown.warnings,
    }


def _stored(recurrence: Recurrence) -> dict[str, object]:
    """The stored form, as the task table keeps it (instants as ISO 8601)."""
    return {
        key: value.isoformat() if isinstance(value, datetime) else value
        for key, value in recurrence.to_fields().items()
    }


def _batch_line(line: str, args: argparse.Namespace, default_zone: Callable[[], str]) -> str:
    try:
        request = json.loads(line)
        if not isinstance(request, dict) or not isinstance(request.get("text"), str):
            raise ParseError('each line must be a JSON object with a "text" string')
        tz, now, count = (
            request.get("tz", args.tz),
            request.get("now", args.now),
            request.get("count", args.count),
        )
        if tz is not None and not isinstance(tz, str):
            raise ParseError('"tz" must be a string')
        if now is not None and not isinstance(now, str):
            raise ParseError('"now" must be a string')
        if count is None:
            count = args.count
        if not isinstance(count, int) or isinstance(count, bool):
            raise ParseError('"count" must be a whole number')
        result = answer(request["text"], tz, now, count, default_zone)
    except json.JSONDecodeError as error:
        result = {"error": f"not a JSON line: {error.msg}"}
    except CarillonError as error:
        result = {"error": error.message}
    return json.dumps(result)


def _print_table(result: dict[str, Any]) -> None:
    from bot.scheduling.describe import format_instant

    print(f"Input:        {result['input']}")
    print(f"Time zone:    {result['timezone']}")
    print(f"Schedule:     {result['description']}")
    kind = result["kind"] if result["kind"] == "once" else f"recurring ({result['recurrence']})"
    print(f"Kind:         {kind}" + (f", cron {result['cron']}" if result["cron"] else ""))
    print("Next runs:")
    zone = ZoneInfo(result["timezone"])
    for number, run in enumerate(result["next_runs"], start=1):
        local = datetime.fromisoformat(run).astimezone(zone)
        print(f"  {number:>3}  {format_instant(local):<26} {run}")
    for warning in result["warnings"]:
        print(f"Warning:      {warning}")


def handle(args: argparse.Namespace) -> int:
    """Run ``carillon when``; returns the exit status."""
    default_zone = _configured_zone(getattr(args, "config", None))
    if args.batch:
        if args.text:
            print("carillon when: give TEXT or --batch, not both", file=sys.stderr)
            return EXIT_USAGE
        for line in sys.stdin:
            print(_batch_line(line, args, default_zone), flush=True)
        return 0
    text = " ".join(args.text)
    try:
        if not text.strip():
            raise ParseError("Say when, for example 'tomorrow at 9am' or 'every weekday at 18:30'.")
        result = answer(text, args.tz, args.now, args.count, default_zone)
    except CarillonError as error:
        if args.json:
            print(json.dumps({"error": error.message}))
        else:
            print(f"carillon when: {error.message}", file=sys.stderr)
        return EXIT_USAGE
    if args.json:
        print(json.dumps(result))
    else:
        _print_table(result)
    return 0
