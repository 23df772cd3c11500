"""/schedule sound|playlist through the emulator: previews, errors, buttons and the play journey."""

from __future__ import annotations

import asyncio
import re

import pytest

from bot.library.model import PlaylistView, SoundView
from bot.services import Services
from bot.tasks.model import TaskStatus
from bot.tasks.service import Actor
from tests.audio.tones import tone_bytes
from tests.emulator import CommandRefused, Emulator, Reply, active_span, zero_crossing_frequency
from tests.emulator.state import CONNECT, MEMBER_PERMISSIONS, SPEAK

pytestmark = pytest.mark.e2e

TONE_HZ = 660.0
TONE_S = 0.6


@pytest.fixture
async def chime(carillon: Services, emulator: Emulator) -> SoundView:
    """A 660 Hz, 0.6 s sound named "chime", uploaded by alice (the /sound cog is not needed)."""
    wav = tone_bytes("wav", "pcm_s16le", seconds=TONE_S, freq=TONE_HZ)
    return await carillon.library.upload(
        emulator.guild.id, emulator.users["alice"].id, "chime", wav
    )


@pytest.fixture
async def bells(carillon: Services, emulator: Emulator, chime: SoundView) -> PlaylistView:
    """A playlist "bells" of alice's with the chime in it twice."""
    guild_id, alice = emulator.guild.id, emulator.users["alice"].id
    await carillon.playlists.create_playlist(guild_id, alice, "bells")
    await carillon.playlists.add_to_playlist(guild_id, Actor(alice), "bells", "chime")
    await carillon.playlists.add_to_playlist(guild_id, Actor(alice), "bells", "chime")
    return await carillon.playlists.show_playlist(guild_id, "bells")


def task_id_of(reply: Reply) -> int:
    found = re.search(r"Scheduled task #(\d+)", reply.text)
    assert found is not None, reply.text
    return int(found.group(1))


def timestamps(text: str, style: str) -> list[int]:
    return [int(value) for value in re.findall(rf"<t:(\d+):{style}>", text)]


async def test_journey_scheduled_sound_plays_charges_and_completes(
    carillon: Services, emulator: Emulator, chime: SoundView
) -> None:
    """alice schedules the chime "in 3 seconds": it plays in Lounge, costs 1 credit, completes."""
    emulator.timeout = 10.0  # three seconds of waiting, a voice connect and the tone
    emulator.user_joins_voice("alice", "Lounge")
    guild_id, alice = emulator.guild.id, emulator.users["alice"].id
    before = await carillon.credits.balance(guild_id, alice)

    reply = await emulator.slash("alice", "schedule sound", sound="chime", when="in 3 seconds")
    task_id = task_id_of(reply)
    audio = await emulator.audio_in("Lounge")
    await carillon.runner.drain()

    assert not reply.ephemeral
    assert emulator.voice.decrypt_errors == 0 and audio.lost == 0
    left = audio.left()
    span = active_span(left, threshold=2000)
    assert span is not None
    start, end = span
    assert (end - start) / audio.sample_rate == pytest.approx(TONE_S, abs=0.05)
    assert zero_crossing_frequency(left[start : end + 1]) == pytest.approx(TONE_HZ, rel=0.01)
    assert await carillon.credits.balance(guild_id, alice) == before - 1
    shown = await emulator.slash("alice", "tasks show", id=task_id)
    assert "completed" in shown.text
    history = await emulator.slash("alice", "tasks history", id=task_id)
    assert "succeeded" in history.text and "played 1 track(s)" in history.text


