"""Voice through the emulator: gateway op 4, the TLS voice websocket, UDP, RTP and Opus."""

from __future__ import annotations

import pytest

from tests.e2e.harness_bot import HarnessBot
from tests.emulator import Emulator, VoiceStall, active_span, zero_crossing_frequency

pytestmark = pytest.mark.e2e


async def test_tone_arrives_with_the_right_duration_and_pitch(
    harness_bot: HarnessBot, emulator: Emulator
) -> None:
    """A 660 Hz, 600 ms tone is decrypted and decoded in the user's channel, intact."""
    emulator.user_joins_voice("alice", "Hall")

    reply = await emulator.slash("alice", "tone", frequency=660, milliseconds=600)
    audio = await emulator.audio_in("Hall")

    assert reply.content == "played 660 Hz for 600 ms"
    assert emulator.voice.decrypt_errors == 0
    assert audio.lost == 0
    left = audio.left()
    span = active_span(left, threshold=2000)
    assert span is not None
    start, end = span
    assert (end - start) / audio.sample_rate == pytest.approx(0.600, abs=0.025)
    assert zero_crossing_frequency(left[start : end + 1]) == pytest.approx(660, rel=0.01)
    assert emulator.bot_voice_channel() is None  # it left, and was told so


async def test_audio_is_kept_per_channel(harness_bot: HarnessBot, emulator: Emulator) -> None:
    """Audio played into one voice channel is not heard in another."""
    emulator.user_joins_voice("bob", "Lounge")

    await emulator.slash("bob", "tone", frequency=300, milliseconds=200)
    audio = await emulator.audio_in("Lounge")

    assert audio.packets >= 10
    assert emulator.voice.audio(emulator.channel("Hall").id).take() is None


async def test_user_voice_state_reaches_the_bot(
    harness_bot: HarnessBot, emulator: Emulator
) -> None:
    """Joins, moves and leaves are VOICE_STATE_UPDATEs the bot's cache follows."""
    emulator.user_joins_voice("alice", "Lounge")
    assert (await emulator.slash("alice", "whereami")).content == "you are in Lounge"

    emulator.user_joins_voice("alice", "Hall")
    assert (await emulator.slash("alice", "whereami")).content == "you are in Hall"

    emulator.user_leaves_voice("alice")
    assert (await emulator.slash("alice", "whereami")).content == "you are in nowhere"


@pytest.mark.parametrize("stage", [VoiceStall.GATEWAY, VoiceStall.WEBSOCKET])
async def test_voice_connect_that_never_answers_times_out(
    harness_bot: HarnessBot, emulator: Emulator, stage: VoiceStall
) -> None:
    """If voice never answers, the bot's connect times out and it cleans up."""
    emulator.faults.voice_never_answers(stage)
    emulator.user_joins_voice("alice", "Lounge")

    reply = await emulator.slash("alice", "tone")

    assert reply.content == "Could not connect to voice in time."
    assert emulator.bot_voice_channel() is None
    assert harness_bot.voice_clients == []


async def test_bot_dragged_by_an_admin_follows(harness_bot: HarnessBot, emulator: Emulator) -> None:
    """An admin moving the bot is handled by discord.py's reconnect on 4014."""
    await emulator.slash("alice", "join", channel=emulator.channel("Lounge"))

    emulator.move_bot("Hall")
    await emulator.wait_for(lambda: emulator.voice.identifies == 2, "a second voice IDENTIFY")
    await emulator.wait_bot_voice("Hall")

    assert (await emulator.slash("alice", "voice-status")).content == "connected to Hall"


async def test_bot_kicked_from_voice_cleans_up(harness_bot: HarnessBot, emulator: Emulator) -> None:
    """An admin's disconnect makes the bot drop its voice client and confirm with op 4."""
    await emulator.slash("alice", "join", channel=emulator.channel("Lounge"))
    guild_id = emulator.guild.id

    emulator.kick_bot_from_voice()
    await emulator.wait_for(
        lambda: emulator.voice.requests[-1] == (guild_id, None), "the bot to leave voice"
    )

    assert (await emulator.slash("alice", "voice-status")).content == "not connected"
