"""Fixed clocks and zones for the time-language tests: nothing here reads the real clock."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

NEW_YORK = ZoneInfo("America/New_York")
PARIS = ZoneInfo("Europe/Paris")
SYDNEY = ZoneInfo("Australia/Sydney")
KOLKATA = ZoneInfo("Asia/Kolkata")

# Monday 15 June 2026, 14:30 EDT: the "now" of the phrase tables.
NOW = datetime(2026, 6, 15, 14, 30, tzinfo=NEW_YORK)


def at(text: str, zone: ZoneInfo = NEW_YORK) -> datetime:
    """'2026-03-08 03:00' (local in ``zone``, first pass) or a full ISO string with an offset."""
    parsed = datetime.fromisoformat(text)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=zone)
