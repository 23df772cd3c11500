"""One line for a network failure: what could not be reached and the likely cause.

Used where the bot meets the network at start-up (``carillon run`` logging in, ``doctor --live``)
and by the log filter that turns discord.py's reconnect tracebacks into one line.
"""

from __future__ import annotations

import asyncio
import errno
import socket
import ssl

__all__ = ["causes", "describe", "is_network_error"]


def causes(exc: BaseException) -> list[BaseException]:
    """``exc`` and what caused it, outermost first (``__cause__``, else ``__context__``)."""
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def is_network_error(exc: BaseException) -> bool:
    """Whether ``exc`` is the network failing (worth retrying), not a bug or a refusal."""
    import aiohttp  # lazily: the CLI imports this module for --help

    for link in causes(exc):
        if isinstance(link, asyncio.TimeoutError | TimeoutError | aiohttp.ClientConnectionError):
            return True
        if isinstance(link, aiohttp.ClientPayloadError | aiohttp.ServerDisconnectedError):
            return True
        if isinstance(link, ssl.SSLError | socket.gaierror | ConnectionError):
            return True
        if isinstance(link, OSError) and link.errno in _REASONS:
            return True
        status = getattr(link, "status", None)
        if isinstance(status, int) and status >= 500:  # discord.DiscordServerError and kin
            return True
    return False


_REASONS = {
    errno.ECONNREFUSED: "connection refused: nothing listens there (wrong port, or a proxy or "
    "firewall in the way)",
    errno.ENETUNREACH: "network unreachable: this machine has no route there (network down?)",
    errno.EHOSTUNREACH: "host unreachable: no route to it (network down, or a firewall)",
    errno.ECONNRESET: "the connection was reset (a proxy or firewall may be cutting it)",
    errno.ETIMEDOUT: "timed out (network down, or a firewall dropping the traffic)",
}


def describe(exc: BaseException) -> str:
    """The likely cause of a network failure, in words an operator can act on."""
    import aiohttp

    for link in causes(exc):
        if isinstance(link, aiohttp.ClientConnectorCertificateError | ssl.SSLCertVerificationError):
            return (
                "its TLS certificate is not trusted (a proxy that intercepts TLS needs its CA "
                "in discord.ca_file)"
            )
        if isinstance(link, socket.gaierror) or "Name or service not known" in str(link):
            return "its host name cannot be resolved (DNS): no network yet, or no DNS server"
        if isinstance(link, aiohttp.ClientProxyConnectionError):
            return "the proxy refused the connection (check HTTPS_PROXY)"
        if isinstance(link, OSError) and link.errno in _REASONS:
            return _REASONS[link.errno]
        if isinstance(link, ssl.SSLError):
            return f"the TLS handshake failed ({link.reason or link})"
        if isinstance(link, asyncio.TimeoutError | TimeoutError):
            return "no answer in time (network down, or a firewall dropping the traffic)"
        if isinstance(link, aiohttp.ServerDisconnectedError):
            return "the server closed the connection"
        status = getattr(link, "status", None)
        if isinstance(status, int) and status >= 500:
            return f"Discord answered {status} (an outage on its side; it passes by itself)"
    first = causes(exc)[-1]
    return str(first) or type(first).__name__
