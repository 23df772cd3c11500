"""Ingest: real files in many formats in, normalised 20 ms Ogg Opus out; every rejection."""

from __future__ import annotations

import array
import io
import math
import threading
import wave
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import pytest

from audio import ingest as ingest_module
from audio.blobstore import BlobStore
from audio.ingest import Ingestor
from audio.limits import AudioLimits
from audio.ogg import OggPacketReader, opus_packet_samples
from bot.errors import ValidationError
from tests.audio.tones import decode_mono, loudness_lufs, pitch_hz, tone_bytes, write_tone

FORMATS = [
    # (id, container, codec, sample rate, codec options)
    ("wav", "wav", "pcm_s16le", 44_100, {}),
    ("mp3", "mp3", "libmp3lame", 44_100, {}),
    ("flac", "flac", "flac", 44_100, {}),
    ("ogg-vorbis", "ogg", "vorbis", 44_100, {"strict": "experimental"}),
    ("m4a-aac", "ipod", "aac", 44_100, {}),
    ("opus", "ogg", "libopus", 48_000, {}),
    ("mono-22k-wav", "wav", "pcm_s16le", 22_050, {}),
]


def _stored_packets(path: Path) -> list[bytes]:
    with open(path, "rb") as fp:
        reader = OggPacketReader(fp)
        packets = []
        while (packet := reader.next_packet()) is not None:
            packets.append(packet)
    return packets


def _tmp_files(store: BlobStore) -> list[Path]:
    return list((store.root / "tmp").iterdir())


@pytest.mark.parametrize(
    ("container", "codec", "rate", "options"),
    [f[1:] for f in FORMATS],
    ids=[f[0] for f in FORMATS],
)
def test_ingest_keeps_duration_and_pitch(
    ingestor: Ingestor, container: str, codec: str, rate: int, options: dict[str, str]
) -> None:
    """Each format decodes, and the stored blob has the tone's length and pitch."""
    layout = "mono" if rate == 22_050 else "stereo"
    data = tone_bytes(container, codec, rate=rate, options=options, layout=layout, freq=440.0)
    sound = ingestor.ingest_blocking(data)
    blob = ingestor.store.path_for(sound.blob_hash)
    samples = decode_mono(blob)
    assert sound.duration_s == pytest.approx(1.5, abs=0.02)
    # Opus pre-skip and the padded last frame add at most a frame.
    assert len(samples) / 48_000 == pytest.approx(1.5, abs=0.03)
    assert pitch_hz(samples) == pytest.approx(440.0, abs=2.0)


def test_output_is_48k_stereo_opus_in_20ms_packets(ingestor: Ingestor) -> None:
    """The blob is Ogg Opus, 48 kHz stereo, and every audio packet is exactly 20 ms."""
    sound = ingestor.ingest_blocking(tone_bytes("flac", "flac"))
    path = ingestor.store.path_for(sound.blob_hash)
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        assert container.format.name == "ogg"
        assert stream.codec_context.name == "opus"
        assert stream.codec_context.sample_rate == 48_000
        assert stream.codec_context.channels == 2
    head, tags, *audio = _stored_packets(path)
    assert head.startswith(b"OpusHead") and tags.startswith(b"OpusTags")
    assert {opus_packet_samples(p) for p in audio} == {960}
    # 1.5 s is 75 frames; the encoder's 312-sample look-ahead (Opus pre-skip) needs one more.
    assert len(audio) == 76


@pytest.mark.parametrize("amplitude", [0.02, 0.1, 0.5])
def test_loudness_is_normalised_to_target(ingestor: Ingestor, amplitude: float) -> None:
    """Quiet and loud inputs both come out at -16 LUFS (within 1 LU)."""
    before, _ = loudness_lufs(tone_bytes("wav", "pcm_s16le", amplitude=amplitude, seconds=3))
    sound = ingestor.ingest_blocking(tone_bytes("wav", "pcm_s16le", amplitude=amplitude, seconds=3))
    after, peak = loudness_lufs(ingestor.store.path_for(sound.blob_hash))
    assert sound.loudness.integrated_lufs == pytest.approx(before, abs=0.1)
    assert after == pytest.approx(-16.0, abs=1.0)
    assert peak <= -1.0
    assert not sound.loudness.limited


