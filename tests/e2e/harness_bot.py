"""A small discord.py bot that exercises every emulator feature, independent of Carillon's cogs.

The Carillon e2e tests use the real composition root (``carillon`` fixture); this bot proves the
emulator itself: defer and follow-up, autocomplete, a permission-restricted group with a
server-side check, buttons, attachments from the CDN, DMs, and voice with a PyAV-encoded tone.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import math
from array import array
from collections import deque
from fractions import Fraction

import aiohttp
import av
import discord
from discord import app_commands
from discord.ext import commands

log = logging.getLogger(__name__)

SOUNDS = ["airhorn", "bell", "chime", "gong", "wind chimes"]
FRAME_SAMPLES = 960  # 20 ms at 48 kHz


def encode_tone(frequency: float, milliseconds: int, amplitude: float = 0.4) -> list[bytes]:
    """20 ms Opus packets of a stereo sine, encoded with PyAV's bundled libopus."""
    encoder = av.CodecContext.create("libopus", "w")
    encoder.sample_rate = 48_000
    encoder.layout = "stereo"
    encoder.format = "s16"
    encoder.bit_rate = 96_000
    encoder.time_base = Fraction(1, 48_000)
    step = 2 * math.pi * frequency / 48_000
    peak = amplitude * 32767
    packets: list[bytes] = []
    for start in range(0, 48 * milliseconds, FRAME_SAMPLES):
        samples = array(
            "h", (round(peak * math.sin(step * (start + i))) for i in range(FRAME_SAMPLES))
        )
        stereo = array("h", (s for s in samples for _ in (0, 1)))
        frame = av.AudioFrame(format="s16", layout="stereo", samples=FRAME_SAMPLES)
        frame.planes[0].update(stereo.tobytes())
        frame.sample_rate = 48_000
        frame.pts = start
        frame.time_base = Fraction(1, 48_000)
        packets += [bytes(p) for p in encoder.encode(frame)]
    packets += [bytes(p) for p in encoder.encode(None)]
    return packets


class ToneSource(discord.AudioSource):
    """Pre-encoded Opus packets; discord.py sends them as they are (``is_opus``)."""

    def __init__(self, packets: list[bytes]) -> None:
        self._packets = deque(packets)

    def read(self) -> bytes:
        return self._packets.popleft() if self._packets else b""

    def is_opus(self) -> bool:
        return True


class HarnessTree(app_commands.CommandTree[discord.Client]):
    async def on_error(
        self, interaction: discord.Interaction[discord.Client], error: app_commands.AppCommandError
    ) -> None:
        if isinstance(error, app_commands.MissingPermissions):
            text = "You need the Manage Server permission to use this command."
        else:
            log.error("command failed", exc_info=error)
            text = "Something went wrong."
        if interaction.response.is_done():
            await interaction.followup.send(text, ephemeral=True)
        else:
            await interaction.response.send_message(text, ephemeral=True)


class CounterView(discord.ui.View):
    def __init__(self) -> None:
        super().__init__(timeout=None)
        self.count = 0

    @discord.ui.button(label="+1", custom_id="counter:add")
    async def add(
        self,
        interaction: discord.Interaction[discord.Client],
        button: discord.ui.Button[CounterView],
    ) -> None:
        self.count += 1
        await interaction.response.edit_message(content=f"count: {self.count}", view=self)


