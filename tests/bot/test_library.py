"""The library service (sounds) on a real migrated SQLite file, with real ingest of short tones."""

from __future__ import annotations

from datetime import timedelta

import pytest

from audio.blobstore import BlobStore
from audio.ingest import Ingestor
from bot.config import AudioSettings, Settings
from bot.errors import NotFoundError, PermissionDenied, ValidationError
from bot.library.model import free_name, name_from_text
from bot.library.playlists import PlaylistService
from bot.library.service import (
    DuplicateSound,
    LibraryService,
    TaskRef,
)
from bot.plays.port import Track
from bot.tasks.service import Actor
from storage.enums import RecurrenceType, TaskStatus, TaskType
from storage.models import ScheduledTask
from storage.uow import UnitOfWorkFactory
from tests.bot.conftest import FakeClock
from tests.bot.librarykit import (
    ADMIN,
    ALICE,
    BOB,
    GUILD,
    OTHER_GUILD,
    CountingIngestor,
    blob_rows,
    names,
    positions,
    tone,
    upload,
)

# ------------------------------------------------------------------------------------ upload


async def test_upload_records_sound_and_blob(
    library: LibraryService, store: BlobStore, uow_factory: UnitOfWorkFactory, clock: FakeClock
) -> None:
    """An upload records duration, size, hash, uploader, server and file name, and the blob."""
    sound = await library.upload(GUILD, ALICE, "  Bell  ", tone(), filename="C:\\x\\bell\n.wav")
    assert sound.name == "Bell"
    assert (sound.guild_id, sound.uploader_id, sound.play_count) == (GUILD, ALICE, 0)
    assert sound.duration_s == pytest.approx(0.3, abs=0.03)
    assert sound.size_bytes == store.path_for(sound.blob_hash).stat().st_size
    assert sound.original_filename == "bell.wav"
    assert sound.created_at == clock.now()
    assert await blob_rows(uow_factory) == [sound.blob_hash]


async def test_same_content_in_two_servers_shares_one_blob(
    library: LibraryService, uow_factory: UnitOfWorkFactory
) -> None:
    """The same file uploaded in two servers is two sounds over one blob row."""
    a = await upload(library, "bell")
    b = await upload(library, "bell", guild_id=OTHER_GUILD)
    assert a.id != b.id and a.blob_hash == b.blob_hash
    assert await blob_rows(uow_factory) == [a.blob_hash]


async def test_same_content_twice_in_a_server_is_allowed_by_default(
    library: LibraryService,
) -> None:
    """Uploading the same content under another name is allowed unless asked otherwise."""
    a = await upload(library, "bell")
    b = await upload(library, "bell again")
    assert a.blob_hash == b.blob_hash


async def test_duplicate_content_refused_when_asked(library: LibraryService) -> None:
    """``allow_duplicate=False`` raises DuplicateSound naming the existing sound."""
    first = await upload(library, "bell")
    with pytest.raises(DuplicateSound) as caught:
        await library.upload(GUILD, BOB, "other", tone(), allow_duplicate=False)
    assert caught.value.existing == first
    assert '"bell"' in caught.value.message
    assert await library.count_sounds(GUILD) == 1


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("", "cannot be empty"),
        ("   ", "cannot be empty"),
        ("a" * 33, "at most 32"),
        ("ß" * 17, "at most 32"),  # folds to 34 characters
        ("two\nlines", "line breaks"),
        ("tab\there", "line breaks"),
        ("bell\x00", "control characters"),
        ("evil\u202eflip", "invisible"),
        ("zero\u200bwidth", "invisible"),
    ],
)
async def test_bad_names_are_refused_before_ingest(
    library: LibraryService, ingestor: CountingIngestor, name: str, expected: str
) -> None:
    """Each name rule has a message, and no encode work is done for a bad name."""
    with pytest.raises(ValidationError, match=expected):
        await library.upload(GUILD, ALICE, name, tone())
    assert ingestor.calls == 0


@pytest.mark.parametrize("name", ["a" * 32, "🔔 bell", "👨\u200d👩\u200d👧", "Café-2 (loud)"])
async def test_good_names_are_accepted(library: LibraryService, name: str) -> None:
    """32 characters, emoji (with joiners), accents and punctuation are fine."""
    assert (await upload(library, name)).name == name


async def test_taken_name_is_refused_before_ingest(
    library: LibraryService, ingestor: CountingIngestor
) -> None:
    """Names are unique per server regardless of case; the check comes before the encode."""
    await upload(library, "Bell")
    with pytest.raises(ValidationError, match='already has a sound called "BELL"'):
        await upload(library, "BELL", 880)
    assert ingestor.calls == 1
    assert (await upload(library, "BELL", 880, guild_id=OTHER_GUILD)).name == "BELL"


