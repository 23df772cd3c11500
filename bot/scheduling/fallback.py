"""Duckling, the fallback reader for dates our own grammar does not know.

Duckling (Facebook's rule-based time parser, in-process through the ``pyduckling-native-phihos``
wheel, which bundles the Haskell library) reads a great many English date phrases: "the
thursday after next", "the third day of july", "2 mondays from now".  It is consulted only for the
*date* part of a one-shot, after our grammar has taken the time of day, the zone and the day part
off, and only when our grammar does not know the phrase itself.

Rule 1 of the time language holds here too: an answer is used only when **one** Duckling entity
covers the whole text it was given (so "tomorrow blorp" is refused, not read as "tomorrow"), its
value is a single day or a time (not an interval such as "this afternoon", or a week or month such
as "in june", which do not say which day), and it is a date Duckling computed from the text rather
than a default.  Its relative durations are not used: Duckling rounds "5 days hence" to the hour.

Duckling is told the local wall clock as if it were UTC, so it needs only the tiny ``Etc`` zone
folder (loading every zone takes ~0.7 s holding the GIL) and its dates are the local ones; our own
wall-clock rules then make the instants.  Start-up (:func:`warm_up`) takes ~0.1 s; parses ~0.5 ms.
"""

from __future__ import annotations

import os
import re
import threading
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

_ZONEINFO_DIRS = ("/usr/share/zoneinfo", "/usr/lib/zoneinfo", "/usr/share/lib/zoneinfo")
_lock = threading.Lock()
_state: dict[str, Any] = {}


@dataclass(frozen=True)
class DucklingDate:
    """What Duckling read: candidate days in order, and a wall time if the text named one."""

    days: tuple[date, ...]
    at: time | None


def _utc_dir() -> str | None:
    """A folder holding UTC's zone file, and few others.

    Duckling is only told the *local* wall clock, as if it were UTC (see :func:`read_date`), so it
    needs no other zone; loading all of /usr/share/zoneinfo takes ~0.7 s holding the GIL, which
    would stall the event loop even from a thread.  ``Etc`` has ~35 small files.
    """
    try:
        import tzdata  # type: ignore[import-untyped]
    except ImportError:  # pragma: no cover - tzdata is a dependency
        found = [f for f in _ZONEINFO_DIRS if os.path.isdir(os.path.join(f, "Etc"))]
        return os.path.join(found[0], "Etc") if found else None
    return os.path.join(os.path.dirname(tzdata.__file__), "zoneinfo", "Etc")


def _engine() -> dict[str, Any] | None:
    """Initialise Duckling once (thread-safe); ``None`` when it is not installed."""
    with _lock:
        if "ready" in _state:
            return _state if _state["ready"] else None
        try:
            import duckling
        except ImportError:
            _state["ready"] = False
            return None
        duckling.init()
        folder = _utc_dir()
        _state.update(
            ready=True,
            module=duckling,
            zones=duckling.load_time_zones(folder) if folder else None,
            locale=duckling.parse_locale(
                "EN_US", duckling.default_locale_lang(duckling.parse_lang("EN"))
            ),
            dims=duckling.parse_dimensions(["time"]),
        )
        return _state


def read_date(text: str, now: datetime, zone: ZoneInfo) -> DucklingDate | None:
    """Duckling's reading of the date phrase ``text`` (normalised) at ``now`` in ``zone``.

    ``None`` unless one entity covers all of ``text``, names a day (or a day and a time), and
    uses every word: Duckling can cover a span yet ignore part of it ("two weeks from friday" is
    read as "friday"), so a reading that stays the same without one of the words is refused.
    """
    engine = _engine()
    if engine is None or engine["zones"] is None or not _PLAIN.fullmatch(text):
        return None  # Duckling's Rust binding panics on NUL; no date needs anything but ASCII
    # Duckling sees the local wall clock as UTC: its dates and wall times are then the local ones,
    # and our own rules (resolve_wall_time) turn them into instants across DST changes.
    as_utc = now.astimezone(zone).replace(tzinfo=UTC)
    reference = engine["module"].parse_ref_time(engine["zones"], "UTC", int(as_utc.timestamp()))
    context = engine["module"].Context(reference, engine["locale"])
    reading = _reading(engine, context, text)
    if reading is None:
        return None
    words = text.split()
    for variant in _without_one_part(words):
        if _reading(engine, context, variant) == reading:
            return None
    return reading


def _without_one_part(words: list[str]) -> list[str]:
    """``words`` less one non-filler word, and less each leading or trailing run of words."""
    variants = [
        " ".join(words[:index] + words[index + 1 :])
        for index, word in enumerate(words)
        if word not in _FILLERS
    ]
    # A leading or trailing run that is not all fillers ("two weeks from" in "... friday").
    variants += [
        " ".join(words[size:])
        for size in range(1, len(words))
        if not _FILLERS.issuperset(words[:size])
    ]
    variants += [
        " ".join(words[:size])
        for size in range(1, len(words))
        if not _FILLERS.issuperset(words[size:])
    ]
    return [variant for variant in dict.fromkeys(variants) if variant]


def _reading(engine: dict[str, Any], context: Any, text: str) -> DucklingDate | None:
    try:
        entities = engine["module"].parse(text, context, engine["dims"], False)
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException:  # noqa: BLE001 - pyo3 panics derive from BaseException; only a fallback
        return None
    whole = [e for e in entities if e.get("start") == 0 and e.get("end") == len(text)]
    if len(whole) != 1:
        return None
    value = whole[0].get("value", {})
    readings = value.get("values") or [value]
    days: list[date] = []
    at: time | None = None
    for candidate in readings:
        if candidate.get("type") != "value" or candidate.get("grain") not in _GRAINS:
            return None
        local = datetime.fromisoformat(candidate["value"]).replace(tzinfo=None)
        if candidate["grain"] != "day":
            wall = local.time()
            if at is not None and wall != at:
                return None  # several clock readings ("at 7"): our grammar decides those
            at = wall
        if local.date() not in days:
            days.append(local.date())
    return DucklingDate(tuple(days), at) if days else None


# Words whose removal cannot change a date: dropping them may keep Duckling's answer.
# "about" and friends: an approximation is read as the time itself (DESIGN's rule).
_FILLERS = frozenset(
    {"the", "of", "on", "at", "a", "an", "in", "this", "and", "about", "around", "approximately",
     "roughly", "circa"}
)  # fmt: skip
_GRAINS = frozenset({"day", "hour", "minute", "second"})
_PLAIN = re.compile(r"[ -~]{1,200}")


def warm_up() -> None:
    """Start Duckling and run its first parse (~0.1 s, once); safe to call from any thread.

    The first parse holds the GIL for ~20 ms wherever it runs (Duckling compiles its rules then),
    so ``carillon run`` calls this before its event loop starts.
    """
    if _state.get("warm"):
        return
    zone = ZoneInfo("UTC")
    read_date("thursday after next", datetime(2026, 1, 1, tzinfo=zone), zone)
    _state["warm"] = True
