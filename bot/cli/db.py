"""``carillon db upgrade|downgrade|current``: database migrations.

``current`` only looks (see :mod:`bot.ops.dbcheck`): it never creates the SQLite file or its folder.
``upgrade`` and ``downgrade`` create the database if it is not there yet.
"""

from __future__ import annotations

import argparse

from bot.cli.common import EXIT_USAGE, fail, settings_or_none
from bot.config import Settings


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("db", help="database migrations")
    actions = parser.add_subparsers(dest="db_action", metavar="ACTION", required=True)
    up = actions.add_parser("upgrade", help="migrate the database to the latest schema")
    up.add_argument("revision", nargs="?", default="head")
    down = actions.add_parser("downgrade", help="migrate down (to 'base' empties the database)")
    down.add_argument("revision")
    actions.add_parser("current", help="print the database's schema revision (changes nothing)")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    settings = settings_or_none(args)
    if settings is None:
        return EXIT_USAGE
    if args.db_action == "current":
        return current(settings)
    import asyncio

    return asyncio.run(_migrate(settings, args.db_action, getattr(args, "revision", None)))


def current(settings: Settings) -> int:
    """Print the revision without touching the database; 1 if it cannot be read."""
    from bot.ops import dbcheck

    state = dbcheck.inspect_database(settings)
    head = dbcheck.head_revision()
    if state.problem is not None:
        fail(f"{state.problem}; fix: {state.fix}" if state.fix else state.problem)
        return 1
    if state.in_memory:
        print(f"database {state.where} is in memory: it exists only while Carillon runs")
    elif not state.exists:
        print(
            f"database {state.where} does not exist yet (latest: {head}); "
            "carillon run or carillon db upgrade creates it"
        )
    elif not state.revisions and state.other_tables:
        fail(f"{state.where} holds other tables but no Carillon schema (no alembic_version)")
        return 1
    else:
        revision = ", ".join(state.revisions) or "base (empty)"
        known = dbcheck.known_revisions()
        newer = any(r not in known for r in state.revisions)
        note = ", unknown to this version of Carillon: a newer one migrated it" if newer else ""
        print(f"database {state.where} is at revision {revision} (latest: {head}{note})")
    return 0


async def _migrate(settings: Settings, action: str, revision: str | None) -> int:
    from bot.services import open_engine
    from storage import migrate

    engine = await open_engine(settings, upgrade=False)
    try:
        if action == "upgrade":
            await migrate.upgrade(engine, revision or "head")
        else:
            await migrate.downgrade(engine, revision or "base")
        current_revision = await migrate.current_revision(engine)
    finally:
        await engine.dispose()
    where = engine.url.render_as_string(hide_password=True)
    print(
        f"database {where} is at revision {current_revision or 'base (empty)'}"
        f" (latest: {migrate.head_revision()})"
    )
    return 0