async def test_preview_shows_description_zone_next_runs_cost_and_buttons(
    carillon: Services, emulator: Emulator, chime: SoundView
) -> None:
    """The answer has the description, the zone, 3 runs as <t:…:F> and <t:…:R>, cost, buttons."""
    reply = await emulator.slash(
        "alice",
        "schedule sound",
        sound="chime",
        when="every day at 9am",
        channel=emulator.channel("Hall"),
        timezone="europe/paris",
    )

    task_id = task_id_of(reply)
    text = reply.text
    assert "Every day at 09:00" in text
    assert "Time zone: `Europe/Paris`" in text
    full, relative = timestamps(text, "F"), timestamps(text, "R")
    assert len(full) == 3 and full == relative and full == sorted(full)
    assert [b - a for a, b in zip(full, full[1:], strict=False)] == [86_400, 86_400]
    assert "1 credit per run" in text and "your balance: 100 credits" in text
    assert f"<#{emulator.channel('Hall').id}>" in text
    assert "chime · every day at 9am" in text  # the default name
    assert reply.message is not None
    assert [b["custom_id"] for b in reply.message.buttons()] == [
        f"task:pause:{task_id}",
        f"task:cancel:{task_id}",
    ]
    # Presses are answered by a listener, not a view held in memory, so they survive a restart.
    assert carillon.bot.persistent_views == []


async def test_unknown_time_text_is_an_ephemeral_error_with_examples(
    carillon: Services, emulator: Emulator, chime: SoundView
) -> None:
    """Text the time language does not understand is never read as "now"."""
    emulator.user_joins_voice("alice", "Lounge")

    reply = await emulator.slash("alice", "schedule sound", sound="chime", when="blurple o'clock")

    assert reply.ephemeral
    assert "the word 'blurple'" in reply.content
    assert "Try for example" in reply.content
    alice = Actor(emulator.users["alice"].id)
    alice = emulator.users["alice"].id
    assert await carillon.scheduler.get_user_tasks(alice, guild_id=emulator.guild.id) == []


async def test_a_past_time_is_refused(
    carillon: Services, emulator: Emulator, chime: SoundView
) -> None:
    """A date in the past is an error, not a run right now."""
    emulator.user_joins_voice("alice", "Lounge")

    reply = await emulator.slash("alice", "schedule sound", sound="chime", when="2020-01-01 10:00")

    assert reply.ephemeral
    assert "in the past" in reply.content


async def test_without_a_channel_and_not_in_voice_is_an_error(
    carillon: Services, emulator: Emulator, chime: SoundView
) -> None:
    """Nobody said where to play: the member is told to join a channel or pick one."""
    reply = await emulator.slash("alice", "schedule sound", sound="chime", when="in 1 hour")

    assert reply.ephemeral
    assert "not in a voice channel: join one, or pick one with the channel option" in reply.content


async def test_unknown_sound_and_unknown_zone_are_errors(
    carillon: Services, emulator: Emulator, chime: SoundView
) -> None:
    """A sound that does not exist, and a zone that does not exist, each say what to do."""
    emulator.user_joins_voice("alice", "Lounge")

    no_sound = await emulator.slash("alice", "schedule sound", sound="gong", when="in 1 hour")
    no_zone = await emulator.slash(
        "alice", "schedule sound", sound="chime", when="in 1 hour", timezone="Europe/Pariss"
    )

    assert no_sound.ephemeral and "gong" in no_sound.content
    assert no_zone.ephemeral
    assert "Unknown time zone" in no_zone.content and "Europe/Paris" in no_zone.content


async def test_the_zone_defaults_to_the_members_own(
    carillon: Services, emulator: Emulator, chime: SoundView
) -> None:
    """Without a timezone option the member's /timezone applies."""
    emulator.user_joins_voice("alice", "Lounge")
    await emulator.slash("alice", "timezone set", zone="Asia/Tokyo")

    reply = await emulator.slash("alice", "schedule sound", sound="chime", when="tomorrow at 7am")

    assert "Time zone: `Asia/Tokyo`" in reply.text


