"""``carillon run``: start the bot and run until SIGINT or SIGTERM.

Start-up checks what it can before connecting anywhere (the settings, the token's shape, the data
directory), then opens the database, then logs in, waiting out a network that is not up yet.
Each failure is one line; the exit status says whose it is (2: something given is wrong, 1: any
other). See the README's troubleshooting section for each message.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
from typing import TYPE_CHECKING

from bot.cli.common import EXIT_USAGE, fail, settings_with_token

if TYPE_CHECKING:
    from bot.config import Settings

log = logging.getLogger(__name__)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "run", help="run the bot", description="Connect to Discord and run until stopped."
    )
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    settings = settings_with_token(args)
    if settings is None:
        return EXIT_USAGE
    from bot.cli.failures import report
    from bot.ops import datadir
    from bot.ops.logsetup import configure_logging

    configure_logging(settings.logging)
    try:
        datadir.require(settings.data_dir)  # before anything else, the time language included
        from bot.scheduling.timelang import warm_up as warm_up_time_language

        # Duckling's first parse holds the GIL for ~20 ms whatever thread runs it: do it before
        # the event loop exists, so no heartbeat or interaction ever waits for it.
        warm_up_time_language()
        return asyncio.run(serve(settings))
    except KeyboardInterrupt:  # a second Ctrl-C during shutdown
        return 130
    except Exception as exc:
        return report(exc, settings)


async def serve(settings: Settings) -> int:
    import discord

    from bot.app import open_app
    from bot.client.connect import login, wait_for_database
    from bot.ops import health

    token = settings.discord.token
    assert token is not None
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        reachable = await wait_for_database(settings, stop)
    except Exception as exc:
        from bot.errors import DatabaseOpenError

        raise DatabaseOpenError(str(exc)) from exc
    if not reachable:
        log.info("stopped")
        return 0
    async with open_app(settings) as app:
        gateway = health.GatewayState()
        app.bot.add_listener(gateway.up, "on_connect")
        app.bot.add_listener(gateway.up, "on_resumed")
        app.bot.add_listener(gateway.down, "on_disconnect")
        reporter = asyncio.create_task(
            health.report_forever(health.health_path(settings.data_dir), gateway),
            name="health-file",
        )

        async def start() -> None:
            if await login(app.bot, token, stop=stop, ca_file=settings.discord.ca_file):
                await app.bot.connect(reconnect=True)

        client = asyncio.create_task(start(), name="discord-client")
        stopping = asyncio.create_task(stop.wait(), name="shutdown-signal")
        try:
            await asyncio.wait({client, stopping}, return_when=asyncio.FIRST_COMPLETED)
            stopping.cancel()
            if not client.done():
                log.info("shutting down")
                await app.bot.close()
            try:
                await client
            except discord.LoginFailure:
                fail(
                    "Discord refused the token (401). Copy a fresh one from the Bot page of "
                    "your app."
                )
                return EXIT_USAGE
        finally:
            reporter.cancel()
            await asyncio.gather(reporter, return_exceptions=True)
            # A stopped bot is not running: a health check must not read its last report.
            health.health_path(settings.data_dir).unlink(missing_ok=True)
    log.info("stopped")
    return 0
