"""/sound through the emulator: upload, play into voice (paid and refunded), list, info, rename,
delete with confirmation, and the sound name autocomplete."""

from __future__ import annotations

import asyncio

import pytest

from bot.services import Services
from bot.tasks.service import Actor
from storage.enums import LedgerReason
from tests.audio.tones import tone_bytes
from tests.e2e.soundboard import (
    app,
    button,
    eventually,
    impatient_carillon,
    seed,
)
from tests.emulator import (
    CommandRefused,
    Emulator,
    Upload,
    VoiceStall,
    active_span,
    zero_crossing_frequency,
)
from tests.emulator.state import MEMBER_PERMISSIONS, SPEAK

pytestmark = pytest.mark.e2e

TONE_S = 0.8
TONE_HZ = 523.0
TONE = tone_bytes("wav", "pcm_s16le", seconds=TONE_S, freq=TONE_HZ)
__all__ = ["app", "impatient_carillon"]  # fixtures used here, imported from the helpers


def wav(data: bytes = TONE, filename: str = "chime.wav") -> Upload:
    return Upload(filename, data, "audio/wav")


# ------------------------------------------------------------------------------------- upload


async def test_upload_stores_a_sound_and_answers_privately(
    app: Services, emulator: Emulator
) -> None:
    """/sound upload ingests the attachment and records it with its length and uploader."""
    reply = await emulator.slash("alice", "sound upload", name="chime", file=wav())

    assert reply.interaction.response_type == 5  # deferred: ingest is slow work
    assert reply.ephemeral
    assert "Added the sound **chime**" in reply.content
    sound = await app.library.find_sound(emulator.guild.id, "chime")
    assert sound.uploader_id == emulator.users["alice"].id
    assert sound.duration_s == pytest.approx(TONE_S, abs=0.03)
    assert sound.original_filename == "chime.wav"


async def test_upload_of_a_long_file_shows_progress(app: Services, emulator: Emulator) -> None:
    """A file over 1 MiB gets a progress edit before the final answer."""
    data = tone_bytes("wav", "pcm_s16le", seconds=7.0, freq=440.0)
    assert len(data) > 1024 * 1024

    reply = await emulator.slash("bob", "sound upload", name="long", file=wav(data, "long.wav"))
    assert "Normalising" in reply.content or "Added" in reply.content
    await emulator.wait_for(lambda: "Added" in reply.content, "the final answer")

    assert reply.message is not None and reply.message.edits >= 2
    assert reply.ephemeral


@pytest.mark.parametrize(
    ("upload", "problem"),
    [
        (
            Upload("notes.txt", b"not a sound at all " * 50, "text/plain"),
            "could not be read as audio",
        ),
        (Upload("huge.wav", bytes(9 * 1024 * 1024), "audio/wav"), "at most 8.0 MiB"),
    ],
)
async def test_upload_refuses_bad_files(
    app: Services, emulator: Emulator, upload: Upload, problem: str
) -> None:
    """Files that are not audio, or too big, are refused privately and nothing is stored."""
    reply = await emulator.slash("alice", "sound upload", name="bad", file=upload)

    assert reply.ephemeral
    assert problem in reply.content
    assert await app.library.count_sounds(emulator.guild.id) == 0


async def test_upload_refuses_a_taken_name(app: Services, emulator: Emulator) -> None:
    """Names are unique per server, ignoring case."""
    await seed(app, emulator, "Chime")

    reply = await emulator.slash("bob", "sound upload", name="chime", file=wav())

    assert reply.ephemeral
    assert "already has a sound called" in reply.content


# --------------------------------------------------------------------------------------- play


