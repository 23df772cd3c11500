"""GuildPlayer and PlayerManager logic against a fake voice directory (no Discord server).

End-to-end voice tests (connect, audio received intact, move, idle leave, kick) run through the
Discord emulator in ``tests/e2e``; these pin the player's own decisions.
"""

from __future__ import annotations

import asyncio
import random
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator

import discord
import pytest

from audio.blobstore import BlobStore
from audio.ingest import Ingestor
from audio.limits import PlayerSettings
from audio.players import PlayerManager
from audio.playjob import after_callback
from bot.errors import PermanentPlaybackError, TransientPlaybackError
from bot.plays.port import (
    OnBusy,
    PlaybackOutcome,
    PlaybackPort,
    PlaybackRequest,
    PlayMode,
    Track,
)
from tests.audio.fakes import FakeChannel, FakeDirectory
from tests.audio.tones import tone_bytes

GUILD = 1
GENERAL, MUSIC, EMPTY = 10, 20, 30
PACKETS_PER_TRACK = 21  # 0.4 s of audio + one pre-skip packet


@pytest.fixture(scope="module")
def module_store(tmp_path_factory: pytest.TempPathFactory) -> BlobStore:
    return BlobStore(tmp_path_factory.mktemp("player-data"))


@pytest.fixture(scope="module")
def tracks(module_store: BlobStore) -> dict[str, Track]:
    """Three stored 0.4 s tones: a, b and c."""
    ingestor = Ingestor(module_store)
    out = {}
    for i, (name, freq) in enumerate([("a", 440.0), ("b", 550.0), ("c", 660.0)], start=1):
        sound = ingestor.ingest_blocking(tone_bytes("wav", "pcm_s16le", seconds=0.4, freq=freq))
        out[name] = Track(i, name, sound.blob_hash, sound.duration_s)
    return out


@pytest.fixture
def directory() -> FakeDirectory:
    return FakeDirectory(
        channels={
            GENERAL: FakeChannel("General"),
            MUSIC: FakeChannel("Music"),
            EMPTY: FakeChannel("Empty", listeners=0),
        }
    )


@pytest.fixture
def settings() -> PlayerSettings:
    return PlayerSettings(
        idle_timeout_s=60.0, connect_timeout_s=1.0, connect_retries=2, connect_retry_delay_s=0.0
    )


@pytest.fixture
async def manager(
    module_store: BlobStore, directory: FakeDirectory, settings: PlayerSettings
) -> AsyncIterator[PlayerManager]:
    client = discord.Client(intents=discord.Intents.none())
    async with PlayerManager(
        client, module_store, settings, rng=random.Random(1), directory=directory
    ) as players:
        yield players


def request(*tracks: Track, **kwargs: object) -> PlaybackRequest:
    fields: dict[str, object] = {"guild_id": GUILD, "channel_id": GENERAL, "label": "test"}
    fields.update(kwargs)
    return PlaybackRequest(tracks=tracks, **fields)  # type: ignore[arg-type]


async def eventually(condition: Callable[[], bool]) -> None:
    """Poll for up to 3 s: the fake's audio thread changes state without telling the loop."""
    for _ in range(1500):
        if condition():
            return
        await asyncio.sleep(0.002)
    raise AssertionError("condition not met within 3 s")


def recorder(log: list[str], *, decline: str | None = None) -> Callable[[Track], Awaitable[bool]]:
    async def on_track_start(track: Track) -> bool:
        log.append(track.name)
        return track.name != decline

    return on_track_start


def playing(manager: PlayerManager) -> bool:
    status = manager.status(GUILD)
    return status is not None and status.track is not None and status.position_s > 0


@pytest.fixture
def slow(directory: FakeDirectory) -> Iterator[None]:
    """Packets take 5 ms each, so a track lasts ~0.1 s and can be interrupted."""
    directory.packet_delay_s = 0.005
    yield


# -- playing ----------------------------------------------------------------------------------


