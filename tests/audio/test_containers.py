"""The header readers behind the cut-off check, on hand-made bytes: each verdict and each refusal
to give one (unknown trailing data is never called a cut)."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from audio.containers import Mp3Length, ends_early, mp3_stated_length


def ogg_page(body: bytes) -> bytes:
    """One Ogg page holding ``body`` as one packet (CRC left zero: the check does not read it)."""
    lacing = bytes([255] * (len(body) // 255) + [len(body) % 255])
    header = b"OggS" + bytes(2) + bytes(8) + bytes(4) + bytes(4) + bytes(4)
    return header + bytes([len(lacing)]) + lacing + body


OGG = ogg_page(b"\x01vorbis" + bytes(23)) + ogg_page(bytes(600)) + ogg_page(bytes(300))


def box(kind: bytes, payload: bytes, *, large: bool = False) -> bytes:
    if large:  # size 1: a 64-bit size follows the type
        return struct.pack(">I4sQ", 1, kind, 16 + len(payload)) + payload
    return struct.pack(">I4s", 8 + len(payload), kind) + payload


MP4 = box(b"ftyp", b"M4A " + bytes(4)) + box(b"mdat", bytes(500)) + box(b"moov", bytes(200))


def riff(size_field: int, length: int) -> bytes:
    return (b"RIFF" + struct.pack("<I", size_field) + b"WAVE" + bytes(length))[:length]


@pytest.mark.parametrize(
    ("data", "cut"),
    [
        (OGG, False),
        (OGG[:-100], True),  # inside the last page's body
        (OGG[: len(OGG) - 300 - 2], True),  # inside the lacing table
        (OGG[: len(OGG) - 300 - 2 - 10], True),  # inside the 27-byte page header
        (OGG[: len(OGG) - 300 - 2 - 25], True),  # inside the capture pattern ("Og")
        (OGG + b"TAG" + bytes(125), False),  # an appended tag is not a page
        (MP4, False),
        (MP4[:-1], True),  # the index at the end lost a byte
        (MP4[:300], True),  # inside the audio data
        (box(b"ftyp", bytes(8)) + box(b"mdat", bytes(100), large=True), False),
        ((box(b"ftyp", bytes(8)) + box(b"mdat", bytes(100), large=True))[:-1], True),
        (box(b"ftyp", bytes(8)) + struct.pack(">I4s", 0, b"mdat") + bytes(50), False),  # to EOF
        (MP4 + b"TAGTitle" + bytes(120), False),  # not a known box: trailing data
        (riff(1000 - 8, 1000), False),
        (riff(1000 - 8, 999), False),  # a missing pad byte
        (riff(1000 - 8, 900), True),
        (riff(0xFFFFFFFF, 900), False),  # streamed WAV: size unknown
        (b"fLaC" + bytes(100), False),  # not a format these checks read
    ],
    ids=[
        "ogg-whole", "ogg-in-body", "ogg-in-lacing", "ogg-in-header", "ogg-in-capture",
        "ogg-trailing-tag", "mp4-whole", "mp4-last-byte", "mp4-in-mdat", "mp4-64bit-whole",
        "mp4-64bit-cut", "mp4-to-eof", "mp4-trailing-tag", "wav-whole", "wav-pad-byte",
        "wav-cut", "wav-streamed", "other",
    ],
)  # fmt: skip
def test_ends_early(data: bytes, cut: bool) -> None:
    """A cut is reported only where the file's own structure says more data should follow."""
    assert ends_early(data) is cut


def test_ends_early_reads_paths(tmp_path: Path) -> None:
    """Paths are read in place (the CLI import), with the same verdicts."""
    (tmp_path / "whole.ogg").write_bytes(OGG)
    (tmp_path / "cut.ogg").write_bytes(OGG[:-1])
    assert not ends_early(tmp_path / "whole.ogg")
    assert ends_early(tmp_path / "cut.ogg")