async def test_play_sends_the_tone_into_the_callers_channel_for_one_credit(
    app: Services, emulator: Emulator
) -> None:
    """An uploaded tone arrives in alice's channel with its length and pitch; one credit paid."""
    guild, alice = emulator.guild.id, emulator.users["alice"].id
    await emulator.slash("alice", "sound upload", name="chime", file=wav())
    emulator.user_joins_voice("alice", "Lounge")

    reply = await emulator.slash("alice", "sound play", name="chime")
    audio = await emulator.audio_in("Lounge")

    assert reply.ephemeral
    assert "Playing **chime**" in reply.content and "99 credits left" in reply.content
    left = audio.left()
    span = active_span(left, threshold=2000)
    assert span is not None
    start, end = span
    assert (end - start) / audio.sample_rate == pytest.approx(TONE_S, abs=0.03)
    assert zero_crossing_frequency(left[start : end + 1]) == pytest.approx(TONE_HZ, rel=0.01)
    assert await app.credits.balance(guild, alice) == 99
    entry, opening = await app.credits.history(guild, alice, limit=5)
    assert (entry.delta, entry.command, entry.detail) == (-1, "sound play", "chime")
    assert opening.reason is LedgerReason.OPENING

    async def play_count() -> int:
        return (await app.library.find_sound(guild, "chime")).play_count

    # Plays are counted when the play ends, just after the last packet.
    assert await eventually(play_count) == 1


async def test_play_into_a_chosen_channel(app: Services, emulator: Emulator) -> None:
    """The channel option plays elsewhere than where the caller is (or is not)."""
    await seed(app, emulator, "beep")
    emulator.user_joins_voice("alice", "Hall")

    reply = await emulator.slash("bob", "sound play", name="beep", channel=emulator.channel("Hall"))
    audio = await emulator.audio_in("Hall")

    assert "Playing **beep**" in reply.content
    assert audio.packets >= 5
    assert emulator.voice.audio(emulator.channel("Lounge").id).take() is None


async def test_play_needs_a_voice_channel(app: Services, emulator: Emulator) -> None:
    """Not in voice and no channel given: an ephemeral error that says what to do."""
    await seed(app, emulator, "beep")

    reply = await emulator.slash("bob", "sound play", name="beep")

    assert reply.ephemeral
    assert "not in a voice channel" in reply.content
    assert emulator.bot_voice_channel() is None


async def test_play_of_an_unknown_sound_suggests_close_names(
    app: Services, emulator: Emulator
) -> None:
    """A typo is answered with the names that were probably meant."""
    await seed(app, emulator, "chime")
    emulator.user_joins_voice("alice", "Lounge")

    reply = await emulator.slash("alice", "sound play", name="chme")

    assert reply.ephemeral
    assert 'Did you mean "chime"' in reply.content


async def test_play_without_credits_is_refused_before_joining_voice(
    app: Services, emulator: Emulator
) -> None:
    """A member with no credits is told so, and the bot stays out of voice."""
    guild, alice = emulator.guild.id, emulator.users["alice"].id
    await seed(app, emulator, "beep")
    await app.credits.set_balance(guild, alice, 0, actor_id=emulator.users["owner"].id)
    emulator.user_joins_voice("alice", "Lounge")

    reply = await emulator.slash("alice", "sound play", name="beep")

    assert reply.ephemeral
    assert "Not enough credits" in reply.content
    assert emulator.bot_voice_channel() is None
    assert await app.credits.balance(guild, alice) == 0


async def test_play_refunds_when_the_sound_fails_before_any_audio(
    app: Services, emulator: Emulator
) -> None:
    """A sound whose stored file is gone: charged at its start, refunded, and told why."""
    guild, alice = emulator.guild.id, emulator.users["alice"].id
    sound = await seed(app, emulator, "beep")
    app.blobs.path_for(sound.blob_hash).unlink()
    emulator.user_joins_voice("alice", "Lounge")

    reply = await emulator.slash("alice", "sound play", name="beep")
    # The track was paid for and about to start when its file turned out to be gone.
    await emulator.wait_for(lambda: reply.interaction.followups or None, "the failure notice")
    notices = reply.interaction.followups

    assert "Playing **beep**" in reply.content
    assert notices[0].ephemeral and "missing from storage" in notices[0].content
    assert "refunded" in notices[0].content
    assert await app.credits.balance(guild, alice) == 100
    history = await app.credits.history(guild, alice, limit=5)
    assert [(e.delta, e.reason) for e in history] == [
        (1, LedgerReason.REFUND),
        (-1, LedgerReason.CHARGE),
        (100, LedgerReason.OPENING),
    ]


