"""Ingest: turn an uploaded or imported file into a loudness-normalised Ogg Opus blob.

Two passes over the input, both with PyAV (FFmpeg in-process, no binary, no subprocess):

1. **Check and measure.**  Decode, resample to 48 kHz stereo and run FFmpeg's ``ebur128`` meter
   (ITU-R BS.1770 integrated loudness and true peak).  Every rejection (not audio, no audio stream,
   zero length, too long, damaged) happens here, before any encoding work.
2. **Normalise and encode.**  Apply the constant gain that brings the integrated loudness to the
   target; only when that gain would push true peaks over the ceiling, a look-ahead limiter
   (``alimiter``) catches them.  Encode to Ogg Opus, 48 kHz stereo, 20 ms frames.

Why not FFmpeg's ``loudnorm`` (present in the bundled FFmpeg): its two-pass *linear* mode applies
exactly this constant gain, yet it costs about 35x more CPU than ``volume`` (1.8 s per minute of
audio measured here, which alone caps ingest below 35x real time); its one-pass *dynamic* mode rides
the gain over 3-second windows, upsamples to 192 kHz, and missed the target by ~6 LU on the 2-second
clips a soundboard is mostly made of.  Measuring with ``ebur128`` uses the same BS.1770 meter.
"""

from __future__ import annotations

import asyncio
import io
import logging
import math
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import av.filter

from audio.blobstore import BlobStore
from audio.limits import MIB, AudioLimits
from bot.errors import ValidationError

log = logging.getLogger(__name__)

SAMPLE_RATE = 48_000
FRAME_SAMPLES = 960  # 20 ms
SILENCE_LUFS = -70.0  # ebur128's floor: silence, or a clip shorter than one 400 ms gating block
# Past this much peak reduction a limiter audibly crushes a sound; keep it quieter than the target.
MAX_LIMITING_DB = 12.0
# Containers that state the exact length (FLAC's STREAMINFO, MP4's moov, Ogg's last granule), so
# decoding much less than that means truncation or damage.  MP3 and ADTS lengths are often estimates
# from the bit rate, and FFmpeg clamps a WAV's length to the file size, so those are not compared
# (a RIFF header is checked separately).
_EXACT_LENGTH_FORMATS = frozenset({"flac", "aiff", "caf", "mov", "mp4", "m4a", "ogg"})

_NOT_AUDIO = (
    "This file could not be read as audio: it is damaged or not a sound file. "
    "Upload an MP3, WAV, OGG, FLAC or M4A file."
)


@dataclass(frozen=True, slots=True)
class Loudness:
    """What the first pass measured (48 kHz stereo), and the gain chosen from it."""

    integrated_lufs: float | None  # None: silent, or too short for a gated measurement
    true_peak_dbtp: float | None  # None: digital silence
    gain_db: float
    limited: bool


@dataclass(frozen=True, slots=True)
class IngestedSound:
    """A stored sound: its blob, its length and what normalisation did."""

    blob_hash: str
    size_bytes: int
    duration_s: float
    created: bool  # False: the same sound was already stored
    loudness: Loudness


def _fmt_duration(seconds: float) -> str:
    whole = int(seconds)
    if whole >= 60:
        return f"{whole // 60} min {whole % 60:02d} s"
    return f"{seconds:.1f} s"


class Ingestor:
    """Validates, normalises and stores sounds; ``ingest`` is safe to await from the event loop."""

    def __init__(
        self, store: BlobStore, limits: AudioLimits | None = None, *, max_concurrent: int = 2
    ) -> None:
        self.store = store
        self.limits = limits or AudioLimits()
        # Ingest is CPU-bound; a bound keeps a burst of uploads from starving the voice threads.
        self._slots = asyncio.Semaphore(max_concurrent)

    async def ingest(self, data: bytes | Path, *, max_bytes: int | None = None) -> IngestedSound:
        """Ingest a file (bytes of an upload, or a path) in a worker thread.

        ``max_bytes`` lowers the size limit for this call (Discord's attachment limit for the
        interaction).  Raises :class:`bot.errors.ValidationError` with a message for the uploader.
        """
        async with self._slots:
            return await asyncio.to_thread(self.ingest_blocking, data, max_bytes=max_bytes)

    def ingest_blocking(self, data: bytes | Path, *, max_bytes: int | None = None) -> IngestedSound:
        """The same as :meth:`ingest`, blocking the calling thread (the CLI import uses this)."""
        limit = self.limits.max_upload_bytes
        if max_bytes is not None:
            limit = min(limit, max_bytes)
        size = len(data) if isinstance(data, bytes) else data.stat().st_size
        if size > limit:
            raise ValidationError(
                f"The file is {size / MIB:.1f} MiB; sounds can be at most {limit / MIB:.1f} MiB. "
                "Trim or compress it and try again."
            )
        if size == 0:
            raise ValidationError("The file is empty.")
        if _riff_truncated(data, size):
            raise ValidationError(
                "This file is incomplete: it ends before the length its header states. "
                "Upload the whole file again."
            )
        duration_s, loudness = _check_and_measure(data, self.limits)
        temp = self.store.new_temp_path()
        try:
            _encode(data, temp, loudness.gain_db, loudness.limited, self.limits)
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
        stored = self.store.put_file(temp)
        log.info(
            "ingested blob %s: %.2f s, %d bytes, gain %+.1f dB%s, new=%s",
            stored.blob_hash,
            duration_s,
            stored.size_bytes,
            loudness.gain_db,
            " (limited)" if loudness.limited else "",
            stored.created,
        )
        return IngestedSound(
            stored.blob_hash, stored.size_bytes, duration_s, stored.created, loudness
        )


