"""Shared fixtures: the Discord emulator, and real bots running against it.

* ``emulator`` - a started :class:`tests.emulator.Emulator` (TLS with a throwaway CA).
* ``carillon`` - the shipped bot, built by ``bot.app.open_app`` exactly as ``carillon run`` does,
  with a temporary data directory and SQLite file, logged in, READY and with commands synced.
* ``harness_bot`` - a small test bot (``tests/e2e/harness_bot.py``) that proves the emulator.

Both bot fixtures stop the bot afterwards and fail if a task or a connection is left behind.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from bot.client.endpoints import apply_endpoints, make_connector, reset_endpoints
from tests.emulator import Emulator
from tests.emulator.harness import check_no_leftover_tasks, running_bot

if TYPE_CHECKING:
    from bot.services import Services
    from tests.e2e.harness_bot import HarnessBot


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The fault tests first: they are the longest and mostly wait for due instants, so on
    parallel workers (make test) their waiting overlaps the rest instead of ending the run."""
    items.sort(key=lambda item: item.get_closest_marker("faults") is None)


@pytest.fixture
async def emulator() -> AsyncIterator[Emulator]:
    async with Emulator() as emu:
        yield emu


@pytest.fixture
async def harness_bot(emulator: Emulator) -> AsyncIterator[HarnessBot]:
    from tests.e2e.harness_bot import HarnessBot

    # What the composition root does for [discord] api_base_url, gateway_url and ca_file.
    apply_endpoints(emulator.api_base_url, emulator.gateway_url, emulator.ca_file)
    try:
        bot = HarnessBot(connector=make_connector(emulator.ca_file), voice_timeout=1.0)
        async with running_bot(emulator, bot):
            yield bot
    finally:
        reset_endpoints()


@asynccontextmanager
async def running_carillon(
    emulator: Emulator, tmp_path: Path, **env_overrides: str
) -> AsyncIterator[Services]:
    """The shipped bot against ``emulator``, with extra ``CARILLON_*`` settings if given."""
    from bot.app import open_app
    from bot.config import load_settings

    config = tmp_path / "config.toml"
    config.write_text("", encoding="utf-8")  # never pick up a developer's ./config.toml
    env = {
        "DISCORD_TOKEN": emulator.token,
        "CARILLON_DATA_DIR": str(tmp_path / "data"),
        "CARILLON_DISCORD__API_BASE_URL": emulator.api_base_url,
        "CARILLON_DISCORD__GATEWAY_URL": emulator.gateway_url,
        "CARILLON_DISCORD__CA_FILE": str(emulator.ca_file),
        **env_overrides,
    }
    settings = load_settings(config, env)
    settings = dataclasses.replace(
        settings,
        discord=dataclasses.replace(
            settings.discord,
            owner_ids=(emulator.users["owner"].id,),
            dev_guild_ids=(emulator.guild.id,),
        ),
    )
    existing = asyncio.all_tasks()
    try:
        # discord.py waits this long after the last GUILD_CREATE before READY (default 2 s); the
        # emulator sends every guild at once, so waiting only slows each test down.
        async with open_app(settings, guild_ready_timeout=0.1) as app:
            async with running_bot(emulator, app.bot, check_leftovers=False):
                yield app
        # After the whole app (runner, players, engine) has closed, not just the client.
        await check_no_leftover_tasks(existing)
    finally:
        reset_endpoints()


@pytest.fixture
async def carillon(emulator: Emulator, tmp_path: Path) -> AsyncIterator[Services]:
    async with running_carillon(emulator, tmp_path) as app:
        yield app