async def test_repeat_count_bounds_a_repeating_time(
    carillon: Services, emulator: Emulator, chime: SoundView
) -> None:
    """repeat_count becomes the schedule's count; on a one-shot it is an error."""
    emulator.user_joins_voice("alice", "Lounge")

    counted = await emulator.slash(
        "alice", "schedule sound", sound="chime", when="every day at 9", repeat_count=2
    )
    once = await emulator.slash(
        "alice", "schedule sound", sound="chime", when="in 1 hour", repeat_count=2
    )

    assert "Every day at 09:00, 2 times" in counted.text
    assert len(timestamps(counted.text, "F")) == 2
    task = await carillon.scheduler.get_task(
        emulator.guild.id, task_id_of(counted), Actor(emulator.users["alice"].id)
    )
    assert task.recurrence.count == 2
    assert once.ephemeral and "repeat_count needs a repeating time" in once.content


async def test_a_same_minute_clash_is_warned_about(
    carillon: Services, emulator: Emulator, chime: SoundView
) -> None:
    """A second task due in the same minute of the server gets a warning naming the first."""
    emulator.user_joins_voice("alice", "Lounge")
    await emulator.slash(
        "alice", "schedule sound", sound="chime", when="tomorrow at 10:00", name="first"
    )

    reply = await emulator.slash(
        "bob",
        "schedule sound",
        sound="chime",
        when="tomorrow at 10:00",
        channel=emulator.channel("Lounge"),
    )

    assert "⚠️" in reply.text and "also due then in this server: first" in reply.text


async def test_user_text_in_the_name_cannot_ping(
    carillon: Services, emulator: Emulator, chime: SoundView
) -> None:
    """A name with @everyone and markdown is shown inert and mentions nobody."""
    emulator.user_joins_voice("alice", "Lounge")

    reply = await emulator.slash(
        "alice", "schedule sound", sound="chime", when="in 1 hour", name="@everyone **hi**"
    )

    assert "@\u200beveryone \\*\\*hi\\*\\*" in reply.text
    assert "@everyone" not in reply.text


async def test_buttons_belong_to_the_owner_and_admins(
    carillon: Services, emulator: Emulator, chime: SoundView
) -> None:
    """bob cannot press alice's buttons; alice pauses and resumes; an admin cancels."""
    emulator.user_joins_voice("alice", "Lounge")
    reply = await emulator.slash("alice", "schedule sound", sound="chime", when="every day at 9")
    task_id = task_id_of(reply)
    guild_id, alice = emulator.guild.id, Actor(emulator.users["alice"].id)

    refused = await emulator.click("bob", reply, f"task:cancel:{task_id}")
    assert refused.ephemeral and "not yours" in refused.content
    assert (
        await carillon.scheduler.get_task(guild_id, task_id, alice)
    ).status is TaskStatus.PENDING

    paused = await emulator.click("alice", reply, f"task:pause:{task_id}")
    assert "Paused by" in paused.text
    assert paused.message is not None
    assert [b["custom_id"] for b in paused.message.buttons()] == [
        f"task:resume:{task_id}",
        f"task:cancel:{task_id}",
    ]
    assert (await carillon.scheduler.get_task(guild_id, task_id, alice)).status is TaskStatus.PAUSED

    resumed = await emulator.click("alice", reply, f"task:resume:{task_id}")
    assert "Resumed by" in resumed.text

    cancelled = await emulator.click("admin", reply, f"task:cancel:{task_id}")
    assert "Cancelled by" in cancelled.text
    assert cancelled.message is not None and cancelled.message.buttons() == []
    task = await carillon.scheduler.get_task(guild_id, task_id, alice)
    assert task.status is TaskStatus.CANCELLED


async def test_schedule_playlist_with_mode_shuffle_and_max_duration(
    carillon: Services, emulator: Emulator, bells: PlaylistView
) -> None:
    """A looping playlist keeps its mode, shuffle and max duration (90s -> 90 seconds)."""
    emulator.user_joins_voice("alice", "Hall")

    reply = await emulator.slash(
        "alice",
        "schedule playlist",
        playlist="bells",
        when="every monday at 18:00",
        play_mode="loop",
        shuffle=True,
        max_duration="90s",
        on_busy="skip",
    )

    task = await carillon.scheduler.get_task(
        emulator.guild.id, task_id_of(reply), Actor(emulator.users["alice"].id)
    )
    assert task.parameters == {
        "playlist_id": bells.id,
        "channel_id": emulator.channel("Hall").id,
        "play_mode": "loop",
        "shuffle": True,
        "max_duration_s": 90,
    }
    assert task.on_busy.value == "skip"
    assert "playlist **bells** (loop, shuffled)" in reply.text
    assert "1 credit per track it starts (2 tracks)" in reply.text
    assert "Every Monday at 18:00" in reply.text