async def test_name_taken_during_ingest_is_a_clear_error(
    library: LibraryService,
    ingestor: CountingIngestor,
    store: BlobStore,
    uow_factory: UnitOfWorkFactory,
) -> None:
    """A name taken while the file was encoding hits the constraint: clear message, no orphan."""
    # Another process (the bot while `carillon sounds import` runs) racing for the same name.
    other = LibraryService(uow_factory, Ingestor(store), store, FakeClock(), Settings())

    async def take_the_name() -> None:
        ingestor.hook = None
        await other.upload(GUILD, BOB, "bell", tone(660))

    ingestor.hook = take_the_name
    with pytest.raises(ValidationError, match='already has a sound called "bell"'):
        await upload(library, "bell", 440)
    winner = await library.find_sound(GUILD, "bell")
    assert winner.uploader_id == BOB
    # The loser's freshly stored blob is not recorded anywhere, so its file is gone again.
    assert await blob_rows(uow_factory) == [winner.blob_hash]
    stored = list((store.root / "blobs").rglob("*.ogg"))
    assert stored == [store.path_for(winner.blob_hash)]


async def test_rejected_file_writes_nothing(
    library: LibraryService, uow_factory: UnitOfWorkFactory
) -> None:
    """An ingest rejection is passed through with its message and nothing is recorded."""
    with pytest.raises(ValidationError, match="could not be read as audio"):
        await library.upload(GUILD, ALICE, "junk", b"this is not a sound file at all")
    with pytest.raises(ValidationError, match="longer than 2.0 s"):
        await library.upload(GUILD, ALICE, "long", tone(seconds=2.5))
    assert await library.count_sounds(GUILD) == 0
    assert await blob_rows(uow_factory) == []


async def test_max_bytes_lowers_the_size_limit(library: LibraryService) -> None:
    """The interaction's attachment limit is applied on top of the configured one."""
    with pytest.raises(ValidationError, match="at most"):
        await library.upload(GUILD, ALICE, "bell", tone(), max_bytes=1000)


async def test_configured_upload_limit_applies(
    uow_factory: UnitOfWorkFactory, ingestor: CountingIngestor, store: BlobStore, clock: FakeClock
) -> None:
    """``audio.max_upload_mb`` bounds uploads even when the caller passes no limit."""
    settings = Settings(audio=AudioSettings(max_upload_mb=0.01))
    small = LibraryService(uow_factory, ingestor, store, clock, settings)
    with pytest.raises(ValidationError, match="at most 0.0 MiB"):
        await small.upload(GUILD, ALICE, "bell", tone())


# --------------------------------------------------------------------------- finding sounds


async def test_find_sound_ignores_case_and_spaces(library: LibraryService) -> None:
    """``find_sound`` matches the name in any case, without outer spaces."""
    bell = await upload(library, "Big Bell")
    assert await library.find_sound(GUILD, "  big BELL ") == bell
    assert await library.get_sound(GUILD, bell.id) == bell


async def test_not_found_suggests_close_names(library: LibraryService) -> None:
    """A misspelt name suggests what the user may have meant."""
    await upload(library, "bell", 440)
    await upload(library, "bells", 550)
    await upload(library, "gong", 660)
    with pytest.raises(NotFoundError) as caught:
        await library.find_sound(GUILD, "bel")
    assert caught.value.message == (
        'There is no sound called "bel" in this server. Did you mean "bell" or "bells"? '
        "See /sound list for all of them."
    )


@pytest.mark.parametrize(
    ("existing", "expected"),
    [
        ([], "This server has no sounds yet; add one with /sound upload."),
        (["gong"], 'There is no sound called "zzz" in this server; see /sound list.'),
    ],
)
async def test_not_found_without_suggestions(
    library: LibraryService, existing: list[str], expected: str
) -> None:
    """With nothing close, the message points at /sound list or /sound upload."""
    for name in existing:
        await upload(library, name)
    with pytest.raises(NotFoundError) as caught:
        await library.find_sound(GUILD, "zzz")
    assert caught.value.message == expected


async def test_other_servers_sounds_are_invisible(library: LibraryService) -> None:
    """A sound id or name of another server is not found."""
    bell = await upload(library, "bell", guild_id=OTHER_GUILD)
    with pytest.raises(NotFoundError, match="no longer exists"):
        await library.get_sound(GUILD, bell.id)
    with pytest.raises(NotFoundError):
        await library.find_sound(GUILD, "bell")


