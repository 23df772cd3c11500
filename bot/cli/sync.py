"""``carillon sync``: publish the slash commands, globally or to given servers, then exit.

Syncing is deliberate (never on every start): Discord rate-limits it and global changes take time
to show.  Use ``--guild ID`` (or ``--dev``: the servers in ``discord.dev_guild_ids``) while
developing for instant updates in a test server.
"""

from __future__ import annotations

import argparse
import asyncio
from typing import TYPE_CHECKING

from bot.cli.common import EXIT_USAGE, fail, settings_with_token

if TYPE_CHECKING:
    from bot.config import Settings


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("sync", help="publish the slash commands to Discord")
    parser.add_argument(
        "--guild",
        type=int,
        action="append",
        default=[],
        metavar="ID",
        help="sync to this server only (repeatable); default: globally",
    )
    parser.add_argument(
        "--dev",
        action="store_true",
        help="sync to the servers listed in discord.dev_guild_ids",
    )
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    settings = settings_with_token(args)
    if settings is None:
        return EXIT_USAGE
    guilds = list(args.guild)
    if args.dev:
        if not settings.discord.dev_guild_ids:
            fail(
                "--dev syncs to the servers in discord.dev_guild_ids, and none is set: add "
                "dev_guild_ids = [<server id>] under [discord] in the config, or use --guild ID"
            )
            return EXIT_USAGE
        guilds.extend(g for g in settings.discord.dev_guild_ids if g not in guilds)
    from bot.cli.failures import report

    try:
        return asyncio.run(sync(settings, guilds))
    except Exception as exc:
        return report(exc, settings)


async def sync(settings: Settings, guild_ids: list[int]) -> int:
    import discord

    from bot.app import open_app
    from bot.client.connect import login

    assert settings.discord.token is not None
    async with open_app(settings) as app:
        try:
            await login(app.bot, settings.discord.token)
        except discord.LoginFailure:
            fail("Discord refused the token (401). Copy a fresh one from the Bot page of your app.")
            return EXIT_USAGE
        targets: list[discord.abc.Snowflake | None] = (
            [discord.Object(id=g) for g in guild_ids] if guild_ids else [None]
        )
        for target in targets:
            if target is not None:
                app.bot.tree.copy_global_to(guild=target)
            synced = await app.bot.tree.sync(guild=target)
            where = "globally" if target is None else f"to server {target.id}"
            names = ", ".join(sorted("/" + c.name for c in synced)) or "(none)"
            print(f"synced {len(synced)} commands {where}: {names}")
    return 0