async def test_plays_tracks_in_order_and_charges_each(
    manager: PlayerManager, directory: FakeDirectory, tracks: dict[str, Track]
) -> None:
    """Continuous mode plays every track once; on_track_start runs before each."""
    charged: list[str] = []
    result = await manager.play(request(tracks["a"], tracks["b"], on_track_start=recorder(charged)))
    assert result.outcome is PlaybackOutcome.FINISHED
    assert result.audio_sent and result.tracks_started == 2
    assert result.tracks == (tracks["a"], tracks["b"])
    assert result.played_s == pytest.approx(2 * PACKETS_PER_TRACK * 0.02)
    assert charged == ["a", "b"]
    assert directory.voice is not None
    assert len(directory.voice.sent) == 2 * PACKETS_PER_TRACK


async def test_after_runs_on_the_audio_thread_and_results_on_the_loop(
    manager: PlayerManager, directory: FakeDirectory, tracks: dict[str, Track]
) -> None:
    """discord.py's after= fires on its own thread; the player still settles on the loop."""
    result = await manager.play(request(tracks["a"]))
    assert result.outcome is PlaybackOutcome.FINISHED
    assert directory.voice is not None
    assert directory.voice.after_threads
    assert threading.get_ident() not in directory.voice.after_threads


async def test_after_callback_tolerates_a_closed_loop() -> None:
    """A late after= during shutdown must not raise on discord.py's thread."""
    loop = asyncio.new_event_loop()
    finished = loop.create_future()
    callback = after_callback(loop, finished)
    loop.close()
    callback(None)  # no exception


async def test_charge_declined(manager: PlayerManager, tracks: dict[str, Track]) -> None:
    """on_track_start returning False stops before that track."""
    charged: list[str] = []
    result = await manager.play(
        request(tracks["a"], tracks["b"], on_track_start=recorder(charged, decline="b"))
    )
    assert result.outcome is PlaybackOutcome.CHARGE_DECLINED
    assert (result.tracks_started, result.audio_sent) == (1, True)
    first = await manager.play(request(tracks["a"], on_track_start=recorder([], decline="a")))
    assert first.outcome is PlaybackOutcome.CHARGE_DECLINED
    assert (first.tracks_started, first.audio_sent, first.played_s) == (0, False, 0.0)


async def test_nobody_listening_skips_without_joining(
    manager: PlayerManager, directory: FakeDirectory, tracks: dict[str, Track]
) -> None:
    """An empty channel is skipped (no connect) unless the request says otherwise."""
    result = await manager.play(request(tracks["a"], channel_id=EMPTY))
    assert result.outcome is PlaybackOutcome.SKIPPED_EMPTY
    assert "Empty" in result.detail and directory.joins == []
    forced = await manager.play(
        request(tracks["a"], channel_id=EMPTY, skip_if_nobody_listening=False)
    )
    assert forced.outcome is PlaybackOutcome.FINISHED


@pytest.mark.parametrize(
    ("channel_id", "error", "message"),
    [
        (99, None, "no longer exists"),
        (GENERAL, PermanentPlaybackError("I don't have the Speak permission"), "Speak"),
    ],
)
async def test_permanent_channel_errors(
    manager: PlayerManager,
    directory: FakeDirectory,
    tracks: dict[str, Track],
    channel_id: int,
    error: PermanentPlaybackError | None,
    message: str,
) -> None:
    """Errors found when locating the channel reach the caller as permanent errors."""
    directory.channels[GENERAL].error = error
    with pytest.raises(PermanentPlaybackError, match=message):
        await manager.play(request(tracks["a"], channel_id=channel_id))
    assert directory.joins == []


async def test_empty_track_list_is_permanent(manager: PlayerManager) -> None:
    """Nothing to play is an error the caller should not retry."""
    with pytest.raises(PermanentPlaybackError, match="nothing to play"):
        await manager.play(request())


async def test_missing_blob_is_permanent(manager: PlayerManager) -> None:
    """A track whose blob is gone is reported, not retried."""
    ghost = Track(9, "ghost", "f" * 64, 1.0)
    with pytest.raises(PermanentPlaybackError, match="ghost is missing from storage"):
        await manager.play(request(ghost))


