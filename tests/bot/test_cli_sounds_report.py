"""What ``carillon sounds import`` tells an admin: exit status, command-line wording, silent files,
escaped file names; and that ``carillon --help`` does not pay for the audio and database stacks."""

from __future__ import annotations

import re
import subprocess
import sys
import wave
from io import BytesIO
from pathlib import Path

import pytest

from audio.rejections import Rejection
from bot.cli import main
from bot.cli.sounds import CLI_ADVICE, shown
from tests.audio.tones import tone_bytes
from tests.bot.clikit import isolate_cli

GUILD = 1000
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def data_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Each test runs in an empty folder with its own data directory and no config."""
    return isolate_cli(monkeypatch, tmp_path)


def wav(channels: int = 2, seconds: float = 0.3, silent: bool = False) -> bytes:
    if not silent and channels <= 2:
        layout = "stereo" if channels == 2 else "mono"
        return tone_bytes("wav", "pcm_s16le", seconds=seconds, layout=layout, rate=8_000)
    buffer = BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(channels)
        out.setsampwidth(2)
        out.setframerate(8_000)
        out.writeframes(bytes(int(seconds * 8_000) * channels * 2))
    return buffer.getvalue()


def run_import(folder: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    status = main(["sounds", "import", str(folder), "--guild", str(GUILD)])
    out, err = capsys.readouterr()
    return status, out, err


def test_rejections_exit_1_in_command_line_words(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Any rejected file makes the status 1; reasons say what to do at a shell, not in Discord."""
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "good.wav").write_bytes(wav())
    opus = tone_bytes("ogg", "libopus", rate=48_000)
    (folder / "half.opus").write_bytes(opus[: len(opus) // 2])
    (folder / "many.wav").write_bytes(wav(channels=64))
    status, out, _ = run_import(folder, capsys)
    assert status == 1
    assert out.splitlines() == [
        "imported 1, skipped 0 as duplicates, rejected 2",
        "  imported  good.wav as 'good' (0.3 s)",
        "  rejected  half.opus: This file looks cut off (an incomplete download or copy?): it ends "
        "in the middle of its audio data. Copy or download it again, or export it again from the "
        "original.",
        "  rejected  many.wav: This file has 64 audio channels; Carillon takes sounds with at most "
        "8 (mono, stereo or surround up to 7.1). Mix it down to stereo first "
        "(ffmpeg -i IN -ac 2 OUT.wav).",
    ]


def test_a_clean_run_exits_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """With nothing rejected the status is 0, duplicates included."""
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.wav").write_bytes(wav())
    (folder / "b.wav").write_bytes(wav())
    status, out, _ = run_import(folder, capsys)
    assert (status, out.splitlines()[0]) == (0, "imported 1, skipped 1 as duplicates, rejected 0")


def test_silent_files_are_imported_with_a_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Silence is imported (it can be a pause meant for a playlist) but named in a warning."""
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "beep.wav").write_bytes(wav())
    (folder / "hush.wav").write_bytes(wav(silent=True, seconds=0.5))
    status, out, _ = run_import(folder, capsys)
    assert status == 0
    assert out.splitlines() == [
        "imported 2 (1 silent), skipped 0 as duplicates, rejected 0",
        "  imported  beep.wav as 'beep' (0.3 s)",
        "  imported  hush.wav as 'hush' (0.5 s)",
        "  warning   hush.wav: imported as 'hush', but it is silent (no sample above -70 dBFS); "
        "check the file",
    ]


def test_file_names_are_printed_escaped(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A name with a line break or a terminal escape cannot forge a line or clear the screen;
    letters of any script print as they are."""
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "Glocke ß 鐘.wav").write_bytes(wav())
    (folder / "x\n  imported  fake.wav\x1b[2J.txt").write_text("not audio")
    status, out, err = run_import(folder, capsys)
    assert status == 1
    assert "\x1b" not in out + err
    assert out.splitlines()[1:] == [
        "  imported  Glocke ß 鐘.wav as 'Glocke ß 鐘' (0.3 s)",
        "  rejected  x\\n  imported  fake.wav\\x1b[2J.txt: This file could not be read as audio: "
        "it is damaged or not a sound file. If it is a sound, convert it to MP3, WAV, OGG, FLAC "
        "or M4A.",
    ]
    assert "] 1/2 x\\n  imported  fake.wav\\x1b[2J.txt" in err


@pytest.mark.parametrize(
    ("raw", "printed"),
    [
        ("bell.wav", "bell.wav"),
        ("Ça sonne — 鐘 🔔.mp3", "Ça sonne — 鐘 🔔.mp3"),
        ("a\tb\r\n", "a\\tb\\r\\n"),
        ("\x1b]0;pwned\x07", "\\x1b]0;pwned\\x07"),
        ("zero\u200bwidth", "zero\\u200bwidth"),
        ("bad\udcffbyte", "bad\\udcffbyte"),  # an undecodable byte in a POSIX file name
    ],
)
def test_shown_escapes_only_the_unprintable(raw: str, printed: str) -> None:
    """Escaping is repr-like, for unprintable characters only."""
    assert shown(raw) == printed


def test_every_rejection_has_command_line_advice() -> None:
    """Each reason ingest can give has CLI wording, and none of it speaks of uploading."""
    assert set(CLI_ADVICE) == {reason.value for reason in Rejection}
    assert not [text for text in CLI_ADVICE.values() if re.search(r"\b(upload|attach)", text, re.I)]


def test_the_module_loads_no_heavy_stack() -> None:
    """``carillon --help`` imports bot.cli.sounds: it must not drag in PyAV, SQLAlchemy, discord.py
    or the composition root (the other subcommands are loaded apart, so only this one is judged)."""
    probe = (
        "import sys, types\n"
        "cli = types.ModuleType('bot.cli'); cli.__path__ = ['bot/cli']\n"
        "sys.modules['bot.cli'] = cli\n"
        "import bot.cli.sounds\n"
        "roots = {'av', 'audio', 'sqlalchemy', 'discord', 'aiosqlite', 'asyncpg', 'alembic'}\n"
        "def heavy(m):\n"
        "    if m.split('.')[0] in roots or m in ('bot.app', 'bot.library.service',\n"
        "                                         'bot.client.bot'):\n"
        "        return True\n"
        # bot.config (through bot.cli.common) reads the id ranges from this constants module.
        "    return m.startswith('storage.') and m != 'storage.columns'\n"
        "print(sorted(filter(heavy, sys.modules)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