async def test_list_pages_and_prefix(library: LibraryService) -> None:
    """Sounds list in name order, paged, optionally by name prefix (any case)."""
    for i, name in enumerate(["delta", "Alpha", "charlie", "bravo", "alps"]):
        await upload(library, name, 300 + 50 * i)
    page1 = await library.list_sounds(GUILD, limit=2)
    page2 = await library.list_sounds(GUILD, limit=2, offset=2)
    assert [s.name for s in page1 + page2] == ["Alpha", "alps", "bravo", "charlie"]
    assert [s.name for s in await library.list_sounds(GUILD, prefix="AL")] == ["Alpha", "alps"]
    assert await library.count_sounds(GUILD) == 5
    assert await library.count_sounds(GUILD, prefix="al") == 2
    assert await library.count_sounds(OTHER_GUILD) == 0


async def test_search_names_puts_prefix_matches_first(library: LibraryService) -> None:
    """Autocomplete: names containing the text, those starting with it first, then by name."""
    for i, name in enumerate(["airhorn", "horn", "foghorn", "bell", "Horns_50%"]):
        await upload(library, name, 300 + 50 * i)
    assert await library.search_names(GUILD, "HORN") == ["horn", "Horns_50%", "airhorn", "foghorn"]
    assert await library.search_names(GUILD, "_50%") == ["Horns_50%"]  # LIKE wildcards escaped
    assert await library.search_names(GUILD, "", limit=2) == ["airhorn", "bell"]


async def test_suggest_name_makes_free_valid_names(library: LibraryService) -> None:
    """File stems become valid names, with a numeric suffix when taken."""
    await upload(library, "beep")
    assert await library.suggest_name(GUILD, "BEEP") == "BEEP-2"
    assert await library.suggest_name(GUILD, "new\tsound") == "new sound"


@pytest.mark.parametrize(
    ("text", "taken", "expected"),
    [
        ("beep", [], "beep"),
        ("beep", ["Beep", "beep-2"], "beep-3"),
        ("  many   spaces\n", [], "many spaces"),
        ("x" * 40, [], "x" * 32),
        ("x" * 40, ["x" * 32], "x" * 30 + "-2"),
        ("\x00\x01", [], "sound"),
        ("", ["sound"], "sound-2"),
    ],
)
def test_free_name(text: str, taken: list[str], expected: str) -> None:
    """Sanitised, truncated to 32, de-duplicated with a suffix that still fits."""
    assert free_name(text, taken) == expected
    assert len(name_from_text(text)) <= 32


# ----------------------------------------------------------------------- rename and delete


async def test_rename_by_uploader_and_admin(library: LibraryService) -> None:
    """The uploader or an admin renames; a change of case alone is allowed."""
    bell = await upload(library, "bell")
    renamed = await library.rename_sound(GUILD, "bell", "Bell", Actor(ALICE))
    assert (renamed.id, renamed.name) == (bell.id, "Bell")
    renamed = await library.rename_sound(GUILD, "BELL", "gong", ADMIN)
    assert renamed.name == "gong"
    with pytest.raises(NotFoundError):
        await library.find_sound(GUILD, "bell")


async def test_rename_refuses_others_taken_and_bad_names(library: LibraryService) -> None:
    """Another member may not rename; a taken or invalid new name is refused."""
    await upload(library, "bell", 440)
    await upload(library, "gong", 550)
    with pytest.raises(PermissionDenied, match="Only the member who uploaded"):
        await library.rename_sound(GUILD, "bell", "mine", Actor(BOB))
    with pytest.raises(ValidationError, match='already has a sound called "GONG"'):
        await library.rename_sound(GUILD, "bell", "GONG", Actor(ALICE))
    with pytest.raises(ValidationError, match="at most 32"):
        await library.rename_sound(GUILD, "bell", "x" * 40, Actor(ALICE))
    assert (await library.find_sound(GUILD, "bell")).name == "bell"


async def test_delete_needs_uploader_or_admin(library: LibraryService) -> None:
    """Another member may not delete a sound; its uploader and admins may."""
    await upload(library, "bell", 440)
    await upload(library, "gong", 550)
    with pytest.raises(PermissionDenied, match="Only the member who uploaded"):
        await library.delete_sound(GUILD, "bell", Actor(BOB))
    bell = await library.find_sound(GUILD, "bell")
    assert [library.may_change_sound(a, bell) for a in (Actor(BOB), Actor(ALICE), ADMIN)] == [
        False,
        True,
        True,
    ]
    await library.delete_sound(GUILD, "bell", Actor(ALICE))
    await library.delete_sound(GUILD, "gong", ADMIN)
    assert await library.count_sounds(GUILD) == 0


async def test_delete_keeps_a_blob_another_sound_uses(
    library: LibraryService, store: BlobStore, uow_factory: UnitOfWorkFactory
) -> None:
    """The blob row and file go with the last sound that plays them, in any server."""
    here = await upload(library, "bell")
    await upload(library, "bell", guild_id=OTHER_GUILD)
    await library.delete_sound(GUILD, "bell", Actor(ALICE))
    assert store.exists(here.blob_hash)
    assert await blob_rows(uow_factory) == [here.blob_hash]
    await library.delete_sound(OTHER_GUILD, "bell", Actor(ALICE))
    assert not store.exists(here.blob_hash)
    assert await blob_rows(uow_factory) == []


