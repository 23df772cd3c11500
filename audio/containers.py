"""What a sound file's container says about itself, read from its bytes without decoding.

FFmpeg is forgiving on purpose: it decodes whatever there is of a cut-off file, and often reports
the length of what is left (an Ogg file's length is its last page's granule, so half of a 3 s
file "lasts" 1 s).  Ingest therefore reads the structure a complete file has and a cut-off one
lacks, looking at headers only (no CRCs, no decoding):

* RIFF (WAV): the size in the RIFF header covers the whole file.
* Ogg: the last page ends where the file ends (a cut lands inside a page, and pages are KiBs).
* ISO BMFF (MP4, M4A, MOV, 3GP): every top-level box ends within the file.
* MP3: the Xing/Info or VBRI header in the first frame states how many frames the file has.

Each check answers "cut off" only on positive evidence: data it does not recognise (a trailing
tag, an unknown box) ends the check without a verdict, and FFmpeg has the last word.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

# Top-level ISO BMFF boxes (ISO/IEC 14496-12, QuickTime).  Only a box of a known type that runs
# past the end counts as a cut: bytes after the last box (an appended tag) are not a box at all.
_BMFF_TOP_LEVEL = frozenset(
    {
        b"ftyp", b"styp", b"moov", b"mdat", b"free", b"skip", b"wide", b"meta", b"uuid",
        b"moof", b"mfra", b"sidx", b"ssix", b"prft", b"emsg", b"pdin", b"pnot", b"udta",
    }
)  # fmt: skip
_BMFF_FIRST = frozenset({b"ftyp", b"moov", b"wide", b"mdat"})  # what files start with

# MPEG audio: sample rates by version bits (MPEG 2.5, reserved, MPEG 2, MPEG 1) and rate index.
_MPEG_RATES = {0: (11_025, 12_000, 8_000), 2: (22_050, 24_000, 16_000), 3: (44_100, 48_000, 32_000)}
_MP3_SCAN = 4096  # bytes after the ID3v2 tag in which the first frame must start
# Xing/Info fields present by flag, in order (frames, bytes, 100-byte TOC, quality), with sizes.
_XING_FIELDS = ((0x01, 4), (0x02, 4), (0x04, 100), (0x08, 4))


class _Bytes:
    """Random access to the bytes of an upload or a file, without reading a file whole."""

    def __init__(self, data: bytes | Path) -> None:
        self._data = data if isinstance(data, bytes) else None
        self._fp = open(data, "rb") if isinstance(data, Path) else None
        self.size = len(data) if isinstance(data, bytes) else data.stat().st_size

    def read(self, offset: int, length: int) -> bytes:
        if self._data is not None:
            return self._data[offset : offset + length]
        assert self._fp is not None
        self._fp.seek(offset)
        return self._fp.read(length)

    def __enter__(self) -> _Bytes:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._fp is not None:
            self._fp.close()


def ends_early(data: bytes | Path) -> bool:
    """Whether a WAV, Ogg or MP4-family file ends before the data its own structure announces."""
    with _Bytes(data) as source:
        head = source.read(0, 12)
        if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
            return _riff_ends_early(head, source.size)
        if head[:4] == b"OggS":
            return _ogg_ends_early(source)
        if head[4:8] in _BMFF_FIRST:
            return _bmff_ends_early(source)
    return False


def _riff_ends_early(head: bytes, size: int) -> bool:
    declared = int.from_bytes(head[4:8], "little") + 8
    # 0 and 0xFFFFFFFF mean "unknown" (streamed WAV); a missing pad byte is tolerated.
    return declared not in (8, 0xFFFFFFFF + 8) and size + 1 < declared


def _ogg_ends_early(source: _Bytes) -> bool:
    """A page header or body that runs past the end of the file (RFC 3533 section 6)."""
    pos = 0
    while pos < source.size:
        header = source.read(pos, 27)
        if header[:4] != b"OggS":
            # A cut can even land inside the capture pattern; anything else is trailing data.
            return len(header) < 4 and b"OggS".startswith(header)
        if len(header) < 27:
            return True
        lacing = source.read(pos + 27, header[26])
        if len(lacing) < header[26]:
            return True
        pos += 27 + len(lacing) + sum(lacing)
    return pos > source.size


def _bmff_ends_early(source: _Bytes) -> bool:
    """A top-level box of a known type whose stated size runs past the end of the file."""
    pos = 0
    while pos + 8 <= source.size:
        header = source.read(pos, 16)
        size, kind = int.from_bytes(header[:4], "big"), header[4:8]
        if kind not in _BMFF_TOP_LEVEL:
            return False
        if size == 0:  # "extends to the end of the file"
            return False
        if size == 1:  # a 64-bit size follows the type
            if len(header) < 16:
                return True
            size = int.from_bytes(header[8:16], "big")
        if size < 8:
            return False
        if pos + size > source.size:
            return True
        pos += size
    return False


@dataclass(frozen=True, slots=True)
class Mp3Length:
    """The length an MP3 file's Xing/Info or VBRI header states."""

    frames: int
    samples_per_frame: int
    sample_rate: int
    # Encoder delay plus end padding from a LAME tag, which FFmpeg trims; None without the tag.
    trimmed: int | None = None

    @property
    def duration_s(self) -> float:
        return (self.frames * self.samples_per_frame - (self.trimmed or 0)) / self.sample_rate

    @property
    def uncertainty_s(self) -> float:
        """How much shorter than :attr:`duration_s` a complete file may decode."""
        if self.trimmed is not None:
            # FFmpeg trims exactly what the tag says; some encoders count the Xing frame too.
            return self.samples_per_frame / self.sample_rate
        # Encoder delay (usually 576 samples), FFmpeg's 529-sample decoder delay, end padding.
        return (3 * self.samples_per_frame + 529) / self.sample_rate


