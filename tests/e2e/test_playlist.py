"""/playlist through the emulator: build, read, play (paid per sound started), delete, and the
playlist name autocomplete."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from bot.services import Services
from bot.tasks.service import Actor
from storage.enums import LedgerReason
from tests.e2e.soundboard import app, button, eventually, seed, tone
from tests.emulator import Emulator, active_span

pytestmark = pytest.mark.e2e
__all__ = ["app"]  # the fixture, imported from the helpers


async def make_playlist(app: Services, emu: Emulator, name: str, *sounds: str) -> None:
    """A playlist of alice's, holding ``sounds`` (seeded first)."""
    guild, alice = emu.guild.id, emu.users["alice"].id
    await app.playlists.create_playlist(guild, alice, name)
    for sound in sounds:
        await seed(app, emu, sound)
        await app.playlists.add_to_playlist(guild, Actor(alice), name, sound)


async def names_in(app: Services, emu: Emulator, playlist: str) -> list[str]:
    view = await app.playlists.show_playlist(emu.guild.id, playlist)
    return [track.name for track in view.tracks]


# ------------------------------------------------------------------------------------ building


async def test_create_and_refuse_a_taken_name(app: Services, emulator: Emulator) -> None:
    created = await emulator.slash("alice", "playlist create", name="Morning")
    taken = await emulator.slash("bob", "playlist create", name="morning")

    assert created.content.startswith("📃 Created the playlist **Morning**")
    assert taken.ephemeral and "already has a playlist called" in taken.content


async def test_add_at_the_end_and_at_a_position(app: Services, emulator: Emulator) -> None:
    await make_playlist(app, emulator, "mix", "a")
    await seed(app, emulator, "b")
    await seed(app, emulator, "c")

    end = await emulator.slash("alice", "playlist add", playlist="mix", sound="b")
    first = await emulator.slash("alice", "playlist add", playlist="mix", sound="c", position=1)

    assert "Added **b** to **mix** at position 2 (now 2 sounds" in end.content
    assert "Added **c** to **mix** at position 1 (now 3 sounds" in first.content
    assert await names_in(app, emulator, "mix") == ["c", "a", "b"]


@pytest.mark.parametrize(
    ("user", "options", "problem"),
    [
        ("alice", {"sound": "nope"}, "There is no sound called"),
        ("alice", {"sound": "a", "position": 5}, "Position 5 is outside"),
        ("bob", {"sound": "a"}, "Only the member who created the playlist"),
    ],
)
async def test_add_refuses(
    app: Services, emulator: Emulator, user: str, options: dict[str, Any], problem: str
) -> None:
    """Unknown sounds, impossible positions and other members' playlists."""
    await make_playlist(app, emulator, "mix", "a")

    reply = await emulator.slash(user, "playlist add", playlist="mix", **options)

    assert reply.ephemeral and problem in reply.content
    assert await names_in(app, emulator, "mix") == ["a"]


async def test_remove_and_its_error(app: Services, emulator: Emulator) -> None:
    await make_playlist(app, emulator, "mix", "a", "b")

    removed = await emulator.slash("alice", "playlist remove", playlist="mix", position=1)
    outside = await emulator.slash("alice", "playlist remove", playlist="mix", position=2)

    assert "Took **a** (position 1) out of **mix** (now 1 sound" in removed.content
    assert outside.ephemeral and "position 2 is not in the playlist" in outside.content
    assert await names_in(app, emulator, "mix") == ["b"]


async def test_move_and_its_error(app: Services, emulator: Emulator) -> None:
    await make_playlist(app, emulator, "mix", "a", "b", "c")

    moved = await emulator.slash(
        "admin", "playlist move", playlist="mix", from_position=3, to_position=1
    )
    outside = await emulator.slash(
        "alice", "playlist move", playlist="mix", from_position=4, to_position=1
    )

    assert moved.content == "↕️ Moved **c** from position 3 to 1 in **mix**."
    assert outside.ephemeral and "from position 4 is not in the playlist" in outside.content
    assert await names_in(app, emulator, "mix") == ["c", "a", "b"]


# ------------------------------------------------------------------------------------- reading


async def test_show_lists_sounds_in_order(app: Services, emulator: Emulator) -> None:
    await make_playlist(app, emulator, "mix", "b", "a")

    reply = await emulator.slash("bob", "playlist show", playlist="MIX")

    text = reply.text
    assert "Playlist mix" in text and "2 sounds, 0.4 s" in text
    assert text.index("**b**") < text.index("**a**")


async def test_show_of_an_unknown_playlist(app: Services, emulator: Emulator) -> None:
    reply = await emulator.slash("bob", "playlist show", playlist="nothing")

    assert reply.ephemeral and "no playlists yet" in reply.content


async def test_list_pages_through_playlists(app: Services, emulator: Emulator) -> None:
    guild, alice = emulator.guild.id, emulator.users["alice"].id
    for number in range(16):
        await app.playlists.create_playlist(guild, alice, f"p{number:02d}")

    reply = await emulator.slash("bob", "playlist list")
    assert f"**p00** · 0 sounds · 0.0 s · by <@{alice}>" in reply.text
    await emulator.click("bob", reply, button(reply, "Next"))

    assert "**p15**" in reply.text and "**p00**" not in reply.text


async def test_list_of_no_playlists(app: Services, emulator: Emulator) -> None:
    reply = await emulator.slash("bob", "playlist list")

    assert "No playlists yet" in reply.text


# ---------------------------------------------------------------------------------------- play


