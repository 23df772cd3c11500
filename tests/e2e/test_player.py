"""/player through the emulator: status, stop and skip, and who may control the player."""

from __future__ import annotations

import pytest

from bot.services import Services
from bot.tasks.service import Actor
from tests.e2e.soundboard import app, eventually, tone
from tests.emulator import Emulator

pytestmark = pytest.mark.e2e
__all__ = ["app"]  # the fixture, imported from the helpers

LONG_S = 3.0


async def start_long_sound(app: Services, emu: Emulator, channel: str = "Lounge") -> None:
    """Alice plays a 3 s tone in ``channel`` and it is on air when this returns."""
    await app.library.upload(emu.guild.id, emu.users["alice"].id, "long", tone(LONG_S, 440.0))
    emu.user_joins_voice("alice", channel)
    reply = await emu.slash("alice", "sound play", name="long")
    assert "Playing" in reply.content

    async def on_air() -> bool:
        status = app.players.status(emu.guild.id)
        return status is not None and status.track is not None and status.position_s > 0

    assert await eventually(on_air)


async def test_status_when_idle(app: Services, emulator: Emulator) -> None:
    reply = await emulator.slash("bob", "player status")

    assert reply.embeds[0]["description"] == "Idle and not in a voice channel."
    assert not reply.ephemeral


async def test_status_while_playing(app: Services, emulator: Emulator) -> None:
    """Channel, sound with position, play mode and who started it."""
    await start_long_sound(app, emulator)

    reply = await emulator.slash("bob", "player status")

    fields = {f["name"]: f["value"] for f in reply.embeds[0]["fields"]}
    assert fields["Channel"] == f"<#{emulator.channel('Lounge').id}>"
    assert fields["Playing"].startswith("**long** 0:0") and fields["Playing"].endswith("/ 0:03")
    assert fields["Play mode"] == "single"
    assert fields["Started by"] == f"/sound play by <@{emulator.users['alice'].id}>"
    assert fields["Queued"] == "0"


async def test_stop_by_a_listener_cuts_the_sound_short(app: Services, emulator: Emulator) -> None:
    """Someone in the bot's channel stops it; the credit stays spent (audio went out)."""
    await start_long_sound(app, emulator)
    emulator.user_joins_voice("bob", "Lounge")

    reply = await emulator.slash("bob", "player stop")
    audio = await emulator.audio_in("Lounge")

    assert reply.content == f"⏹️ <@{emulator.users['bob'].id}> stopped the playback."
    assert audio.duration < LONG_S - 0.5
    assert await app.credits.balance(emulator.guild.id, emulator.users["alice"].id) == 99


async def test_stop_from_outside_the_channel_needs_an_admin(
    app: Services, emulator: Emulator
) -> None:
    """Bob, not in voice, is refused; an admin elsewhere may stop it."""
    await start_long_sound(app, emulator)

    refused = await emulator.slash("bob", "player stop")
    allowed = await emulator.slash("admin", "player stop")

    lounge = emulator.channel("Lounge").id
    assert refused.ephemeral and f"Join <#{lounge}> to control" in refused.content
    assert "stopped the playback" in allowed.content


async def test_stop_when_nothing_plays(app: Services, emulator: Emulator) -> None:
    reply = await emulator.slash("alice", "player stop")

    assert reply.ephemeral and "Nothing is playing" in reply.content


async def test_skip_moves_on_to_the_next_sound(app: Services, emulator: Emulator) -> None:
    """Skipping the long first sound of a playlist starts (and charges) the second."""
    guild, alice = emulator.guild.id, emulator.users["alice"].id
    await app.playlists.create_playlist(guild, alice, "pair")
    for name, seconds in (("long", LONG_S), ("short", 0.2)):
        await app.library.upload(guild, alice, name, tone(seconds, 440.0))
        await app.playlists.add_to_playlist(guild, Actor(alice), "pair", name)
    emulator.user_joins_voice("alice", "Lounge")
    await emulator.slash("alice", "playlist play", playlist="pair")

    async def on_air() -> bool:
        status = app.players.status(guild)
        return status is not None and status.track is not None and status.position_s > 0

    assert await eventually(on_air)

    reply = await emulator.slash("alice", "player skip")

    assert reply.content == f"⏭️ <@{alice}> skipped **long**."

    async def both_charged() -> bool:
        return await app.credits.balance(guild, alice) == 98

    assert await eventually(both_charged)


async def test_skip_when_nothing_plays(app: Services, emulator: Emulator) -> None:
    reply = await emulator.slash("admin", "player skip")

    assert reply.ephemeral and "Nothing is playing" in reply.content


async def test_a_play_while_busy_queues_and_stop_drops_it(
    app: Services, emulator: Emulator
) -> None:
    """Bob's play waits behind alice's; /player stop ends both and bob pays nothing."""
    guild, bob = emulator.guild.id, emulator.users["bob"].id
    await start_long_sound(app, emulator)
    emulator.user_joins_voice("bob", "Lounge")

    queued = await emulator.slash("bob", "sound play", name="long")
    status = await emulator.slash("bob", "player status")
    await emulator.slash("bob", "player stop")

    assert queued.ephemeral and queued.content.startswith("⏳ Something else is playing")
    assert {f["name"]: f["value"] for f in status.embeds[0]["fields"]}["Queued"] == "1"
    assert await app.credits.balance(guild, bob) == 100
