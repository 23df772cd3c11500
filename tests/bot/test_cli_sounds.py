"""``carillon sounds import DIR --guild ID`` on a temp folder and an empty data directory."""

from __future__ import annotations

import io
import sqlite3
from pathlib import Path

import pytest

from bot.cli import main
from bot.cli.sounds import ProgressBar
from tests.audio.tones import tone_bytes
from tests.bot.clikit import isolate_cli

GUILD = 1000


@pytest.fixture(autouse=True)
def data_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Each test runs in an empty folder with its own data directory and no config."""
    return isolate_cli(monkeypatch, tmp_path)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """Two good files, a byte-identical copy of one, a file that is not audio, a hidden file."""
    folder = tmp_path / "incoming"
    folder.mkdir()
    (folder / "Air Horn.wav").write_bytes(tone_bytes("wav", "pcm_s16le", seconds=0.3, freq=440))
    (folder / "bell.flac").write_bytes(tone_bytes("flac", "flac", seconds=0.3, freq=660))
    (folder / "copy of bell.flac").write_bytes((folder / "bell.flac").read_bytes())
    (folder / "notes.txt").write_text("not a sound\n")
    (folder / ".DS_Store").write_bytes(b"\0\0\0\1Bud1")
    (folder / "subfolder").mkdir()
    (folder / "subfolder" / "ignored.wav").write_bytes(b"")
    return folder


def sounds(data_dir: Path) -> list[tuple[int, str, int, str | None, float]]:
    with sqlite3.connect(data_dir / "carillon.db") as conn:
        rows = conn.execute(
            "SELECT guild_id, name, uploader_id, original_filename, duration_s FROM sounds "
            "ORDER BY id"
        )
        return list(rows)


def test_import_reports_each_file_and_fills_the_database(
    folder: Path, data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Good files are imported, the copy is skipped, the text file rejected with its reason."""
    # A rejected file makes the exit status 1, though the rest of the folder was imported.
    assert main(["sounds", "import", str(folder), "--guild", str(GUILD), "--uploader", "7"]) == 1
    out, err = capsys.readouterr()
    assert out.splitlines() == [
        "imported 2, skipped 1 as duplicates, rejected 1",
        "  imported  Air Horn.wav as 'Air Horn' (0.3 s)",
        "  imported  bell.flac as 'bell' (0.3 s)",
        "  skipped   copy of bell.flac: already the sound 'bell'",
        "  rejected  notes.txt: This file could not be read as audio: it is damaged or not a "
        "sound file. If it is a sound, convert it to MP3, WAV, OGG, FLAC or M4A.",
    ]
    # Files are taken in name order; the progress bar ends full.
    assert "] 0/4 Air Horn.wav" in err
    assert err.rstrip().endswith("[" + "#" * 30 + "] 4/4 done")
    rows = sounds(data_dir)
    assert [(g, n, u, f) for g, n, u, f, _ in rows] == [
        (GUILD, "Air Horn", 7, "Air Horn.wav"),
        (GUILD, "bell", 7, "bell.flac"),
    ]
    assert all(d == pytest.approx(0.3, abs=0.03) for *_, d in rows)
    blobs = list((data_dir / "sounds" / "blobs").rglob("*.ogg"))
    assert len(blobs) == 2


def test_second_import_skips_everything_and_taken_names_get_a_suffix(
    folder: Path, data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Importing again skips what is there; a new file whose name is taken is renamed."""
    assert main(["sounds", "import", str(folder), "--guild", str(GUILD)]) == 1  # notes.txt
    (folder / "BELL.wav").write_bytes(tone_bytes("wav", "pcm_s16le", seconds=0.3, freq=880))
    capsys.readouterr()
    assert main(["sounds", "import", str(folder), "--guild", str(GUILD)]) == 1
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "imported 1, skipped 3 as duplicates, rejected 1"
    assert "  imported  BELL.wav as 'BELL-2' (0.3 s)" in out
    assert [n for _, n, *_ in sounds(data_dir)] == ["Air Horn", "bell", "BELL-2"]


def test_same_folder_into_another_server(
    folder: Path, data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Another server gets its own sounds over the same blobs."""
    assert main(["sounds", "import", str(folder), "--guild", str(GUILD)]) == 1  # notes.txt
    assert main(["sounds", "import", str(folder), "--guild", "2000"]) == 1
    assert [(g, n) for g, n, *_ in sounds(data_dir)] == [
        (GUILD, "Air Horn"),
        (GUILD, "bell"),
        (2000, "Air Horn"),
        (2000, "bell"),
    ]
    assert len(list((data_dir / "sounds" / "blobs").rglob("*.ogg"))) == 2


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["missing-folder", "--guild", "1"], "'missing-folder' is not a folder"),
        (["FOLDER", "--guild", "0"], "--guild 0 is not a Discord id"),
        (["FOLDER", "--guild", "1", "--uploader", "-3"], "--uploader -3 is not a Discord id"),
    ],
)
def test_bad_arguments_exit_2(
    folder: Path, capsys: pytest.CaptureFixture[str], args: list[str], expected: str
) -> None:
    """A folder that is not there or an impossible id stops with status 2 and says why."""
    args = [str(folder) if a == "FOLDER" else a for a in args]
    assert main(["sounds", "import", *args]) == 2
    assert expected in capsys.readouterr().err


def test_bad_config_exits_2(
    folder: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """An invalid configuration stops the import before anything is read."""
    monkeypatch.setenv("CARILLON_AUDIO__MAX_DURATION_S", "forever")
    assert main(["sounds", "import", str(folder), "--guild", "1"]) == 2
    assert "audio.max_duration_s = 'forever' is not allowed" in capsys.readouterr().err


def test_empty_folder_completes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An empty folder is a completed run with nothing to report."""
    (tmp_path / "empty").mkdir()
    assert main(["sounds", "import", str(tmp_path / "empty"), "--guild", "1"]) == 0
    assert capsys.readouterr().out.strip() == "imported 0, skipped 0 as duplicates, rejected 0"


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_redraws_in_place_on_a_terminal() -> None:
    """On a terminal the bar is redrawn on one line; elsewhere it writes one line per step."""
    tty = _Tty()
    bar = ProgressBar(tty, total=4, width=8)
    bar.show(1, "a.wav")
    bar.show(4, "done")
    bar.close()
    assert tty.getvalue() == "\r[##......] 1/4 a.wav\x1b[K\r[########] 4/4 done\x1b[K\n"
    plain = io.StringIO()
    ProgressBar(plain, total=2, width=4).show(1, "x")
    assert plain.getvalue() == "[##..] 1/2 x\n"
