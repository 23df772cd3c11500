"""/schedule sound|playlist: turn a time typed in plain English into a task, and show its preview.

The answer is public (so the server sees what is coming) and carries Pause and Cancel buttons that
only the task's owner or an admin can press (see :class:`cogs.tasks.TaskButtons`).

Why no ``defer()``: every failure a member can cause here (unknown sound, time text, zone, past
time, limits) must be an ephemeral reply, and after a public defer Discord makes the first
follow-up, error or not, public.  The slow part, parsing the time text, runs in a worker thread;
the rest is two short transactions, well inside the three seconds Discord allows.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.clock import Clock
from bot.config import Settings
from bot.credits.rules import credits_text, play_cost
from bot.credits.service import CreditService
from bot.errors import ValidationError
from bot.library.playlists import PlaylistService
from bot.library.service import LibraryService
from bot.preferences import PreferenceService
from bot.scheduling.limits import MAX_COUNT, count_problem
from bot.scheduling.phrases import normalise, parse_duration
from bot.scheduling.recurrence import Recurrence
from bot.scheduling.timelang import parse_when_async
from bot.scheduling.zones import resolve_zone
from bot.tasks.model import TaskType, TaskView
from bot.tasks.service import Preview, SchedulerService
from cogs.access import Access, guild_only
from cogs.choices import LibraryChoices
from cogs.render import EMBED_COLOUR, NONE, preview_lines, safe
from cogs.task_choices import zone_choices
from cogs.tasks import task_controls
from cogs.voice import voice_target
from cogs.when_preview import WhenPreviews

if TYPE_CHECKING:
    from bot.services import Services

PREVIEW_RUNS = 3
PlayModeName = Literal["continuous", "loop", "loop_one", "random", "single"]
OnBusyName = Literal["queue", "skip", "interrupt"]

WHEN_HELP = "e.g. in 10 minutes, tomorrow at 9am, every weekday at 18:30, 0 9 * * 1-5"


def max_duration_seconds(text: str) -> int:
    """``"30"`` (minutes), ``"90s"``, ``"10 min"``, ``"1h30m"`` -> whole seconds.

    The bounds are the task service's (config ``limits.max_duration_s``); this only reads text.
    """
    typed = normalise(text)
    if typed.isdigit():
        return int(typed) * 60
    duration = parse_duration(typed)
    if duration is None or duration.months or duration.days or duration.seconds < 1:
        raise ValidationError(
            f"{text.strip()!r} is not a duration; give minutes or seconds, "
            "e.g. 30 (minutes), 90s, 10 min or 1h30m."
        )
    return round(duration.seconds)


def with_repeat_count(recurrence: Recurrence, repeat_count: int | None) -> Recurrence:
    """The schedule with the ``repeat_count`` option applied (it must agree with the text)."""
    if repeat_count is None:
        return recurrence
    problem = count_problem(repeat_count)
    if problem is not None:
        raise ValidationError(f"repeat_count: {problem}")
    if recurrence.is_once:
        raise ValidationError(
            "repeat_count needs a repeating time, such as 'every day at 9'; this one happens once."
        )
    if recurrence.count is not None and recurrence.count != repeat_count:
        raise ValidationError(
            f"The time already says {recurrence.count} times but repeat_count is "
            f"{repeat_count}; give the number once."
        )
    return dataclasses.replace(recurrence, count=repeat_count)


def default_name(target: str, when: str, limit: int) -> str:
    """``chime · every day at 9`` cut to the server's name length."""
    name = f"{target} · {' '.join(when.split())}"
    return name if len(name) <= limit else name[: limit - 1] + "…"


