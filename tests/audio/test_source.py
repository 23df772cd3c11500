"""OggOpusSource and the Ogg reader: the packets discord.py would send, decoded back."""

from __future__ import annotations

import array
import io
from pathlib import Path
from typing import Any

import av
import discord
import pytest

from audio.blobstore import BlobStore
from audio.ingest import Ingestor
from audio.ogg import CorruptOggError, OggPacketReader, opus_packet_samples
from audio.source import OggOpusSource
from tests.audio.tones import pitch_hz, tone_bytes, write_tone


@pytest.fixture
def blob(ingestor: Ingestor) -> Path:
    """A stored one-second 440 Hz tone."""
    sound = ingestor.ingest_blocking(tone_bytes("wav", "pcm_s16le", seconds=1.0))
    return ingestor.store.path_for(sound.blob_hash)


def read_all(source: discord.AudioSource) -> list[bytes]:
    packets = []
    while packet := source.read():
        packets.append(packet)
    return packets


def decode_packets(packets: list[bytes]) -> list[float]:
    """Decode Opus packets the way a listener's client would (left channel, 48 kHz)."""
    decoder: Any = av.CodecContext.create("opus", "r")
    decoder.sample_rate = 48_000
    decoder.layout = "stereo"
    resampler = av.AudioResampler(format="flt", layout="stereo", rate=48_000)
    samples = array.array("f")
    for data in packets:
        for frame in decoder.decode(av.Packet(data)):
            for out in resampler.resample(frame):
                samples.frombytes(bytes(out.planes[0])[: out.samples * 8])
    return list(samples[0::2])


def test_source_is_opus_and_yields_20ms_packets(blob: Path) -> None:
    """is_opus() is true and every packet is one 20 ms Opus frame."""
    source = OggOpusSource.from_path(blob)
    assert source.is_opus()
    packets = read_all(source)
    assert {opus_packet_samples(p) for p in packets} == {960}
    assert len(packets) == 51  # 50 frames of audio + one for the encoder's pre-skip
    assert source.exhausted
    assert source.played_s == pytest.approx(1.02)


def test_packets_decode_back_to_the_tone(blob: Path) -> None:
    """What discord.py would send decodes to the original pitch and length."""
    samples = decode_packets(read_all(OggOpusSource.from_path(blob)))
    assert len(samples) / 48_000 == pytest.approx(1.02, abs=0.001)
    assert pitch_hz(samples) == pytest.approx(440.0, abs=2.0)


def test_source_stays_ended(blob: Path) -> None:
    """After the end, read keeps returning b'' (discord.py's end-of-stream signal)."""
    source = OggOpusSource.from_path(blob)
    read_all(source)
    assert source.read() == b"" and source.read() == b""


@pytest.mark.parametrize(("cap", "packets"), [(0.5, 25), (0.01, 1), (0.0, 0), (60.0, 51)])
def test_max_duration_caps_the_packets(blob: Path, cap: float, packets: int) -> None:
    """max_duration_s ends the source after that many 20 ms packets; it counts as exhausted."""
    source = OggOpusSource.from_path(blob, max_duration_s=cap)
    assert len(read_all(source)) == packets
    assert source.exhausted
    assert source.packets_read == packets


def test_cleanup_closes_the_file(blob: Path) -> None:
    """cleanup() (called by discord.py when the player ends) releases the blob file."""
    fp = open(blob, "rb")  # noqa: SIM115 - handed to the source
    source = OggOpusSource(fp)
    source.read()
    source.cleanup()
    assert fp.closed


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "no OpusHead"),
        (b"RIFF....WAVEfmt " + bytes(100), "bad Ogg page header"),
    ],
)
def test_not_ogg_opus(data: bytes, message: str) -> None:
    """Anything but Ogg Opus is refused when the source is created."""
    with pytest.raises(CorruptOggError, match=message):
        OggOpusSource(io.BytesIO(data))