def mp3_stated_length(data: bytes | Path) -> Mp3Length | None:
    """The frame count in the first frame's Xing/Info or VBRI header; None when there is none.

    Without such a header FFmpeg estimates an MP3's length from the bit rate, which for VBR can be
    far off either way, so only a stated count is worth comparing with what decodes.
    """
    with _Bytes(data) as source:
        start = 0
        head = source.read(0, 10)
        if head[:3] == b"ID3" and len(head) == 10:
            # Synchsafe size (7 bits a byte), plus the header and, when flagged, a footer.
            tag = 0
            for byte in head[6:10]:
                tag = (tag << 7) | (byte & 0x7F)
            start = 10 + tag + (10 if head[5] & 0x10 else 0)
        window = source.read(start, _MP3_SCAN + 400)
    for offset in range(min(_MP3_SCAN, max(len(window) - 4, 0))):
        if window[offset] == 0xFF and window[offset + 1] & 0xE0 == 0xE0:
            return _vbr_header(window[offset:])
    return None


def _vbr_header(frame: bytes) -> Mp3Length | None:
    version = (frame[1] >> 3) & 0x03
    layer = (frame[1] >> 1) & 0x03
    rate_index = (frame[2] >> 2) & 0x03
    if version == 1 or layer != 1 or rate_index == 3:  # reserved, or not Layer III
        return None
    rate = _MPEG_RATES[version][rate_index]
    mono = (frame[3] >> 6) == 0x03
    spf = 1152 if version == 3 else 576
    # The Xing tag follows the side information, whose size depends on version and channels.
    xing = 4 + (17 if mono else 32) if version == 3 else 4 + (9 if mono else 17)
    if frame[xing : xing + 4] in (b"Xing", b"Info"):
        flags = int.from_bytes(frame[xing + 4 : xing + 8], "big")
        frames = int.from_bytes(frame[xing + 8 : xing + 12], "big") if flags & 0x01 else 0
        # Optional fields in flag order: frames, bytes, 100-byte TOC, quality; then the LAME tag.
        lame = xing + 8 + sum(size for bit, size in _XING_FIELDS if flags & bit)
        return Mp3Length(frames, spf, rate, _lame_trim(frame[lame : lame + 24])) if frames else None
    if frame[36:40] == b"VBRI":
        frames = int.from_bytes(frame[50:54], "big")
        return Mp3Length(frames, spf, rate) if frames else None
    return None


def _lame_trim(tag: bytes) -> int | None:
    """Encoder delay plus padding (12 bits each) from a LAME tag that FFmpeg also trusts."""
    if len(tag) < 24 or tag[:4] not in (b"LAME", b"Lavf", b"Lavc"):
        return None
    packed = int.from_bytes(tag[21:24], "big")
    return (packed >> 12) + (packed & 0xFFF)
