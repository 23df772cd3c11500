"""What the command-line tests share: a process environment with no configuration of its own."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


def isolate_cli(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Run in an empty folder with no CARILLON_* settings or token, and a data directory in
    ``tmp_path`` (not created); returns that data directory."""
    for name in list(os.environ):
        if name.startswith("CARILLON_") or name == "DISCORD_TOKEN":
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    data = tmp_path / "data"
    monkeypatch.setenv("CARILLON_DATA_DIR", str(data))
    return data