def test_ogg_vorbis_is_not_opus() -> None:
    """An Ogg stream of another codec has no OpusHead."""
    data = tone_bytes("ogg", "vorbis", options={"strict": "experimental"})
    with pytest.raises(CorruptOggError, match="no OpusHead"):
        OggOpusSource(io.BytesIO(data))


def test_truncated_blob_fails_while_reading(blob: Path) -> None:
    """A blob cut short raises from read(); discord.py hands that error to after=."""
    data = blob.read_bytes()
    source = OggOpusSource(io.BytesIO(data[: len(data) // 2]))
    with pytest.raises(CorruptOggError, match="truncated"):
        read_all(source)


def test_frames_other_than_20ms_are_refused(tmp_path: Path) -> None:
    """60 ms packets would make discord.py's RTP timestamps drift, so they are an error."""
    path = tmp_path / "60ms.opus"
    write_tone(path, "ogg", "libopus", rate=48_000, options={"frame_duration": "60"})
    source = OggOpusSource.from_path(path)
    with pytest.raises(CorruptOggError, match="2880 samples"):
        source.read()


# -- the Ogg page reader ----------------------------------------------------------------------


def page(lacing: list[int], body: bytes, *, continued: bool = False, version: int = 0) -> bytes:
    """A hand-built Ogg page (CRC left zero: the reader does not check it)."""
    assert sum(lacing) == len(body)
    header = b"OggS" + bytes([version, 0x01 if continued else 0x00]) + bytes(20)
    return header + bytes([len(lacing)]) + bytes(lacing) + body


def packets_of(data: bytes) -> list[bytes]:
    reader = OggPacketReader(io.BytesIO(data))
    out = []
    while (packet := reader.next_packet()) is not None:
        out.append(packet)
    return out


def test_packets_spanning_pages_are_joined() -> None:
    """A 600-byte packet laced 255+255 | 90 over two pages comes out whole."""
    big = bytes(range(256)) * 2 + bytes(88)
    data = page([255, 255], big[:510]) + page([90, 5], big[510:] + b"small", continued=True)
    assert packets_of(data) == [big, b"small"]


def test_a_255_byte_packet_ends_with_a_zero_lace() -> None:
    """Lacing 255 then 0 is one packet of exactly 255 bytes."""
    assert packets_of(page([255, 0, 3], bytes(255) + b"abc")) == [bytes(255), b"abc"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (page([255], bytes(255)), "ends inside a packet"),
        (page([255], bytes(255)) + page([1], b"x"), "not marked as a continuation"),
        (page([3], b"abc", version=1), "unsupported Ogg version"),
        (page([10], bytes(10))[:-7], "truncated Ogg page"),
        (b"OggS" + bytes(22) + b"\x05\x01", "truncated Ogg segment table"),
    ],
)
def test_malformed_pages(data: bytes, message: str) -> None:
    """Structural damage is reported as CorruptOggError."""
    with pytest.raises(CorruptOggError, match=message):
        packets_of(data)


@pytest.mark.parametrize(
    ("packet", "samples"),
    [
        (bytes([0xFC, 0]), 960),  # CELT 20 ms, one frame
        (bytes([0xF0, 0]), 480),  # CELT 10 ms
        (bytes([0xFD, 0]), 1920),  # CELT 20 ms, two frames
        (bytes([0xFF, 0x03]), 2880),  # CELT 20 ms, code 3 with three frames
        (bytes([0x18]), 2880),  # SILK 60 ms
        (bytes([0x60]), 480),  # hybrid 10 ms
        (bytes([0x80]), 120),  # CELT 2.5 ms
    ],
)
def test_opus_packet_samples(packet: bytes, samples: int) -> None:
    """The TOC byte gives the packet's length (RFC 6716 section 3.1)."""
    assert opus_packet_samples(packet) == samples


def test_source_over_a_store_blob_roundtrip(store: BlobStore, blob: Path) -> None:
    """A blob's bytes put into another store play the same packets."""
    stored = store.put_bytes(blob.read_bytes())
    assert read_all(OggOpusSource.from_path(stored.path)) == read_all(OggOpusSource.from_path(blob))
