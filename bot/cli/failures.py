"""Start-up failures as one line each, and the exit status that says what kind they were.

2: something the operator gave is wrong (configuration, data directory, database URL, token);
1: anything else (the database server down, a bug). The traceback is logged at DEBUG only.
"""

from __future__ import annotations

import logging

from bot.cli.common import EXIT_USAGE, fail
from bot.config import Settings
from bot.errors import CarillonError, DatabaseOpenError

log = logging.getLogger("carillon")

EXIT_OTHER = 1


def _database_where(settings: Settings) -> str:
    from sqlalchemy.engine import make_url

    from bot.ops.dbcheck import server_endpoint

    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite":
        return f"the SQLite database {url.database}"
    return f"the database at {server_endpoint(url)}/{url.database or ''}"


def explain(exc: BaseException, settings: Settings | None) -> tuple[int, str]:
    """(exit status, one line: what failed and what to do) for an error raised at start-up."""
    from bot.ops.checks import first_line
    from bot.ops.netcause import describe, is_network_error

    if isinstance(exc, CarillonError):
        return EXIT_USAGE, exc.message
    if isinstance(exc, DatabaseOpenError) and exc.__cause__ is not None and settings is not None:
        exc = exc.__cause__
        text = first_line(exc)
        where = _database_where(settings)
        lowered = str(exc).lower()
        if "file is not a database" in lowered or "malformed" in lowered:
            return EXIT_USAGE, (
                f"{where} is not a SQLite database file (or is damaged); move it away, or set "
                "database.url to another file"
            )
        if "password authentication failed" in lowered or "does not exist" in lowered:
            return EXIT_USAGE, f"{where} refused the login: {text}; check database.url"
        if "unable to open database file" in lowered or "readonly database" in lowered:
            return EXIT_USAGE, (
                f"cannot write {where}; make it and its folder writable by the bot's user"
            )
        if is_network_error(exc):
            return EXIT_OTHER, (
                f"cannot reach {where}: {describe(exc)}; check that the server runs and "
                "database.url"
            )
        if "database is locked" in lowered:
            return EXIT_OTHER, (
                f"{where} is locked by another program; stop it, or raise database.busy_timeout_ms"
            )
        return EXIT_OTHER, f"{where} failed: {text}"
    if is_network_error(exc):
        from bot.client.connect import api_endpoint

        return EXIT_OTHER, f"cannot reach Discord at {api_endpoint()}: {describe(exc)}"
    return EXIT_OTHER, f"start-up failed: {type(exc).__name__}: {first_line(exc)}"


def report(exc: BaseException, settings: Settings | None) -> int:
    """Print the one line, log the traceback at DEBUG, and return the exit status."""
    status, line = explain(exc, settings)
    log.debug("start-up failed", exc_info=exc)
    fail(line)
    if status != EXIT_USAGE and not log.isEnabledFor(logging.DEBUG):
        fail('(set logging.level = "DEBUG" or CARILLON_LOGGING__LEVEL=DEBUG for the traceback)')
    return status