async def test_play_when_voice_never_answers_costs_nothing(
    impatient_carillon: Services, emulator: Emulator
) -> None:
    """A voice connect that times out is reported privately and leaves the balance alone."""
    app, guild, alice = impatient_carillon, emulator.guild.id, emulator.users["alice"].id
    await seed(app, emulator, "beep")
    emulator.faults.voice_never_answers(VoiceStall.GATEWAY)
    emulator.user_joins_voice("alice", "Lounge")

    reply = await emulator.slash("alice", "sound play", name="beep")

    assert reply.ephemeral
    assert "Could not connect to the voice channel" in reply.content
    assert await app.credits.balance(guild, alice) == 100
    assert [e.reason for e in await app.credits.history(guild, alice)] == [LedgerReason.OPENING]


# ------------------------------------------------------------------------------ list and info


async def test_list_pages_through_sounds_with_lengths_and_plays(
    app: Services, emulator: Emulator
) -> None:
    """Sixteen sounds make two pages; Next shows the last one."""
    for number in range(16):
        await seed(app, emulator, f"s{number:02d}")

    reply = await emulator.slash("bob", "sound list")

    assert "**s00** · 0.2 s · 0 plays" in reply.text
    assert "s15" not in reply.text and "Page 1 of 2" in str(reply.embeds[0]["footer"])
    await emulator.click("bob", reply, button(reply, "Next"))
    assert "**s15**" in reply.text


async def test_list_of_an_empty_library_says_how_to_add(app: Services, emulator: Emulator) -> None:
    reply = await emulator.slash("bob", "sound list")

    assert "No sounds yet" in reply.text


async def test_info_shows_length_size_uploader_plays_and_use(
    app: Services, emulator: Emulator
) -> None:
    """Everything about a sound, including the playlists it is in."""
    guild = emulator.guild.id
    alice = emulator.users["alice"].id
    await seed(app, emulator, "beep")
    await app.playlists.create_playlist(guild, alice, "mix")
    await app.playlists.add_to_playlist(guild, Actor(alice), "mix", "beep")

    reply = await emulator.slash("bob", "sound info", name="beep")

    fields = {f["name"]: f["value"] for f in reply.embeds[0]["fields"]}
    assert fields["Length"] == "0.2 s"
    assert fields["Uploaded by"] == f"<@{alice}>"
    assert fields["Plays"] == "0"
    assert "playlist **mix**" in fields["Used by"]
    assert "KiB" in fields["Size"]


async def test_info_of_an_unknown_sound(app: Services, emulator: Emulator) -> None:
    reply = await emulator.slash("bob", "sound info", name="nothing")

    assert reply.ephemeral and "no sounds yet" in reply.content


# ----------------------------------------------------------------------------- rename, delete


async def test_rename_by_the_uploader_and_by_an_admin(app: Services, emulator: Emulator) -> None:
    await seed(app, emulator, "beep")

    mine = await emulator.slash("alice", "sound rename", name="beep", new_name="Boop")
    theirs = await emulator.slash("admin", "sound rename", name="boop", new_name="bip")

    assert mine.content == "✏️ Renamed **beep** to **Boop**."
    assert theirs.content == "✏️ Renamed **Boop** to **bip**."


async def test_rename_by_another_member_is_refused(app: Services, emulator: Emulator) -> None:
    await seed(app, emulator, "beep")

    reply = await emulator.slash("bob", "sound rename", name="beep", new_name="mine")

    assert reply.ephemeral and "Only the member who uploaded" in reply.content
    await app.library.find_sound(emulator.guild.id, "beep")


async def test_delete_of_an_unused_sound_needs_no_confirmation(
    app: Services, emulator: Emulator
) -> None:
    await seed(app, emulator, "beep")

    reply = await emulator.slash("alice", "sound delete", name="beep")

    assert reply.content == "🗑️ Deleted the sound **beep**."
    assert await app.library.count_sounds(emulator.guild.id) == 0


async def test_delete_by_another_member_is_refused(app: Services, emulator: Emulator) -> None:
    await seed(app, emulator, "beep")

    reply = await emulator.slash("bob", "sound delete", name="beep")

    assert reply.ephemeral and "Only the member who uploaded **beep**" in reply.content
    assert await app.library.count_sounds(emulator.guild.id) == 1


