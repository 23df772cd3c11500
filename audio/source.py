"""``OggOpusSource``: plays a stored Ogg Opus blob by handing its packets straight to discord.py.

discord.py's ``AudioPlayer`` thread calls :meth:`OggOpusSource.read` every 20 ms.  Because the blob
already holds 20 ms Opus packets, a read returns the next packet of a page read from disk: no FFmpeg
process, no PCM, no encoder at play time.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import BinaryIO

import discord

from audio.ogg import CorruptOggError, OggPacketReader, opus_packet_samples

FRAME_SAMPLES = 960  # 20 ms at 48 kHz: what discord.py sends per packet and per timestamp step.
FRAME_S = 0.02


class OggOpusSource(discord.AudioSource):
    """An Opus ``AudioSource`` over an Ogg Opus stream with 20 ms packets.

    ``read`` runs on discord.py's audio thread; the counters it updates (``packets_read``,
    ``exhausted``) are plain attributes the event loop may read at any time.
    """

    def __init__(self, fp: BinaryIO, *, max_duration_s: float | None = None) -> None:
        """Take ownership of ``fp`` and check the Opus headers; raises :class:`CorruptOggError`."""
        self._fp = fp
        self._reader = OggPacketReader(fp)
        self._max_packets = (
            None if max_duration_s is None else max(0, math.ceil(max_duration_s / FRAME_S - 1e-9))
        )
        self.packets_read = 0
        self.exhausted = False  # ended on its own (end of stream or max_duration), not stopped
        try:
            self.channels = self._read_headers()
        except BaseException:
            fp.close()
            raise

    @classmethod
    def from_path(cls, path: Path, *, max_duration_s: float | None = None) -> OggOpusSource:
        """Open a stored blob; blocks on the file system, so call it in a worker thread."""
        # The source owns the file and closes it in cleanup(), so no context manager here.
        return cls(open(path, "rb"), max_duration_s=max_duration_s)

    def _read_headers(self) -> int:
        head = self._reader.next_packet()
        if head is None or not head.startswith(b"OpusHead") or len(head) < 19:
            raise CorruptOggError("not an Ogg Opus stream (no OpusHead packet)")
        if head[8] >> 4 != 0:
            raise CorruptOggError(f"unsupported Ogg Opus version {head[8]}")
        tags = self._reader.next_packet()
        if tags is None or not tags.startswith(b"OpusTags"):
            raise CorruptOggError("Ogg Opus stream has no OpusTags packet")
        return head[9]

    @property
    def played_s(self) -> float:
        """Seconds of audio handed to discord.py so far."""
        return self.packets_read * FRAME_S

    def read(self) -> bytes:
        """The next 20 ms Opus packet, or ``b""`` at the end (which ends discord.py's player)."""
        if self._max_packets is not None and self.packets_read >= self._max_packets:
            self.exhausted = True
            return b""
        while True:
            packet = self._reader.next_packet()
            if packet is None:
                self.exhausted = True
                return b""
            # An empty packet would read as end-of-stream to discord.py; Ogg allows them (gaps).
            if packet:
                break
        samples = opus_packet_samples(packet)
        if samples != FRAME_SAMPLES:
            # discord.py advances the RTP timestamp by 960 per packet; other sizes would drift.
            raise CorruptOggError(f"Opus packet of {samples} samples; blobs must use 20 ms frames")
        self.packets_read += 1
        return packet

    def is_opus(self) -> bool:
        """Always true: the packets go to Discord as they are."""
        return True

    def cleanup(self) -> None:
        """Close the blob file (discord.py calls this when the player thread ends)."""
        self._fp.close()
