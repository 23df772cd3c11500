"""The words the time language knows, and the error that names the ones it does not.

Rule 1 of the time language: every word is understood or reported.  When a phrase cannot be read,
the error names the words that no reader knows ("blorp" in "tomorrow blorp"), with a suggestion
for a likely typo ("fridya" -> "friday"); when every word is known but the combination is not, it
names the part that could not be read.
"""

from __future__ import annotations

import difflib
import functools
import re

from bot.errors import ParseError

_GRAMMAR = """
at on in the a an of every each day days week weeks month months year years hour hours minute
minutes min mins sec secs second seconds h hr hrs m s d w wk wks mo y yr yrs times time now today
tonight tomorrow tmrw tmr yesterday noon midday midnight morning afternoon evening night am pm
weekday weekdays weekend weekends later from starting beginning until till til ending after before
next this coming last and or to through thru past half quarter quarters oclock o'clock ish around
about approximately roughly circa by for except but excluding not once twice thrice per other
hourly daily nightly weekly monthly yearly annually fortnight fortnights hence ago end start
first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth thirteenth
fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth twentieth thirtieth
one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen
seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred dozen
couple few oh zero right asap immediately overmorrow
christmas xmas eve boxing new year's years halloween valentine's valentines easter sunday monday
good friday thanksgiving black mother's mothers father's fathers mlk martin luther king jr
memorial labor labour st saint patrick's patricks paddy's paddys independence fourth july
presidents president's columbus veterans groundhog earth may juneteenth cinco de mayo all saints
saints' guy fawkes bonfire canada australia anzac nye
"""


_SUFFIXES = "|".join(
    sorted(
        "s m h d w y mo min mins hr hrs sec secs wk wks yr yrs am pm a p st nd rd th ish"
        .split(), key=len, reverse=True,
    )
)  # fmt: skip
_CRON_MACROS = frozenset({"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight",
                          "@hourly"})  # fmt: skip


@functools.cache
def known_words() -> frozenset[str]:
    """Every word some reader of the time language understands (zones are checked separately)."""
    from bot.scheduling import phrases

    words = set(_GRAMMAR.split())
    words.update(phrases.WEEKDAYS, phrases.MONTHS, phrases.NUMBER_WORDS, phrases.UNITS)
    words.update(f"{day}s" for day in phrases.WEEKDAYS)
    return frozenset(words)


def _is_known(word: str) -> bool:
    from bot.scheduling import zones

    if word in known_words():
        return True
    # Numbers, clocks, ordinals, dates, cron-ish tokens: "9", "9am", "10:30", "3rd", "2h30m".
    if re.fullmatch(r"[\d:./\-+~&,*#'h]+|\d+(?:st|nd|rd|th|am|pm|[ap]|h|m|s|d|w|y|ish)?", word):
        return True
    if re.fullmatch(rf"(?:\d+(?:\.\d+)?(?:{_SUFFIXES}))+", word):  # 1d2h, 2h30m, 10mins
        return True
    if word in _CRON_MACROS:
        return True
    if "-" in word and all(_is_known(part) for part in word.split("-") if part):
        return True  # mon-fri, twenty-five, 5-ish
    return zones.lookup_zone_name(word) is not None


def unknown_words(text: str) -> list[str]:
    """The words of ``text`` (normalised) that no reader knows, in order."""
    seen: list[str] = []
    for word in text.split():
        bare = word.strip("'\"()[]")
        if bare and not _is_known(bare) and bare not in seen:
            seen.append(bare)
    return seen


@functools.cache
def _by_length() -> dict[int, list[str]]:
    buckets: dict[int, list[str]] = {}
    for known in sorted(known_words()):
        if known.isalpha() and len(known) > 3:
            buckets.setdefault(len(known), []).append(known)
    return buckets


@functools.lru_cache(maxsize=1024)
def _suggestion(word: str) -> str:
    """' (did you mean 'friday'?)' for a likely typo of a known word, else ''."""
    if len(word) <= 3 or not word.isalpha():
        return ""
    # A typo keeps the length within one or two letters: compare with those words only (fast).
    near = [w for size in range(len(word) - 2, len(word) + 3) for w in _by_length().get(size, ())]
    close = difflib.get_close_matches(word, near, n=1, cutoff=0.75)
    return f" (did you mean {close[0]!r}?)" if close else ""


class NotUnderstood(ParseError):
    """Text that was not read (rather than read and refused): a message may explain it better."""


def not_understood(part: str, text: str, examples: str) -> ParseError:
    """The error for text we could not read: the unknown words, or the part, and two examples."""
    unknown = unknown_words(part)
    where = "" if part.strip() == text.strip() else f" in {text.strip()!r}"
    if unknown:
        named = " and ".join(f"{word!r}{_suggestion(word)}" for word in unknown[:3])
        noun = "word" if len(unknown) == 1 else "words"
        return NotUnderstood(
            f"I do not know the {noun} {named}{where}. Try for example {examples}."
        )
    return NotUnderstood(
        f"I could not understand {part.strip()!r}{where}. Try for example {examples}."
    )