# -- connecting -------------------------------------------------------------------------------


async def test_connect_timeouts_are_retried(
    manager: PlayerManager, directory: FakeDirectory, tracks: dict[str, Track]
) -> None:
    """Two timed-out connects and a third that works: the sound plays."""
    directory.timeouts_before_connect = 2
    result = await manager.play(request(tracks["a"]))
    assert result.outcome is PlaybackOutcome.FINISHED
    assert directory.joins == [GENERAL] * 3


async def test_connect_gives_up_with_a_transient_error(
    manager: PlayerManager, directory: FakeDirectory, tracks: dict[str, Track]
) -> None:
    """After 1 + connect_retries timeouts the caller gets a retryable error."""
    directory.timeouts_before_connect = 5
    with pytest.raises(TransientPlaybackError, match="did not answer within 1 s"):
        await manager.play(request(tracks["a"]))
    assert directory.joins == [GENERAL] * 3


async def test_moves_to_the_requested_channel(
    manager: PlayerManager, directory: FakeDirectory, tracks: dict[str, Track]
) -> None:
    """A request for another channel moves the existing connection."""
    await manager.play(request(tracks["a"]))
    await manager.play(request(tracks["b"], channel_id=MUSIC))
    assert directory.joins == [GENERAL, MUSIC]
    assert directory.connects == 1
    assert directory.voice is not None and directory.voice.channel.id == MUSIC


# -- modes and limits -------------------------------------------------------------------------


async def test_max_duration_stops_a_loop(manager: PlayerManager, tracks: dict[str, Track]) -> None:
    """Loop mode ends exactly at max_duration, part-way through a track."""
    result = await manager.play(
        request(tracks["a"], tracks["b"], play_mode=PlayMode.LOOP, max_duration_s=0.5)
    )
    assert result.outcome is PlaybackOutcome.STOPPED
    assert "maximum duration of 0.5 s" in result.detail
    assert result.played_s == pytest.approx(0.5)
    assert result.tracks == (tracks["a"], tracks["b"])


async def test_loop_one_repeats_the_track(manager: PlayerManager, tracks: dict[str, Track]) -> None:
    """loop_one plays the same track until max_duration."""
    result = await manager.play(
        request(tracks["a"], tracks["b"], play_mode=PlayMode.LOOP_ONE, max_duration_s=1.0)
    )
    assert result.tracks == (tracks["a"],) * 3
    assert result.played_s == pytest.approx(1.0)


async def test_single_plays_one_track(manager: PlayerManager, tracks: dict[str, Track]) -> None:
    """single plays the first track and finishes."""
    result = await manager.play(request(tracks["a"], tracks["b"], play_mode=PlayMode.SINGLE))
    assert (result.outcome, result.tracks) == (PlaybackOutcome.FINISHED, (tracks["a"],))


# -- busy, stop, skip -------------------------------------------------------------------------


async def test_on_busy_skip(manager: PlayerManager, tracks: dict[str, Track], slow: None) -> None:
    """on_busy=skip returns at once when something is playing; the first request is untouched."""
    first = asyncio.create_task(manager.play(request(tracks["a"])))
    await eventually(lambda: playing(manager))
    second = await manager.play(request(tracks["b"], on_busy=OnBusy.SKIP))
    assert (second.outcome, second.audio_sent) == (PlaybackOutcome.SKIPPED_BUSY, False)
    assert (await first).outcome is PlaybackOutcome.FINISHED


async def test_on_busy_queue_waits_its_turn(
    manager: PlayerManager, tracks: dict[str, Track], slow: None
) -> None:
    """on_busy=queue plays after the current request ends."""
    started: list[str] = []
    first = asyncio.create_task(
        manager.play(request(tracks["a"], on_track_start=recorder(started)))
    )
    await eventually(lambda: playing(manager))
    second = asyncio.create_task(
        manager.play(request(tracks["b"], on_busy=OnBusy.QUEUE, on_track_start=recorder(started)))
    )
    results = await asyncio.gather(first, second)
    assert [r.outcome for r in results] == [PlaybackOutcome.FINISHED] * 2
    assert started == ["a", "b"]