async def test_delete_of_a_sound_in_use_asks_first(app: Services, emulator: Emulator) -> None:
    """The confirmation lists the playlist; only the caller can answer; Confirm deletes."""
    guild, alice = emulator.guild.id, emulator.users["alice"].id
    await seed(app, emulator, "beep")
    await app.playlists.create_playlist(guild, alice, "mix")
    await app.playlists.add_to_playlist(guild, Actor(alice), "mix", "beep")

    reply = await emulator.slash("alice", "sound delete", name="beep")
    assert reply.ephemeral and "playlist **mix**" in reply.content
    refused = await emulator.click("bob", reply, button(reply, "Confirm"))
    assert refused.ephemeral and "belong to whoever asked" in refused.content
    assert await app.library.count_sounds(guild) == 1

    await emulator.click("alice", reply, button(reply, "Confirm"))
    await emulator.wait_for(lambda: "Deleted" in reply.content, "the deletion")

    assert "taken out of 1 playlist(s)" in reply.content
    assert await app.library.count_sounds(guild) == 0
    assert (await app.playlists.show_playlist(guild, "mix")).tracks == ()


async def test_delete_cancelled_keeps_the_sound(app: Services, emulator: Emulator) -> None:
    guild, alice = emulator.guild.id, emulator.users["alice"].id
    await seed(app, emulator, "beep")
    await app.playlists.create_playlist(guild, alice, "mix")
    await app.playlists.add_to_playlist(guild, Actor(alice), "mix", "beep")

    reply = await emulator.slash("admin", "sound delete", name="beep")
    await emulator.click("admin", reply, button(reply, "Cancel"))
    await emulator.wait_for(lambda: "Kept" in reply.content, "the cancellation")

    assert await app.library.count_sounds(guild) == 1
    assert reply.components == []


# ------------------------------------------------------------------------------- autocomplete


async def test_sound_names_are_suggested_while_typing(app: Services, emulator: Emulator) -> None:
    """Names containing the typed text, prefix matches first."""
    for name in ("chime", "wind chimes", "gong"):
        await seed(app, emulator, name)

    choices = await emulator.autocomplete("bob", "sound play", "name", "chi")

    assert choices == [
        {"name": "chime", "value": "chime"},
        {"name": "wind chimes", "value": "wind chimes"},
    ]
    for command in ("sound info", "sound delete"):
        assert len(await emulator.autocomplete("bob", command, "name", "")) == 3
    renaming = await emulator.autocomplete("bob", "sound rename", "name", "go", new_name="x")
    assert renaming == [{"name": "gong", "value": "gong"}]


async def test_sound_name_longer_than_any_name_is_refused_by_the_client(
    app: Services, emulator: Emulator
) -> None:
    """Names have at most 32 characters; Discord's client enforces it from the schema."""
    with pytest.raises(CommandRefused, match="outside"):
        await emulator.slash("alice", "sound upload", name="x" * 33, file=wav())


async def test_play_where_the_bot_may_not_speak_is_refused_before_any_charge(
    app: Services, emulator: Emulator
) -> None:
    """No Speak permission for the bot: a clear error, no credit taken, no voice join."""
    await seed(app, emulator, "beep")
    emulator.user_joins_voice("alice", "Lounge")
    emulator.set_role_permissions("everyone", MEMBER_PERMISSIONS & ~SPEAK)
    emulator.set_role_permissions("bot", MEMBER_PERMISSIONS & ~SPEAK)
    guild = app.bot.get_guild(emulator.guild.id)
    assert guild is not None
    for _ in range(250):  # the bot applies GUILD_ROLE_UPDATE on its own time
        if not guild.me.guild_permissions.speak:
            break
        await asyncio.sleep(0.02)

    reply = await emulator.slash("alice", "sound play", name="beep")

    assert reply.ephemeral and "I don't have the Speak permission" in reply.content
    ledger = await app.credits.history(emulator.guild.id, emulator.users["alice"].id)
    assert all(entry.reason is LedgerReason.OPENING for entry in ledger)
    assert emulator.bot_voice_channel() is None
