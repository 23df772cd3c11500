"""The composition root: builds every resource once, hands each what it uses, closes in reverse.

``carillon run``, ``carillon sync`` and the end-to-end tests all go through :func:`open_app`, so the
bot under test is the bot that ships.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.client import CarillonBot
from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.endpoints import apply_endpoints, make_connector
from storage import migrate
from storage.engine import create_engine, create_session_factory
from storage.uow import UnitOfWorkFactory

log = logging.getLogger(__name__)


@dataclass
class App:
    settings: Settings
    clock: Clock
    engine: AsyncEngine
    uow: UnitOfWorkFactory
    bot: CarillonBot


async def open_engine(settings: Settings, *, upgrade: bool = True) -> AsyncEngine:
    """The database engine; with ``upgrade`` the schema is migrated to head first."""
    engine = create_engine(
        settings.database_url,
        busy_timeout_ms=settings.database.busy_timeout_ms,
        echo=settings.database.echo,
    )
    if upgrade:
        try:
            await migrate.upgrade(engine)
        except BaseException:
            await engine.dispose()
            raise
    return engine


@asynccontextmanager
async def open_app(settings: Settings, *, clock: Clock | None = None) -> AsyncIterator[App]:
    """Build the application; the caller starts ``app.bot`` (or only logs in, for ``sync``)."""
    clock = clock or SystemClock()
    discord_settings = settings.discord
    apply_endpoints(
        discord_settings.api_base_url, discord_settings.gateway_url, discord_settings.ca_file
    )
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    async with AsyncExitStack() as stack:
        engine = await open_engine(settings)
        stack.push_async_callback(engine.dispose)
        uow = UnitOfWorkFactory(create_session_factory(engine))

        bot = CarillonBot(
            owner_ids=discord_settings.owner_ids,
            connector=make_connector(discord_settings.ca_file),
        )
        # Registered last, so it runs first: the client stops before what it uses goes away.
        stack.push_async_callback(bot.close)
        log.info(
            "carillon ready: data_dir=%s database=%s",
            settings.data_dir,
            engine.url.render_as_string(),
        )
        yield App(settings=settings, clock=clock, engine=engine, uow=uow, bot=bot)
