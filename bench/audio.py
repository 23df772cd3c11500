"""Audio benchmark: our in-process Opus source vs discord.py's usual FFmpeg path, and ingest speed.

Run as root from the repo root (installs ffmpeg and libopus with apt-get if they are missing):

    .venv/bin/python bench/audio.py [--seconds 5] [--streams 1 50 200]

How it measures, without Discord:

* Each stream is discord.py's own ``AudioPlayer`` thread (the real 20 ms send loop), with a stub
  voice client whose ``send_audio_packet`` does what ``VoiceClient`` does up to the network:
  Opus-encode PCM when the source is not Opus (the FFmpeg path), then record the send time.
  Encryption and the UDP send are the same for both paths and are left out.
* **CPU per stream**: user+system time of this process and its reaped children (the ``ffmpeg``
  processes), divided by streams x seconds of audio.  ``cpu_ms_per_audio_s_per_stream`` includes
  the send loop's 50 wake-ups a second, which cost the same for both paths (and a lot on VMs);
  ``send_loop_only`` runs the same loop on a free source to measure them, and
  ``path_cpu_ms_per_audio_s_per_stream`` is what is left: the cost of the audio path itself.
* **Jitter**: for packet k the loop's own schedule says when it should leave
  (``AudioPlayer._start`` + k x 20 ms, plus the loop's fixed one-frame offset); lateness against
  that, p50 and p99 over all packets of all streams.  The first 0.5 s of each stream is left out so
  FFmpeg's process start-up does not count as jitter.  ``interval_p99_ms`` is the p99 of
  |gap between consecutive packets - 20 ms|, what a receiver's jitter buffer sees.
* **Ingest**: wall time of :meth:`audio.ingest.Ingestor.ingest_blocking` on 60 s files (decode,
  measure, normalise, encode, store) as a multiple of real time.
"""

from __future__ import annotations

import argparse
import array
import json
import math
import os
import platform
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import av  # noqa: E402
import discord  # noqa: E402
import discord.opus  # noqa: E402
from discord.player import AudioPlayer  # noqa: E402

from audio.blobstore import BlobStore  # noqa: E402
from audio.ingest import Ingestor  # noqa: E402
from audio.limits import AudioLimits  # noqa: E402
from audio.source import OggOpusSource  # noqa: E402

FRAME_S = 0.02
WARMUP_PACKETS = 25


def ensure_system_ffmpeg_and_opus() -> dict[str, str]:
    """Install ffmpeg and libopus with apt-get when missing (root only), and load libopus."""
    need_ffmpeg = shutil.which("ffmpeg") is None
    if (need_ffmpeg or not discord.opus._load_default()) and os.geteuid() == 0:
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", "ffmpeg", "libopus0"], check=True, env=env
        )
    if shutil.which("ffmpeg") is None or not discord.opus._load_default():
        raise SystemExit("ffmpeg and libopus are needed: run as root, or install them")
    version = subprocess.run(
        ["ffmpeg", "-version"], capture_output=True, text=True, check=True
    ).stdout.split("\n")[0]
    return {"ffmpeg": version, "libopus": discord.opus._OpusStruct.get_opus_version()}


def write_music(path: Path, seconds: float, *, peaky: bool = False, fmt: str = "wav") -> None:
    """A minute of chord-like audio (three tones, a slow tremolo, some noise)."""
    rate = 44_100
    rng = random.Random(5)
    codec = {"wav": "pcm_s16le", "mp3": "libmp3lame"}[fmt]
    with av.open(str(path), "w", format=fmt) as out:
        stream: Any = out.add_stream(codec, rate=rate, layout="stereo")
        chunk = 4410
        for start in range(0, int(seconds * rate), chunk):
            values = array.array("f")
            for i in range(start, start + chunk):
                t = i / rate
                level = 0.12 * (1 + 0.5 * math.sin(2 * math.pi * 0.5 * t))
                v = level * (
                    math.sin(2 * math.pi * 220 * t)
                    + 0.6 * math.sin(2 * math.pi * 277.2 * t)
                    + 0.4 * math.sin(2 * math.pi * 329.6 * t)
                ) + 0.01 * (rng.random() - 0.5)
                if peaky and i % 22_050 < 30:
                    v = 0.97
                values.append(v)
                values.append(v)
            frame = av.AudioFrame(format="flt", layout="stereo", samples=chunk)
            frame.planes[0].update(values.tobytes())
            frame.sample_rate, frame.pts, frame.time_base = rate, start, Fraction(1, rate)
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)


class StubVoiceClient:
    """What AudioPlayer needs from VoiceClient, minus encryption and the socket."""

    timeout = 5.0

    def __init__(self, needs_encoder: bool) -> None:
        self.encoder = discord.opus.Encoder() if needs_encoder else None
        self.sent_at = array.array("d")

    def is_connected(self) -> bool:
        return True

    def wait_until_connected(self, timeout: float | None = None) -> bool:
        return True

    def send_audio_packet(self, data: bytes, *, encode: bool = True) -> None:
        if encode:
            assert self.encoder is not None
            data = self.encoder.encode(data, self.encoder.SAMPLES_PER_FRAME)
        self.sent_at.append(time.perf_counter())


class SilenceSource(discord.AudioSource):
    """A free Opus source: running the send loop on it measures the loop's own cost."""

    def __init__(self, seconds: float) -> None:
        self._left = round(seconds / FRAME_S)

    def read(self) -> bytes:
        self._left -= 1
        return b"\xf8\xff\xfe" if self._left >= 0 else b""

    def is_opus(self) -> bool:
        return True


