"""Ingest of incomplete or unusual files: cut off, concatenated MP3s, many channels, silence.

Every file is made here with PyAV: complete ones must always pass, cut ones (a prefix of the bytes,
as an interrupted download leaves) must be refused as cut off, not turned into shorter sounds.
"""

from __future__ import annotations

import array
import functools
import io
import math
import tempfile
import wave
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import pytest

from audio.ingest import MAX_CHANNELS, Ingestor
from audio.rejections import IngestRejected, Rejection

SECONDS = 3.0
VBR = {"flags": "+qscale", "global_quality": str(4 * 118)}  # lame -V 4

# (id, container, codec, sample rate, codec options, container options)
FORMATS: list[tuple[str, str, str, int, dict[str, str], dict[str, str]]] = [
    ("wav", "wav", "pcm_s16le", 22_050, {}, {}),
    ("aiff", "aiff", "pcm_s16be", 22_050, {}, {}),
    ("flac", "flac", "flac", 22_050, {}, {}),
    ("ogg-vorbis", "ogg", "vorbis", 22_050, {"strict": "experimental"}, {}),
    ("ogg-opus", "ogg", "libopus", 24_000, {}, {}),
    ("webm-opus", "webm", "libopus", 24_000, {}, {}),
    ("mp3-cbr", "mp3", "libmp3lame", 22_050, {}, {}),
    ("mp3-vbr", "mp3", "libmp3lame", 44_100, VBR, {}),  # MPEG-1 (mp3-cbr: MPEG-2)
    ("m4a", "ipod", "aac", 22_050, {}, {}),
    ("m4a-faststart", "ipod", "aac", 22_050, {}, {"movflags": "+faststart"}),
]
# Where a cut is found from the structure (RIFF size, Ogg pages, MP4 boxes, FLAC's broken last
# frame), even the last 1 % missing is caught; elsewhere only a clear shortfall is.
STRUCTURAL = {"wav", "flac", "ogg-vorbis", "ogg-opus", "m4a", "m4a-faststart"}


def encode(
    container_format: str,
    codec: str,
    parts: list[tuple[float, float]],
    *,
    rate: int = 22_050,
    layout: str = "stereo",
    options: dict[str, str] | None = None,
    container_options: dict[str, str] | None = None,
) -> bytes:
    """Encode a sequence of (seconds, amplitude) stretches of a 440 Hz sine."""
    # A real file, not a buffer: MP4's faststart rewrites the file to move its index up front.
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "out"
        _encode_into(
            target, container_format, codec, parts, rate, layout, options, container_options
        )
        return target.read_bytes()


def _encode_into(
    target: Path,
    container_format: str,
    codec: str,
    parts: list[tuple[float, float]],
    rate: int,
    layout: str,
    options: dict[str, str] | None,
    container_options: dict[str, str] | None,
) -> None:
    out: Any = av.open(str(target), "w", format=container_format, options=container_options or {})
    with out:
        stream: Any = out.add_stream(codec, rate=rate, layout=layout, options=options or {})
        channels = 2 if layout == "stereo" else 1
        levels = [amp for seconds, amp in parts for _ in range(int(seconds * rate))]
        step = 2 * math.pi * 440 / rate
        for start in range(0, len(levels), 1152):
            chunk = levels[start : start + 1152]
            values = array.array(
                "f",
                (
                    amp * math.sin(step * (start + i))
                    for i, amp in enumerate(chunk)
                    for _ in range(channels)
                ),
            )
            frame = av.AudioFrame(format="flt", layout=layout, samples=len(chunk))
            frame.planes[0].update(values.tobytes())
            frame.sample_rate, frame.pts, frame.time_base = rate, start, Fraction(1, rate)
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)


@functools.cache
def complete(format_id: str) -> bytes:
    _, container, codec, rate, options, container_options = next(
        f for f in FORMATS if f[0] == format_id
    )
    return encode(
        container,
        codec,
        [(SECONDS, 0.3)],
        rate=rate,
        options=options,
        container_options=container_options,
    )


def rejection(ingestor: Ingestor, data: bytes) -> IngestRejected:
    with pytest.raises(IngestRejected) as caught:
        ingestor.ingest_blocking(data)
    return caught.value


