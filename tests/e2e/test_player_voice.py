"""The real per-server player over discord.py voice: moving, leaving when idle, being kicked."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.services import Services
from tests.conftest import running_carillon
from tests.e2e.soundboard import app, seed
from tests.emulator import Emulator

pytestmark = pytest.mark.e2e
__all__ = ["app"]


@pytest.fixture
async def quick_to_leave(emulator: Emulator, tmp_path: Path) -> AsyncIterator[Services]:
    """The shipped bot with a 1-second idle timeout."""
    async with running_carillon(emulator, tmp_path, CARILLON_AUDIO__IDLE_TIMEOUT_S="1") as bot:
        yield bot


async def test_plays_in_two_channels_move_the_bot(app: Services, emulator: Emulator) -> None:
    """A play for another channel moves the bot there, and the audio arrives there."""
    await seed(app, emulator, "beep")
    emulator.user_joins_voice("alice", "Lounge")
    emulator.user_joins_voice("bob", "Hall")

    await emulator.slash("alice", "sound play", name="beep")
    first = await emulator.audio_in("Lounge")
    await emulator.slash("bob", "sound play", name="beep")
    await emulator.wait_bot_voice("Hall")
    second = await emulator.audio_in("Hall")

    assert first.packets >= 5 and second.packets >= 5
    assert emulator.bot_voice_channel() == emulator.channel("Hall")


async def test_bot_leaves_voice_after_the_idle_timeout(
    quick_to_leave: Services, emulator: Emulator
) -> None:
    """With nothing more to play the bot leaves the channel once the idle timeout passes."""
    await seed(quick_to_leave, emulator, "beep")
    emulator.user_joins_voice("alice", "Lounge")

    await emulator.slash("alice", "sound play", name="beep")
    await emulator.audio_in("Lounge")
    assert emulator.bot_voice_channel() == emulator.channel("Lounge")
    await emulator.wait_bot_voice(None)

    status = quick_to_leave.players.status(emulator.guild.id)
    assert status is not None and not status.connected


async def test_after_a_kick_the_next_play_reconnects(app: Services, emulator: Emulator) -> None:
    """An admin disconnecting the bot is cleaned up; the next play joins again and is heard."""
    await seed(app, emulator, "beep")
    emulator.user_joins_voice("alice", "Lounge")
    await emulator.slash("alice", "sound play", name="beep")
    await emulator.audio_in("Lounge")

    emulator.kick_bot_from_voice()
    await emulator.wait_bot_voice(None)
    reply = await emulator.slash("alice", "sound play", name="beep")
    audio = await emulator.audio_in("Lounge")

    assert "Playing **beep**" in reply.content
    assert audio.packets >= 5
