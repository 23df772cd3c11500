"""Logging is configured once: readable text, or one JSON object per line."""

from __future__ import annotations

import json
import logging

import pytest

from bot.config import LoggingSettings
from bot.ops.logsetup import configure_logging


@pytest.fixture(autouse=True)
def restore_logging() -> object:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield None
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)


def test_json_lines_carry_message_level_logger_and_extras(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """format=json writes one parseable object per record, with extra= fields kept."""
    configure_logging(LoggingSettings(level="INFO", format="json"))
    logging.getLogger("bot.test").info("task %s fired", 7, extra={"guild_id": 42})
    line = capsys.readouterr().err.strip().splitlines()[-1]
    entry = json.loads(line)
    assert entry["message"] == "task 7 fired"
    assert (entry["level"], entry["logger"], entry["guild_id"]) == ("INFO", "bot.test", 42)


def test_text_format_and_quiet_http_logger(capsys: pytest.CaptureFixture[str]) -> None:
    """format=text is readable; discord.http is kept at WARNING even at DEBUG."""
    configure_logging(LoggingSettings(level="DEBUG", format="text"))
    logging.getLogger("bot.test").debug("hello")
    logging.getLogger("discord.http").info("GET /users/@me")
    err = capsys.readouterr().err
    assert "DEBUG   bot.test: hello" in err
    assert "GET /users/@me" not in err
