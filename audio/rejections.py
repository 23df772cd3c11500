"""Why ingest refuses a file, in words for whoever sent it.

Each refusal is an :class:`IngestRejected` with a ``reason`` and a ``problem`` that says what is
wrong without assuming how the file arrived.  Its ``message`` adds the advice for a member
uploading in Discord; the CLI import renders the same problem with its own advice (no "upload").
"""

from __future__ import annotations

from enum import StrEnum

from bot.errors import ValidationError


class Rejection(StrEnum):
    """Why a file cannot become a sound; a front end picks its own advice by it."""

    TOO_BIG = "too-big"
    EMPTY = "empty"
    NOT_AUDIO = "not-audio"
    NO_AUDIO_TRACK = "no-audio-track"
    TOO_MANY_CHANNELS = "too-many-channels"
    ZERO_LENGTH = "zero-length"
    TOO_LONG = "too-long"
    CUT_OFF = "cut-off"
    DAMAGED = "damaged"


# What a member uploading in Discord is told to do, after the problem itself.
_UPLOAD_ADVICE = {
    Rejection.TOO_BIG: "Trim or compress it and try again.",
    Rejection.NOT_AUDIO: "Upload an MP3, WAV, OGG, FLAC or M4A file.",
    Rejection.NO_AUDIO_TRACK: "Upload a sound file, or a video that has sound.",
    Rejection.TOO_MANY_CHANNELS: "Mix it down to stereo and upload that.",
    Rejection.TOO_LONG: "Trim it and try again.",
    Rejection.CUT_OFF: "Download or export it again and upload the whole file.",
    Rejection.DAMAGED: "Export it again and re-upload it.",
}


class IngestRejected(ValidationError):
    """A file that cannot become a sound.

    ``problem`` says what is wrong without assuming how the file arrived; ``message`` adds what a
    Discord uploader should do.  The CLI import gives its own advice, chosen by ``reason``.
    """

    def __init__(self, reason: Rejection, problem: str) -> None:
        advice = _UPLOAD_ADVICE.get(reason)
        super().__init__(f"{problem} {advice}" if advice else problem)
        self.reason = reason
        self.problem = problem


CUT_OFF = "This file looks cut off (an incomplete download or copy?)"


def ends_inside_audio() -> IngestRejected:
    """A file whose structure (pages, boxes, RIFF size, last frame) ends before its data does."""
    return IngestRejected(Rejection.CUT_OFF, f"{CUT_OFF}: it ends in the middle of its audio data.")
