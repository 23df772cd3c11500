"""What the library service hands out, and the rules for sound and playlist names.

Views are frozen snapshots (services never return ORM rows, which would drag the session along);
name rules are plain functions so the service, the import command and the cogs agree on them.
"""

from __future__ import annotations

import difflib
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from bot.errors import ValidationError
from storage.models import Playlist, Sound
from storage.repositories.library import name_key

NAME_MAX = 32  # the name columns' width; also what fits a Discord autocomplete choice nicely
MAX_PLAYLIST_ITEMS = 100
FALLBACK_NAME = "sound"

# Invisible characters that make two names look alike or reorder the text around them.  The zero
# width joiner (U+200D) stays allowed: emoji sequences such as family emoji need it.
_BIDI_AND_INVISIBLE = frozenset("\u200b\u200c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2060")
_BIDI_AND_INVISIBLE |= frozenset("\u2066\u2067\u2068\u2069\ufeff")
_FORBIDDEN_CATEGORIES = frozenset({"Cc", "Cs", "Co", "Cn", "Zl", "Zp"})


@dataclass(frozen=True, slots=True)
class SoundView:
    id: int
    guild_id: int
    name: str
    blob_hash: str
    uploader_id: int
    duration_s: float
    size_bytes: int
    play_count: int
    original_filename: str | None
    created_at: datetime


def sound_view(sound: Sound) -> SoundView:
    return SoundView(
        id=sound.id,
        guild_id=sound.guild_id,
        name=sound.name,
        blob_hash=sound.blob_hash,
        uploader_id=sound.uploader_id,
        duration_s=sound.duration_s,
        size_bytes=sound.size_bytes,
        play_count=sound.play_count,
        original_filename=sound.original_filename,
        created_at=sound.created_at,
    )


@dataclass(frozen=True, slots=True)
class PlaylistView:
    """A playlist and its tracks in play order (``tracks[0]`` is position 1)."""

    id: int
    guild_id: int
    name: str
    owner_id: int
    tracks: tuple[SoundView, ...]
    created_at: datetime
    updated_at: datetime

    @property
    def total_duration_s(self) -> float:
        return sum(track.duration_s for track in self.tracks)

    @classmethod
    def of(cls, playlist: Playlist, tracks: tuple[SoundView, ...]) -> PlaylistView:
        return cls(
            id=playlist.id,
            guild_id=playlist.guild_id,
            name=playlist.name,
            owner_id=playlist.owner_id,
            tracks=tracks,
            created_at=playlist.created_at,
            updated_at=playlist.updated_at,
        )


@dataclass(frozen=True, slots=True)
class PlaylistSummary:
    """A line of ``/playlist list``."""

    id: int
    guild_id: int
    name: str
    owner_id: int
    track_count: int
    total_duration_s: float


@dataclass(frozen=True, slots=True)
class TaskRef:
    """An unfinished task that plays a sound, directly or through ``via_playlist``."""

    id: int
    name: str
    via_playlist: str | None = None


@dataclass(frozen=True, slots=True)
class SoundUsage:
    """What deleting a sound affects, so the command can ask for confirmation."""

    tasks: tuple[TaskRef, ...]
    playlists: tuple[str, ...]

    @property
    def in_use(self) -> bool:
        return bool(self.tasks or self.playlists)


class DuplicateSound(ValidationError):
    """The same content is already a sound of this server (``existing``)."""

    def __init__(self, existing: SoundView) -> None:
        super().__init__(
            f"This server already has this exact sound, called {quoted(existing.name)}; "
            "play that one, or rename it with /sound rename."
        )
        self.existing = existing


def quoted(name: str) -> str:
    """A name as messages show it."""
    return f'"{name}"'


def normalise_name(text: str) -> str:
    """What a typed name is compared as: NFC (so é typed two ways is one name), no outer spaces."""
    return unicodedata.normalize("NFC", text).strip()


def _forbidden(ch: str) -> bool:
    return unicodedata.category(ch) in _FORBIDDEN_CATEGORIES or ch in _BIDI_AND_INVISIBLE


def clean_name(raw: str, what: str) -> str:
    """A valid sound or playlist name from what a user typed, or a :class:`ValidationError`."""
    name = normalise_name(raw)
    if not name:
        raise ValidationError(f"A {what} name cannot be empty; give it 1 to {NAME_MAX} characters.")
    if any(_forbidden(ch) for ch in name):
        raise ValidationError(
            f"A {what} name cannot contain line breaks, tabs or invisible control characters; "
            "use letters, digits, spaces, punctuation or emoji."
        )
    # The case-folded key has to fit the column too ("ß" folds to "ss").
    if len(name) > NAME_MAX or len(name_key(name)) > NAME_MAX:
        raise ValidationError(
            f"That {what} name is {len(name)} characters long; names can have at most "
            f"{NAME_MAX}. Choose a shorter one."
        )
    return name


def _fit(name: str, width: int) -> str:
    while name and (len(name) > width or len(name_key(name)) > width):
        name = name[:-1].rstrip()
    return name


def name_from_text(text: str) -> str:
    """A valid name made from free text such as a file stem: bad characters become spaces."""
    text = unicodedata.normalize("NFC", text)
    text = "".join(" " if _forbidden(ch) or ch.isspace() else ch for ch in text)
    return _fit(" ".join(text.split()), NAME_MAX) or FALLBACK_NAME


def free_name(wanted: str, taken: Iterable[str]) -> str:
    """``wanted`` made valid, with ``-2``, ``-3``... when that name (any case) is taken."""
    keys = {name_key(name) for name in taken}
    base = name_from_text(wanted)
    if name_key(base) not in keys:
        return base
    number = 2
    while True:
        suffix = f"-{number}"
        candidate = _fit(base, NAME_MAX - len(suffix)) + suffix
        if name_key(candidate) not in keys:
            return candidate
        number += 1


def not_found_message(what: str, wanted: str, names: Iterable[str]) -> str:
    """ "No such sound", with up to three names the user may have meant."""
    names = list(names)
    command = f"/{what} list"
    if not names:
        action = "/sound upload" if what == "sound" else "/playlist create"
        return f"This server has no {what}s yet; add one with {action}."
    shown = normalise_name(wanted)
    shown = shown if len(shown) <= 40 else shown[:39] + "…"
    key = name_key(shown)
    by_key = {name_key(name): name for name in names}
    containing = sorted(k for k in by_key if key and (key in k or k in key))
    close = difflib.get_close_matches(key, list(by_key), n=3, cutoff=0.6)
    picks = list(dict.fromkeys([*close, *containing]))[:3]
    if not picks:
        return f"There is no {what} called {quoted(shown)} in this server; see {command}."
    options = [quoted(by_key[k]) for k in picks]
    meant = options[0] if len(options) == 1 else ", ".join(options[:-1]) + " or " + options[-1]
    return (
        f"There is no {what} called {quoted(shown)} in this server. Did you mean {meant}? "
        f"See {command} for all of them."
    )
