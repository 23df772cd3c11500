"""The play queue: which track plays next for one playback request.

Plain Python with no Discord in it (modelled on Wavelink's ``Queue``/``QueueMode``): the player asks
:meth:`PlayQueue.next_track` after every track and reports how long each one played; the RNG is
injected so tests can pin every random choice.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from bot.plays.port import PlayMode, Track


class PlayQueue:
    """Play-mode state machine over a fixed list of tracks.

    - ``continuous``: the list once, in order.
    - ``loop``: the list again and again.
    - ``loop_one``: the current track again and again; a skip moves on to the next one.
    - ``random``: a track chosen by the RNG each time, forever.
    - ``single``: the first track, then nothing.

    ``shuffle`` shuffles the order once, before the first track (in ``random`` mode it changes
    nothing).  ``max_duration_s`` bounds the total time played: once it is used up, there is no
    next track, and :attr:`remaining_s` tells the player how much of the current track may play.
    """

    def __init__(
        self,
        tracks: Sequence[Track],
        mode: PlayMode,
        *,
        rng: random.Random,
        shuffle: bool = False,
        max_duration_s: float | None = None,
    ) -> None:
        if not tracks:
            raise ValueError("a play queue needs at least one track")
        if max_duration_s is not None and max_duration_s <= 0:
            raise ValueError("max_duration_s must be positive")
        self.mode = mode
        self.max_duration_s = max_duration_s
        self._rng = rng
        self._order = list(tracks)
        if shuffle and mode is not PlayMode.RANDOM:
            rng.shuffle(self._order)
        self._index = -1
        self._ended = False
        self.current: Track | None = None
        self.played_s = 0.0

    @property
    def order(self) -> tuple[Track, ...]:
        """The order tracks are taken in (after shuffling)."""
        return tuple(self._order)

    @property
    def remaining_s(self) -> float | None:
        """Time left under ``max_duration_s`` (``None``: unbounded)."""
        if self.max_duration_s is None:
            return None
        return max(0.0, self.max_duration_s - self.played_s)

    @property
    def out_of_time(self) -> bool:
        """Whether ``max_duration_s`` has been used up."""
        remaining = self.remaining_s
        return remaining is not None and remaining <= 0.0

    def record_played(self, seconds: float) -> None:
        """Count ``seconds`` of the current track as played."""
        if seconds < 0:
            raise ValueError("played time cannot be negative")
        self.played_s += seconds

    def next_track(self, *, skipped: bool = False) -> Track | None:
        """Advance to the track to play now, or ``None`` when playback is over (and stays over).

        ``skipped`` says the previous track was skipped rather than finished; only ``loop_one``
        treats the two differently.
        """
        if self._ended or self.out_of_time:
            self._end()
            return None
        first = self._index < 0
        count = len(self._order)
        match self.mode:
            case PlayMode.CONTINUOUS:
                if self._index + 1 >= count:
                    self._end()
                    return None
                self._index += 1
            case PlayMode.LOOP:
                self._index = (self._index + 1) % count
            case PlayMode.LOOP_ONE:
                if first or skipped:
                    self._index = (self._index + 1) % count
            case PlayMode.RANDOM:
                self._index = self._rng.randrange(count)
            case PlayMode.SINGLE:
                if not first:
                    self._end()
                    return None
                self._index = 0
        self.current = self._order[self._index]
        return self.current

    def _end(self) -> None:
        self._ended = True
        self.current = None
