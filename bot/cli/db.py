"""``carillon db upgrade|downgrade|current``: database migrations."""

from __future__ import annotations

import argparse
import asyncio

from bot.app import open_engine
from bot.cli.common import EXIT_USAGE, settings_or_none
from bot.config import Settings
from storage import migrate


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("db", help="database migrations")
    actions = parser.add_subparsers(dest="db_action", metavar="ACTION", required=True)
    up = actions.add_parser("upgrade", help="migrate the database to the latest schema")
    up.add_argument("revision", nargs="?", default="head")
    down = actions.add_parser("downgrade", help="migrate down (to 'base' empties the database)")
    down.add_argument("revision")
    actions.add_parser("current", help="print the database's schema revision")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    settings = settings_or_none(args)
    if settings is None:
        return EXIT_USAGE
    return asyncio.run(_run(settings, args.db_action, getattr(args, "revision", None)))


async def _run(settings: Settings, action: str, revision: str | None) -> int:
    engine = await open_engine(settings, upgrade=False)
    try:
        if action == "upgrade":
            await migrate.upgrade(engine, revision or "head")
        elif action == "downgrade":
            await migrate.downgrade(engine, revision or "base")
        current = await migrate.current_revision(engine)
    finally:
        await engine.dispose()
    where = engine.url.render_as_string()
    print(
        f"database {where} is at revision {current or 'base (empty)'}"
        f" (latest: {migrate.head_revision()})"
    )
    return 0
