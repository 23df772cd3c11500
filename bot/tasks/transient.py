"""Transient database errors, and trying again after them.

SQLite answers "database is locked" past its busy timeout on a loaded machine; PostgreSQL can
drop a connection, fail over, or abort a transaction on a deadlock or a serialisation conflict.
Each of those rolls the whole transaction back, so running the same unit of work again is safe.
The runner does that for every transaction it depends on (refill, claim, start, settle,
heartbeat), with a growing, jittered pause, instead of losing the work to one bad moment.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

log = logging.getLogger(__name__)

T = TypeVar("T")

# PostgreSQL SQLSTATEs worth another try: serialisation failure, deadlock, lock not available,
# admin shutdown / crash shutdown / cannot connect now, and the connection exception class.
TRANSIENT_SQLSTATES = frozenset({"40001", "40P01", "55P03", "57P01", "57P02", "57P03"})
ATTEMPTS = 8
FIRST_PAUSE_S = 0.05
MAX_PAUSE_S = 2.0


def is_transient(exc: BaseException) -> bool:
    """Whether ``exc`` is a database error that another try may not meet."""
    if isinstance(exc, (OperationalError, InterfaceError)):
        return True
    if isinstance(exc, DBAPIError):
        if exc.connection_invalidated:
            return True
        code = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
        return isinstance(code, str) and (code in TRANSIENT_SQLSTATES or code.startswith("08"))
    return isinstance(exc, (ConnectionError, TimeoutError))


def pause(attempt: int) -> float:
    """Seconds to wait before try ``attempt + 1``: doubling from 50 ms to 2 s, jittered so two
    runners that collided do not collide again."""
    base = min(MAX_PAUSE_S, FIRST_PAUSE_S * 2.0 ** (attempt - 1))
    return float(base * (0.5 + random.random()))


async def retrying(
    operation: Callable[[], Awaitable[T]], what: str, *, attempts: int = ATTEMPTS
) -> T:
    """Run ``operation`` (one whole unit of work) until it succeeds, trying again after a
    transient database error up to ``attempts`` times; the last error is raised."""
    attempt = 1
    while True:
        try:
            return await operation()
        except Exception as exc:
            if attempt >= attempts or not is_transient(exc):
                raise
            delay = pause(attempt)
            log.warning(
                "%s: transient database error (%s); try %d of %d in %.2f s",
                what, _short(exc), attempt + 1, attempts, delay,
            )  # fmt: skip
            await asyncio.sleep(delay)
            attempt += 1


def _short(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__
