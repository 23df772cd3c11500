"""Point discord.py at a Discord-compatible endpoint (a REST proxy or the test emulator).

discord.py 2.7.1 has no per-client setting for where it connects, so three things are needed:

* REST: every request URL is built from the class attribute ``discord.http.Route.BASE``
  (interaction callbacks and webhook follow-ups too, they use the same ``Route``).
* Gateway: a plain ``Client``/``commands.Bot`` connects to the class attribute
  ``DiscordWebSocket.DEFAULT_GATEWAY``; it never asks ``GET /gateway/bot`` (only
  ``AutoShardedClient`` does, and that answer comes from ``Route.BASE`` anyway). On RESUME it uses
  the ``resume_gateway_url`` from READY, which the endpoint itself supplies.
* TLS: REST, the gateway, the voice websocket (``wss://{endpoint}/?v=8``) and CDN downloads
  (``Attachment.read()``) all go through the client's one ``aiohttp.ClientSession``, so trusting an
  extra CA means giving the client a connector whose SSL context trusts it.

The first two are process-wide (class attributes), which is fine for one bot per process.

How the composition root uses it::

    from bot.client.endpoints import apply_endpoints, make_connector

    async def open_app(settings):          # inside the running event loop
        d = settings.discord
        apply_endpoints(d.api_base_url, d.gateway_url, d.ca_file)
        bot = CarillonBot(..., connector=make_connector(d.ca_file))  # None keeps discord.py's own

``make_connector`` must be called with the loop running (aiohttp binds a connector to it), and the
connector is owned by the bot: ``bot.close()`` closes it. ``reset_endpoints()`` puts discord.py's
defaults back (tests that point several bots at different emulators use it).
"""

from __future__ import annotations

import ssl

import aiohttp
import yarl
from discord.gateway import DiscordWebSocket
from discord.http import Route

__all__ = [
    "DEFAULT_API_BASE_URL",
    "DEFAULT_GATEWAY_URL",
    "apply_endpoints",
    "make_connector",
    "make_ssl_context",
    "reset_endpoints",
]

DEFAULT_API_BASE_URL: str = Route.BASE
DEFAULT_GATEWAY_URL: str = str(DiscordWebSocket.DEFAULT_GATEWAY)


def apply_endpoints(api_base_url: str | None, gateway_url: str | None, ca_file: str | None) -> None:
    """Make discord.py use these endpoints; ``None`` keeps Discord's own.

    ``api_base_url`` is the full REST base including the version, e.g.
    ``https://proxy.example:8443/api/v10``. ``gateway_url`` is a ``wss://`` (or ``ws://``) URL.
    ``ca_file`` is only checked here (so a bad path fails at start-up, not at the first voice
    connect); pass the same value to :func:`make_connector` for the client.
    """
    if api_base_url is not None:
        base = yarl.URL(api_base_url)
        if base.scheme not in ("http", "https") or not base.host:
            raise ValueError(f"api_base_url must be an http(s) URL, got {api_base_url!r}")
        Route.BASE = api_base_url.rstrip("/")
    if gateway_url is not None:
        gateway = yarl.URL(gateway_url)
        if gateway.scheme not in ("ws", "wss") or not gateway.host:
            raise ValueError(f"gateway_url must be a ws(s) URL, got {gateway_url!r}")
        # discord.py appends ?v=&encoding=&compress= itself; a query here would be replaced.
        DiscordWebSocket.DEFAULT_GATEWAY = gateway.with_query(None)
    if ca_file is not None:
        make_ssl_context(ca_file)


def reset_endpoints() -> None:
    """Restore discord.py's default REST base and gateway URL."""
    Route.BASE = DEFAULT_API_BASE_URL
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(DEFAULT_GATEWAY_URL)


def make_ssl_context(ca_file: str) -> ssl.SSLContext:
    """A client context that trusts the system CAs plus the PEM bundle in ``ca_file``."""
    context = ssl.create_default_context()
    try:
        context.load_verify_locations(cafile=ca_file)
    except (OSError, ssl.SSLError) as exc:
        raise ValueError(f"cannot load CA file {ca_file!r}: {exc}") from exc
    return context


def make_connector(ca_file: str | None) -> aiohttp.TCPConnector | None:
    """A connector for ``commands.Bot(connector=...)`` that trusts ``ca_file``, or ``None``.

    ``limit=0`` matches the connector discord.py makes for itself (no pool limit). Call it with the
    event loop running.
    """
    if ca_file is None:
        return None
    return aiohttp.TCPConnector(limit=0, ssl=make_ssl_context(ca_file))
