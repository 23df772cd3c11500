"""Times of day in the time language: "9am", "18:00", "a quarter past six", "half seven", "19h45".

:func:`find_time` and :func:`find_times` take the clock phrase out of normalised text and leave the
rest for the grammar.  A bare number is a time only when something says so ("at 5", "5pm",
"5 o'clock", "5ish", "6 in the morning", "9 tonight"), so "dec 25", "the 3rd" and "in 5 minutes"
keep their numbers.  Invalid clocks ("25:00", "13pm") come back as out-of-range values (hour 99 when
the hour cannot even be placed) so the grammar can say "no valid time of day" instead of "not
understood".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.scheduling.quantities import ONES, TENS, UNITS

HOUR_WORDS = {word: number for word, number in ONES.items() if 1 <= number <= 12}
OUT_OF_RANGE = 99  # the hour of a clock that cannot be placed ("13pm")


@dataclass(frozen=True)
class TimeOfDay:
    """A time of day as typed.  ``ambiguous`` when the text did not say am or pm ("at 5")."""

    hour: int
    minute: int
    second: int = 0
    ambiguous: bool = False

    def choices(self, period: str | None = None) -> list[tuple[int, int, int]]:
        """The (hour, minute, second) readings in the order a clock would show them.

        An ambiguous 1-12 hour is both the morning and the evening reading (5 -> 05:00, 17:00);
        a period word ("tonight", "morning") picks one.
        """
        if not self.ambiguous or not 1 <= self.hour <= 12:
            return [(self.hour, self.minute, self.second)]
        morning, evening = self.hour % 12, self.hour % 12 + 12
        if period == "am":
            return [(morning, self.minute, self.second)]
        if period == "pm":
            return [(evening, self.minute, self.second)]
        return [(morning, self.minute, self.second), (evening, self.minute, self.second)]


def valid_time(value: TimeOfDay) -> bool:
    """Whether the clock reading exists (hour 0-23, minute and second 0-59)."""
    return 0 <= value.hour <= 23 and 0 <= value.minute <= 59 and 0 <= value.second <= 59


def _minute_words() -> dict[str, int]:
    words = {word: number for word, number in ONES.items() if 10 <= number <= 19}
    for tens_word, tens in TENS.items():
        if tens > 50:
            continue
        words[tens_word] = tens
        for ones_word, ones in ONES.items():
            if 1 <= ones <= 9:
                words[f"{tens_word} {ones_word}"] = tens + ones
                words[f"{tens_word}-{ones_word}"] = tens + ones
    return words


# Minutes said after an hour ("seven forty five", "six oh five") and before "past"/"to".
MINUTE_WORDS = _minute_words()
_OH_WORDS = {f"oh {word}": n for word, n in ONES.items() if 1 <= n <= 9}


def _alternation(words: dict[str, int]) -> str:
    return "|".join(re.escape(word) for word in sorted(words, key=len, reverse=True))


_HW = _alternation(HOUR_WORDS)
_MW = _alternation(MINUTE_WORDS | _OH_WORDS)
_RELATIVE_MW = _alternation(MINUTE_WORDS | {w: n for w, n in ONES.items() if 1 <= n <= 9})
_APPROXIMATELY = r"(?:around|about|approximately|approx|roughly|circa) |~ ?"
_DAY_PARTS = {
    " in the morning": "morning", " in the afternoon": "afternoon",
    " in the evening": "evening", " at night": "night", " in the night": "night",
}  # fmt: skip


def _item_pattern(spaced_minutes: bool) -> re.Pattern[str]:
    """One clock phrase; ``spaced_minutes`` allows "7 45" (off for a retry of "at 9 10 times")."""
    spaced = r"|(?P<d_sp> [0-5]\d)" if spaced_minutes else ""
    return re.compile(
        rf"(?<![\w:/.~-])(?P<at>(?:at |@ ?))?(?P<approx>{_APPROXIMATELY})?(?:"
        rf"(?P<rel>(?:(?P<quarter>(?:a )?quarter)|(?P<half>half)"
        rf"|(?P<rel_m>\d{{1,2}}|{_RELATIVE_MW})(?P<rel_unit> minutes?| mins?)?)"
        rf" (?P<dir>past|after|to|till|til|before)"
        rf" (?P<rel_h>noon|midday|midnight|\d{{1,2}}|{_HW}))"
        rf"|(?P<brit>half (?P<brit_h>\d{{1,2}}|{_HW}))"
        r"|(?P<word>(?:(?:12|twelve) )?(?:noon|midday|midnight))"
        r"|(?P<hn_h>\d{1,2})h(?P<hn_m>[0-5]\d)?"
        r"|(?P<d_h>\d{1,2})(?::(?P<d_m>\d{2})(?::(?P<d_s>\d{2}))?|\.(?P<d_dot>[0-5]\d)"
        rf"{spaced}|(?P<d_cat>[0-5]\d))?"
        rf"|(?P<w_h>{_HW})(?: (?P<w_m>{_MW}))?"
        r")"
        r"(?P<ampm>\s?[ap]m|(?<=\d)[ap])?"
        r"(?P<oclock> ?o'?clock)?"
        r"(?P<ish>(?:-| )?ish)?"
        r"(?P<part> in the (?:morning|afternoon|evening|night)| at night)?"
        r"(?![\w:/~]|[.-]\d)"
    )


_ITEM = _item_pattern(spaced_minutes=True)
_ITEM_UNSPACED = _item_pattern(spaced_minutes=False)
_JOIN = re.compile(r"(?P<sep> ,| and| &|)(?P<at> at)? ")
# Words after a bare number that make it an amount, not a clock: "at 5 minutes", "3 times".
_AMOUNT_WORDS = {*UNITS, "times", "x"}
# Words before "12 10am" that make the first number a day of the month ("dec 12").
_DAY_BEFORE = {"the", "on", "of", "day"}


def _next_word(text: str, end: int) -> str:
    return text[end:].split(" ", 2)[1] if text[end:].startswith(" ") else ""


def _previous_word(text: str, start: int) -> str:
    words = text[:start].split()
    return words[-1] if words else ""


def _number(token: str) -> int:
    if token.isdigit():
        return int(token)
    return {**HOUR_WORDS, **MINUTE_WORDS, **_OH_WORDS, **ONES}[token]


def _with_day_part(hour: int, part: str) -> int:
    """The 24-hour reading of a 1-12 ``hour`` said with a day part ("10 at night" -> 22)."""
    if part == "morning":
        return hour % 12
    if part == "afternoon":
        return hour % 12 + 12
    if (part == "night" and hour <= 4) or hour == 12:
        return hour % 12  # "2 at night" is 02:00, "12 at night" and "12 in the evening" 00:00
    return hour + 12


def _read(found: re.Match[str], text: str, listed: bool) -> tuple[TimeOfDay, int] | None:
    """The time of day of one match and where it ends, or ``None`` when it is not a clock."""
    groups = found.groupdict()
    groups.setdefault("d_sp", None)
    end = found.end()
    ampm = (groups["ampm"] or "").strip()
    part_text = groups["part"]
    says = bool(ampm or groups["oclock"] or groups["ish"] or part_text)
    says = says or text[end:].startswith(" tonight")
    licensed = bool(groups["at"] or listed or says)
    bare = groups["rel"] is None and groups["brit"] is None and groups["word"] is None
    bare = bare and groups["d_m"] is None and groups["hn_h"] is None  # "19h": checked below
    if bare and not ampm and not groups["oclock"] and _next_word(text, end) in _AMOUNT_WORDS:
        return None
    if bare and not (licensed or groups["approx"]):
        return None
    if groups["d_cat"] is not None and not (ampm or groups["at"] or groups["approx"] or listed):
        return None  # "0930" is a time after "at" only
    if groups["d_sp"] is not None and (
        _previous_word(text, found.start()) in {*_DAY_BEFORE, *_MONTHS}
        or _next_word(text, end) in _MONTHS
    ):
        return None  # "dec 12 10am", "the 12 10am", "at 9 25 dec": one of them is a day
    if groups["hn_h"] is not None and (
        groups["hn_m"] is None
        and not groups["at"]
        and not groups["approx"]
        and int(groups["hn_h"]) < 13
        or _previous_word(text, found.start()) in _DURATION_BEFORE
    ):
        return None  # "in 2h30" is a duration; "7h" alone could be one too; "19h" is a time
    if groups["rel"] is not None and _previous_word(text, found.start()) in _NOT_BEFORE_RELATIVE:
        return None  # "every quarter past", "from 9 to 5" (a range, not 4:51)
    if groups["rel"] is not None and groups["rel_m"] is not None and groups["rel_m"].isdigit():
        if _next_word(text, end) in _AMOUNT_WORDS:
            return None
        hour_text = groups["rel_h"] or ""
        if (
            groups["dir"] in _BEFORE
            and int(groups["rel_m"]) <= 12
            and hour_text.isdigit()
            and int(hour_text) <= 12
        ):
            return None  # "9 to 5" is a range of hours far more often than 4:51: never guess
    value = _value(groups, ampm)
    if value is None:
        return None
    if part_text is not None:
        if value.ambiguous:
            part = _DAY_PARTS[part_text]
            value = TimeOfDay(_with_day_part(value.hour, part), value.minute, value.second)
        else:
            end = found.start("part")  # "18:00 in the evening": the grammar reads the period
    return value, end


_BEFORE = ("to", "till", "til", "before")
_NOT_BEFORE_RELATIVE = ("every", "each", "from", "between")
_DURATION_BEFORE = ("in", "after", "every", "each", "for", "within", "hence")
_MONTHS = {
    "january", "jan", "february", "feb", "march", "mar", "april", "apr", "may", "june", "jun",
    "july", "jul", "august", "aug", "september", "sep", "sept", "october", "oct", "november",
    "nov", "december", "dec",
}  # fmt: skip


def _twelve_hour(hour: int, ampm: str) -> int:
    if not 1 <= hour <= 12:
        return OUT_OF_RANGE
    return hour % 12 + (12 if ampm.startswith("p") else 0)


def _value(groups: dict[str, str | None], ampm: str) -> TimeOfDay | None:
    word = groups["word"]
    if word is not None:
        if ampm:
            return None  # "noon pm", "midnight am": a contradiction or a guess, never a time
        return TimeOfDay(0 if word.endswith("midnight") else 12, 0)
    if groups["rel"] is not None:
        return _relative(groups, ampm)
    if groups["brit"] is not None:
        hour_text = groups["brit_h"] or ""
        return _clock(hour_text, _number(hour_text), 30, 0, ampm)
    if groups["hn_h"] is not None:
        hour = int(groups["hn_h"])
        minute = int(groups["hn_m"] or 0)
        return TimeOfDay(_twelve_hour(hour, ampm) if ampm else hour, minute)
    if groups["d_h"] is not None:
        hour_text = groups["d_h"]
        minute_text = groups["d_m"] or groups["d_dot"] or groups["d_sp"] or groups["d_cat"] or "0"
        second = int(groups["d_s"] or 0)
        return _clock(hour_text, int(hour_text), int(minute_text), second, ampm)
    hour_text = groups["w_h"] or ""
    minute = _number(groups["w_m"]) if groups["w_m"] else 0
    return _clock(hour_text, _number(hour_text), minute, 0, ampm)


def _clock(hour_text: str, hour: int, minute: int, second: int, ampm: str) -> TimeOfDay:
    if ampm:
        return TimeOfDay(_twelve_hour(hour, ampm), minute, second)
    # "9:30" could be morning or evening; "09:30" and "21:30" say which.
    ambiguous = 1 <= hour <= 12 and not hour_text.startswith("0")
    return TimeOfDay(hour, minute, second, ambiguous)


def _relative(groups: dict[str, str | None], ampm: str) -> TimeOfDay | None:
    """'a quarter past six', 'ten to noon', '25 to 3': minutes before or after an hour."""
    if groups["quarter"] is not None:
        minutes = 15
    elif groups["half"] is not None:
        minutes = 30
        if groups["dir"] in _BEFORE:
            return None  # "half to six" is not a clock
    else:
        minutes = _number(groups["rel_m"] or "")
        if not 1 <= minutes <= 59:
            return None
    before = groups["dir"] in _BEFORE
    hour_text = groups["rel_h"] or ""
    if hour_text in ("noon", "midday", "midnight"):
        base = 12 * 60 if hour_text != "midnight" else (24 * 60 if before else 0)
        total = base - minutes if before else base + minutes
        return TimeOfDay(total // 60 % 24, total % 60)
    hour = _number(hour_text)
    if ampm:
        hour = _twelve_hour(hour, ampm)
        if hour == OUT_OF_RANGE:
            return TimeOfDay(OUT_OF_RANGE, minutes)
        total = (hour or 24) * 60 - minutes if before else hour * 60 + minutes
        return TimeOfDay(total // 60 % 24, total % 60)
    if hour > 23:
        return TimeOfDay(OUT_OF_RANGE, minutes)
    if not 1 <= hour <= 12 or hour_text.startswith("0"):
        total = hour * 60 - minutes if before else hour * 60 + minutes
        return TimeOfDay(total // 60 % 24, total % 60)
    if not before:
        return TimeOfDay(hour, minutes, 0, ambiguous=True)
    # "a quarter to one" is 00:45 or 12:45: the hour before 1 on a 12-hour clock is 12.
    return TimeOfDay(hour - 1 or 12, 60 - minutes, 0, ambiguous=True)


def _read_at(found: re.Match[str], text: str, listed: bool) -> tuple[TimeOfDay, int] | None:
    """:func:`_read`, and when "9 10" was not a clock, "9" alone ("at 9, 10 times")."""
    read = _read(found, text, listed)
    if read is None and found.group("d_sp") is not None:
        shorter = _ITEM_UNSPACED.match(text, found.start())
        if shorter is not None:
            return _read(shorter, text, listed)
    return read


def _scan(text: str, start: int = 0) -> tuple[TimeOfDay, int, int] | None:
    """The first clock in ``text`` from ``start``: (value, start, end)."""
    position = start
    while True:
        found = _ITEM.search(text, position)
        if found is None:
            return None
        read = _read_at(found, text, listed=False)
        if read is not None:
            return read[0], found.start(), read[1]
        position = found.start() + 1


def find_time(text: str) -> tuple[TimeOfDay, str] | None:
    """The one time of day in ``text`` and the text without it, or ``None``.

    Clock families: "9am", "9:30pm", "18:00", "21:30:15", "noon", "midnight", "at 5",
    "4 o'clock", "a quarter past six", "ten to noon", "25 to 3", "half seven" (7:30), "19h45",
    "at 7 45", "745 pm", "at 0930", "seven forty five pm", "six oh five pm", approximations
    ("around 3pm", "5ish", "~5pm"), and an attached day part, which fixes am or pm and is taken
    out with the time ("6 in the morning", "10 at night", "12 at night" = 00:00).

    "tonight" is not taken out: it also names a date, so "9 tonight" leaves "tonight" in the rest
    and reports 9 as ambiguous for the grammar to resolve with the period.  A day part after a
    clock that already says am/pm or is 24-hour ("18:00 in the evening") is left in the rest too.

    ``None`` when there is no clock, and when there are two (the grammar reports the text).
    """
    first = _scan(text)
    if first is None:
        return None
    value, start, end = first
    rest = text[:start] + " " + text[end:]
    if _scan(rest) is not None:
        return None  # two times of day: let the grammar report the text as not understood
    return value, _squeeze(rest)


def find_times(text: str) -> tuple[list[TimeOfDay], str] | None:
    """One or more times joined by "and", "," or "&" ("at 9am and 5pm", "at 9, 12 and 17:00",
    "at 9am, noon and 6pm"): the times in the order typed without repeats, and the rest.

    After the first time a bare number in the list is a time too ("at 9 and 12").  ``None`` when
    there is no time, or when another time stands apart from the list.
    """
    first = _scan(text)
    if first is None:
        return None
    value, start, end = first
    values = [value]
    while True:
        join = _JOIN.match(text, end)
        if join is None:
            break
        found = _ITEM.match(text, join.end())
        if found is None:
            break
        read = _read_at(found, text, listed=bool(join.group("sep") or join.group("at")))
        if read is None:
            break
        values.append(read[0])
        end = read[1]
    rest = text[:start] + " " + text[end:]
    if _scan(rest) is not None:
        return None
    unique = list(dict.fromkeys(values))
    return unique, _squeeze(rest)


def _squeeze(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()