class HarnessCog(commands.Cog):
    sound = app_commands.Group(name="sound", description="Sounds")
    admin = app_commands.Group(
        name="admin",
        description="Server admin commands",
        default_permissions=discord.Permissions(manage_guild=True),
        guild_only=True,
    )

    def __init__(self, voice_timeout: float) -> None:
        self.voice_timeout = voice_timeout

    @app_commands.command(description="Answer at once")
    async def ping(self, interaction: discord.Interaction[discord.Client]) -> None:
        await interaction.response.send_message("pong")

    @app_commands.command(description="Defer, do slow work, then follow up")
    async def slow(
        self,
        interaction: discord.Interaction[discord.Client],
        text: str,
        seconds: app_commands.Range[float, 0, 5] = 0,
    ) -> None:
        await interaction.response.defer(thinking=True)
        await asyncio.sleep(seconds)  # stands for slow work, e.g. decoding an upload
        await interaction.followup.send(f"done: {text}")

    @sound.command(name="play", description="Play a sound")
    async def sound_play(self, interaction: discord.Interaction[discord.Client], name: str) -> None:
        await interaction.response.send_message(f"would play {name}", ephemeral=True)

    @sound_play.autocomplete("name")
    async def sound_names(
        self, interaction: discord.Interaction[discord.Client], current: str
    ) -> list[app_commands.Choice[str]]:
        found = [s for s in SOUNDS if current.lower() in s]
        return [app_commands.Choice(name=s.title(), value=s) for s in found]

    @admin.command(name="status", description="Admins only")
    @app_commands.checks.has_permissions(manage_guild=True)
    async def admin_status(self, interaction: discord.Interaction[discord.Client]) -> None:
        await interaction.response.send_message("all systems go", ephemeral=True)

    @app_commands.command(description="A message with a button")
    async def counter(self, interaction: discord.Interaction[discord.Client]) -> None:
        await interaction.response.send_message("count: 0", view=CounterView())

    @app_commands.command(description="Read an uploaded file")
    async def inspect(
        self, interaction: discord.Interaction[discord.Client], file: discord.Attachment
    ) -> None:
        data = await file.read()
        digest = hashlib.sha256(data).hexdigest()[:12]
        await interaction.response.send_message(f"{file.filename}: {len(data)} bytes {digest}")

    @app_commands.command(description="Send me a DM")
    async def dm(self, interaction: discord.Interaction[discord.Client]) -> None:
        await interaction.user.send("hello in private")
        await interaction.response.send_message("sent", ephemeral=True)

    @app_commands.command(description="Where am I in voice?")
    async def whereami(self, interaction: discord.Interaction[discord.Client]) -> None:
        voice = getattr(interaction.user, "voice", None)
        where = voice.channel.name if voice and voice.channel else "nowhere"
        await interaction.response.send_message(f"you are in {where}")

    @app_commands.command(description="Play a test tone in your voice channel")
    @app_commands.guild_only()
    async def tone(
        self,
        interaction: discord.Interaction[discord.Client],
        frequency: app_commands.Range[int, 50, 4000] = 440,
        milliseconds: app_commands.Range[int, 20, 5000] = 1000,
    ) -> None:
        voice_state = getattr(interaction.user, "voice", None)
        if voice_state is None or voice_state.channel is None:
            await interaction.response.send_message("Join a voice channel first.", ephemeral=True)
            return
        await interaction.response.defer(thinking=True)
        packets = await asyncio.to_thread(encode_tone, frequency, milliseconds)
        try:
            client = await self._voice_client(voice_state.channel)
        except TimeoutError:
            await interaction.followup.send("Could not connect to voice in time.")
            return
        loop = asyncio.get_running_loop()
        finished: asyncio.Future[None] = loop.create_future()

        def after(error: Exception | None) -> None:
            # Runs on discord.py's audio thread: hand back to the loop, touch nothing here.
            loop.call_soon_threadsafe(finished.set_result, None)

        try:
            client.play(ToneSource(packets), after=after)
            await asyncio.wait_for(finished, timeout=milliseconds / 1000 + 5)
        finally:
            await client.disconnect()
        await interaction.followup.send(f"played {frequency} Hz for {milliseconds} ms")

    @app_commands.command(description="Join a voice channel (or move there)")
    @app_commands.guild_only()
    async def join(
        self, interaction: discord.Interaction[discord.Client], channel: discord.VoiceChannel
    ) -> None:
        await interaction.response.defer(thinking=True)
        try:
            client = await self._voice_client(channel)
        except TimeoutError:
            await interaction.followup.send("Could not connect to voice in time.")
            return
        await interaction.followup.send(f"in {client.channel.name}")

    @app_commands.command(name="voice-status", description="Where the bot is in voice")
    @app_commands.guild_only()
    async def voice_status(self, interaction: discord.Interaction[discord.Client]) -> None:
        client = interaction.guild.voice_client if interaction.guild else None
        if isinstance(client, discord.VoiceClient) and client.is_connected():
            await interaction.response.send_message(f"connected to {client.channel.name}")
        else:
            await interaction.response.send_message("not connected")

    async def _voice_client(self, channel: discord.abc.Connectable) -> discord.VoiceClient:
        assert isinstance(channel, discord.VoiceChannel)
        client = channel.guild.voice_client
        if isinstance(client, discord.VoiceClient):
            if client.channel.id != channel.id:
                await client.move_to(channel, timeout=self.voice_timeout)
            return client
        return await channel.connect(timeout=self.voice_timeout, reconnect=False)


class HarnessBot(commands.Bot):
    def __init__(self, *, connector: aiohttp.BaseConnector | None, voice_timeout: float) -> None:
        intents = discord.Intents.none()
        intents.guilds = True
        intents.voice_states = True
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=intents,
            tree_cls=HarnessTree,
            connector=connector,
            help_command=None,
            # The emulator sends every guild at once; discord.py's 2 s default only slows tests.
            guild_ready_timeout=0.1,
        )
        self._voice_timeout = voice_timeout

    async def setup_hook(self) -> None:
        await self.add_cog(HarnessCog(self._voice_timeout))
