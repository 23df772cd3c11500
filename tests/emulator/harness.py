"""Run a real discord.py bot against an :class:`Emulator` and tear it down without leaks."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

import discord
from discord.ext import commands

from .api import Emulator

log = logging.getLogger(__name__)


@contextlib.asynccontextmanager
async def running_bot(
    emu: Emulator,
    bot: commands.Bot,
    *,
    sync_global: bool = True,
    sync_guild_ids: tuple[int, ...] = (),
    start_timeout: float = 15.0,
    check_leftovers: bool = True,
) -> AsyncIterator[commands.Bot]:
    """Start ``bot`` with the emulator's token, wait for READY, sync commands; on exit close it and
    check that no task and no connection to the emulator is left behind.

    The caller must already have pointed discord.py at ``emu`` (``bot.client.endpoints``), as the
    composition root does.
    """
    loop = asyncio.get_running_loop()
    existing = asyncio.all_tasks()
    ready = asyncio.Event()

    async def on_ready() -> None:
        ready.set()

    bot.add_listener(on_ready, "on_ready")
    client = loop.create_task(bot.start(emu.token), name="e2e-discord-client")
    waiting = loop.create_task(ready.wait(), name="e2e-wait-ready")
    try:
        done, _ = await asyncio.wait(
            {client, waiting}, timeout=start_timeout, return_when=asyncio.FIRST_COMPLETED
        )
        if client in done:
            client.result()  # raises what stopped the bot
            raise RuntimeError("the bot stopped before it was ready")
        if waiting not in done:
            raise TimeoutError(f"the bot was not ready within {start_timeout}s")
        bot.remove_listener(on_ready, "on_ready")
        async with asyncio.timeout(start_timeout):
            if sync_global:
                await bot.tree.sync()
            for guild_id in sync_guild_ids:
                await bot.tree.sync(guild=discord.Object(id=guild_id))
        yield bot
    finally:
        waiting.cancel()
        await _stop(emu, bot, client)
        if check_leftovers:  # callers that own more than the bot check after closing all of it
            await check_no_leftover_tasks(existing)


async def _stop(emu: Emulator, bot: commands.Bot, client: asyncio.Task[None]) -> None:
    async with asyncio.timeout(15):
        await bot.close()
        with contextlib.suppress(asyncio.CancelledError):
            # start() returns once close() has run; anything else it raised is a real failure.
            await client
    await emu.wait_idle()


async def check_no_leftover_tasks(existing: set[asyncio.Task[object]]) -> None:
    current = asyncio.current_task()
    leftovers = {t for t in asyncio.all_tasks() if t not in existing and t is not current}
    if not leftovers:
        return
    # Handlers finishing their last await after their sockets closed get a moment to end.
    _, pending = await asyncio.wait(leftovers, timeout=2.0)
    if pending:
        names = sorted(t.get_name() + ": " + repr(t.get_coro()) for t in pending)
        for task in pending:
            task.cancel()
        raise AssertionError("tasks left behind after the bot closed:\n  " + "\n  ".join(names))
