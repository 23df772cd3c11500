"""The library service on a real migrated SQLite file, with real ingest of short generated tones."""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from audio.blobstore import BlobStore
from audio.ingest import IngestedSound, Ingestor
from audio.limits import AudioLimits
from bot.config import AudioSettings, Settings
from bot.errors import NotFoundError, PermissionDenied, ValidationError
from bot.library import (
    MAX_PLAYLIST_ITEMS,
    DuplicateSound,
    LibraryService,
    SoundView,
    TaskRef,
)
from bot.library_model import free_name, name_from_text
from bot.playback import Track
from bot.playlists import PlaylistService
from bot.tasks.service import Actor
from storage.enums import RecurrenceType, TaskStatus, TaskType
from storage.models import Blob, PlaylistItem, ScheduledTask, Sound
from storage.uow import UnitOfWorkFactory
from tests.audio.tones import tone_bytes
from tests.bot.conftest import FakeClock

GUILD = 1000
OTHER_GUILD = 2000
ALICE = 11
BOB = 12
ADMIN = Actor(99, is_admin=True)


def tone(freq: float = 440.0, seconds: float = 0.3) -> bytes:
    """A short WAV tone; each frequency is different content (a different blob)."""
    return tone_bytes("wav", "pcm_s16le", seconds=seconds, freq=freq)


class CountingIngestor:
    """The real ingestor, counting calls and optionally running a hook while it works."""

    def __init__(self, inner: Ingestor) -> None:
        self.inner = inner
        self.calls = 0
        self.hook: Callable[[], Awaitable[None]] | None = None

    async def ingest(self, data: bytes | Path, *, max_bytes: int | None = None) -> IngestedSound:
        self.calls += 1
        result = await self.inner.ingest(data, max_bytes=max_bytes)
        if self.hook is not None:
            await self.hook()
        return result


@pytest.fixture
def store(tmp_path: Path) -> BlobStore:
    return BlobStore(tmp_path / "sounds")


@pytest.fixture
def ingestor(store: BlobStore) -> CountingIngestor:
    return CountingIngestor(Ingestor(store, AudioLimits(max_duration_s=2.0)))


@pytest.fixture
def library(
    uow_factory: UnitOfWorkFactory,
    ingestor: CountingIngestor,
    store: BlobStore,
    clock: FakeClock,
) -> LibraryService:
    return LibraryService(uow_factory, ingestor, store, clock, Settings())


@pytest.fixture
def playlists(uow_factory: UnitOfWorkFactory, clock: FakeClock) -> PlaylistService:
    return PlaylistService(uow_factory, clock)


async def upload(
    library: LibraryService,
    name: str,
    freq: float = 440.0,
    *,
    guild_id: int = GUILD,
    user_id: int = ALICE,
) -> SoundView:
    return await library.upload(guild_id, user_id, name, tone(freq))


async def blob_rows(uow_factory: UnitOfWorkFactory) -> list[str]:
    async with uow_factory() as uow:
        return list((await uow.session.execute(select(Blob.hash))).scalars())


async def positions(uow_factory: UnitOfWorkFactory, playlist_id: int) -> list[int]:
    async with uow_factory() as uow:
        result = await uow.session.execute(
            select(PlaylistItem.position)
            .where(PlaylistItem.playlist_id == playlist_id)
            .order_by(PlaylistItem.position)
        )
        return list(result.scalars())


def names(view_tracks: tuple[SoundView, ...]) -> list[str]:
    return [t.name for t in view_tracks]


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


# -------------------------------------------------------------------------------- playlists


@pytest.fixture
async def abc(library: LibraryService) -> list[SoundView]:
    """Three sounds a, b, c of 0.3 s each."""
    return [await upload(library, name, 300 + 100 * i) for i, name in enumerate("abc")]


