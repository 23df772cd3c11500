"""Ingest: turn an uploaded or imported file into a loudness-normalised Ogg Opus blob.

Two passes over the input, both with PyAV (FFmpeg in-process, no binary, no subprocess):

1. **Check and measure.**  Decode, resample to 48 kHz stereo and run FFmpeg's ``ebur128`` meter
   (ITU-R BS.1770 integrated loudness and true peak).  Every rejection (not audio, no audio stream,
   too many channels, zero length, too long, cut off, damaged) happens here, before any encoding
   work.
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

import array
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
from audio.containers import ends_early, mp3_stated_length
from audio.limits import MIB, AudioLimits
from audio.rejections import CUT_OFF, IngestRejected, Rejection, ends_inside_audio

log = logging.getLogger(__name__)

SAMPLE_RATE = 48_000
FRAME_SAMPLES = 960  # 20 ms
SILENCE_LUFS = -70.0  # ebur128's floor: silence, or a clip shorter than one 400 ms gating block
# A sound whose every sample stays below -70 dBFS is silent to any listener.  The sample peak is
# the measure because it works at every length: ebur128 reads nothing from clips under 400 ms.
# It is read in Python until the first audible frame (``astats`` would cost ~20 % of the meter's
# CPU on every file; this costs nothing once a sound has started).
SILENCE_DBFS = -70.0
_AUDIBLE_SAMPLE = 10 ** (SILENCE_DBFS / 20)
# Past this much peak reduction a limiter audibly crushes a sound; keep it quieter than the target.
MAX_LIMITING_DB = 12.0
# Mono, stereo and the surround layouts up to 7.1: FFmpeg's resampler has a standard downmix for
# each.  Past 8 channels it has none for most counts (9, 32, 64 fail outright), and a file with that
# many is a multitrack recording whose tracks need mixing by a person, not by a default matrix.
MAX_CHANNELS = 8
# Containers that state the exact length (FLAC's STREAMINFO, MP4's moov, Ogg's last granule,
# Matroska's Duration, AIFF's COMM), so decoding clearly less than that means a cut or damage.
# MP3's own statement is its Xing/Info or VBRI header (read in :mod:`audio.containers`); without it,
# and for ADTS, FFmpeg estimates the length from the bit rate, and it clamps a WAV's length to the
# file size, so those are not compared (a WAV's RIFF header is checked instead).
_STATED_LENGTH_FORMATS = frozenset(
    {"flac", "aiff", "caf", "mov", "mp4", "m4a", "ogg", "matroska", "webm", "wv", "au"}
)
# A complete file may decode a little shorter than it states: by its codec's delay and padding
# (MP3: see :class:`audio.containers.Mp3Length`; AAC priming and a final partial frame: three
# frames; Opus pre-skip: up to 80 ms), and by rounded timestamps.  Past that plus 50 ms and 1 % of
# the stated length, the shortfall is a cut.
_SHORTFALL_S = 0.05
_SHORTFALL_SHARE = 0.01
_CODEC_FRAMES = 3
_OPUS_PRE_SKIP_S = 0.08
# When the last packet would not decode, a complete file has decoded all it states: what follows
# is trailing data, not audio.  Otherwise the file ends inside a frame.
_BROKEN_END_SLACK_S = 0.02


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
    silent: bool  # no sample above -70 dBFS: stored, but nobody will hear it


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
        interaction).  Raises :class:`audio.rejections.IngestRejected` (a
        :class:`bot.errors.ValidationError`) with a message for the uploader.
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
            raise IngestRejected(
                Rejection.TOO_BIG,
                f"The file is {size / MIB:.1f} MiB; sounds can be at most {limit / MIB:.1f} MiB.",
            )
        if size == 0:
            raise IngestRejected(Rejection.EMPTY, "The file is empty.")
        if ends_early(data):
            raise ends_inside_audio()
        duration_s, loudness, silent = _check_and_measure(data, self.limits)
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
            stored.blob_hash, stored.size_bytes, duration_s, stored.created, loudness, silent
        )


def _open_input(data: bytes | Path) -> Any:
    try:
        return av.open(io.BytesIO(data) if isinstance(data, bytes) else str(data), "r")
    except av.EOFError as exc:
        # The format was recognised, then the file ended before its headers did.
        raise ends_inside_audio() from exc
    except (av.FFmpegError, UnicodeDecodeError) as exc:
        raise IngestRejected(
            Rejection.NOT_AUDIO,
            "This file could not be read as audio: it is damaged or not a sound file.",
        ) from exc


def _check_channels(count: int) -> None:
    if count > MAX_CHANNELS:
        raise IngestRejected(
            Rejection.TOO_MANY_CHANNELS,
            f"This file has {count} audio channels; Carillon takes sounds with at most "
            f"{MAX_CHANNELS} (mono, stereo or surround up to 7.1).",
        )


@dataclass
class _Decoding:
    """What a pass over the packets met besides audio."""

    broken_end: bool = False  # the last packet would not decode


def _audio_frames(container: Any, decoding: _Decoding | None = None) -> Iterator[av.AudioFrame]:
    """Decoded frames of the first audio stream, converted to 48 kHz stereo float.

    A packet that will not decode is damage when more follow (raised), and the end of a cut-off
    file (or trailing junk) when it is the last: that is recorded in ``decoding`` for the caller to
    judge, or raised when there is none.
    """
    if not container.streams.audio:
        raise IngestRejected(Rejection.NO_AUDIO_TRACK, "This file has no audio track.")
    stream = container.streams.audio[0]
    _check_channels(stream.codec_context.channels)
    # `cat a.mp3 b.mp3` puts b's ID3v2 tag mid-stream; FFmpeg's demuxer hands it on as a packet
    # that no decoder takes.  Players skip it, and so does ingest: the rest is ordinary MP3.
    mp3 = "mp3" in container.format.name.split(",")
    failed: av.FFmpegError | None = None
    resampler: av.AudioResampler | None = None
    for packet in container.demux(stream):
        if mp3 and packet.size and bytes(memoryview(packet)[:3]) == b"ID3":
            continue
        if failed is not None and packet.size:
            raise failed
        try:
            decoded = packet.decode()
        except av.FFmpegError as exc:
            if failed is not None:
                continue  # the flush after a broken last packet
            if not packet.size:
                raise
            failed = exc
            continue
        for frame in decoded:
            _check_channels(frame.layout.nb_channels)
            if resampler is None:
                resampler = av.AudioResampler(format="flt", layout="stereo", rate=SAMPLE_RATE)
            try:
                converted = resampler.resample(frame)
            except ValueError:
                # The input changed rate or layout mid-stream (seen in MP3 and HE-AAC): restart.
                yield from resampler.resample(None)
                resampler = av.AudioResampler(format="flt", layout="stereo", rate=SAMPLE_RATE)
                converted = resampler.resample(frame)
            yield from converted
    if resampler is not None:
        yield from resampler.resample(None)
    if failed is not None:
        if decoding is None:
            raise failed
        # FFmpeg's MP3 parser drops a cut-off last frame by itself, so a last packet that fails
        # there is trailing data (zero padding, a stray tag) that players skip.  Elsewhere (FLAC,
        # ADTS, WavPack) it is the frame the cut went through.
        decoding.broken_end = not mp3


def _stated_length(container: Any, data: bytes | Path) -> tuple[float, float] | None:
    """The length the container states for the first audio stream, and how much shorter a
    complete file may still decode (codec delay and padding)."""
    names = set(container.format.name.split(","))
    if "mp3" in names:
        mp3 = mp3_stated_length(data)
        return None if mp3 is None else (mp3.duration_s, mp3.uncertainty_s)
    if not names & _STATED_LENGTH_FORMATS:
        return None
    stream = container.streams.audio[0]
    codec = stream.codec_context
    uncertainty_s = _OPUS_PRE_SKIP_S if codec.name == "opus" else 0.0
    if codec.frame_size and codec.sample_rate:
        uncertainty_s += _CODEC_FRAMES * codec.frame_size / codec.sample_rate
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base), uncertainty_s
    # The container's length is the longest stream's: only a lone audio stream's own.
    if container.duration is not None and len(container.streams) == 1:
        return float(container.duration) / av.time_base, uncertainty_s
    return None


def _falls_short(decoded_s: float, stated: tuple[float, float], broken_end: bool) -> bool:
    """Whether decoding gave clearly less audio than the container states."""
    stated_s, uncertainty_s = stated
    if broken_end:
        return decoded_s < stated_s - uncertainty_s - _BROKEN_END_SLACK_S
    return decoded_s < stated_s - uncertainty_s - _SHORTFALL_S - _SHORTFALL_SHARE * stated_s


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


def _check_and_measure(data: bytes | Path, limits: AudioLimits) -> tuple[float, Loudness, bool]:
    """First pass: validate the input, measure its loudness and whether it is silent."""
    max_samples = int(limits.max_duration_s * SAMPLE_RATE)
    meter = _Graph([("ebur128", "metadata=1:peak=true")])
    samples = 0
    reading = _LoudnessReading()
    decoding = _Decoding()
    with _open_input(data) as container:
        try:
            for frame in _audio_frames(container, decoding):
                samples += frame.samples
                if samples > max_samples:
                    raise IngestRejected(
                        Rejection.TOO_LONG,
                        f"The sound is longer than {_fmt_duration(limits.max_duration_s)}, the "
                        "longest allowed.",
                    )
                reading.check_audible(frame)
                for measured in meter.push(frame):
                    reading.update(measured.metadata)
            for measured in meter.push(None):
                reading.update(measured.metadata)
        except av.FFmpegError as exc:
            raise IngestRejected(
                Rejection.DAMAGED, "This file is damaged and could not be decoded to the end."
            ) from exc
        duration_s = samples / SAMPLE_RATE
        stated = _stated_length(container, data)
    if stated is not None and _falls_short(duration_s, stated, decoding.broken_end):
        raise IngestRejected(
            Rejection.CUT_OFF,
            f"{CUT_OFF}: only {_fmt_duration(duration_s)} of the {_fmt_duration(stated[0])} "
            "its header states could be decoded.",
        )
    if stated is None and decoding.broken_end:
        raise ends_inside_audio()
    if samples == 0:
        raise IngestRejected(
            Rejection.ZERO_LENGTH, "This file contains no audio (it is zero seconds long)."
        )
    return duration_s, reading.choose_gain(limits), not reading.audible


class _LoudnessReading:
    """Running values from ``ebur128``'s per-frame metadata (a flushed frame may carry none), and
    whether any sample was audible."""

    def __init__(self) -> None:
        self.integrated = SILENCE_LUFS
        self.max_momentary = SILENCE_LUFS
        self.peak_linear = 0.0
        self.audible = False

    def check_audible(self, frame: av.AudioFrame) -> None:
        """Look for a sample above the silence level; once one is found, frames are not read."""
        if self.audible:
            return
        values = array.array("f")
        # Plane buffers are padded for alignment: keep only the real samples (2 x float32).
        values.frombytes(bytes(frame.planes[0])[: frame.samples * 8])
        self.audible = bool(values) and max(max(values), -min(values)) > _AUDIBLE_SAMPLE

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

        # The first pass accepted the file, so a broken last packet is trailing data here.
        for frame in _audio_frames(container, _Decoding()):
            write(chain.push(frame))
        write(chain.push(None))
        for packet in stream.encode(None):
            output.mux(packet)
