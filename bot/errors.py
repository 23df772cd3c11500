"""Domain errors.

Every error a user can cause or act on is a :class:`CarillonError` whose ``message`` is written for
that user: what was wrong and what to do.  The command tree's one error handler turns these into
ephemeral replies; the CLI prints them.  Anything else is a bug and is logged with its context.
"""

from __future__ import annotations


class CarillonError(Exception):
    """Base class: ``message`` is safe and useful to show to the person who caused it."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ConfigError(CarillonError):
    """The configuration is invalid; the message names the key, the value and what is allowed."""


class ParseError(CarillonError):
    """Text typed by a user (a time, a zone, a cron string) was not understood."""


class ValidationError(CarillonError):
    """A request is well-formed but not allowed (limits, ownership, bad parameters)."""


class NotFoundError(CarillonError):
    """A sound, playlist or task does not exist in this server (or is not the caller's)."""


class PermissionDenied(CarillonError):
    """The caller may not do this."""


class InsufficientCredits(CarillonError):
    """A play costs more credits than the member has."""


class PlaybackError(CarillonError):
    """Playback failed.  ``transient`` says whether retrying later may succeed."""

    transient: bool = False


class TransientPlaybackError(PlaybackError):
    """Voice connect timed out, Discord answered 5xx, the database was busy: worth a retry."""

    transient = True


class PermanentPlaybackError(PlaybackError):
    """Channel gone, missing Connect/Speak permission, channel full, sound deleted: do not retry."""

    transient = False


class DatabaseOpenError(Exception):
    """Opening or migrating the database at start-up failed; the cause is chained.

    Raised by the composition root so that the CLI can tell a database failure (``cannot reach
    the database at db:5432``) from a network failure reaching Discord with the same OSError.
    """
