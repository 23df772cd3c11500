"""The shipped composition root (``bot.app.open_app``) against the emulator."""

from __future__ import annotations

import pytest

from bot.services import Services
from tests.emulator import Emulator

pytestmark = pytest.mark.e2e


async def test_carillon_logs_in_and_syncs_through_the_configured_endpoints(
    carillon: Services, emulator: Emulator
) -> None:
    """[discord] api_base_url, gateway_url and ca_file take the real bot to the emulator."""
    bot = carillon.bot

    assert bot.user is not None and bot.user.id == emulator.bot_user.id
    assert [g.id for g in bot.guilds] == [emulator.guild.id]
    session = emulator.gateway.live_session()
    assert session is not None and session.intents == (1 << 0) | (1 << 7)
    assert ("PUT", f"/applications/{emulator.application_id}/commands") in [
        (r.method, r.path) for r in emulator.requests
    ]
    assert (carillon.settings.data_dir / "carillon.db").is_file()
