"""``GuildPlayer``: the one voice player of a server.

Requests for a server are jobs run one at a time by a single runner task.  Everything here runs
on the event loop; discord.py's audio thread only reaches us through the ``after=`` callback, which
does nothing but ``loop.call_soon_threadsafe`` (touching player state from that thread is how
MusicBot's ``_playback_finished`` races).
"""

from __future__ import annotations

import asyncio
import collections
import logging
import random
from collections.abc import Callable

from audio.limits import PlayerSettings
from audio.ogg import CorruptOggError
from audio.playjob import (
    LOST_CONNECTION,
    STOP_DETAIL,
    AbortJob,
    Job,
    PlayerStatus,
    after_callback,
)
from audio.queue import PlayQueue
from audio.source import OggOpusSource
from audio.voice import VoiceConnection, VoiceDirectory, VoiceTarget
from bot.errors import PermanentPlaybackError, TransientPlaybackError
from bot.plays.port import OnBusy, PlaybackOutcome, PlaybackRequest, PlaybackResult, Track

log = logging.getLogger(__name__)

# Opens a track's blob, capped at a duration; blocking, so the player calls it in a worker thread.
SourceOpener = Callable[[Track, "float | None"], OggOpusSource]


class GuildPlayer:
    """Plays requests for one server, one at a time, in one voice connection."""

    def __init__(
        self,
        guild_id: int,
        directory: VoiceDirectory,
        open_source: SourceOpener,
        settings: PlayerSettings,
        rng: random.Random,
    ) -> None:
        self.guild_id = guild_id
        self._directory = directory
        self._open_source = open_source
        self._settings = settings
        self._rng = rng
        self._pending: collections.deque[Job] = collections.deque()
        self._current: Job | None = None
        self._connection: VoiceConnection | None = None
        self._runner: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._closed = False

    # -- commands (event loop) ------------------------------------------------------------------

    @property
    def busy(self) -> bool:
        """Whether a request is playing or waiting."""
        return self._current is not None or bool(self._pending)

    async def play(self, request: PlaybackRequest) -> PlaybackResult:
        """Run a request to its end (see :class:`bot.plays.port.PlaybackPort`)."""
        job = Job(request, asyncio.get_running_loop().create_future())
        if self._closed:
            return job.result(PlaybackOutcome.STOPPED, "The player is shutting down.")
        if self.busy and request.on_busy is OnBusy.SKIP:
            return job.result(PlaybackOutcome.SKIPPED_BUSY, "Something else is playing.")
        if self.busy and request.on_busy is OnBusy.INTERRUPT:
            if self._current is not None:
                self._stop_job(self._current, PlaybackOutcome.INTERRUPTED)
            self._pending.appendleft(job)  # ahead of queued requests, which still play afterwards
        else:
            self._pending.append(job)
        log.debug("guild %s: queued %s (%s)", self.guild_id, request.label, request.on_busy)
        self._ensure_runner()
        try:
            return await job.future
        except asyncio.CancelledError:
            # The caller gave up (task shutdown): do not keep playing for nobody.
            if job in self._pending:
                self._pending.remove(job)
            elif job is self._current:
                self._stop_job(job, PlaybackOutcome.STOPPED)
            raise

    def stop(self) -> bool:
        """Stop what is playing and drop what is waiting; False if there was nothing."""
        stopped = bool(self._pending)
        while self._pending:
            self._pending.popleft().settle(
                PlaybackResult(
                    PlaybackOutcome.STOPPED, audio_sent=False, detail="Stopped before it started."
                )
            )
        if self._current is not None:
            self._stop_job(self._current, PlaybackOutcome.STOPPED)
            stopped = True
        return stopped

    def skip(self) -> bool:
        """End the current track; the play mode picks the next one.  False if nothing played."""
        job = self._current
        if job is None or job.source is None or self._connection is None:
            return False
        job.skip_requested = True
        self._connection.stop()
        return True

    def status(self) -> PlayerStatus:
        """A snapshot for ``/player status``."""
        conn = self._connection
        connected = conn is not None and conn.is_connected()
        job = self._current
        return PlayerStatus(
            guild_id=self.guild_id,
            connected=connected,
            channel_id=conn.channel.id if conn is not None and connected else None,
            track=job.track if job else None,
            position_s=job.source.played_s if job and job.source else 0.0,
            play_mode=job.request.play_mode if job else None,
            label=job.request.label if job else "",
            queued=len(self._pending),
        )

    def voice_disconnected(self) -> None:
        """The bot left voice without us asking (kicked, channel deleted): forget the connection.

        A playing track ends early, which the job reports as a lost connection.
        """
        conn, self._connection = self._connection, None
        if conn is not None:
            log.info("guild %s: disconnected from voice externally", self.guild_id)
            conn.stop()

    async def close(self) -> None:
        """Stop everything, leave voice and end the runner task."""
        self._closed = True
        self.stop()
        if self._runner is not None:
            self._runner.cancel()
            await asyncio.gather(self._runner, return_exceptions=True)
        await self._leave("shutdown")

    # -- the runner -----------------------------------------------------------------------------

    def _ensure_runner(self) -> None:
        self._wake.set()
        # A runner that has returned may not have run its done-callback yet: check done() too.
        if self._runner is None or self._runner.done():
            self._runner = asyncio.create_task(self._run(), name=f"guild-player-{self.guild_id}")
            self._runner.add_done_callback(self._runner_done)

    def _runner_done(self, task: asyncio.Task[None]) -> None:
        if task is self._runner:
            self._runner = None
        if not task.cancelled() and task.exception() is not None:
            log.error("guild %s: player runner failed", self.guild_id, exc_info=task.exception())

    async def _run(self) -> None:
        while True:
            if not self._pending:
                if self._connection is None:
                    return
                self._wake.clear()
                try:
                    async with asyncio.timeout(self._settings.idle_timeout_s):
                        await self._wake.wait()
                except TimeoutError:
                    await self._leave("idle")
                continue
            job = self._pending.popleft()
            if job.future.done():
                continue
            self._current = job
            try:
                job.settle(await self._run_job(job))
            except asyncio.CancelledError:
                job.settle(job.result(PlaybackOutcome.STOPPED, "The player is shutting down."))
                raise
            except (PermanentPlaybackError, TransientPlaybackError) as exc:
                log.info("guild %s: %s failed: %s", self.guild_id, job.request.label, exc.message)
                job.fail(exc)
            except Exception as exc:
                log.exception("guild %s: %s crashed", self.guild_id, job.request.label)
                job.fail(exc)
            finally:
                self._current = None

    async def _leave(self, why: str) -> None:
        conn, self._connection = self._connection, None
        if conn is not None:
            log.info("guild %s: leaving voice (%s)", self.guild_id, why)
            try:
                await conn.disconnect(force=True)
            except Exception:
                log.warning("guild %s: voice disconnect failed", self.guild_id, exc_info=True)

    def _stop_job(self, job: Job, reason: PlaybackOutcome) -> None:
        if job.stop_reason is None:
            job.stop_reason = reason
        if job.source is not None and self._connection is not None:
            self._connection.stop()

    # -- one job --------------------------------------------------------------------------------

    async def _run_job(self, job: Job) -> PlaybackResult:
        try:
            return await self._play_request(job)
        except AbortJob as abort:
            if job.audio_sent:
                return job.result(PlaybackOutcome.STOPPED, abort.error.message)
            raise abort.error from abort.__cause__

    async def _play_request(self, job: Job) -> PlaybackResult:
        request = job.request
        if not request.tracks:
            raise PermanentPlaybackError("There is nothing to play: the list of sounds is empty.")
        target = self._directory.locate(self.guild_id, request.channel_id)
        if request.skip_if_nobody_listening and target.listeners == 0:
            return job.result(
                PlaybackOutcome.SKIPPED_EMPTY,
                f"Nobody is in the voice channel {target.channel_name}.",
            )
        if job.stop_reason is not None:
            return job.result(job.stop_reason, STOP_DETAIL[job.stop_reason])
        conn = await self._connect(target)
        queue = PlayQueue(
            request.tracks,
            request.play_mode,
            rng=self._rng,
            shuffle=request.shuffle,
            max_duration_s=request.max_duration_s,
        )
        skipped = False
        while True:
            if job.stop_reason is not None:
                return job.result(job.stop_reason, STOP_DETAIL[job.stop_reason])
            if self._connection is not conn or not conn.is_connected():
                raise AbortJob(TransientPlaybackError(LOST_CONNECTION))
            track = queue.next_track(skipped=skipped)
            if track is None:
                if queue.out_of_time:
                    return job.result(
                        PlaybackOutcome.STOPPED,
                        f"Reached the maximum duration of {queue.max_duration_s:g} s.",
                    )
                return job.result(PlaybackOutcome.FINISHED)
            if request.on_track_start is not None and not await request.on_track_start(track):
                return job.result(
                    PlaybackOutcome.CHARGE_DECLINED, f"Not enough credits to play {track.name}."
                )
            if job.stop_reason is None:
                skipped = await self._play_track(job, conn, track, queue)

    async def _connect(self, target: VoiceTarget) -> VoiceConnection:
        attempts = self._settings.connect_retries + 1
        timeout = self._settings.connect_timeout_s
        for attempt in range(1, attempts + 1):
            try:
                conn = await self._directory.join(target, connect_timeout_s=timeout)
            except TimeoutError:
                log.warning(
                    "guild %s: voice connect to channel %s timed out (attempt %d of %d)",
                    self.guild_id,
                    target.channel_id,
                    attempt,
                    attempts,
                )
                if attempt < attempts:
                    await asyncio.sleep(self._settings.connect_retry_delay_s)
                continue
            self._connection = conn
            return conn
        raise TransientPlaybackError(
            f"Could not connect to the voice channel {target.channel_name}: Discord did not answer "
            f"within {timeout:g} s ({attempts} attempts). Try again in a moment."
        )

    async def _play_track(
        self, job: Job, conn: VoiceConnection, track: Track, queue: PlayQueue
    ) -> bool:
        """Play one track to its end; returns whether it was skipped."""
        try:
            source = await asyncio.to_thread(self._open_source, track, queue.remaining_s)
        except FileNotFoundError as exc:
            raise AbortJob(
                PermanentPlaybackError(
                    f"The sound {track.name} is missing from storage. Upload it again."
                )
            ) from exc
        except ValueError as exc:  # CorruptOggError, or a malformed blob hash
            raise AbortJob(
                PermanentPlaybackError(f"The sound {track.name} is damaged. Upload it again.")
            ) from exc
        if job.stop_reason is not None or self._connection is not conn:
            source.cleanup()
            return False
        loop = asyncio.get_running_loop()
        finished: asyncio.Future[Exception | None] = loop.create_future()
        try:
            conn.play(source, after=after_callback(loop, finished))
        except Exception as exc:  # discord.ClientException: not connected any more
            source.cleanup()
            raise AbortJob(TransientPlaybackError(LOST_CONNECTION)) from exc
        job.track, job.source = track, source
        job.started.append(track)
        try:
            error = await finished
        finally:
            job.played_s += source.played_s
            queue.record_played(source.played_s)
            job.track = job.source = None
        if isinstance(error, CorruptOggError):
            raise AbortJob(
                PermanentPlaybackError(f"The sound {track.name} is damaged. Upload it again.")
            ) from error
        if error is not None:
            log.warning("guild %s: voice playback failed", self.guild_id, exc_info=error)
            raise AbortJob(TransientPlaybackError(f"Voice playback failed: {error}")) from error
        if job.skip_requested:
            job.skip_requested = False
            return True
        if job.stop_reason is not None:
            return False
        if not source.exhausted:
            # Nobody here stopped it: discord.py ended the player because voice went away.
            await self._forget(conn)
            raise AbortJob(TransientPlaybackError(LOST_CONNECTION))
        if source.packets_read == 0:
            # An empty blob would spin loop modes without sending anything.
            raise AbortJob(
                PermanentPlaybackError(f"The sound {track.name} has no audio. Upload it again.")
            )
        return False

    async def _forget(self, conn: VoiceConnection) -> None:
        if self._connection is conn:
            await self._leave("connection lost")