async def test_on_busy_interrupt(
    manager: PlayerManager, tracks: dict[str, Track], slow: None
) -> None:
    """on_busy=interrupt ends the current request (INTERRUPTED) and plays now."""
    first = asyncio.create_task(manager.play(request(tracks["a"], play_mode=PlayMode.LOOP)))
    await eventually(lambda: playing(manager))
    second = await manager.play(request(tracks["b"], on_busy=OnBusy.INTERRUPT))
    interrupted = await first
    assert interrupted.outcome is PlaybackOutcome.INTERRUPTED and interrupted.audio_sent
    assert second.outcome is PlaybackOutcome.FINISHED


async def test_stop_ends_playing_and_queued_requests(
    manager: PlayerManager, tracks: dict[str, Track], slow: None
) -> None:
    """stop() ends the current request and drops queued ones; then there is nothing to stop."""
    first = asyncio.create_task(manager.play(request(tracks["a"], play_mode=PlayMode.LOOP)))
    await eventually(lambda: playing(manager))
    queued = asyncio.create_task(manager.play(request(tracks["b"])))
    await eventually(lambda: getattr(manager.status(GUILD), "queued", 0) == 1)
    assert await manager.stop(GUILD)
    stopped, dropped = await asyncio.gather(first, queued)
    assert (stopped.outcome, stopped.audio_sent) == (PlaybackOutcome.STOPPED, True)
    assert (dropped.outcome, dropped.audio_sent) == (PlaybackOutcome.STOPPED, False)
    assert not await manager.stop(GUILD)


async def test_skip_moves_to_the_next_track(
    manager: PlayerManager, tracks: dict[str, Track], slow: None
) -> None:
    """skip() cuts the current track short and the queue carries on."""
    task = asyncio.create_task(manager.play(request(tracks["a"], tracks["b"])))
    await eventually(lambda: playing(manager))
    assert await manager.skip(GUILD)
    result = await task
    assert result.outcome is PlaybackOutcome.FINISHED
    assert result.tracks == (tracks["a"], tracks["b"])
    assert result.played_s < 2 * PACKETS_PER_TRACK * 0.02
    assert not await manager.skip(GUILD)


async def test_status_while_playing(
    manager: PlayerManager, tracks: dict[str, Track], slow: None
) -> None:
    """status() shows the channel, track, position, mode, label and queue length."""
    task = asyncio.create_task(manager.play(request(tracks["a"], label="task 7")))
    await eventually(lambda: playing(manager))
    status = manager.status(GUILD)
    assert status is not None
    assert (status.connected, status.channel_id, status.track) == (True, GENERAL, tracks["a"])
    assert (status.play_mode, status.label, status.queued) == (PlayMode.CONTINUOUS, "task 7", 0)
    assert status.position_s > 0
    await task
    assert manager.status(2) is None


async def test_cancelled_caller_stops_playback(
    manager: PlayerManager, directory: FakeDirectory, tracks: dict[str, Track], slow: None
) -> None:
    """If the awaiting caller is cancelled, the player stops rather than play for nobody."""
    task = asyncio.create_task(manager.play(request(tracks["a"], play_mode=PlayMode.LOOP)))
    await eventually(lambda: playing(manager))
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert directory.voice is not None
    await eventually(lambda: not directory.voice.is_playing())  # type: ignore[union-attr]
    assert (await manager.play(request(tracks["b"]))).outcome is PlaybackOutcome.FINISHED


# -- leaving and losing voice -----------------------------------------------------------------