async def test_create_playlist_rules(library: LibraryService, playlists: PlaylistService) -> None:
    """A playlist name follows the sound name rules and is unique per server, any case."""
    mix = await playlists.create_playlist(GUILD, ALICE, " Mix ")
    assert (mix.name, mix.owner_id, mix.tracks, mix.total_duration_s) == ("Mix", ALICE, (), 0)
    with pytest.raises(ValidationError, match='already has a playlist called "MIX"'):
        await playlists.create_playlist(GUILD, BOB, "MIX")
    with pytest.raises(ValidationError, match="cannot be empty"):
        await playlists.create_playlist(GUILD, BOB, "")
    assert (await playlists.create_playlist(OTHER_GUILD, BOB, "mix")).name == "mix"


async def test_add_at_end_and_at_a_position(
    library: LibraryService,
    playlists: PlaylistService,
    abc: list[SoundView],
    uow_factory: UnitOfWorkFactory,
) -> None:
    """Sounds go to the end by default, or are inserted at a 1-based position."""
    mix = await playlists.create_playlist(GUILD, ALICE, "mix")
    await playlists.add_to_playlist(GUILD, Actor(ALICE), "mix", "a")
    await playlists.add_to_playlist(GUILD, Actor(ALICE), "mix", "c")
    view = await playlists.add_to_playlist(GUILD, Actor(ALICE), "mix", "B", position=2)
    view = await playlists.add_to_playlist(GUILD, Actor(ALICE), "MIX", "c", position=1)
    assert names(view.tracks) == ["c", "a", "b", "c"]
    assert view.total_duration_s == pytest.approx(1.2, abs=0.05)
    assert await positions(uow_factory, mix.id) == [1, 2, 3, 4]
    assert await playlists.show_playlist(GUILD, "mix") == view


async def test_add_refuses_bad_position_and_unknown_names(
    library: LibraryService, playlists: PlaylistService, abc: list[SoundView]
) -> None:
    """Positions beyond the end, unknown sounds and unknown playlists are clear errors."""
    await playlists.create_playlist(GUILD, ALICE, "mix")
    await playlists.add_to_playlist(GUILD, Actor(ALICE), "mix", "a")
    with pytest.raises(ValidationError) as caught:
        await playlists.add_to_playlist(GUILD, Actor(ALICE), "mix", "b", position=3)
    assert caught.value.message == (
        'Position 3 is outside the playlist "mix", which has 1 sound: use 1 to 2 '
        "(2 adds it at the end), or leave the position out."
    )
    with pytest.raises(ValidationError, match="outside"):
        await playlists.add_to_playlist(GUILD, Actor(ALICE), "mix", "b", position=0)
    with pytest.raises(NotFoundError, match='no sound called "zz"'):
        await playlists.add_to_playlist(GUILD, Actor(ALICE), "mix", "zz")
    with pytest.raises(NotFoundError, match='Did you mean "mix"'):
        await playlists.add_to_playlist(GUILD, Actor(ALICE), "mixx", "a")
    other = await upload(library, "d", 900, guild_id=OTHER_GUILD)
    with pytest.raises(NotFoundError):
        await playlists.add_to_playlist(GUILD, Actor(ALICE), "mix", other.name)


async def test_playlist_holds_at_most_100_sounds(
    library: LibraryService,
    playlists: PlaylistService,
    abc: list[SoundView],
    uow_factory: UnitOfWorkFactory,
) -> None:
    """The 101st sound is refused with what to do instead."""
    mix = await playlists.create_playlist(GUILD, ALICE, "mix")
    async with uow_factory() as uow:
        for position in range(1, MAX_PLAYLIST_ITEMS + 1):
            await uow.playlists.append_item(mix.id, abc[0].id, position)
        await uow.commit()
    with pytest.raises(ValidationError, match="already has 100 sounds.*/playlist remove"):
        await playlists.add_to_playlist(GUILD, Actor(ALICE), "mix", "b")
    removed, view = await playlists.remove_from_playlist(GUILD, Actor(ALICE), "mix", 100)
    view = await playlists.add_to_playlist(GUILD, Actor(ALICE), "mix", "b", position=1)
    assert len(view.tracks) == 100 and view.tracks[0].name == "b"
    assert await positions(uow_factory, mix.id) == list(range(1, 101))


