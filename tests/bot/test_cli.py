"""The ``carillon`` command line on an empty data directory."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main
from tests.bot.clikit import isolate_cli

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Each test runs in an empty folder with its own data directory and no token."""
    return isolate_cli(monkeypatch, tmp_path)


def test_help_lists_the_commands() -> None:
    """``python -m bot --help`` works and names every subcommand."""
    result = subprocess.run(
        [sys.executable, "-m", "bot", "--help"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert result.returncode == 0
    for command in ("run", "db", "when", "doctor", "sync"):
        assert command in result.stdout


def test_run_without_token_exits_2_and_says_how(capsys: pytest.CaptureFixture[str]) -> None:
    """``carillon run`` with no DISCORD_TOKEN exits with status 2 and explains how to get one."""
    assert main(["run"]) == 2
    err = capsys.readouterr().err
    assert "DISCORD_TOKEN is not set" in err
    assert "developers/applications" in err


def test_bad_config_exits_2_naming_the_key(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A wrong value stops every command with the key, value and rule."""
    monkeypatch.setenv("CARILLON_CREDITS__MAX_BALANCE", "lots")
    assert main(["db", "upgrade"]) == 2
    assert "credits.max_balance = 'lots' is not allowed" in capsys.readouterr().err


def test_db_upgrade_creates_every_table(clean_env: Path) -> None:
    """``carillon db upgrade`` on an empty data directory makes the SQLite file with all tables."""
    assert main(["db", "upgrade"]) == 0
    with sqlite3.connect(clean_env / "carillon.db") as conn:
        rows = conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
        tables = {row[0] for row in rows}
    assert {"scheduled_tasks", "task_runs", "credit_ledger", "sounds", "playlists"} <= tables


def test_doctor_reports_failures_with_fixes(
    clean_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """On a fresh install only the missing token fails; the database not existing yet is normal
    (run creates it) and doctor creates nothing."""
    assert main(["doctor"]) == 1
    out = capsys.readouterr().out
    assert "ok    database" in out and "not created yet" in out
    assert "FAIL  token" in out
    assert "fix: set DISCORD_TOKEN" in out
    assert "ok    PyAV + libopus" in out
    assert "ok    davey (DAVE)" in out
    assert not clean_env.exists()


def test_doctor_passes_when_all_is_well(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """After a migration and with a well-formed token every check passes and the status is 0."""
    assert main(["db", "upgrade"]) == 0
    monkeypatch.setenv("DISCORD_TOKEN", "MTA4.GxYz12.abcdefghijklmnopqrstuvwxyz")
    capsys.readouterr()
    assert main(["doctor"]) == 0
    out = capsys.readouterr().out
    assert "FAIL" not in out
    assert "checks passed" in out