@pytest.mark.parametrize(
    ("max_duration", "message"),
    [
        ("forever", "is not a duration"),
        ("2h", "max_duration must be between 1 and 3600 seconds"),
    ],
)
async def test_schedule_playlist_max_duration_is_read_and_bounded(
    carillon: Services, emulator: Emulator, bells: PlaylistView, max_duration: str, message: str
) -> None:
    """max_duration takes minutes or seconds, within the configured bound."""
    emulator.user_joins_voice("alice", "Hall")

    reply = await emulator.slash(
        "alice",
        "schedule playlist",
        playlist="bells",
        when="in 1 hour",
        max_duration=max_duration,
    )

    assert reply.ephemeral and message in reply.content


async def test_schedule_refuses_a_play_mode_that_is_not_a_choice(
    carillon: Services, emulator: Emulator, bells: PlaylistView
) -> None:
    """play_mode and on_busy are choices: Discord itself refuses anything else."""
    with pytest.raises(CommandRefused):
        await emulator.slash(
            "alice", "schedule playlist", playlist="bells", when="in 1 hour", play_mode="forever"
        )


async def test_sound_playlist_and_zone_autocomplete(
    carillon: Services, emulator: Emulator, bells: PlaylistView
) -> None:
    """The sound, playlist and timezone options suggest what exists."""
    # The emulator wants the other required options filled in, even for autocomplete.
    when = {"when": "in 1 hour"}
    sounds = await emulator.autocomplete("alice", "schedule sound", "sound", "chi", **when)
    playlists = await emulator.autocomplete("alice", "schedule playlist", "playlist", "be", **when)
    zones = await emulator.autocomplete(
        "alice", "schedule sound", "timezone", "pari", sound="chime", **when
    )
    abbreviation = await emulator.autocomplete(
        "alice", "schedule playlist", "timezone", "pst", playlist="bells", **when
    )

    assert [c["value"] for c in sounds] == ["chime"]
    assert [c["value"] for c in playlists] == ["bells"]
    assert "Europe/Paris" in [c["value"] for c in zones]
    assert abbreviation[0]["value"] == "America/Los_Angeles"


@pytest.mark.parametrize(
    ("removed", "missing"), [(CONNECT, "Connect"), (SPEAK, "Speak")], ids=["connect", "speak"]
)
async def test_a_channel_the_bot_cannot_play_in_is_refused_up_front(
    carillon: Services, emulator: Emulator, chime: SoundView, removed: int, missing: str
) -> None:
    """Without Connect or Speak for the bot, /schedule says so now, not at 9am."""
    emulator.set_role_permissions("everyone", MEMBER_PERMISSIONS & ~removed)
    emulator.set_role_permissions("bot", MEMBER_PERMISSIONS & ~removed)
    guild = carillon.bot.get_guild(emulator.guild.id)
    assert guild is not None

    for _ in range(250):  # the bot applies GUILD_ROLE_UPDATE on its own time
        if not (guild.me.guild_permissions.connect and guild.me.guild_permissions.speak):
            break
        await asyncio.sleep(0.02)
    assert not (guild.me.guild_permissions.connect and guild.me.guild_permissions.speak)
    reply = await emulator.slash(
        "alice", "schedule sound", sound="chime", when="in 1 hour", channel=emulator.channel("Hall")
    )
    assert reply.ephemeral
    assert f"I don't have the {missing} permission" in reply.content
    alice = emulator.users["alice"].id
    assert await carillon.scheduler.get_user_tasks(alice, guild_id=emulator.guild.id) == []
