"""Limits and tuning values for the audio package, passed in by the composition root."""

from __future__ import annotations

from dataclasses import dataclass

MIB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class AudioLimits:
    """What an uploaded or imported sound may be, and how it is normalised.

    ``max_upload_bytes`` is the configured ceiling; an interaction may lower it further to Discord's
    attachment limit for that upload (see :meth:`audio.ingest.Ingestor.ingest`).
    """

    max_upload_bytes: int = 8 * MIB
    max_duration_s: float = 300.0
    loudness_target_lufs: float = -16.0
    # Ceiling for true peaks after the gain: -1.5 dBTP leaves room for the Opus encoder's overshoot.
    true_peak_ceiling_dbtp: float = -1.5
    # 96 kb/s stereo Opus is transparent for speech and effects; discord.py forwards the stored
    # packets as they are, so this is the bit rate listeners receive.
    opus_bitrate: int = 96_000

    def __post_init__(self) -> None:
        if self.max_upload_bytes <= 0:
            raise ValueError("max_upload_bytes must be positive")
        if self.max_duration_s <= 0:
            raise ValueError("max_duration_s must be positive")
        if not -70.0 < self.loudness_target_lufs < 0.0:
            raise ValueError("loudness_target_lufs must be between -70 and 0")
        if not 6_000 <= self.opus_bitrate <= 510_000:
            raise ValueError("opus_bitrate must be between 6000 and 510000")


@dataclass(frozen=True, slots=True)
class PlayerSettings:
    """Timing of the per-server voice players."""

    idle_timeout_s: float = 300.0
    connect_timeout_s: float = 10.0
    connect_retries: int = 2
    # Pause between connect attempts: a voice server that timed out often recovers within a second.
    connect_retry_delay_s: float = 1.0

    def __post_init__(self) -> None:
        if self.idle_timeout_s < 0 or self.connect_timeout_s <= 0:
            raise ValueError("idle_timeout_s must be >= 0 and connect_timeout_s > 0")
        if self.connect_retries < 0 or self.connect_retry_delay_s < 0:
            raise ValueError("connect_retries and connect_retry_delay_s must be >= 0")