def mp3_frame(header: bytes, at: int, tag: bytes, size: int = 417) -> bytes:
    frame = bytearray(size)
    frame[:4] = header
    frame[at : at + len(tag)] = tag
    return bytes(frame)


MPEG1_MONO = bytes([0xFF, 0xFB, 0x90, 0xC0])  # MPEG-1 Layer III, 128 kb/s, 44.1 kHz, mono
MPEG1_STEREO = bytes([0xFF, 0xFB, 0x90, 0x00])
MPEG2_STEREO = bytes([0xFF, 0xF3, 0x90, 0x00])  # MPEG-2, 22.05 kHz
LAYER2 = bytes([0xFF, 0xFD, 0x90, 0x00])


def id3v2(size: int, *, footer: bool = False) -> bytes:
    synchsafe = bytes((size >> shift) & 0x7F for shift in (21, 14, 7, 0))
    return (
        b"ID3\x04\x00"
        + bytes([0x10 if footer else 0])
        + synchsafe
        + bytes(size)
        + (b"3DI" + bytes(7) if footer else b"")
    )


LAME = b"LAME3.100" + bytes(12) + bytes([0x24, 0x03, 0xDE])  # delay 576, padding 990


def xing(header: bytes, at: int, frames: int, *, tag: bytes = b"Xing", flags: int = 1) -> bytes:
    return mp3_frame(header, at, tag + struct.pack(">II", flags, frames))


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (xing(MPEG1_MONO, 21, 100), Mp3Length(100, 1152, 44_100)),
        (xing(MPEG1_STEREO, 36, 7, tag=b"Info"), Mp3Length(7, 1152, 44_100)),
        (xing(MPEG2_STEREO, 21, 41, tag=b"Info"), Mp3Length(41, 576, 22_050)),
        (
            # frames and bytes fields, then the LAME tag with delay and padding
            mp3_frame(MPEG2_STEREO, 21, b"Info" + struct.pack(">III", 3, 41, 8750) + LAME),
            Mp3Length(41, 576, 22_050, 576 + 990),
        ),
        (
            mp3_frame(MPEG1_STEREO, 36, b"VBRI" + bytes(10) + struct.pack(">I", 250)),
            Mp3Length(250, 1152, 44_100),
        ),
        (id3v2(300) + xing(MPEG1_MONO, 21, 9), Mp3Length(9, 1152, 44_100)),
        (id3v2(300, footer=True) + xing(MPEG1_MONO, 21, 9), Mp3Length(9, 1152, 44_100)),
        (xing(MPEG1_MONO, 21, 100, flags=0), None),  # no frame count in the tag
        (xing(MPEG1_MONO, 21, 0), None),
        (mp3_frame(MPEG1_MONO, 21, b""), None),  # CBR without a tag: FFmpeg's estimate only
        (xing(LAYER2, 36, 100), None),
        (b"not an mp3" * 10, None),
    ],
    ids=[
        "mpeg1-mono-xing", "mpeg1-stereo-info", "mpeg2-stereo-info", "lame-tag", "vbri",
        "after-id3v2", "after-id3v2-footer", "no-frames-flag", "zero-frames", "no-tag",
        "layer-2", "junk",
    ],
)  # fmt: skip
def test_mp3_stated_length(data: bytes, expected: Mp3Length | None) -> None:
    """The frame count comes from the first frame's Xing/Info or VBRI tag, nowhere else."""
    assert mp3_stated_length(data) == expected


def test_mp3_lengths_and_their_uncertainty() -> None:
    """A LAME tag makes the length exact (one frame of doubt); without it, three frames plus
    FFmpeg's 529-sample decoder delay may go missing from a complete file."""
    tagged = Mp3Length(41, 576, 22_050, 1566)
    assert tagged.duration_s == pytest.approx(1.0)
    assert tagged.uncertainty_s == pytest.approx(576 / 22_050)
    bare = Mp3Length(41, 576, 22_050)
    assert bare.duration_s == pytest.approx(41 * 576 / 22_050)
    assert bare.uncertainty_s == pytest.approx((3 * 576 + 529) / 22_050)
