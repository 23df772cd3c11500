"""Zone names: IANA in any case, abbreviations and cities to regions, unknown-zone errors."""

from __future__ import annotations

import pytest

from bot.errors import ParseError
from bot.scheduling.zones import closest_zone_names, resolve_zone, search_zones


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Europe/Paris", "Europe/Paris"),
        ("europe/paris", "Europe/Paris"),
        ("AMERICA/NEW_YORK", "America/New_York"),
        ("america/new york", "America/New_York"),
        ("UTC", "UTC"),
        ("PST", "America/Los_Angeles"),
        ("pdt", "America/Los_Angeles"),
        ("EST", "America/New_York"),
        ("CET", "Europe/Paris"),
        ("IST", "Asia/Kolkata"),
        ("AEST", "Australia/Sydney"),
        ("JST", "Asia/Tokyo"),
        ("New York", "America/New_York"),
        ("tokyo", "Asia/Tokyo"),
        ("Sydney", "Australia/Sydney"),
        ("kolkata", "Asia/Kolkata"),
        ("mumbai", "Asia/Kolkata"),
        ("san francisco", "America/Los_Angeles"),
        ("London", "Europe/London"),
        ("  paris  ", "Europe/Paris"),
    ],
)
def test_resolves(text: str, expected: str) -> None:
    """Names people type resolve to the IANA zone of the region they mean."""
    assert resolve_zone(text).key == expected


def test_unknown_zone_lists_three_closest() -> None:
    """An unknown zone is an error naming the three closest IANA names."""
    with pytest.raises(ParseError) as caught:
        resolve_zone("Europe/Pariss")
    message = caught.value.message
    assert "Unknown time zone 'Europe/Pariss'" in message
    suggestions = message.split("Did you mean: ")[1].split("?")[0].split(", ")
    assert len(suggestions) == 3
    assert suggestions[0] == "Europe/Paris"


def test_closest_always_three() -> None:
    """Even nonsense gets three suggestions."""
    assert len(closest_zone_names("qqqqqq")) == 3


def test_search_for_autocomplete() -> None:
    """Autocomplete finds zones by any part of the name, shortest first."""
    found = search_zones("york")
    assert "America/New_York" in found
    assert search_zones("", limit=5) and len(search_zones("", limit=5)) == 5
