"""Recovery: dropped gateway connections, invalid sessions, rate limits and server errors."""

from __future__ import annotations

import pytest

from tests.e2e.harness_bot import HarnessBot
from tests.emulator import Emulator

pytestmark = pytest.mark.e2e


async def test_bot_resumes_after_a_gateway_disconnect_and_gets_missed_events(
    harness_bot: HarnessBot, emulator: Emulator
) -> None:
    """A dropped connection is RESUMEd and events sent meanwhile are replayed in order."""
    await emulator.disconnect_gateway()
    emulator.user_joins_voice("alice", "Hall")  # dispatched while the bot is away

    await emulator.wait_gateway(resumes=1)
    reply = await emulator.slash("alice", "whereami")

    assert reply.content == "you are in Hall"
    assert emulator.gateway.identifies == 1
    assert emulator.gateway.handshakes[-1]["compress"] == "zlib-stream"


async def test_bot_identifies_again_when_its_session_is_gone(
    harness_bot: HarnessBot, emulator: Emulator
) -> None:
    """A RESUME of a forgotten session gets INVALID_SESSION and the bot IDENTIFYs afresh."""
    emulator.timeout = 10.0  # discord.py's before_identify_hook waits 5 s before a re-IDENTIFY
    await emulator.disconnect_gateway(resumable=False)

    await emulator.wait_gateway(identifies=2)

    assert emulator.gateway.resumes == 0
    assert (await emulator.slash("bob", "ping")).content == "pong"


async def test_bot_follows_a_reconnect_request(harness_bot: HarnessBot, emulator: Emulator) -> None:
    """Op 7 RECONNECT makes the bot reconnect and RESUME."""
    emulator.gateway.request_reconnect()

    await emulator.wait_gateway(resumes=1)

    assert (await emulator.slash("bob", "ping")).content == "pong"


async def test_rate_limited_reply_is_retried_after_retry_after(
    harness_bot: HarnessBot, emulator: Emulator
) -> None:
    """A 429 with retry_after on the interaction callback is waited out and retried."""
    fault = emulator.faults.rate_limit("POST", r"^/interactions/.*/callback$", retry_after=0.3)

    reply = await emulator.slash("alice", "ping")

    assert reply.content == "pong"
    assert fault.times == 0 and len(fault.hits) == 1
    statuses = [r.status for r in emulator.requests if r.path.endswith("/callback")]
    assert statuses == [429, 200]


async def test_server_error_on_follow_up_is_retried(
    harness_bot: HarnessBot, emulator: Emulator
) -> None:
    """A 500 on the follow-up webhook is retried (discord.py waits 1 s) and then delivered."""
    fault = emulator.faults.http_error("POST", r"^/webhooks/\d+/[^/]+$", status=500)

    reply = await emulator.slash("alice", "slow", text="again")

    assert reply.content == "done: again"
    assert len(fault.hits) == 1
