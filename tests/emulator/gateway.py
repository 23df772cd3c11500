"""The main gateway: HELLO, IDENTIFY/READY, heartbeats, dispatches, RESUME, RECONNECT.

Speaks JSON, optionally zlib-stream compressed (one compressor per connection, every frame ending
in a sync flush, as discord.py's decompressor expects).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
import zlib
from collections.abc import Callable
from typing import Any

from aiohttp import WSMsgType, web

from . import payloads
from .state import World

log = logging.getLogger(__name__)

GUILDS_INTENT = 1 << 0
VOICE_STATES_INTENT = 1 << 7
DISPATCH, HEARTBEAT, IDENTIFY, VOICE_STATE, RESUME, RECONNECT = 0, 1, 2, 4, 6, 7
INVALID_SESSION, HELLO, HEARTBEAT_ACK = 9, 10, 11


class GatewayConnection:
    """One websocket. Frames go out through one writer task so compressed frames stay in order."""

    def __init__(self, ws: web.WebSocketResponse, compress: bool) -> None:
        self.ws = ws
        self.session: GatewaySession | None = None
        self._compressor = zlib.compressobj() if compress else None
        self._outbox: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()
        self._writer = asyncio.create_task(self._write(), name="emulator-gateway-writer")

    def send(self, op: int, data: Any, *, seq: int | None = None, event: str | None = None) -> None:
        self._outbox.put_nowait({"op": op, "d": data, "s": seq, "t": event})

    def send_payload(self, payload: dict[str, Any]) -> None:
        self._outbox.put_nowait(payload)

    async def _write(self) -> None:
        while (payload := await self._outbox.get()) is not None:
            text = json.dumps(payload)
            try:
                if self._compressor is None:
                    await self.ws.send_str(text)
                else:
                    data = self._compressor.compress(text.encode())
                    await self.ws.send_bytes(data + self._compressor.flush(zlib.Z_SYNC_FLUSH))
            except (ConnectionError, RuntimeError):
                return  # closed under us; a RESUME replays what was lost

    async def close(self, code: int) -> None:
        self._outbox.put_nowait(None)
        with contextlib.suppress(ConnectionError, RuntimeError):
            await self.ws.close(code=code)

    async def finish(self) -> None:
        self._outbox.put_nowait(None)
        await self._writer


class GatewaySession:
    """A logged-in session: its sequence and every dispatch, kept for RESUME."""

    def __init__(self, intents: int) -> None:
        self.id = secrets.token_hex(16)
        self.intents = intents
        self.seq = 0
        self.log: list[dict[str, Any]] = []
        self.connection: GatewayConnection | None = None

    def dispatch(self, event: str, data: Any) -> None:
        self.seq += 1
        payload = {"op": DISPATCH, "d": data, "s": self.seq, "t": event}
        self.log.append(payload)
        if self.connection is not None:
            self.connection.send_payload(payload)


VoiceStateHandler = Callable[[GatewaySession, dict[str, Any]], None]


class Gateway:
    def __init__(self, world: World, token: str, heartbeat_interval_ms: int = 41_250) -> None:
        self.world = world
        self.token = token
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.url = ""
        self.sessions: dict[str, GatewaySession] = {}
        self.connections: set[GatewayConnection] = set()
        self.handshakes: list[dict[str, str]] = []  # query of every gateway connection
        self.identifies = 0
        self.resumes = 0
        self.on_voice_state: VoiceStateHandler = lambda session, data: None

    def install(self, app: web.Application) -> None:
        app.add_routes([web.get("/gateway", self.handle), web.get("/gateway/", self.handle)])

    # --- test-side control --------------------------------------------------------------------

    def dispatch(self, event: str, data: Any, *, intent: int | None = None) -> None:
        """Send an event to every session that asked for ``intent`` (kept for RESUME if offline)."""
        for session in self.sessions.values():
            if intent is None or session.intents & intent:
                session.dispatch(event, data)

    def live_session(self) -> GatewaySession | None:
        return next((s for s in self.sessions.values() if s.connection is not None), None)

    async def disconnect(self, *, code: int = 4000, resumable: bool = True) -> None:
        """Drop every gateway connection; ``resumable=False`` also forgets the sessions."""
        for connection in list(self.connections):
            if not resumable and connection.session is not None:
                self.sessions.pop(connection.session.id, None)
            await connection.close(code)

    def request_reconnect(self) -> None:
        """Send op 7 RECONNECT: the client closes and RESUMEs."""
        for connection in self.connections:
            connection.send(RECONNECT, None)

    async def close(self) -> None:
        await self.disconnect(code=1001)

    # --- the websocket ------------------------------------------------------------------------

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(max_msg_size=0)
        await ws.prepare(request)
        self.handshakes.append(dict(request.query))
        if request.query.get("encoding", "json") != "json":
            await ws.close(code=4002, message=b"only json encoding is emulated")
            return ws
        compress = request.query.get("compress") == "zlib-stream"
        connection = GatewayConnection(ws, compress)
        self.connections.add(connection)
        connection.send(HELLO, {"heartbeat_interval": self.heartbeat_interval_ms})
        try:
            async for message in ws:
                if message.type is not WSMsgType.TEXT:
                    continue
                frame = json.loads(message.data)
                if not await self._on_frame(connection, frame):
                    break
        finally:
            session = connection.session
            if session is not None and session.connection is connection:
                session.connection = None
            self.connections.discard(connection)
            await connection.close(1000)
            await connection.finish()
            self.world.changed.notify()
        return ws

    async def _on_frame(self, connection: GatewayConnection, frame: dict[str, Any]) -> bool:
        op, data = frame.get("op"), frame.get("d") or {}
        if op == HEARTBEAT:
            connection.send(HEARTBEAT_ACK, None)
        elif op == IDENTIFY:
            return await self._identify(connection, data)
        elif op == RESUME:
            self._resume(connection, data)
        elif op == VOICE_STATE:
            if connection.session is None:
                await connection.close(4003)
                return False
            self.on_voice_state(connection.session, data)
        elif op in (3, 8):  # presence updates and member requests: nothing to do
            pass
        else:
            await connection.close(4001)
            return False
        return True

    async def _identify(self, connection: GatewayConnection, data: dict[str, Any]) -> bool:
        if connection.session is not None:
            await connection.close(4005)
            return False
        if data.get("token") != self.token:
            await connection.close(4004)
            return False
        session = GatewaySession(int(data.get("intents", 0)))
        self.sessions[session.id] = session
        connection.session = session
        session.connection = connection
        bot = self.world.bot
        guilds = [g for g in self.world.guilds.values() if bot.id in g.members]
        session.dispatch(
            "READY",
            {
                "v": 10,
                "user": payloads.client_user(bot),
                "guilds": [{"id": str(g.id), "unavailable": True} for g in guilds],
                "session_id": session.id,
                "session_type": "normal",
                "resume_gateway_url": self.url,
                "application": {"id": str(self.world.application_id), "flags": 0},
                "private_channels": [],
                "relationships": [],
                "presences": [],
                "user_settings": {},
                "geo_ordered_rtc_regions": ["emulated"],
                "_trace": ["emulator"],
            },
        )
        for guild in guilds:
            if session.intents & GUILDS_INTENT:
                session.dispatch("GUILD_CREATE", payloads.guild_create(self.world, guild))
        self.identifies += 1
        self.world.changed.notify()
        return True

    def _resume(self, connection: GatewayConnection, data: dict[str, Any]) -> None:
        session = self.sessions.get(str(data.get("session_id")))
        if session is None or data.get("token") != self.token:
            # d=false: the session cannot be resumed, the client must IDENTIFY again.
            connection.send(INVALID_SESSION, False)
            return
        if session.connection is not None and session.connection is not connection:
            old = session.connection
            old.send_payload({"op": RECONNECT, "d": None, "s": None, "t": None})
        connection.session = session
        session.connection = connection
        seen = int(data.get("seq") or 0)
        for payload in session.log:
            if payload["s"] > seen:
                connection.send_payload(payload)
        session.dispatch("RESUMED", {"_trace": ["emulator"]})
        self.resumes += 1
        self.world.changed.notify()