@pytest.mark.parametrize("format_id", [f[0] for f in FORMATS])
def test_complete_files_pass_with_their_length(ingestor: Ingestor, format_id: str) -> None:
    """No complete file is mistaken for a cut one: encoder delay, pre-skip and padding are fine."""
    sound = ingestor.ingest_blocking(complete(format_id))
    assert sound.duration_s == pytest.approx(SECONDS, abs=0.03)


@pytest.mark.parametrize("fraction", [0.3, 0.5, 0.9])
@pytest.mark.parametrize("format_id", [f[0] for f in FORMATS])
def test_cut_off_files_are_refused(ingestor: Ingestor, format_id: str, fraction: float) -> None:
    """A prefix of a file is refused as cut off, with what to do, not stored as a shorter sound."""
    data = complete(format_id)
    caught = rejection(ingestor, data[: int(len(data) * fraction)])
    assert caught.reason is Rejection.CUT_OFF
    assert caught.message.startswith("This file looks cut off (an incomplete download or copy?)")
    assert caught.message.endswith("Download or export it again and upload the whole file.")
    assert list((ingestor.store.root / "blobs").rglob("*.ogg")) == []


@pytest.mark.parametrize("format_id", sorted(STRUCTURAL))
def test_structure_catches_the_last_percent(ingestor: Ingestor, format_id: str) -> None:
    """Where the container's structure shows the cut, losing only the last 1 % is caught too."""
    data = complete(format_id)
    assert rejection(ingestor, data[: len(data) * 99 // 100]).reason is Rejection.CUT_OFF


def test_stated_length_is_in_the_message(ingestor: Ingestor) -> None:
    """The message says how much decoded of how much the header states (MP3: its Info tag)."""
    data = complete("mp3-cbr")
    caught = rejection(ingestor, data[: len(data) // 2])
    assert "only 1.5 s of the 3.0 s its header states could be decoded" in caught.problem


def test_half_an_ogg_file_is_not_a_shorter_sound(ingestor: Ingestor) -> None:
    """The reported case: FFmpeg reads a half Ogg file as a complete 1 s one (its last granule)."""
    data = complete("ogg-opus")
    half = data[: len(data) // 2]
    with av.open(io.BytesIO(half)) as container:
        assert float(container.duration) / av.time_base < SECONDS / 2  # FFmpeg is fooled
    assert rejection(ingestor, half).reason is Rejection.CUT_OFF


ZEROS = bytes(64)
ID3V1 = b"TAG" + b"Title".ljust(30) + bytes(95)


@pytest.mark.parametrize(
    ("format_id", "tail"),
    [("mp3-cbr", ZEROS), ("mp3-cbr", ID3V1), ("flac", ID3V1), ("ogg-opus", ZEROS), ("m4a", ID3V1)],
    ids=["mp3-zeros", "mp3-id3v1", "flac-id3v1", "ogg-zeros", "m4a-id3v1"],
)
def test_trailing_bytes_after_a_complete_file_pass(
    ingestor: Ingestor, format_id: str, tail: bytes
) -> None:
    """Zero padding or an ID3v1 tag after the audio is not a cut, and players ignore it."""
    sound = ingestor.ingest_blocking(complete(format_id) + tail)
    assert sound.duration_s == pytest.approx(SECONDS, abs=0.03)


def test_mp3_without_a_vbr_header_is_not_held_to_a_bit_rate_estimate(ingestor: Ingestor) -> None:
    """With no Xing/Info frame FFmpeg guesses the length from the first frame's bit rate: a VBR
    file that starts quietly "lasts" far longer than it does, and must still pass."""
    quiet_start = [(2.0, 0.0), (1.0, 0.3)]
    data = encode(
        "mp3", "libmp3lame", quiet_start, options=VBR, container_options={"write_xing": "0"}
    )
    with av.open(io.BytesIO(data)) as container:
        assert float(container.duration) / av.time_base > SECONDS + 0.5
    assert ingestor.ingest_blocking(data).duration_s == pytest.approx(SECONDS, abs=0.1)


@pytest.mark.parametrize(
    ("options", "order"),
    [({}, "short-first"), ({}, "long-first"), (VBR, "long-first")],
    ids=["cbr-short-first", "cbr-long-first", "vbr-long-first"],
)
def test_concatenated_mp3s_play_as_one(
    ingestor: Ingestor, options: dict[str, str], order: str
) -> None:
    """`cat a.mp3 b.mp3` plays as both in players; ingest takes the whole length, and the first
    file's Info tag (which states only its own length) is no reason to call it cut off."""
    short = encode("mp3", "libmp3lame", [(1.0, 0.3)], options=options)
    long = encode("mp3", "libmp3lame", [(2.0, 0.2)], options=options)
    data = short + long if order == "short-first" else long + short
    sound = ingestor.ingest_blocking(data)
    # Each part keeps its own encoder delay and padding, and b's Info frame decodes as silence.
    assert SECONDS <= sound.duration_s <= SECONDS + 0.15


def test_damage_inside_an_mp3_is_still_damage(ingestor: Ingestor) -> None:
    """Skipping tags between concatenated files does not hide garbage in the middle."""
    data = bytearray(complete("mp3-cbr"))
    third = len(data) // 3
    data[third : third + 2000] = bytes((i * 37 + 11) % 256 for i in range(2000))
    assert rejection(ingestor, bytes(data)).reason is Rejection.DAMAGED


def _wav(channels: int, seconds: float = 0.3, rate: int = 8_000) -> bytes:
    """A PCM WAV with ``channels`` channels (no channel mask), each a quiet sine."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(channels)
        out.setsampwidth(2)
        out.setframerate(rate)
        frames = int(seconds * rate)
        sine = [int(6000 * math.sin(2 * math.pi * 440 * i / rate)) for i in range(frames)]
        out.writeframes(array.array("h", (v for v in sine for _ in range(channels))).tobytes())
    return buffer.getvalue()


@pytest.mark.parametrize("channels", [1, 2, 3, 6, MAX_CHANNELS])
def test_up_to_eight_channels_are_mixed_down(ingestor: Ingestor, channels: int) -> None:
    """Mono, stereo and surround files up to 7.1 are downmixed to stereo."""
    assert ingestor.ingest_blocking(_wav(channels)).duration_s == pytest.approx(0.3, abs=0.02)


@pytest.mark.parametrize("channels", [MAX_CHANNELS + 1, 16, 64])
def test_more_channels_are_refused_by_name(ingestor: Ingestor, channels: int) -> None:
    """A valid 64-channel WAV is not "damaged": the message names the count and the limit."""
    caught = rejection(ingestor, _wav(channels))
    assert caught.reason is Rejection.TOO_MANY_CHANNELS
    assert caught.message == (
        f"This file has {channels} audio channels; Carillon takes sounds with at most 8 "
        "(mono, stereo or surround up to 7.1). Mix it down to stereo and upload that."
    )


@pytest.mark.parametrize(
    ("parts", "silent"),
    [
        ([(1.0, 0.0)], True),  # digital silence
        ([(1.0, 10 ** (-80 / 20))], True),  # hiss far below hearing
        ([(1.0, 10 ** (-50 / 20))], False),  # quiet, but there
        ([(0.05, 0.5)], False),  # a click too short for the loudness meter
        ([(2.0, 0.0), (0.2, 0.3)], False),  # a sound after a long pause
    ],
    ids=["digital-silence", "minus-80-dbfs", "minus-50-dbfs", "50-ms-click", "late-sound"],
)
def test_silence_is_reported(
    ingestor: Ingestor, parts: list[tuple[float, float]], silent: bool
) -> None:
    """A sound with no sample above -70 dBFS is stored and flagged silent; an audible one is not."""
    data = encode("wav", "pcm_s16le", parts, rate=8_000, layout="mono")
    assert ingestor.ingest_blocking(data).silent is silent


@pytest.mark.parametrize(
    ("make", "reason", "message"),
    [
        (
            lambda: b"not a sound\n" * 20,
            Rejection.NOT_AUDIO,
            "This file could not be read as audio: it is damaged or not a sound file. "
            "Upload an MP3, WAV, OGG, FLAC or M4A file.",
        ),
        (
            lambda: bytes(3 * 1024 * 1024),
            Rejection.TOO_BIG,
            "The file is 3.0 MiB; sounds can be at most 2.0 MiB. "
            "Trim or compress it and try again.",
        ),
        (lambda: b"", Rejection.EMPTY, "The file is empty."),
    ],
    ids=["not-audio", "too-big", "empty"],
)
def test_upload_wording_is_unchanged(
    ingestor: Ingestor, make: Any, reason: Rejection, message: str
) -> None:
    """The Discord message is the problem plus upload advice, word for word as before."""
    caught = rejection(ingestor, make())
    assert (caught.reason, caught.message) == (reason, message)
    assert "upload" not in caught.problem.lower()
