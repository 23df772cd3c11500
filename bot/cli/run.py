"""``carillon run``: start the bot and run until SIGINT or SIGTERM."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal

import discord

from bot.app import open_app
from bot.cli.common import EXIT_USAGE, fail, settings_with_token
from bot.config import Settings
from bot.logsetup import configure_logging
from bot.scheduling.timelang import warm_up as warm_up_time_language

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
    configure_logging(settings.logging)
    # Duckling's first parse holds the GIL for ~20 ms whatever thread runs it: do it before the
    # event loop exists, so no heartbeat or interaction ever waits for it.
    warm_up_time_language()
    try:
        return asyncio.run(serve(settings))
    except KeyboardInterrupt:  # a second Ctrl-C during shutdown
        return 130


async def serve(settings: Settings) -> int:
    token = settings.discord.token
    assert token is not None
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with open_app(settings) as app:
        client = asyncio.create_task(app.bot.start(token), name="discord-client")
        stopping = asyncio.create_task(stop.wait(), name="shutdown-signal")
        await asyncio.wait({client, stopping}, return_when=asyncio.FIRST_COMPLETED)
        stopping.cancel()
        if not client.done():
            log.info("shutting down")
            await app.bot.close()
        try:
            await client
        except discord.LoginFailure:
            fail("Discord refused the token (401). Copy a fresh one from the Bot page of your app.")
            return EXIT_USAGE
    log.info("stopped")
    return 0
