"""Fault injection: failing REST calls, rate limits, and voice connections that never answer."""

from __future__ import annotations

import enum
import json
import re
from dataclasses import dataclass, field

from aiohttp import web


class VoiceStall(enum.Enum):
    """Where a voice connection attempt stops being answered."""

    GATEWAY = "gateway"  # op 4 gets neither VOICE_STATE_UPDATE nor VOICE_SERVER_UPDATE
    WEBSOCKET = "websocket"  # the voice websocket accepts IDENTIFY and then says nothing


@dataclass
class HttpFault:
    """Answer matching REST requests with ``status`` for the next ``times`` calls."""

    method: str
    path: re.Pattern[str]
    status: int
    times: int
    retry_after: float = 0.0
    is_global: bool = False
    hits: list[str] = field(default_factory=list)

    def matches(self, method: str, path: str) -> bool:
        return self.times > 0 and self.method in (method, "*") and bool(self.path.search(path))

    def response(self) -> web.Response:
        if self.status == 429:
            body = {
                "message": "You are being rate limited.",
                "retry_after": self.retry_after,
                "global": self.is_global,
            }
            headers = {
                # discord.py treats a 429 without Via as a Cloudflare ban and gives up.
                "Via": "1.1 google",
                "Retry-After": str(max(1, round(self.retry_after))),
                "X-RateLimit-Scope": "global" if self.is_global else "user",
            }
            if self.is_global:
                headers["X-RateLimit-Global"] = "true"
        else:
            body = {"message": f"{self.status}: Emulated failure", "code": 0}
            headers = {}
        headers["Content-Type"] = "application/json"
        return web.Response(status=self.status, body=json.dumps(body).encode(), headers=headers)


class Faults:
    """The switchboard tests use: ``emu.faults.http_error("POST", r"/callback$")`` and so on."""

    def __init__(self) -> None:
        self.http: list[HttpFault] = []
        self.voice_stall: VoiceStall | None = None

    def http_error(self, method: str, path: str, *, status: int = 500, times: int = 1) -> HttpFault:
        """Fail the next ``times`` requests whose API path matches the regex ``path``."""
        fault = HttpFault(method.upper(), re.compile(path), status, times)
        self.http.append(fault)
        return fault

    def rate_limit(
        self,
        method: str,
        path: str,
        *,
        retry_after: float = 0.1,
        times: int = 1,
        is_global: bool = False,
    ) -> HttpFault:
        """Answer 429 with ``retry_after`` seconds for the next ``times`` matching requests."""
        fault = HttpFault(method.upper(), re.compile(path), 429, times, retry_after, is_global)
        self.http.append(fault)
        return fault

    def voice_never_answers(self, stage: VoiceStall = VoiceStall.GATEWAY) -> None:
        self.voice_stall = stage

    def clear(self) -> None:
        self.http.clear()
        self.voice_stall = None

    def take_http(self, method: str, path: str) -> web.Response | None:
        """The injected response for this request, if a fault matches (and consume one use)."""
        for fault in self.http:
            if fault.matches(method, path):
                fault.times -= 1
                fault.hits.append(f"{method} {path}")
                return fault.response()
        return None