def test_other_loudness_target(store: BlobStore) -> None:
    """The target comes from the limits passed in."""
    ingestor = Ingestor(store, AudioLimits(loudness_target_lufs=-23.0))
    sound = ingestor.ingest_blocking(tone_bytes("wav", "pcm_s16le", seconds=3))
    after, _ = loudness_lufs(store.path_for(sound.blob_hash))
    assert after == pytest.approx(-23.0, abs=1.0)


def test_peaky_input_is_limited_under_the_ceiling(ingestor: Ingestor) -> None:
    """A quiet tone with full-scale clicks gets the gain, and the limiter keeps peaks down."""
    rate = 48_000
    samples = array.array("f")
    for i in range(2 * rate):
        click = 0.98 if i % 12_000 < 40 else 0.0
        samples.append(0.03 * math.sin(2 * math.pi * 440 * i / rate) + click)
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="wav") as out:
        stream: Any = out.add_stream("pcm_f32le", rate=rate, layout="mono")
        frame = av.AudioFrame(format="flt", layout="mono", samples=len(samples))
        frame.planes[0].update(samples.tobytes())
        frame.sample_rate, frame.pts, frame.time_base = rate, 0, Fraction(1, rate)
        for packet in [*stream.encode(frame), *stream.encode(None)]:
            out.mux(packet)
    sound = ingestor.ingest_blocking(buffer.getvalue())
    assert sound.loudness.limited
    after, peak = loudness_lufs(ingestor.store.path_for(sound.blob_hash))
    assert peak < 0.0  # no clipping, though clicks overshoot the -1.5 dBTP target a little
    assert after > (sound.loudness.integrated_lufs or -70) + 1.0  # it did get louder


def test_same_upload_twice_is_stored_once(ingestor: Ingestor) -> None:
    """Encoding is bit-exact, so a repeat upload maps to the same blob."""
    data = tone_bytes("mp3", "libmp3lame")
    first = ingestor.ingest_blocking(data)
    second = ingestor.ingest_blocking(data)
    assert (first.created, second.created) == (True, False)
    assert first.blob_hash == second.blob_hash
    assert len(list((ingestor.store.root / "blobs").rglob("*.ogg"))) == 1
    assert _tmp_files(ingestor.store) == []


def test_ingest_from_a_path(ingestor: Ingestor, tmp_path: Path) -> None:
    """The CLI import hands in paths; the user's file name never reaches the store."""
    source = tmp_path / "evil name; rm -rf.wav"
    write_tone(source, "wav", "pcm_s16le")
    sound = ingestor.ingest_blocking(source)
    stored = ingestor.store.path_for(sound.blob_hash)
    assert stored.name == f"{sound.blob_hash}.ogg"
    assert "evil" not in str(stored)


