"""Time-zone names: IANA names in any case, common abbreviations and city names.

Every task stores an IANA name.  People type ``europe/paris``, ``PST``, ``New York`` or ``tokyo``;
:func:`resolve_zone` turns all of these into a :class:`~zoneinfo.ZoneInfo`.  Abbreviations map to
the *region's* zone, not to a fixed offset: "9am PST" in July means 09:00 in Los Angeles (PDT),
because that is what people mean (a fixed UTC-8 in July would be an hour off).

The zone data comes from the system or from the ``tzdata`` package, so slim images work.
"""

from __future__ import annotations

import difflib
import functools
import re
import zoneinfo
from zoneinfo import ZoneInfo

from bot.errors import ParseError

# Abbreviations and everyday names, each mapped to the zone of the region people mean by it.
# Several are also legacy IANA names with fixed offsets ("EST", "MST"): this table wins over them.
ABBREVIATIONS: dict[str, str] = {
    "utc": "UTC", "gmt": "UTC", "z": "UTC", "zulu": "UTC",
    "pst": "America/Los_Angeles", "pdt": "America/Los_Angeles", "pt": "America/Los_Angeles",
    "pacific": "America/Los_Angeles",
    "mst": "America/Denver", "mdt": "America/Denver", "mt": "America/Denver",
    "mountain": "America/Denver",
    "cst": "America/Chicago", "cdt": "America/Chicago", "ct": "America/Chicago",
    "central": "America/Chicago",
    "est": "America/New_York", "edt": "America/New_York", "et": "America/New_York",
    "eastern": "America/New_York",
    "akst": "America/Anchorage", "akdt": "America/Anchorage", "hst": "Pacific/Honolulu",
    "ast": "America/Halifax", "adt": "America/Halifax", "nst": "America/St_Johns",
    "ndt": "America/St_Johns", "brt": "America/Sao_Paulo", "art": "America/Argentina/Buenos_Aires",
    "bst": "Europe/London", "ist": "Asia/Kolkata", "wet": "Europe/Lisbon", "west": "Europe/Lisbon",
    "cet": "Europe/Paris", "cest": "Europe/Paris", "eet": "Europe/Athens", "eest": "Europe/Athens",
    "msk": "Europe/Moscow", "sast": "Africa/Johannesburg", "wat": "Africa/Lagos",
    "cat": "Africa/Maputo", "eat": "Africa/Nairobi", "pkt": "Asia/Karachi", "sgt": "Asia/Singapore",
    "hkt": "Asia/Hong_Kong", "pht": "Asia/Manila", "wib": "Asia/Jakarta", "jst": "Asia/Tokyo",
    "kst": "Asia/Seoul", "aest": "Australia/Sydney", "aedt": "Australia/Sydney",
    "acst": "Australia/Adelaide", "acdt": "Australia/Adelaide", "awst": "Australia/Perth",
    "nzst": "Pacific/Auckland", "nzdt": "Pacific/Auckland",
}  # fmt: skip

# Cities and countries people name that are not the last part of an IANA name.
PLACES: dict[str, str] = {
    "nyc": "America/New_York", "washington": "America/New_York", "boston": "America/New_York",
    "miami": "America/New_York", "atlanta": "America/New_York", "philadelphia": "America/New_York",
    "san francisco": "America/Los_Angeles", "seattle": "America/Los_Angeles",
    "portland": "America/Los_Angeles", "las vegas": "America/Los_Angeles",
    "dallas": "America/Chicago", "houston": "America/Chicago", "austin": "America/Chicago",
    "montreal": "America/Toronto", "ottawa": "America/Toronto", "rio": "America/Sao_Paulo",
    "mumbai": "Asia/Kolkata", "delhi": "Asia/Kolkata", "new delhi": "Asia/Kolkata",
    "bangalore": "Asia/Kolkata", "bengaluru": "Asia/Kolkata", "india": "Asia/Kolkata",
    "beijing": "Asia/Shanghai", "china": "Asia/Shanghai", "japan": "Asia/Tokyo",
    "korea": "Asia/Seoul", "france": "Europe/Paris", "germany": "Europe/Berlin",
    "munich": "Europe/Berlin", "uk": "Europe/London", "england": "Europe/London",
    "spain": "Europe/Madrid", "italy": "Europe/Rome", "milan": "Europe/Rome",
    "netherlands": "Europe/Amsterdam", "frankfurt": "Europe/Berlin", "geneva": "Europe/Zurich",
    "canberra": "Australia/Sydney", "new zealand": "Pacific/Auckland",
    "wellington": "Pacific/Auckland", "hawaii": "Pacific/Honolulu",
}  # fmt: skip