def _riff_truncated(data: bytes | Path, size: int) -> bool:
    """Whether a RIFF (WAV) file is shorter than its header says; FFmpeg silently plays the rest."""
    if isinstance(data, bytes):
        head = data[:12]
    else:
        with open(data, "rb") as fp:
            head = fp.read(12)
    if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        return False
    declared = int.from_bytes(head[4:8], "little") + 8
    # 0 and 0xFFFFFFFF mean "unknown" (streamed WAV); a missing pad byte is tolerated.
    return declared not in (8, 0xFFFFFFFF + 8) and size + 1 < declared


def _open_input(data: bytes | Path) -> Any:
    try:
        return av.open(io.BytesIO(data) if isinstance(data, bytes) else str(data), "r")
    except (av.FFmpegError, UnicodeDecodeError) as exc:
        raise ValidationError(_NOT_AUDIO) from exc


def _audio_frames(container: Any) -> Iterator[av.AudioFrame]:
    """Decoded frames of the first audio stream, converted to 48 kHz stereo float."""
    if not container.streams.audio:
        raise ValidationError(
            "This file has no audio track. Upload a sound file, or a video that has sound."
        )
    stream = container.streams.audio[0]
    resampler: av.AudioResampler | None = None
    for frame in container.decode(stream):
        if resampler is None:
            resampler = av.AudioResampler(format="flt", layout="stereo", rate=SAMPLE_RATE)
        try:
            converted = resampler.resample(frame)
        except ValueError:
            # The input changed rate or layout mid-stream (seen in MP3 and HE-AAC): flush, restart.
            yield from resampler.resample(None)
            resampler = av.AudioResampler(format="flt", layout="stereo", rate=SAMPLE_RATE)
            converted = resampler.resample(frame)
        yield from converted
    if resampler is not None:
        yield from resampler.resample(None)


def _declared_duration_s(container: Any) -> float | None:
    names = set(container.format.name.split(","))
    if not names & _EXACT_LENGTH_FORMATS:
        return None
    stream = container.streams.audio[0]
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return float(container.duration) / av.time_base
    return None


class _Graph:
    """A linear lavfi chain fed 48 kHz stereo float frames."""

    def __init__(self, filters: list[tuple[str, str]]) -> None:
        self._graph = av.filter.Graph()
        nodes = [
            self._graph.add_abuffer(
                format="flt",
                sample_rate=SAMPLE_RATE,
                layout="stereo",
                time_base=Fraction(1, SAMPLE_RATE),
            )
        ]
        nodes += [self._graph.add(name, args) for name, args in filters]
        nodes.append(self._graph.add("abuffersink"))
        for upstream, downstream in zip(nodes, nodes[1:], strict=False):
            upstream.link_to(downstream)
        self._graph.configure()

    def push(self, frame: av.AudioFrame | None) -> Iterator[av.AudioFrame]:
        self._graph.push(frame)
        while True:
            try:
                out = self._graph.pull()
            except (av.BlockingIOError, av.EOFError):
                return
            assert isinstance(out, av.AudioFrame)
            yield out