async def test_async_ingest_runs_in_a_worker_thread(
    ingestor: Ingestor, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``ingest`` keeps the event loop free: the work happens on another thread."""
    seen: list[int] = []
    original = ingestor.ingest_blocking

    def spy(data: bytes | Path, *, max_bytes: int | None = None) -> Any:
        seen.append(threading.get_ident())
        return original(data, max_bytes=max_bytes)

    monkeypatch.setattr(ingestor, "ingest_blocking", spy)
    sound = await ingestor.ingest(tone_bytes("wav", "pcm_s16le"))
    assert sound.duration_s == pytest.approx(1.5, abs=0.02)
    assert seen and seen[0] != threading.get_ident()


# -- rejections --------------------------------------------------------------------------------


def _video_only() -> bytes:
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="matroska") as out:
        stream: Any = out.add_stream("mpeg4", rate=25)
        stream.width, stream.height, stream.pix_fmt = 64, 64, "yuv420p"
        for i in range(5):
            frame = av.VideoFrame(64, 64, "yuv420p")
            for plane in frame.planes:
                plane.update(bytes(plane.buffer_size))
            frame.pts = i
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return buffer.getvalue()


def _empty_wav() -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(2)
        out.setframerate(48_000)
        out.writeframes(b"")
    return buffer.getvalue()


def _damaged(data: bytes) -> bytes:
    damaged = bytearray(data)
    third = len(damaged) // 3
    damaged[third : third + 2000] = bytes((i * 37 + 11) % 256 for i in range(2000))
    return bytes(damaged)


REJECTIONS = [
    ("text", lambda: b"hello, this is not a sound\n" * 50, "could not be read as audio"),
    ("empty-file", lambda: b"", "The file is empty."),
    ("video-only", _video_only, "has no audio track"),
    ("zero-length", _empty_wav, "zero seconds long"),
    ("too-long", lambda: tone_bytes("flac", "flac", seconds=6.0), "longer than 5.0 s"),
    (
        "truncated-wav",
        lambda: tone_bytes("wav", "pcm_s16le")[:100_000],
        "looks cut off (an incomplete download or copy?): it ends in the middle of its audio",
    ),
    (
        "truncated-flac",
        lambda: tone_bytes("flac", "flac")[:15_000],
        "looks cut off (an incomplete download or copy?): only 0.5 s of the 1.5 s",
    ),
    (
        "damaged-mp3",
        lambda: _damaged(tone_bytes("mp3", "libmp3lame")),
        "damaged and could not be decoded",
    ),
    (
        "damaged-ogg",
        lambda: _damaged(tone_bytes("ogg", "libopus", rate=48_000)),
        "only 0.5 s of the 1.5 s its header states could be decoded",
    ),
    (
        "truncated-m4a",
        lambda: tone_bytes("ipod", "aac")[:12_000],
        "looks cut off (an incomplete download or copy?): it ends in the middle of its audio",
    ),
]


@pytest.mark.parametrize(
    ("make", "message"), [r[1:] for r in REJECTIONS], ids=[r[0] for r in REJECTIONS]
)
def test_rejections_say_what_was_wrong(ingestor: Ingestor, make: Any, message: str) -> None:
    """Each bad input is a ValidationError whose message names the problem; no temp file stays."""
    with pytest.raises(ValidationError) as caught:
        ingestor.ingest_blocking(make())
    assert message in caught.value.message
    assert _tmp_files(ingestor.store) == []
    assert list((ingestor.store.root / "blobs").rglob("*.ogg")) == []


def test_over_the_size_limit(ingestor: Ingestor) -> None:
    """Files over the configured limit are refused before decoding, with both sizes."""
    data = bytes(3 * 1024 * 1024)
    with pytest.raises(ValidationError, match=r"3\.0 MiB; sounds can be at most 2\.0 MiB"):
        ingestor.ingest_blocking(data)


def test_interaction_limit_lowers_the_size_limit(ingestor: Ingestor) -> None:
    """``max_bytes`` (Discord's attachment limit) applies when it is below the config."""
    data = tone_bytes("wav", "pcm_s16le")  # ~260 KiB
    with pytest.raises(ValidationError, match=r"at most 0\.1 MiB"):
        ingestor.ingest_blocking(data, max_bytes=100 * 1024)
    # A higher interaction limit never raises the configured one.
    with pytest.raises(ValidationError, match=r"at most 2\.0 MiB"):
        ingestor.ingest_blocking(bytes(3 * 1024 * 1024), max_bytes=50 * 1024 * 1024)


def test_temp_file_removed_when_encoding_fails(
    ingestor: Ingestor, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A failure after the temp file was created leaves nothing behind."""

    def broken_encode(data: Any, dest: Path, *args: Any) -> None:
        dest.write_bytes(b"partial")
        raise av.FFmpegError(-1, "encoder exploded")

    monkeypatch.setattr(ingest_module, "_encode", broken_encode)
    with pytest.raises(av.FFmpegError):
        ingestor.ingest_blocking(tone_bytes("wav", "pcm_s16le"))
    assert _tmp_files(ingestor.store) == []
