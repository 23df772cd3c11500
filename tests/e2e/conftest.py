"""Every e2e test also fails if discord.py, the bot or the emulator logged an error."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest


@pytest.fixture
def allow_error_logs() -> None:
    """Request this in a test that expects ERROR log records."""


@pytest.fixture(autouse=True)
def no_error_logs(
    request: pytest.FixtureRequest, caplog: pytest.LogCaptureFixture
) -> Iterator[None]:
    yield
    if "allow_error_logs" in request.fixturenames:
        return
    errors = [
        f"{r.name}: {r.getMessage()}"
        for when in ("setup", "call", "teardown")
        for r in caplog.get_records(when)
        if r.levelno >= logging.ERROR
    ]
    assert not errors, "errors were logged:\n  " + "\n  ".join(errors)