def _check_and_measure(data: bytes | Path, limits: AudioLimits) -> tuple[float, Loudness]:
    """First pass: validate the input and measure its loudness."""
    max_samples = int(limits.max_duration_s * SAMPLE_RATE)
    meter = _Graph([("ebur128", "metadata=1:peak=true")])
    samples = 0
    reading = _LoudnessReading()
    with _open_input(data) as container:
        try:
            for frame in _audio_frames(container):
                samples += frame.samples
                if samples > max_samples:
                    raise ValidationError(
                        f"The sound is longer than {_fmt_duration(limits.max_duration_s)}, the "
                        "longest allowed. Trim it and try again."
                    )
                for measured in meter.push(frame):
                    reading.update(measured.metadata)
            for measured in meter.push(None):
                reading.update(measured.metadata)
        except av.FFmpegError as exc:
            raise ValidationError(
                "This file is damaged and could not be decoded to the end. "
                "Export it again and re-upload it."
            ) from exc
        if samples == 0:
            raise ValidationError("This file contains no audio (it is zero seconds long).")
        duration_s = samples / SAMPLE_RATE
        declared = _declared_duration_s(container)
    if declared is not None and duration_s < declared * 0.9 - 0.25:
        raise ValidationError(
            f"This file is incomplete: only {_fmt_duration(duration_s)} of its "
            f"{_fmt_duration(declared)} could be decoded. Upload the whole file again."
        )
    return duration_s, reading.choose_gain(limits)


class _LoudnessReading:
    """Running values from ``ebur128``'s per-frame metadata (a flushed frame may carry none)."""

    def __init__(self) -> None:
        self.integrated = SILENCE_LUFS
        self.max_momentary = SILENCE_LUFS
        self.peak_linear = 0.0

    def update(self, metadata: dict[str, str]) -> None:
        if "lavfi.r128.I" in metadata:
            self.integrated = float(metadata["lavfi.r128.I"])
        if "lavfi.r128.M" in metadata:
            self.max_momentary = max(self.max_momentary, float(metadata["lavfi.r128.M"]))
        if "lavfi.r128.true_peak" in metadata:
            self.peak_linear = max(self.peak_linear, float(metadata["lavfi.r128.true_peak"]))

    def choose_gain(self, limits: AudioLimits) -> Loudness:
        """The gain to the target, capped by the true-peak ceiling plus what a limiter may take."""
        integrated: float | None = self.integrated
        if self.integrated <= SILENCE_LUFS:
            # Shorter than one 400 ms gating block: the loudest momentary reading is the estimate.
            integrated = self.max_momentary if self.max_momentary > SILENCE_LUFS else None
        true_peak = 20 * math.log10(self.peak_linear) if self.peak_linear > 1e-5 else None
        if integrated is None or true_peak is None:
            return Loudness(integrated, true_peak, 0.0, limited=False)
        gain = limits.loudness_target_lufs - integrated
        headroom = limits.true_peak_ceiling_dbtp - true_peak
        limited = gain > headroom
        if limited:
            gain = min(gain, headroom + MAX_LIMITING_DB)
        return Loudness(integrated, round(true_peak, 2), round(gain, 2), limited)


def _encode(
    data: bytes | Path, dest: Path, gain_db: float, limited: bool, limits: AudioLimits
) -> None:
    """Second pass: gain, optional limiter, 20 ms framing, Ogg Opus into ``dest``."""
    filters = [("volume", f"volume={gain_db:.2f}dB:precision=float")]
    if limited:
        # alimiter limits sample peaks; 0.5 dB below the true-peak ceiling covers inter-sample
        # overshoot of already band-limited material.
        ceiling = 10 ** ((limits.true_peak_ceiling_dbtp - 0.5) / 20)
        filters.append(("alimiter", f"limit={ceiling:.4f}:attack=5:release=50:level=false"))
    # Pads the last frame with silence so every packet is exactly 20 ms, as discord.py expects.
    filters.append(("asetnsamples", f"n={FRAME_SAMPLES}:p=1"))
    chain = _Graph(filters)
    # bitexact: no random Ogg serial number or version tags, so the same input gives the same bytes
    # and therefore the same blob hash (an upload stored twice is stored once).
    with (
        _open_input(data) as container,
        av.open(str(dest), "w", format="ogg", options={"fflags": "+bitexact"}) as output,
    ):
        stream: Any = output.add_stream(
            "libopus",
            rate=SAMPLE_RATE,
            layout="stereo",
            options={
                "b": str(limits.opus_bitrate),
                "frame_duration": "20",
                "application": "audio",
            },
        )
        stream.codec_context.format = "flt"

        def write(frames: Iterator[av.AudioFrame]) -> None:
            for frame in frames:
                frame.pts = None  # let the encoder number samples; the graph's pts are irrelevant
                for packet in stream.encode(frame):
                    output.mux(packet)

        for frame in _audio_frames(container):
            write(chain.push(frame))
        write(chain.push(None))
        for packet in stream.encode(None):
            output.mux(packet)
