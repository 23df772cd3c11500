"""A Discord-compatible server on loopback that the real discord.py client talks to (see api.py)."""

from .api import Emulator
from .audio import ReceivedAudio, active_span, zero_crossing_frequency
from .faults import VoiceStall
from .interactions import CommandRefused, Reply, Upload

__all__ = [
    "CommandRefused",
    "Emulator",
    "ReceivedAudio",
    "Reply",
    "Upload",
    "VoiceStall",
    "active_span",
    "zero_crossing_frequency",
]
