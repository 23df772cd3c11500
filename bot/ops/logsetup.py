"""Logging, configured once at start: readable text or one JSON object per line."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any

from bot.config import LoggingSettings

# Attributes every LogRecord has; anything else was passed with ``extra=`` and is worth keeping.
_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value if isinstance(value, str | int | float | bool) else repr(value)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


class NetworkTracebackFilter(logging.Filter):
    """A library's log line with a network failure's traceback becomes one line with the likely
    cause (discord.py logs "Attempting a reconnect in 4.2s" with the whole aiohttp traceback on
    every gateway retry); the traceback is still logged at DEBUG. Bugs keep their tracebacks."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if exc is None or record.levelno <= logging.DEBUG:
            return True
        from bot.ops.netcause import describe, is_network_error

        if not is_network_error(exc):
            return True
        logging.getLogger(record.name).debug("traceback of: %s", record.getMessage(), exc_info=exc)
        record.msg = f"{record.getMessage()}: {describe(exc)}"
        record.args = None
        record.exc_info = None
        record.exc_text = None
        if record.levelno >= logging.ERROR:
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


def configure_logging(settings: LoggingSettings) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(NetworkTracebackFilter())
    if settings.format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s"))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(settings.level)
    # discord.http logs every request at DEBUG/INFO; rate-limit warnings are what matter.
    logging.getLogger("discord.http").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(max(logging.INFO, root.level))