@app_commands.guild_only()
class ScheduleCog(
    commands.GroupCog, group_name="schedule", group_description="Schedule sounds and playlists"
):
    """Schedule a sound or a playlist to play in a voice channel."""

    def __init__(
        self,
        scheduler: SchedulerService,
        library: LibraryService,
        playlists: PlaylistService,
        preferences: PreferenceService,
        credits: CreditService,
        access: Access,
        settings: Settings,
        clock: Clock,
    ) -> None:
        self.scheduler = scheduler
        self.library = library
        self.playlists = playlists
        self.preferences = preferences
        self.credits = credits
        self.access = access
        self.settings = settings
        self.clock = clock
        self.choices = LibraryChoices(library, playlists)
        self.when_previews = WhenPreviews(scheduler, clock)
        super().__init__()

    @app_commands.command(name="sound")
    @app_commands.describe(
        sound="The sound to play",
        when=WHEN_HELP,
        channel="Voice channel (default: the one you are in)",
        timezone="Time zone of the time (default: yours, else the server's)",
        repeat_count="Stop after this many runs (repeating times only)",
        on_busy="If something is already playing: wait (queue), skip, or interrupt it",
        name="A name for the task (default: the sound and the time)",
    )
    async def sound(
        self,
        interaction: discord.Interaction[discord.Client],
        sound: str,
        when: app_commands.Range[str, 1, 300],
        channel: discord.VoiceChannel | None = None,
        timezone: str | None = None,
        repeat_count: app_commands.Range[int, 1, MAX_COUNT] | None = None,
        on_busy: OnBusyName = "queue",
        name: app_commands.Range[str, 1, 100] | None = None,
    ) -> None:
        """Schedule a sound to play in a voice channel."""
        guild_id = guild_only(interaction)
        channel_id = voice_target(interaction, channel).id
        found = await self.library.find_sound(guild_id, sound)
        cost = credits_text(play_cost(self.settings.credits.cost_per_play, system_task=False))
        await self._schedule(
            interaction,
            guild_id,
            task_type=TaskType.PLAY_SOUND,
            parameters={"sound_id": found.id, "channel_id": channel_id},
            what=f"sound **{safe(found.name)}**",
            target_name=found.name,
            cost=f"{cost} per run",
            when=when,
            timezone=timezone,
            repeat_count=repeat_count,
            on_busy=on_busy,
            name=name,
        )

    @app_commands.command(name="playlist")
    @app_commands.describe(
        playlist="The playlist to play",
        when=WHEN_HELP,
        channel="Voice channel (default: the one you are in)",
        timezone="Time zone of the time (default: yours, else the server's)",
        repeat_count="Stop after this many runs (repeating times only)",
        play_mode="continuous: once in order; loop; loop_one; random; single: the first track",
        shuffle="Shuffle the order first",
        max_duration="Stop after this long: 30 (minutes), 90s, 1h (needed for endless modes)",
        on_busy="If something is already playing: wait (queue), skip, or interrupt it",
        name="A name for the task (default: the playlist and the time)",
    )
    async def playlist(
        self,
        interaction: discord.Interaction[discord.Client],
        playlist: str,
        when: app_commands.Range[str, 1, 300],
        channel: discord.VoiceChannel | None = None,
        timezone: str | None = None,
        repeat_count: app_commands.Range[int, 1, MAX_COUNT] | None = None,
        play_mode: PlayModeName = "continuous",
        shuffle: bool = False,
        max_duration: app_commands.Range[str, 1, 40] | None = None,
        on_busy: OnBusyName = "queue",
        name: app_commands.Range[str, 1, 100] | None = None,
    ) -> None:
        """Schedule a playlist to play in a voice channel."""
        guild_id = guild_only(interaction)
        channel_id = voice_target(interaction, channel).id
        found = await self.playlists.show_playlist(guild_id, playlist)
        seconds = None if max_duration is None else max_duration_seconds(max_duration)
        cost = credits_text(play_cost(self.settings.credits.cost_per_play, system_task=False))
        tracks = len(found.tracks)
        await self._schedule(
            interaction,
            guild_id,
            task_type=TaskType.PLAY_PLAYLIST,
            parameters={
                "playlist_id": found.id,
                "channel_id": channel_id,
                "play_mode": play_mode,
                "shuffle": shuffle,
                "max_duration_s": seconds,
            },
            what=f"playlist **{safe(found.name)}** ({play_mode}{', shuffled' if shuffle else ''})",
            target_name=found.name,
            cost=f"{cost} per track it starts ({tracks} track{'s' if tracks != 1 else ''})",
            when=when,
            timezone=timezone,
            repeat_count=repeat_count,
            on_busy=on_busy,
            name=name,
        )

    async def _schedule(
        self,
        interaction: discord.Interaction[discord.Client],
        guild_id: int,
        *,
        task_type: TaskType,
        parameters: dict[str, Any],
        what: str,
        target_name: str,
        cost: str,
        when: str,
        timezone: str | None,
        repeat_count: int | None,
        on_busy: str,
        name: str | None,
    ) -> None:
        """Read the time in the right zone, create the task, answer with its preview."""
        user_id = interaction.user.id
        if timezone is not None:
            zone = str(resolve_zone(timezone).key)
        else:
            zone, _whose = await self.preferences.effective_timezone(guild_id, user_id)
        recurrence = await parse_when_async(when, self.clock.now(), zone)
        recurrence = with_repeat_count(recurrence, repeat_count)
        if name is None:
            policy = await self.preferences.guild_policy(guild_id)
            name = default_name(target_name, when, policy.max_name_length)
        task = await self.scheduler.create_task(
            guild_id=guild_id,
            name=name,
            task_type=task_type,
            parameters=parameters,
            user_id=user_id,
            recurrence=recurrence,
            on_busy=on_busy,
            actor=await self.access.actor(interaction),
        )
        preview = await self.scheduler.preview(
            guild_id, task.recurrence, count=PREVIEW_RUNS, exclude_task_id=task.id
        )
        balance = await self.credits.balance(guild_id, user_id)
        embed = schedule_embed(task, preview, what, cost, credits_text(balance))
        await interaction.response.send_message(
            embed=embed, view=task_controls(task) or discord.utils.MISSING, allowed_mentions=NONE
        )

    # Autocomplete

    @sound.autocomplete("sound")
    async def _sound_names(
        self, interaction: discord.Interaction[discord.Client], current: str
    ) -> list[app_commands.Choice[str]]:
        return await self.choices.sounds(interaction, current)

    @playlist.autocomplete("playlist")
    async def _playlist_names(
        self, interaction: discord.Interaction[discord.Client], current: str
    ) -> list[app_commands.Choice[str]]:
        return await self.choices.playlists(interaction, current)

    @sound.autocomplete("when")
    @playlist.autocomplete("when")
    async def _when_preview(
        self, interaction: discord.Interaction[discord.Client], current: str
    ) -> list[app_commands.Choice[str]]:
        guild_id = guild_only(interaction)
        zone, _whose = await self.preferences.effective_timezone(guild_id, interaction.user.id)
        actor = await self.access.actor(interaction)
        # Discord sends the options filled in so far: read the time as the command will.
        options = interaction.namespace
        repeat_count: int | None = options.repeat_count

        def refine(recurrence: Recurrence) -> Recurrence:
            return with_repeat_count(recurrence, repeat_count)

        return await self.when_previews.choices(
            current,
            guild_id=guild_id,
            zone=zone,
            admin=actor.is_admin,
            typed_zone=options.timezone,
            refine=refine,
        )

    @sound.autocomplete("timezone")
    @playlist.autocomplete("timezone")
    async def _zones(
        self, interaction: discord.Interaction[discord.Client], current: str
    ) -> list[app_commands.Choice[str]]:
        return zone_choices(current)


def schedule_embed(
    task: TaskView, preview: Preview, what: str, cost: str, balance: str
) -> discord.Embed:
    """The answer to /schedule: what, where, the preview, and what it costs."""
    lines = [
        f"**{safe(task.name)}**",
        f"Plays {what} in <#{task.parameters['channel_id']}> · on busy: {task.on_busy.value}",
        "",
        *preview_lines(preview),
        "",
        f"Cost: {cost} · your balance: {balance}",
    ]
    return discord.Embed(
        title=f"Scheduled task #{task.id}", description="\n".join(lines), colour=EMBED_COLOUR
    )


def build(app: Services, access: Access) -> list[commands.Cog]:
    """The cogs of this command group, given what they use."""
    return [
        ScheduleCog(
            app.scheduler,
            app.library,
            app.playlists,
            app.preferences,
            app.credits,
            access,
            app.settings,
            app.clock,
        )
    ]