class BenchPlayer(AudioPlayer):
    """discord.py's AudioPlayer with the gateway 'speaking' messages and trailing silence cut."""

    def _speak(self, speaking: Any) -> None:
        pass

    def send_silence(self, count: int = 5) -> None:
        pass


def cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def run_streams(path: str, blob: Path, streams: int, seconds: float) -> dict[str, float]:
    clients: list[StubVoiceClient] = []
    players: list[BenchPlayer] = []
    for _ in range(streams):
        source: discord.AudioSource
        if path == "in_process":
            source = OggOpusSource.from_path(blob, max_duration_s=seconds)
        elif path == "send_loop_only":
            source = SilenceSource(seconds)
        else:
            # discord.py's usual path: FFmpeg decodes to 48 kHz s16 PCM, discord encodes Opus.
            source = discord.FFmpegPCMAudio(str(blob), options=f"-t {seconds}")
        client = StubVoiceClient(needs_encoder=not source.is_opus())
        clients.append(client)
        players.append(BenchPlayer(source, client))  # type: ignore[arg-type]
    before_cpu, before_wall = cpu_seconds(), time.perf_counter()
    for player in players:
        player.start()
    for player in players:
        player.join()
    wall = time.perf_counter() - before_wall
    cpu = cpu_seconds() - before_cpu
    lateness: list[float] = []
    intervals: list[float] = []
    packets = 0
    for player, client in zip(players, clients, strict=True):
        times = client.sent_at
        packets += len(times)
        for k in range(WARMUP_PACKETS, len(times)):
            # AudioPlayer sends packet k (k >= 1) at _start + (k + 1) x 20 ms.
            lateness.append(times[k] - (player._start + (k + 1) * FRAME_S))
            intervals.append(abs(times[k] - times[k - 1] - FRAME_S))
    audio_s = packets * FRAME_S
    return {
        "cpu_ms_per_audio_s_per_stream": round(1000 * cpu / audio_s, 3),
        "jitter_p50_ms": round(1000 * percentile(lateness, 0.50), 3),
        "jitter_p99_ms": round(1000 * percentile(lateness, 0.99), 3),
        "interval_p99_ms": round(1000 * percentile(intervals, 0.99), 3),
        "packets": packets,
        "wall_s": round(wall, 2),
    }


def bench_ingest(workdir: Path) -> dict[str, dict[str, float]]:
    store = BlobStore(workdir / "ingest-store")
    ingestor = Ingestor(store, AudioLimits(max_upload_bytes=64 * 1024 * 1024))
    results = {}
    for name, kwargs in [
        ("wav_60s", {"fmt": "wav"}),
        ("mp3_60s", {"fmt": "mp3"}),
        ("wav_60s_peaky_limited", {"fmt": "wav", "peaky": True}),
    ]:
        path = workdir / f"{name}.{kwargs['fmt']}"
        write_music(path, 60.0, **kwargs)  # type: ignore[arg-type]
        start = time.perf_counter()
        sound = ingestor.ingest_blocking(path)
        elapsed = time.perf_counter() - start
        results[name] = {
            "realtime_x": round(sound.duration_s / elapsed, 1),
            "seconds": round(elapsed, 3),
            "limited": sound.loudness.limited,
        }
    return results


def _ratio(ffmpeg: dict[str, float], ours: dict[str, float], key: str) -> float:
    return round(ffmpeg[key] / ours[key], 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="audio per stream")
    parser.add_argument("--streams", type=int, nargs="+", default=[1, 50, 200])
    args = parser.parse_args()
    versions = ensure_system_ffmpeg_and_opus()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        ingest = bench_ingest(workdir)
        music = workdir / "blob-source.wav"
        write_music(music, args.seconds + 1)
        store = BlobStore(workdir / "store")
        blob = store.path_for(Ingestor(store).ingest_blocking(music).blob_hash)
        playback = []
        for streams in args.streams:
            loop_only = run_streams("send_loop_only", blob, streams, args.seconds)
            ours = run_streams("in_process", blob, streams, args.seconds)
            ffmpeg = run_streams("ffmpeg_pcm", blob, streams, args.seconds)
            base = loop_only["cpu_ms_per_audio_s_per_stream"]
            for result in (ours, ffmpeg):
                # What the audio path itself costs, over the send loop both paths share.
                result["path_cpu_ms_per_audio_s_per_stream"] = round(
                    max(0.001, result["cpu_ms_per_audio_s_per_stream"] - base), 3
                )
            playback.append(
                {
                    "streams": streams,
                    "send_loop_only": loop_only,
                    "in_process_ogg_opus": ours,
                    "ffmpeg_pcm_audio": ffmpeg,
                    "cpu_ratio_total": _ratio(ffmpeg, ours, "cpu_ms_per_audio_s_per_stream"),
                    "cpu_ratio_audio_path": _ratio(
                        ffmpeg, ours, "path_cpu_ms_per_audio_s_per_stream"
                    ),
                }
            )
    at_max = playback[-1]
    report = {
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "discord.py": discord.__version__,
            "av": av.__version__,
            **versions,
        },
        "seconds_per_stream": args.seconds,
        "playback": playback,
        "ingest": ingest,
        "goals": {
            "cpu_10x_less_than_ffmpeg_audio_path": all(
                p["cpu_ratio_audio_path"] >= 10 for p in playback
            ),
            "cpu_10x_less_than_ffmpeg_including_send_loop": all(
                p["cpu_ratio_total"] >= 10 for p in playback
            ),
            f"jitter_p99_le_5ms_at_{at_max['streams']}_streams": at_max["in_process_ogg_opus"][
                "jitter_p99_ms"
            ]
            <= 5.0,
            "ingest_ge_50x_realtime": all(i["realtime_x"] >= 50 for i in ingest.values()),
        },
    }
    json.dump(report, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()