# Legacy aliases and non-zones that should not be offered or matched by their last part.
_NOT_PLACES = ("Etc/", "US/", "Canada/", "Brazil/", "Mexico/", "Chile/", "SystemV/")
_HIDDEN = {"localtime", "Factory"}


@functools.cache
def _iana_names() -> dict[str, str]:
    """Lower-case IANA name -> canonical spelling (cached: listing tzdata takes ~30 ms)."""
    return {name.lower(): name for name in zoneinfo.available_timezones() if name not in _HIDDEN}


@functools.cache
def _city_names() -> dict[str, str]:
    """Lower-case city ("new york", "sao paulo") -> the IANA zone it names."""
    cities: dict[str, str] = {}
    for name in sorted(_iana_names().values()):
        if "/" not in name or name.startswith(_NOT_PLACES):
            continue
        city = name.rsplit("/", 1)[1].replace("_", " ").lower()
        cities.setdefault(city, name)
    return cities


def _normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text.strip().lower())


def lookup_zone_name(text: str) -> str | None:
    """The canonical IANA name that ``text`` names, or ``None`` when it names no zone."""
    key = _normalise(text)
    if not key:
        return None
    if key in ABBREVIATIONS:
        return ABBREVIATIONS[key]
    iana = _iana_names()
    if key in iana:
        return iana[key]
    if key.replace(" ", "_") in iana:
        return iana[key.replace(" ", "_")]
    if key in PLACES:
        return PLACES[key]
    return _city_names().get(key)


def closest_zone_names(text: str, count: int = 3) -> list[str]:
    """The ``count`` IANA names closest to ``text``, best first (always ``count`` of them)."""
    key = _normalise(text).replace(" ", "_")
    iana = _iana_names()
    choices = list(iana)
    found: list[str] = []
    for cutoff in (0.6, 0.3, 0.0):
        for match in difflib.get_close_matches(key, choices, n=count, cutoff=cutoff):
            if iana[match] not in found:
                found.append(iana[match])
        if len(found) >= count:
            break
    # A bare city ("pari") is closer to a city part than to a whole "Area/City" name.
    cities = _city_names()
    for match in difflib.get_close_matches(key.replace("_", " "), list(cities), n=count):
        if cities[match] not in found:
            found.insert(0, cities[match])
    return found[:count]


def resolve_zone(text: str) -> ZoneInfo:
    """The zone ``text`` names (IANA in any case, abbreviation or city).

    Raises :class:`ParseError` naming the three closest IANA names when nothing matches.
    """
    name = lookup_zone_name(text)
    if name is None:
        suggestions = ", ".join(closest_zone_names(text))
        raise ParseError(
            f"Unknown time zone {text.strip()!r}. Did you mean: {suggestions}? "
            "Use an IANA name such as Europe/Paris or America/New_York."
        )
    return ZoneInfo(name)


def search_zones(text: str, limit: int = 25) -> list[str]:
    """IANA names containing ``text`` (case-insensitive), for autocomplete; shortest first."""
    key = _normalise(text).replace(" ", "_")
    names = [name for lower, name in _iana_names().items() if key in lower]
    if key and not names:
        names = closest_zone_names(text, count=min(limit, 3))
    return sorted(names, key=lambda name: (len(name), name))[:limit]


def warm_up() -> None:
    """Load the zone lists now (about 30 ms) so the first lookup on the event loop is fast."""
    _city_names()
