"""Test audio made with PyAV: tone files in many formats, and measurements of decoded audio."""

from __future__ import annotations

import array
import io
import math
from fractions import Fraction
from pathlib import Path
from typing import Any

import av

from audio.ingest import _audio_frames, _Graph


def write_tone(
    target: Path | io.BytesIO,
    container_format: str,
    codec: str,
    *,
    seconds: float = 1.5,
    freq: float = 440.0,
    rate: int = 44_100,
    amplitude: float = 0.3,
    layout: str = "stereo",
    options: dict[str, str] | None = None,
) -> None:
    """Encode a sine tone with PyAV into ``target`` (a path or a buffer)."""
    out: Any = av.open(
        str(target) if isinstance(target, Path) else target, "w", format=container_format
    )
    with out:
        stream: Any = out.add_stream(codec, rate=rate, layout=layout, options=options or {})
        channels = 2 if layout == "stereo" else 1
        total = int(seconds * rate)
        chunk = 1152
        step = 2 * math.pi * freq / rate
        for start in range(0, total, chunk):
            count = min(chunk, total - start)
            values = array.array(
                "f",
                (
                    amplitude * math.sin(step * (start + i))
                    for i in range(count)
                    for _ in range(channels)
                ),
            )
            frame = av.AudioFrame(format="flt", layout=layout, samples=count)
            frame.planes[0].update(values.tobytes())
            frame.sample_rate = rate
            frame.pts = start
            frame.time_base = Fraction(1, rate)
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)


def tone_bytes(container_format: str, codec: str, **kwargs: Any) -> bytes:
    buffer = io.BytesIO()
    write_tone(buffer, container_format, codec, **kwargs)
    return buffer.getvalue()


def decode_mono(data: bytes | Path) -> list[float]:
    """Decode a file to 48 kHz samples of the left channel."""
    source = io.BytesIO(data) if isinstance(data, bytes) else str(data)
    with av.open(source) as container:
        samples = array.array("f")
        for frame in _audio_frames(container):
            # Plane buffers are padded for alignment: keep only the real samples (2 x float32).
            samples.frombytes(bytes(frame.planes[0])[: frame.samples * 8])
    return list(samples[0::2])


def pitch_hz(samples: list[float], rate: int = 48_000) -> float:
    """Frequency of a pure tone from its rising zero crossings (edges trimmed)."""
    trimmed = samples[rate // 10 : -rate // 10]
    crossings = [i for i in range(1, len(trimmed)) if trimmed[i - 1] < 0 <= trimmed[i]]
    assert len(crossings) > 2, "no tone found"
    return (len(crossings) - 1) * rate / (crossings[-1] - crossings[0])


def loudness_lufs(data: bytes | Path) -> tuple[float, float]:
    """Integrated loudness and true peak (dBTP) of a file, measured like ingest does."""
    meter = _Graph([("ebur128", "metadata=1:peak=true")])
    integrated, peak = -70.0, 0.0
    source = io.BytesIO(data) if isinstance(data, bytes) else str(data)
    with av.open(source) as container:
        frames = list(_audio_frames(container))
    for frame in [*frames, None]:
        for measured in meter.push(frame):
            meta = measured.metadata
            if "lavfi.r128.I" in meta:
                integrated = float(meta["lavfi.r128.I"])
            if "lavfi.r128.true_peak" in meta:
                peak = max(peak, float(meta["lavfi.r128.true_peak"]))
    return integrated, 20 * math.log10(peak) if peak else -math.inf
