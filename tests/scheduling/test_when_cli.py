"""``carillon when``: the exact contract of issue 3 (--tz, --now, --count, --json, --batch)."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main

ARGS = ["--tz", "America/New_York", "--now", "2026-03-06T12:00"]


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, object]]:
    status = main(["when", *argv, "--json"])
    return status, json.loads(capsys.readouterr().out)


def test_json_contract(capsys: pytest.CaptureFixture[str]) -> None:
    """--json prints exactly the documented object, runs in the zone with offsets."""
    status, result = run_json(capsys, "every day at 2:30", *ARGS, "--count", "3")
    assert status == 0
    assert result == {
        "input": "every day at 2:30",
        "timezone": "America/New_York",
        "kind": "recurring",
        "recurrence": "daily",
        "interval": 1,
        "cron": None,
        "stored": {
            "recurrence_type": "daily",
            "recurrence_interval": 1,
            "cron_expression": None,
            "anchor": "2026-03-07T07:30:00+00:00",
            "timezone": "America/New_York",
            "recurrence_count": None,
            "until": None,
            "time_of_day": "02:30",
            "weekdays": None,
            "day_of_month": None,
            "more_times": None,
            "weekday_ordinal": None,
            "step_minutes": None,
        },
        "description": "Every day at 02:30",
        "next_runs": [
            "2026-03-07T02:30:00-05:00",
            "2026-03-08T03:00:00-04:00",
            "2026-03-09T02:30:00-04:00",
        ],
        "warnings": [
            "Sun 8 Mar 2026: 02:30 does not exist in America/New_York (clocks spring forward), "
            "so it runs at 03:00 EDT, right after the jump."
        ],
    }


def test_once_and_default_count(capsys: pytest.CaptureFixture[str]) -> None:
    """A one-shot is kind once with a single run; --count defaults to 5 for recurring ones."""
    status, result = run_json(capsys, "tomorrow at 9am", *ARGS)
    assert status == 0
    assert result["kind"] == "once" and result["recurrence"] == "none"
    assert result["next_runs"] == ["2026-03-07T09:00:00-05:00"]
    _, repeating = run_json(capsys, "0 9 * * 1-5", *ARGS)
    assert repeating["cron"] == "0 9 * * 1-5"
    assert len(repeating["next_runs"]) == 5  # type: ignore[arg-type]


def test_now_with_offset_and_runs_strictly_after(capsys: pytest.CaptureFixture[str]) -> None:
    """--now with an offset is taken as is; a run exactly at --now is not listed."""
    _, result = run_json(
        capsys, "0 9 * * *", "--tz", "Europe/Paris", "--now", "2026-06-15T07:00:00Z"
    )
    assert result["next_runs"][0] == "2026-06-16T09:00:00+02:00"  # type: ignore[index]


def test_error_json_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    """Failure prints {"error": ...} and exits 2."""
    status, result = run_json(capsys, "every blursday", *ARGS)
    assert status == 2
    assert set(result) == {"error"}
    assert "blursday" in str(result["error"])


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["in 5 minutes", "--tz", "Mars/Olympus"], "Unknown time zone"),
        (["in 5 minutes", "--tz", "UTC", "--now", "yesterday"], "ISO 8601"),
        (["in 5 minutes", "--tz", "UTC", "--count", "0"], "--count"),
    ],
)
def test_bad_options(capsys: pytest.CaptureFixture[str], argv: list[str], fragment: str) -> None:
    """Bad --tz, --now or --count are errors in the same JSON shape."""
    status, result = run_json(capsys, *argv)
    assert status == 2
    assert fragment in str(result["error"])


def test_table_output(capsys: pytest.CaptureFixture[str]) -> None:
    """Without --json a readable table shows the same facts."""
    assert main(["when", "every weekday at 9am", *ARGS, "--count", "2"]) == 0
    out = capsys.readouterr().out
    assert "Every weekday at 09:00" in out
    assert "America/New_York" in out
    assert "Mon 9 Mar 2026 09:00 EDT" in out
    assert "2026-03-06T12:00" not in out


def test_table_error_goes_to_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    """Without --json the error is one line on stderr, exit 2."""
    assert main(["when", "banana", *ARGS]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "banana" in captured.err


def test_default_zone_comes_from_config(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """Without --tz the configured default_timezone is used."""
    config = tmp_path / "config.toml"
    config.write_text('default_timezone = "Asia/Kolkata"\n', encoding="utf-8")
    status = main(["--config", str(config), "when", "tomorrow at 9am", "--now",
                   "2026-03-06T12:00", "--json"])  # fmt: skip
    result = json.loads(capsys.readouterr().out)
    assert status == 0
    assert result["timezone"] == "Asia/Kolkata"
    assert result["next_runs"] == ["2026-03-07T09:00:00+05:30"]


def test_broken_config_is_reported(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """A config problem is the error message, exit 2 (and --tz avoids needing the config)."""
    missing = str(tmp_path / "missing.toml")
    status = main(["--config", missing, "when", "in 5 minutes", "--json"])
    assert status == 2
    assert "does not exist" in json.loads(capsys.readouterr().out)["error"]
    assert main(["--config", missing, "when", "in 5 minutes", "--tz", "UTC", "--json"]) == 0


def test_batch(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """--batch answers each JSON line in order, errors included, with the options as defaults."""
    lines = [
        {"text": "every weekday at 9am", "count": 1},
        {"text": "banana"},
        {"text": "at noon", "tz": "Asia/Kolkata", "now": "2026-03-06T13:00:00+05:30"},
    ]
    stdin = "\n".join(json.dumps(line) for line in lines) + "\nnot json\n"
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    assert main(["when", "--batch", *ARGS]) == 0
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(out) == 4
    assert out[0]["next_runs"] == ["2026-03-09T09:00:00-04:00"]
    assert "banana" in out[1]["error"]
    assert out[2]["next_runs"] == ["2026-03-07T12:00:00+05:30"]
    assert set(out[3]) == {"error"}


def test_batch_line_equals_json_output(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each batch answer is exactly what --json prints for the same request."""
    _, single = run_json(capsys, "every 2 weeks on monday at 18:30", *ARGS)
    request = {"text": "every 2 weeks on monday at 18:30", "tz": "America/New_York",
               "now": "2026-03-06T12:00"}  # fmt: skip
    monkeypatch.setattr(sys, "stdin", io.StringIO(json.dumps(request) + "\n"))
    main(["when", "--batch"])
    assert json.loads(capsys.readouterr().out) == single


def test_subprocess_python_m_bot() -> None:
    """`python -m bot when ... --json` works as a real process."""
    completed = subprocess.run(
        [sys.executable, "-m", "bot", "when", "every 15 minutes", *ARGS, "--count", "2", "--json"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert completed.returncode == 0, completed.stderr
    result = json.loads(completed.stdout)
    assert result["recurrence"] == "hourly"
    assert result["next_runs"] == ["2026-03-06T12:15:00-05:00", "2026-03-06T12:30:00-05:00"]
