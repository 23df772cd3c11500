"""Helpers and fixtures for the soundboard e2e tests (/sound, /playlist, /player)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import pytest

from bot.library.service import SoundView
from bot.services import Services
from tests.audio.tones import tone_bytes
from tests.conftest import running_carillon
from tests.emulator import Emulator, Reply

T = TypeVar("T")

SHORT = tone_bytes("wav", "pcm_s16le", seconds=0.2, freq=330.0)


def tone(seconds: float, hz: float) -> bytes:
    return tone_bytes("wav", "pcm_s16le", seconds=seconds, freq=hz)


@pytest.fixture
def app(carillon: Services) -> Services:
    """The ``carillon`` bot, under the short name these tests use."""
    return carillon


async def seed(
    app: Services, emu: Emulator, name: str, user: str = "alice", data: bytes = SHORT
) -> SoundView:
    """A sound put straight into the library (tests that are not about uploading)."""
    return await app.library.upload(emu.guild.id, emu.users[user].id, name, data)


async def eventually(read: Callable[[], Awaitable[T]], *, within_s: float = 3.0) -> T:
    """What ``read()`` returns once truthy (or last, after ``within_s``): for bookkeeping the
    bot finishes after its answer."""
    async with asyncio.timeout(within_s + 1):
        for _ in range(int(within_s / 0.02)):
            value = await read()
            if value:
                return value
            await asyncio.sleep(0.02)
    return await read()


def button(reply: Reply, label: str) -> str:
    """The custom id of the button labelled ``label`` on the reply."""
    assert reply.message is not None
    found = [b["custom_id"] for b in reply.message.buttons() if b.get("label") == label]
    assert found, f"no button {label!r} on {reply.content!r}"
    return str(found[0])


@pytest.fixture
async def impatient_carillon(emulator: Emulator, tmp_path: Path) -> AsyncIterator[Services]:
    """The shipped bot with a 0.5 s voice connect timeout and no retry."""
    async with running_carillon(
        emulator,
        tmp_path,
        CARILLON_AUDIO__CONNECT_TIMEOUT_S="0.5",
        CARILLON_AUDIO__CONNECT_RETRIES="0",
    ) as app:
        yield app