async def test_play_runs_the_list_in_order_charging_per_sound(
    app: Services, emulator: Emulator
) -> None:
    """Two sounds play back to back in alice's channel; two credits are charged."""
    guild, alice = emulator.guild.id, emulator.users["alice"].id
    await app.playlists.create_playlist(guild, alice, "duo")
    for name, hz in (("low", 300.0), ("high", 600.0)):
        await app.library.upload(guild, alice, name, tone(0.3, hz))
        await app.playlists.add_to_playlist(guild, Actor(alice), "duo", name)
    emulator.user_joins_voice("alice", "Lounge")

    reply = await emulator.slash("alice", "playlist play", playlist="duo")

    assert reply.ephemeral and "Playing the playlist **duo** (continuous)" in reply.content

    async def charged_twice() -> bool:
        return await app.credits.balance(guild, alice) == 98

    assert await eventually(charged_twice)
    history = await app.credits.history(guild, alice, limit=5)
    assert [(e.reason, e.detail) for e in history[:2]] == [
        (LedgerReason.CHARGE, "high"),
        (LedgerReason.CHARGE, "low"),
    ]
    audio = await emulator.audio_in("Lounge")
    assert active_span(audio.left(), threshold=2000) is not None


async def test_play_of_an_empty_playlist_is_refused(app: Services, emulator: Emulator) -> None:
    await make_playlist(app, emulator, "empty")
    emulator.user_joins_voice("alice", "Lounge")

    reply = await emulator.slash("alice", "playlist play", playlist="empty")

    assert reply.ephemeral and "is empty" in reply.content
    assert emulator.bot_voice_channel() is None


async def test_play_refuses_a_max_duration_over_the_configured_limit(
    app: Services, emulator: Emulator
) -> None:
    """max_duration is bounded by limits.max_duration_s (3600 s by default)."""
    await make_playlist(app, emulator, "mix", "a")
    emulator.user_joins_voice("alice", "Lounge")

    reply = await emulator.slash(
        "alice", "playlist play", playlist="mix", play_mode="loop", max_duration=7200
    )

    assert reply.ephemeral and "between 1 and 3600 seconds" in reply.content


async def test_loop_stops_at_max_duration(app: Services, emulator: Emulator) -> None:
    """A looping 0.2 s sound with max_duration 1 plays about a second, charged per start."""
    guild, alice = emulator.guild.id, emulator.users["alice"].id
    await make_playlist(app, emulator, "mix", "a")
    emulator.user_joins_voice("alice", "Hall")

    reply = await emulator.slash(
        "alice",
        "playlist play",
        playlist="mix",
        channel=emulator.channel("Hall"),
        play_mode="loop",
        shuffle=True,
        max_duration=1,
    )

    assert "(loop, shuffled, for at most 1.0 s)" in reply.content

    async def finished() -> bool:
        status = app.players.status(guild)
        return status is not None and status.play_mode is None

    assert await eventually(finished)
    # About five 0.2 s starts fill the second (packet timing decides the last); each cost one.
    history = await app.credits.history(guild, alice, limit=20)
    charges = [e for e in history if e.reason is LedgerReason.CHARGE]
    assert 5 <= len(charges) <= 6
    assert await app.credits.balance(guild, alice) == 100 - len(charges)


# -------------------------------------------------------------------------------------- delete


async def test_delete_without_tasks_and_by_a_stranger(app: Services, emulator: Emulator) -> None:
    await make_playlist(app, emulator, "mix", "a")

    refused = await emulator.slash("bob", "playlist delete", playlist="mix")
    deleted = await emulator.slash("alice", "playlist delete", playlist="mix")

    assert refused.ephemeral and "Only the member who created" in refused.content
    assert deleted.content.startswith("🗑️ Deleted the playlist **mix**")
    assert await app.playlists.count_playlists(emulator.guild.id) == 0
    assert await app.library.count_sounds(emulator.guild.id) == 1  # sounds stay


async def test_delete_of_a_playlist_a_task_plays_asks_first(
    app: Services, emulator: Emulator
) -> None:
    guild, alice = emulator.guild.id, emulator.users["alice"].id
    await make_playlist(app, emulator, "mix", "a")
    playlist = await app.playlists.show_playlist(guild, "mix")
    await app.scheduler.create_task(
        guild_id=guild,
        name="Evening mix",
        task_type="play_playlist",
        parameters={"playlist_id": playlist.id, "channel_id": emulator.channel("Lounge").id},
        user_id=alice,
        scheduled_at=app.clock.now() + timedelta(days=1),
    )

    reply = await emulator.slash("alice", "playlist delete", playlist="mix")
    assert reply.ephemeral and "**Evening mix**" in reply.content
    await emulator.click("alice", reply, button(reply, "Confirm"))
    await emulator.wait_for(lambda: "Deleted" in reply.content, "the deletion")

    assert "1 task(s)" in reply.content
    assert await app.playlists.count_playlists(guild) == 0


# -------------------------------------------------------------------------------- autocomplete


async def test_playlist_names_are_suggested_while_typing(app: Services, emulator: Emulator) -> None:
    guild, alice = emulator.guild.id, emulator.users["alice"].id
    for name in ("morning", "evening", "mornings after"):
        await app.playlists.create_playlist(guild, alice, name)
    await seed(app, emulator, "gong")

    shown = await emulator.autocomplete("bob", "playlist show", "playlist", "morn")
    sounds = await emulator.autocomplete("bob", "playlist add", "sound", "go", playlist="morning")

    assert [c["value"] for c in shown] == ["morning", "mornings after"]
    assert sounds == [{"name": "gong", "value": "gong"}]
    for command in ("playlist play", "playlist delete"):
        assert len(await emulator.autocomplete("bob", command, "playlist", "")) == 3
