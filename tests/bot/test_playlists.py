"""The playlist service on a real migrated SQLite file, with sounds from real ingest."""

from __future__ import annotations

import random

import pytest

from bot.errors import NotFoundError, PermissionDenied, ValidationError
from bot.library.playlists import PlaylistService
from bot.library.service import (
    MAX_PLAYLIST_ITEMS,
    LibraryService,
    SoundView,
)
from bot.tasks.service import Actor
from storage.models import Sound
from storage.uow import UnitOfWorkFactory
from tests.bot.librarykit import (
    ADMIN,
    ALICE,
    BOB,
    GUILD,
    OTHER_GUILD,
    names,
    positions,
    upload,
)

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