async def test_idle_timeout_leaves_voice(
    module_store: BlobStore, directory: FakeDirectory, tracks: dict[str, Track]
) -> None:
    """After idle_timeout_s with nothing to play, the player disconnects."""
    settings = PlayerSettings(idle_timeout_s=0.05, connect_retry_delay_s=0.0)
    client = discord.Client(intents=discord.Intents.none())
    async with PlayerManager(client, module_store, settings, directory=directory) as players:
        await players.play(request(tracks["a"]))
        voice = directory.voice
        assert voice is not None
        await eventually(lambda: not voice.connected)
        assert voice.disconnects == 1
        status = players.status(GUILD)
        assert status is not None and not status.connected
        # The next request connects again.
        assert (await players.play(request(tracks["b"]))).outcome is PlaybackOutcome.FINISHED
        assert directory.connects == 2


async def test_kicked_mid_track(
    manager: PlayerManager, directory: FakeDirectory, tracks: dict[str, Track], slow: None
) -> None:
    """Being kicked ends the request STOPPED (audio was sent); the next request reconnects."""
    task = asyncio.create_task(manager.play(request(tracks["a"], tracks["b"])))
    await eventually(lambda: playing(manager))
    assert directory.voice is not None
    directory.voice.kick()
    manager.bot_voice_changed(GUILD, GENERAL, None)
    result = await task
    assert (result.outcome, result.audio_sent) == (PlaybackOutcome.STOPPED, True)
    assert "Lost the voice connection" in result.detail
    assert result.tracks == (tracks["a"],)
    assert (await manager.play(request(tracks["b"]))).outcome is PlaybackOutcome.FINISHED
    assert directory.connects == 2


async def test_voice_lost_before_any_audio_is_transient(
    manager: PlayerManager, directory: FakeDirectory, tracks: dict[str, Track]
) -> None:
    """If voice drops before a packet went out, the caller gets a retryable error (refund)."""
    await manager.play(request(tracks["a"]))
    assert directory.voice is not None
    directory.voice.drop_next_play = True
    with pytest.raises(TransientPlaybackError, match="Lost the voice connection"):
        await manager.play(request(tracks["b"]))


async def test_disconnect_event_while_idle_forgets_the_connection(
    manager: PlayerManager, directory: FakeDirectory, tracks: dict[str, Track]
) -> None:
    """A disconnect seen while idle makes the next request connect afresh."""
    await manager.play(request(tracks["a"]))
    assert directory.voice is not None
    directory.voice.kick()
    manager.bot_voice_changed(GUILD, GENERAL, None)
    status = manager.status(GUILD)
    assert status is not None and not status.connected
    assert (await manager.play(request(tracks["b"]))).outcome is PlaybackOutcome.FINISHED
    assert directory.connects == 2


async def test_close_stops_and_leaves(
    module_store: BlobStore, directory: FakeDirectory, tracks: dict[str, Track]
) -> None:
    """close() ends playback (STOPPED), disconnects, and refuses new requests."""
    directory.packet_delay_s = 0.005
    client = discord.Client(intents=discord.Intents.none())
    players = PlayerManager(client, module_store, PlayerSettings(), directory=directory)
    task = asyncio.create_task(players.play(request(tracks["a"], play_mode=PlayMode.LOOP)))
    await eventually(lambda: playing(players))
    await players.close()
    result = await task
    assert result.outcome is PlaybackOutcome.STOPPED
    assert directory.voice is not None and not directory.voice.connected
    after = await players.play(request(tracks["a"]))
    assert (after.outcome, after.detail) == (PlaybackOutcome.STOPPED, "The bot is shutting down.")


async def test_unknown_guild(manager: PlayerManager) -> None:
    """stop and skip on a server that never played report False; status is None."""
    assert not await manager.stop(404)
    assert not await manager.skip(404)
    assert manager.status(404) is None


def test_manager_is_a_playback_port(module_store: BlobStore) -> None:
    """PlayerManager fits the port the scheduler and cogs are written against."""
    client = discord.Client(intents=discord.Intents.none())
    port: PlaybackPort = PlayerManager(client, module_store)
    assert callable(port.play) and callable(port.stop) and callable(port.skip)
