"""The composition root: builds every resource once, hands each what it uses, closes in reverse.

``carillon run``, ``carillon sync`` and the end-to-end tests all go through :func:`open_app`, so the
bot under test is the bot that ships. It imports the front ends (the cogs) and hands them the
:class:`~bot.services.Services`; nothing imports this module but the entry points.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

from audio.ingest import Ingestor
from audio.limits import PlayerSettings
from audio.players import PlayerManager
from bot.client.bot import CarillonBot
from bot.client.endpoints import apply_endpoints, make_connector
from bot.client.notify import DiscordNotifier
from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.credits.service import CreditService
from bot.errors import DatabaseOpenError
from bot.library.playlists import PlaylistService
from bot.library.service import LibraryService
from bot.ops import datadir
from bot.plays.service import PlayService
from bot.preferences import PreferenceService
from bot.scheduling.timelang import warm_up as warm_up_time_language
from bot.services import Services, blob_root, ingest_limits, open_engine
from bot.tasks.handlers import build_handlers
from bot.tasks.policy import GuildPolicies
from bot.tasks.runner import TaskRunner
from bot.tasks.service import SchedulerService
from storage.engine import create_session_factory
from storage.uow import UnitOfWorkFactory

log = logging.getLogger(__name__)


class _RunnerStarter:
    """Starts the runner once the gateway is ready (never wait for it inside setup_hook)."""

    def __init__(self, bot: CarillonBot, runner: TaskRunner) -> None:
        self._bot = bot
        self._runner = runner
        self._task: asyncio.Task[None] | None = None

    async def spawn(self) -> None:
        self._task = asyncio.create_task(self._start(), name="task-runner-start")
        self._task.add_done_callback(self._done)

    async def _start(self) -> None:
        await self._bot.wait_until_ready()
        await self._runner.start()

    def _done(self, task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            log.error("the task runner failed to start", exc_info=task.exception())

    async def stop(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        await self._runner.stop()


@asynccontextmanager
async def open_app(
    settings: Settings, *, clock: Clock | None = None, guild_ready_timeout: float = 2.0
) -> AsyncIterator[Services]:
    """Build the application; the caller starts ``app.bot`` (or only logs in, for ``sync``)."""
    clock = clock or SystemClock()
    discord_settings = settings.discord
    apply_endpoints(
        discord_settings.api_base_url, discord_settings.gateway_url, discord_settings.ca_file
    )
    datadir.require(settings.data_dir)
    # The time language's warm-up (zone lists, Duckling): before the gateway connects rather than
    # inside the first /schedule; `carillon run` has already done it before its loop started.
    await asyncio.to_thread(warm_up_time_language)
    async with AsyncExitStack() as stack:
        # Pushed first, runs last: everything else is closed before the database goes away.
        try:
            engine = await open_engine(settings)
        except Exception as exc:
            raise DatabaseOpenError(str(exc)) from exc
        stack.push_async_callback(engine.dispose)
        uow = UnitOfWorkFactory(create_session_factory(engine))
        blobs = blob_root(settings)
        credits = CreditService(uow, clock, settings.credits)
        library = LibraryService(
            uow, Ingestor(blobs, ingest_limits(settings)), blobs, clock, settings
        )

        bot = CarillonBot(
            owner_ids=discord_settings.owner_ids,
            connector=make_connector(discord_settings.ca_file),
            guild_ready_timeout=guild_ready_timeout,
        )
        audio = settings.audio
        players = PlayerManager(
            bot,
            blobs,
            PlayerSettings(
                idle_timeout_s=audio.idle_timeout_s,
                connect_timeout_s=audio.connect_timeout_s,
                connect_retries=audio.connect_retries,
            ),
        )
        plays = PlayService(credits, players, library, settings.credits)
        notifier = DiscordNotifier(bot, uow, settings)
        runner = TaskRunner(
            uow,
            build_handlers(uow, credits, plays, settings),
            settings=settings.scheduler,
            clock=clock,
            notifier=notifier,
        )
        policies = GuildPolicies(settings)
        scheduler = SchedulerService(
            uow,
            players,
            settings=settings,
            clock=clock,
            listener=runner,
            policies=policies,
            notifier=notifier,
        )
        preferences = PreferenceService(uow, clock, settings, policies)
        starter = _RunnerStarter(bot, runner)
        bot.on_startup = starter.spawn
        bot.on_guild_seen = scheduler.ensure_guild
        bot.voice_listener = players.on_voice_state_update

        # Closed in reverse: the runner stops firing (handing back what it had claimed and
        # telling the owners of plays it cut short, while the client can still send), then the
        # client stops taking commands, then players leave voice, then (first pushed) the engine
        # is disposed.
        stack.push_async_callback(players.close)
        stack.push_async_callback(bot.close)
        stack.push_async_callback(starter.stop)
        log.info(
            "carillon ready: data_dir=%s database=%s",
            settings.data_dir,
            engine.url.render_as_string(),
        )
        app = Services(
            settings=settings,
            clock=clock,
            engine=engine,
            uow=uow,
            bot=bot,
            credits=credits,
            scheduler=scheduler,
            runner=runner,
            players=players,
            blobs=blobs,
            library=library,
            playlists=PlaylistService(uow, clock),
            preferences=preferences,
            plays=plays,
        )
        # Imported here: cogs depend on bot services, not the other way round.
        from cogs import build_cogs

        for cog in build_cogs(app):
            await bot.add_cog(cog)
        yield app
