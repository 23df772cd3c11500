"""The emulator's sockets: one TLS (or plain) HTTP server for REST, gateway, voice websocket and
CDN on 127.0.0.1, the voice UDP socket, and a throwaway CA made with trustme."""

from __future__ import annotations

import asyncio
import socket
import ssl
import tempfile
from pathlib import Path

import trustme
from aiohttp import web
from aiohttp.web_protocol import RequestHandler

from .faults import Faults
from .gateway import Gateway
from .oauth import OAuth2
from .rest import RestApi
from .state import User, World
from .voice import VoiceServer
from .webhooks import InteractionBook, WebhookApi

HOST = "127.0.0.1"


class EmulatorServer:
    def __init__(
        self, world: World, owner: User, token: str, *, tls: bool, response_deadline: float
    ) -> None:
        self.world = world
        self.token = token
        self.tls = tls
        self.faults = Faults()
        self.book = InteractionBook()
        self.oauth = OAuth2(world, owner)
        self.rest = RestApi(world, self.faults, token, owner, self.oauth)
        self.webhooks = WebhookApi(world, self.book, response_deadline)
        self.gateway = Gateway(world, token)
        self.voice = VoiceServer(world, self.gateway, self.faults)
        self.port = 0
        self.ca_file: str | None = None
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._runner: web.AppRunner | None = None

    @property
    def http_scheme(self) -> str:
        return "https" if self.tls else "http"

    @property
    def api_base_url(self) -> str:
        return f"{self.http_scheme}://{HOST}:{self.port}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"{'wss' if self.tls else 'ws'}://{HOST}:{self.port}/gateway"

    @property
    def open_connections(self) -> int:
        """TCP connections the HTTP server still holds (REST keep-alive and websockets)."""
        if self._runner is None or self._runner.server is None:
            return 0
        # A handler leaves the list only when its task ends; its transport goes at socket close.
        return sum(1 for h in self._runner.server.connections if h.transport is not None)

    async def start(self) -> None:
        app = web.Application()
        self.rest.install(app)
        self.oauth.install(app)
        self.webhooks.install(app)
        self.gateway.install(app)
        self.voice.install(app)
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((HOST, 0))
        self.port = sock.getsockname()[1]
        self._runner = web.AppRunner(app, shutdown_timeout=2.0, handle_signals=False)
        await self._runner.setup()
        server = self._runner.server
        assert server is not None
        lost = server.connection_lost

        def connection_lost(handler: RequestHandler, exc: BaseException | None) -> None:
            lost(handler, exc)
            self.world.changed.notify()

        server.connection_lost = connection_lost  # type: ignore[method-assign,assignment]
        ssl_context = self._server_ssl() if self.tls else None
        site = web.SockSite(self._runner, sock, ssl_context=ssl_context)
        await site.start()
        await self.voice.start()
        base = f"{self.http_scheme}://{HOST}:{self.port}"
        self.world.cdn_base = base + "/cdn"
        self.oauth.base_url = base
        self.rest.gateway_url = self.gateway.url = self.gateway_url
        self.voice.endpoint = f"{HOST}:{self.port}"

    def _server_ssl(self) -> ssl.SSLContext:
        ca = trustme.CA()
        self._tmp = tempfile.TemporaryDirectory(prefix="carillon-emulator-")
        ca_path = Path(self._tmp.name) / "emulator-ca.pem"
        ca.cert_pem.write_to_path(str(ca_path))
        self.ca_file = str(ca_path)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert(HOST, "localhost").configure_cert(context)
        return context

    async def wait_idle(self) -> None:
        """Wait until every client TCP connection has gone (the bot closed its sockets)."""
        await self.world.changed.wait_for(lambda: self.open_connections == 0)

    async def close(self) -> None:
        await self.gateway.close()
        await self.voice.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None
        await asyncio.sleep(0)  # let transports finish closing before the loop goes away