async def test_remove_keeps_positions_contiguous(
    library: LibraryService,
    playlists: PlaylistService,
    abc: list[SoundView],
    uow_factory: UnitOfWorkFactory,
) -> None:
    """Removing from the middle closes the gap; the removed sound is returned."""
    mix = await playlists.create_playlist(GUILD, ALICE, "mix")
    for name in "abc":
        await playlists.add_to_playlist(GUILD, Actor(ALICE), "mix", name)
    removed, view = await playlists.remove_from_playlist(GUILD, Actor(ALICE), "mix", 2)
    assert removed.name == "b"
    assert names(view.tracks) == ["a", "c"]
    assert await positions(uow_factory, mix.id) == [1, 2]
    with pytest.raises(ValidationError) as caught:
        await playlists.remove_from_playlist(GUILD, Actor(ALICE), "mix", 3)
    assert caught.value.message == (
        'The position 3 is not in the playlist "mix", which has 2 sounds: use a number from '
        "1 to 2 (see /playlist show)."
    )


async def test_remove_and_move_on_an_empty_playlist(
    library: LibraryService, playlists: PlaylistService
) -> None:
    """An empty playlist says so and how to fill it."""
    await playlists.create_playlist(GUILD, ALICE, "mix")
    with pytest.raises(ValidationError, match='"mix" is empty; add sounds to it with /playlist'):
        await playlists.remove_from_playlist(GUILD, Actor(ALICE), "mix", 1)
    with pytest.raises(ValidationError, match="is empty"):
        await playlists.move_in_playlist(GUILD, Actor(ALICE), "mix", 1, 1)


@pytest.mark.parametrize(
    ("from_pos", "to_pos", "expected"),
    [(1, 3, "bcad"), (3, 1, "cabd"), (4, 1, "dabc"), (1, 4, "bcda"), (2, 2, "abcd")],
)
async def test_move(
    library: LibraryService,
    playlists: PlaylistService,
    abc: list[SoundView],
    uow_factory: UnitOfWorkFactory,
    from_pos: int,
    to_pos: int,
    expected: str,
) -> None:
    """Moving takes the sound out and inserts it at the target; the others shift over."""
    await upload(library, "d", 700)
    mix = await playlists.create_playlist(GUILD, ALICE, "mix")
    for name in "abcd":
        await playlists.add_to_playlist(GUILD, Actor(ALICE), "mix", name)
    view = await playlists.move_in_playlist(GUILD, Actor(ALICE), "mix", from_pos, to_pos)
    assert "".join(names(view.tracks)) == expected
    assert await positions(uow_factory, mix.id) == [1, 2, 3, 4]


async def test_move_refuses_positions_outside(
    library: LibraryService, playlists: PlaylistService, abc: list[SoundView]
) -> None:
    """Both positions must be inside the playlist."""
    await playlists.create_playlist(GUILD, ALICE, "mix")
    await playlists.add_to_playlist(GUILD, Actor(ALICE), "mix", "a")
    with pytest.raises(ValidationError, match="The to position 2 is not in the playlist"):
        await playlists.move_in_playlist(GUILD, Actor(ALICE), "mix", 1, 2)
    with pytest.raises(ValidationError, match="The from position 0 is not in the playlist"):
        await playlists.move_in_playlist(GUILD, Actor(ALICE), "mix", 0, 1)


async def test_only_owner_or_admin_changes_a_playlist(
    library: LibraryService, playlists: PlaylistService, abc: list[SoundView]
) -> None:
    """Another member is refused every change; an admin may make them all."""
    await playlists.create_playlist(GUILD, ALICE, "mix")
    await playlists.add_to_playlist(GUILD, Actor(ALICE), "mix", "a")
    bob = Actor(BOB)
    for change in [
        playlists.add_to_playlist(GUILD, bob, "mix", "b"),
        playlists.remove_from_playlist(GUILD, bob, "mix", 1),
        playlists.move_in_playlist(GUILD, bob, "mix", 1, 1),
        playlists.delete_playlist(GUILD, bob, "mix"),
    ]:
        with pytest.raises(PermissionDenied, match='created the playlist "mix", or a server admin'):
            await change
    await playlists.add_to_playlist(GUILD, ADMIN, "mix", "b")
    await playlists.move_in_playlist(GUILD, ADMIN, "mix", 2, 1)
    await playlists.remove_from_playlist(GUILD, ADMIN, "mix", 1)
    assert names((await playlists.show_playlist(GUILD, "mix")).tracks) == ["a"]
    await playlists.delete_playlist(GUILD, ADMIN, "mix")


