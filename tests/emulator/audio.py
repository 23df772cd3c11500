"""What arrives over voice UDP: RTP decryption and Opus decoding to PCM, per voice channel.

PCM is signed 16-bit, 48 kHz, interleaved stereo. An *utterance* is the audio between the first
packet and the Opus silence frames discord.py sends when a source ends (or is paused), so a test
can wait for "the bot finished playing" instead of sleeping.
"""

from __future__ import annotations

import struct
from array import array
from dataclasses import dataclass

import av
import nacl.secret

SAMPLE_RATE = 48_000
CHANNELS = 2
OPUS_SILENCE = b"\xf8\xff\xfe"
RTP_VERSION_2 = 0x80


@dataclass(frozen=True)
class RtpPacket:
    sequence: int
    timestamp: int
    ssrc: int
    payload: bytes


def is_rtp(datagram: bytes) -> bool:
    return len(datagram) >= 12 and datagram[0] & 0xC0 == RTP_VERSION_2


def rtp_ssrc(datagram: bytes) -> int:
    return int(struct.unpack_from(">I", datagram, 8)[0])


def decrypt_rtpsize(datagram: bytes, key: bytes) -> RtpPacket:
    """Open an ``aead_xchacha20_poly1305_rtpsize`` packet.

    The RTP header (with CSRCs and the 4-byte extension header, if any) is the associated data;
    the last 4 bytes are a counter that fills the first 4 bytes of the 24-byte nonce.
    """
    first = datagram[0]
    header_len = 12 + 4 * (first & 0x0F)
    has_extension = bool(first & 0x10)
    if has_extension:
        header_len += 4
    header = bytes(datagram[:header_len])
    nonce = bytes(datagram[-4:]) + bytes(20)
    plain = nacl.secret.Aead(key).decrypt(bytes(datagram[header_len:-4]), header, nonce)
    if has_extension:
        words = struct.unpack_from(">H", header, header_len - 2)[0]
        plain = plain[4 * words :]
    sequence, timestamp, ssrc = struct.unpack_from(">HII", datagram, 2)
    return RtpPacket(sequence, timestamp, ssrc, plain)


class OpusDecoder:
    """libopus through PyAV (it bundles the library; discord.opus would need a system one)."""

    def __init__(self) -> None:
        self._codec = av.CodecContext.create("libopus", "r")
        self._codec.sample_rate = SAMPLE_RATE
        self._codec.layout = "stereo"
        self._resampler = av.AudioResampler(format="s16", layout="stereo", rate=SAMPLE_RATE)

    def decode(self, packet: bytes) -> array[int]:
        pcm: array[int] = array("h")
        for frame in self._codec.decode(av.Packet(packet)):
            frames = [frame]
            if frame.format.name != "s16" or frame.layout.name != "stereo":
                frames = self._resampler.resample(frame)
            for f in frames:
                pcm.frombytes(bytes(f.planes[0])[: f.samples * CHANNELS * 2])
        return pcm


@dataclass(frozen=True)
class ReceivedAudio:
    """PCM received in one voice channel, with packet accounting."""

    pcm: array[int]
    packets: int
    lost: int
    sample_rate: int = SAMPLE_RATE
    channels: int = CHANNELS

    @property
    def duration(self) -> float:
        return len(self.pcm) / self.channels / self.sample_rate

    def left(self) -> array[int]:
        """The left channel alone."""
        return self.pcm[0 :: self.channels]


class ChannelAudio:
    """Decodes every stream heard in one voice channel and splits it into utterances."""

    def __init__(self, channel_id: int) -> None:
        self.channel_id = channel_id
        self.packets = 0
        self._decoders: dict[int, OpusDecoder] = {}
        self._last_sequence: dict[int, int] = {}
        self._current: array[int] | None = None
        self._current_packets = 0
        self._lost = 0
        self._done: list[tuple[array[int], int]] = []

    def feed(self, packet: RtpPacket) -> bool:
        """Take one decrypted packet; True when it completed an utterance."""
        self.packets += 1
        previous = self._last_sequence.get(packet.ssrc)
        if previous is not None and packet.sequence != (previous + 1) & 0xFFFF:
            self._lost += 1
        self._last_sequence[packet.ssrc] = packet.sequence
        if packet.payload == OPUS_SILENCE:
            if self._current is None:
                return False
            self._done.append((self._current, self._current_packets))
            self._current, self._current_packets = None, 0
            return True
        decoder = self._decoders.setdefault(packet.ssrc, OpusDecoder())
        if self._current is None:
            self._current = array("h")
        self._current.extend(decoder.decode(packet.payload))
        self._current_packets += 1
        return False

    def take(self) -> ReceivedAudio | None:
        """Every utterance completed since the last call, joined; None if there is none yet."""
        if not self._done:
            return None
        pcm: array[int] = array("h")
        for chunk, _ in self._done:
            pcm.extend(chunk)
        audio = ReceivedAudio(pcm, sum(n for _, n in self._done), self._lost)
        self._done.clear()
        self._lost = 0
        return audio


def active_span(samples: array[int], threshold: int) -> tuple[int, int] | None:
    """Indices of the first and last sample louder than ``threshold``."""
    loud = [i for i, s in enumerate(samples) if abs(s) > threshold]
    return (loud[0], loud[-1]) if loud else None


def zero_crossing_frequency(samples: array[int], sample_rate: int = SAMPLE_RATE) -> float:
    """Frequency of a clean tone from its upward zero crossings (interpolated), no FFT needed."""
    crossings: list[float] = []
    for i in range(1, len(samples)):
        before, after = samples[i - 1], samples[i]
        if before < 0 <= after:
            crossings.append(i - 1 + before / (before - after))
    if len(crossings) < 2:
        return 0.0
    return (len(crossings) - 1) * sample_rate / (crossings[-1] - crossings[0])
