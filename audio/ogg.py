"""A small reader for Ogg-encapsulated Opus: pages in, packets out.

Only what playback of our own blobs needs: one logical stream, packets that may span pages, and a
structural check of every page.  Page CRCs are not verified: blobs are written by our ingest and
named by their SHA-256, and a pure-Python CRC would cost more CPU than everything else in the
playback path (see ``bench/audio.py``).
"""

from __future__ import annotations

from collections import deque
from typing import BinaryIO

CAPTURE = b"OggS"
_HEADER_LEN = 27
_CONTINUED = 0x01

# Frame length in 1/10 ms for each Opus TOC configuration (RFC 6716 section 3.1), grouped by mode:
# SILK 10/20/40/60 ms, hybrid 10/20 ms, CELT 2.5/5/10/20 ms.
_FRAME_TENTHS_MS = [100, 200, 400, 600] * 3 + [100, 200] * 2 + [25, 50, 100, 200] * 4


class CorruptOggError(ValueError):
    """The data is not a well-formed Ogg Opus stream."""


def opus_packet_samples(packet: bytes, sample_rate: int = 48_000) -> int:
    """Number of samples per channel one Opus packet decodes to (RFC 6716 section 3.1)."""
    if not packet:
        raise CorruptOggError("empty Opus packet")
    toc = packet[0]
    code = toc & 0x03
    if code == 0:
        frames = 1
    elif code in (1, 2):
        frames = 2
    else:
        if len(packet) < 2:
            raise CorruptOggError("Opus code-3 packet without a frame count")
        frames = packet[1] & 0x3F
    return frames * _FRAME_TENTHS_MS[toc >> 3] * sample_rate // 10_000


class OggPacketReader:
    """Yields the packets of an Ogg stream one at a time, reading a page only when needed."""

    def __init__(self, fp: BinaryIO) -> None:
        self._fp = fp
        self._ready: deque[bytes] = deque()
        self._partial = bytearray()
        self._eof = False
        self.pages_read = 0

    def next_packet(self) -> bytes | None:
        """The next complete packet, or ``None`` at the end of the stream."""
        while not self._ready:
            if self._eof or not self._read_page():
                self._eof = True
                return None
        return self._ready.popleft()

    def _read_page(self) -> bool:
        header = self._fp.read(_HEADER_LEN)
        if not header:
            if self._partial:
                raise CorruptOggError("stream ends inside a packet")
            return False
        if len(header) < _HEADER_LEN or header[:4] != CAPTURE:
            raise CorruptOggError(f"bad Ogg page header at page {self.pages_read}")
        if header[4] != 0:
            raise CorruptOggError(f"unsupported Ogg version {header[4]}")
        lacing = self._fp.read(header[26])
        if len(lacing) < header[26]:
            raise CorruptOggError("truncated Ogg segment table")
        body = self._fp.read(sum(lacing))
        if len(body) < sum(lacing):
            raise CorruptOggError("truncated Ogg page")
        if not header[5] & _CONTINUED and self._partial:
            raise CorruptOggError("Ogg packet continues into a page not marked as a continuation")
        pos = 0
        for lace in lacing:
            self._partial += body[pos : pos + lace]
            pos += lace
            # A lacing value below 255 ends the packet; 255 means it continues.
            if lace < 255:
                self._ready.append(bytes(self._partial))
                self._partial.clear()
        self.pages_read += 1
        return True