async def test_list_and_delete_playlists(
    library: LibraryService, playlists: PlaylistService, abc: list[SoundView]
) -> None:
    """Lists show counts and lengths; deleting a playlist keeps its sounds."""
    await playlists.create_playlist(GUILD, ALICE, "Zed")
    await playlists.create_playlist(GUILD, BOB, "alpha")
    for name in "ab":
        await playlists.add_to_playlist(GUILD, Actor(BOB), "alpha", name)
    listed = await playlists.list_playlists(GUILD)
    assert [(p.name, p.owner_id, p.track_count) for p in listed] == [
        ("alpha", BOB, 2),
        ("Zed", ALICE, 0),
    ]
    assert listed[0].total_duration_s == pytest.approx(0.6, abs=0.03)
    assert [p.name for p in await playlists.list_playlists(GUILD, prefix="z")] == ["Zed"]
    assert await playlists.count_playlists(GUILD) == 2
    assert await playlists.search_playlist_names(GUILD, "") == ["alpha", "Zed"]
    assert await playlists.search_playlist_names(GUILD, "ED") == ["Zed"]
    deleted = await playlists.delete_playlist(GUILD, Actor(BOB), "ALPHA")
    assert names(deleted.tracks) == ["a", "b"]
    assert await playlists.count_playlists(GUILD) == 1
    assert await library.count_sounds(GUILD) == 3
    with pytest.raises(NotFoundError, match="see /playlist list"):
        await playlists.show_playlist(GUILD, "alpha")
    with pytest.raises(NotFoundError, match="no longer exists"):
        await playlists.get_playlist(GUILD, deleted.id)


async def test_random_edits_keep_positions_contiguous(
    library: LibraryService,
    playlists: PlaylistService,
    abc: list[SoundView],
    uow_factory: UnitOfWorkFactory,
) -> None:
    """A seeded run of adds, removes, moves and sound deletions matches a plain list model."""
    rng = random.Random(7)
    extra = [await upload(library, f"s{i}", 1000 + 37 * i) for i in range(3)]
    mix = await playlists.create_playlist(GUILD, ALICE, "mix")
    pool = [s.name for s in abc + extra]
    model: list[str] = []
    me = Actor(ALICE)
    for _ in range(60):
        op = rng.choice(["add", "add", "remove", "move", "delete"] if model else ["add"])
        if op == "add":
            name, at = rng.choice(pool), rng.randint(1, len(model) + 1)
            view = await playlists.add_to_playlist(GUILD, me, "mix", name, position=at)
            model.insert(at - 1, name)
        elif op == "remove":
            at = rng.randint(1, len(model))
            _, view = await playlists.remove_from_playlist(GUILD, me, "mix", at)
            model.pop(at - 1)
        elif op == "move":
            a, b = rng.randint(1, len(model)), rng.randint(1, len(model))
            view = await playlists.move_in_playlist(GUILD, me, "mix", a, b)
            model.insert(b - 1, model.pop(a - 1))
        elif len(pool) > 2:
            name = rng.choice(pool)
            await library.delete_sound(GUILD, name, me)
            pool.remove(name)
            model = [m for m in model if m != name]
            view = await playlists.show_playlist(GUILD, "mix")
        else:
            continue
        assert names(view.tracks) == model
        assert await positions(uow_factory, mix.id) == list(range(1, len(model) + 1))


async def test_views_are_frozen(library: LibraryService) -> None:
    """Views are snapshots, not rows: they cannot be changed."""
    bell = await upload(library, "bell")
    with pytest.raises(AttributeError):
        bell.name = "x"  # type: ignore[misc]
    assert not isinstance(bell, Sound)