async def test_delete_during_an_upload_of_the_same_content_keeps_the_file(
    library: LibraryService,
    ingestor: CountingIngestor,
    store: BlobStore,
    uow_factory: UnitOfWorkFactory,
) -> None:
    """A blob file is kept while an upload that found it on disk has not recorded it yet."""
    first = await upload(library, "bell")

    async def delete_first() -> None:
        ingestor.hook = None
        await library.delete_sound(GUILD, "bell", Actor(ALICE))

    ingestor.hook = delete_first
    second = await upload(library, "bell again")
    assert second.blob_hash == first.blob_hash
    assert store.exists(second.blob_hash)
    assert await blob_rows(uow_factory) == [second.blob_hash]


async def test_delete_takes_the_sound_out_of_playlists(
    library: LibraryService, playlists: PlaylistService, uow_factory: UnitOfWorkFactory
) -> None:
    """Deleting a sound removes every item of it and renumbers the playlists to 1..n."""
    for i, name in enumerate(["a", "b", "c"]):
        await upload(library, name, 300 + 100 * i)
    mix = await playlists.create_playlist(GUILD, ALICE, "mix")
    for name in ["a", "b", "c", "b", "a"]:
        await playlists.add_to_playlist(GUILD, Actor(ALICE), "mix", name)
    await library.delete_sound(GUILD, "b", Actor(ALICE))
    assert names((await playlists.show_playlist(GUILD, "mix")).tracks) == ["a", "c", "a"]
    assert await positions(uow_factory, mix.id) == [1, 2, 3]


async def test_sound_usage_lists_active_tasks_and_playlists(
    library: LibraryService,
    playlists: PlaylistService,
    uow_factory: UnitOfWorkFactory,
    clock: FakeClock,
) -> None:
    """Usage names unfinished tasks playing the sound, directly or via a playlist, and playlists."""
    bell = await upload(library, "bell", 440)
    gong = await upload(library, "gong", 550)
    mix = await playlists.create_playlist(GUILD, ALICE, "mix")
    await playlists.create_playlist(GUILD, ALICE, "empty")
    await playlists.add_to_playlist(GUILD, Actor(ALICE), "mix", "bell")

    async with uow_factory() as uow:
        for name, kind, params, status in [
            ("morning", TaskType.PLAY_SOUND, {"sound_id": bell.id}, TaskStatus.PENDING),
            ("old", TaskType.PLAY_SOUND, {"sound_id": bell.id}, TaskStatus.COMPLETED),
            ("gong", TaskType.PLAY_SOUND, {"sound_id": gong.id}, TaskStatus.PENDING),
            ("loop", TaskType.PLAY_PLAYLIST, {"playlist_id": mix.id}, TaskStatus.PAUSED),
        ]:
            now = clock.now()
            uow.session.add(
                ScheduledTask(
                    guild_id=GUILD,
                    owner_id=ALICE,
                    task_type=kind.value,
                    name=name,
                    parameters={**params, "channel_id": 5},
                    timezone="UTC",
                    recurrence_type=RecurrenceType.NONE.value,
                    anchor_at=now,
                    next_run_at=now + timedelta(hours=1),
                    status=status.value,
                    created_at=now,
                    updated_at=now,
                )
            )
        await uow.commit()

    usage = await library.sound_usage(GUILD, bell.id)
    assert usage.tasks == (TaskRef(1, "morning"), TaskRef(4, "loop", via_playlist="mix"))
    assert usage.playlists == ("mix",)
    assert usage.in_use
    assert not (await library.sound_usage(GUILD, (await upload(library, "x", 700)).id)).in_use
    assert await playlists.playlist_usage(GUILD, mix.id) == (TaskRef(4, "loop", "mix"),)
    with pytest.raises(NotFoundError):
        await library.sound_usage(OTHER_GUILD, bell.id)


async def test_record_plays_counts_each_start(library: LibraryService) -> None:
    """Each id counts one play; a sound started twice counts twice; unknown ids are ignored."""
    bell = await upload(library, "bell", 440)
    gong = await upload(library, "gong", 550)
    await library.record_plays([bell.id, gong.id, bell.id, 9999])
    await library.record_plays([])
    assert (await library.get_sound(GUILD, bell.id)).play_count == 2
    assert (await library.get_sound(GUILD, gong.id)).play_count == 1


async def test_track_is_what_playback_needs(library: LibraryService) -> None:
    """``track`` maps a sound to the playback port's Track."""
    bell = await upload(library, "bell")
    assert library.track(bell) == Track(bell.id, "bell", bell.blob_hash, bell.duration_s)
