"""Logging in to Discord (and reaching the database server), waiting out a network that is not
there yet.

discord.py retries the gateway by itself once logged in, but its login (``GET /users/@me``) fails
at the first network error with a long traceback, so a bot started before the network is up
(boot order, a container starting before its network, a DNS outage) would exit.
:func:`login` tries again with capped exponential backoff and full jitter, logging one line per
attempt, until it succeeds, the token is refused, or ``stop`` is set. :func:`wait_for_database`
does the same for a PostgreSQL server that starts after the bot (one compose file, one boot).
"""

from __future__ import annotations

import asyncio
import logging
import random
from dataclasses import dataclass
from typing import TYPE_CHECKING

import discord
from discord.http import Route
from discord.utils import MISSING

from bot.client.endpoints import make_connector
from bot.ops.netcause import causes, describe, is_network_error

if TYPE_CHECKING:
    from bot.config import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Backoff:
    """Delays before the next try: doubling from ``first_s`` up to ``cap_s``, each drawn at
    random from its upper half (jitter, so many bots restarting at once do not retry in step)."""

    first_s: float = 1.0
    cap_s: float = 60.0

    def delay(self, attempt: int, rng: random.Random | None = None) -> float:
        ceiling = min(self.cap_s, self.first_s * 2 ** max(0, attempt - 1))
        return (rng or random).uniform(ceiling / 2, ceiling)


def api_endpoint() -> str:
    """The REST base discord.py uses now (Discord's own, or ``discord.api_base_url``)."""
    return Route.BASE


async def login(
    bot: discord.Client,
    token: str,
    *,
    stop: asyncio.Event | None = None,
    ca_file: str | None = None,
    backoff: Backoff = Backoff(),
) -> bool:
    """Log ``bot`` in; True once logged in, False if ``stop`` was set first.

    Without ``stop`` a network failure is raised at once (one-shot commands such as ``sync``).
    ``discord.LoginFailure`` (a refused token) and anything that is not the network failing are
    raised at once too.
    """
    attempt = 0
    while True:
        attempt += 1
        try:
            await bot.login(token)
        except discord.LoginFailure:
            raise
        except Exception as exc:
            if stop is None or not is_network_error(exc):
                raise
            wait = backoff.delay(attempt)
            log.warning(
                "cannot reach Discord at %s: %s; trying again in %.0f s (attempt %d)",
                api_endpoint(),
                describe(exc),
                wait,
                attempt,
            )
            log.debug("login attempt %d failed", attempt, exc_info=exc)
            # The failed login's session owns its connector: close both, and give the next
            # attempt a fresh connector (MISSING: discord.py makes its own, as on first login).
            await bot.http.close()
            bot.http.connector = make_connector(ca_file) or MISSING
            try:
                await asyncio.wait_for(stop.wait(), timeout=wait)
            except TimeoutError:
                continue
            return False
        if attempt > 1:
            log.info("reached Discord at %s after %d attempts", api_endpoint(), attempt)
        return True


async def wait_for_database(
    settings: Settings, stop: asyncio.Event, backoff: Backoff = Backoff()
) -> bool:
    """Until the database server answers ``SELECT 1``: True then, False if ``stop`` came first.

    Only a network failure is waited out (a SQLite file has none); a refused login, a missing
    database or anything else is raised at once for the caller to report.
    """
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    from bot.ops.dbcheck import server_endpoint
    from bot.services import open_engine

    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite":
        return True
    where = server_endpoint(url)
    attempt = 0
    while True:
        attempt += 1
        engine = await open_engine(settings, upgrade=False)
        try:
            async with engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except Exception as exc:
            if not (is_network_error(exc) or _starting_up(exc)):
                raise
            wait = backoff.delay(attempt)
            log.warning(
                "cannot reach the database at %s: %s; trying again in %.0f s (attempt %d)",
                where,
                describe(exc),
                wait,
                attempt,
            )
            log.debug("database attempt %d failed", attempt, exc_info=exc)
        else:
            if attempt > 1:
                log.info("reached the database at %s after %d attempts", where, attempt)
            return True
        finally:
            await engine.dispose()
        try:
            await asyncio.wait_for(stop.wait(), timeout=wait)
        except TimeoutError:
            continue
        return False


def _starting_up(exc: BaseException) -> bool:
    """PostgreSQL accepts connections but is still starting (or shutting down)."""
    # asyncpg's CannotConnectNowError, by name: asyncpg is not imported here.
    return any(type(link).__name__ == "CannotConnectNowError" for link in causes(exc))
