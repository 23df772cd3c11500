"""Whole numbers a person gives, held to their limits with one form of message.

Each limit lives with its rule (a credit rule, a server setting, a schedule's shape); this module
only says how a number outside it is refused: what was given, what is allowed, and what to do.
"""

from __future__ import annotations

from bot.errors import ValidationError
from storage.columns import INTEGER_MAX

# The longest page a list use case returns; longer lists are paged.
MAX_PAGE_SIZE = 100
# No list has more rows than there are row ids.
MAX_OFFSET = INTEGER_MAX
# Longer numbers and texts are shown cut, so that a pasted wall of digits cannot make an error
# message longer than Discord accepts (2,000 characters).
_SHOWN_DIGITS = 20
_SHOWN_CHARACTERS = 40


def number_text(value: int, *, grouped: bool = True) -> str:
    """``2,147,483,648`` (an id: ``2147483648``); a number too long to read is described: ``a
    400-digit number``."""
    digits = len(str(abs(value)))
    if digits > _SHOWN_DIGITS:
        return f"a {digits:,}-digit number"
    return f"{value:,}" if grouped else str(value)


def quoted_number(text: str) -> str:
    """What was typed, quoted, cut to a readable length (``'99999…' (400 characters)``)."""
    text = text.strip()
    if len(text) <= _SHOWN_CHARACTERS:
        return repr(text)
    return f"{text[:_SHOWN_CHARACTERS]!r}… ({len(text):,} characters)"


def check_whole(
    value: object, *, what: str, low: int, high: int, unit: str = "", advice: str = ""
) -> int:
    """``value`` if it is a whole number from ``low`` to ``high``; else a :class:`ValidationError`
    naming it, the range and (``advice``) what to do instead.

    ``what`` is the thing being set ("The recharge amount"); ``unit`` follows the range ("credits").
    """
    allowed = f"between {low:,} and {high:,}{f' {unit}' if unit else ''}"
    tail = f" {advice}" if advice else ""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(f"{what} must be a whole number {allowed}, not {value!r}.{tail}")
    if not low <= value <= high:
        raise ValidationError(f"{what} must be {allowed}, not {number_text(value)}.{tail}")
    return value


def check_page(limit: int, offset: int, *, most: int = MAX_PAGE_SIZE) -> None:
    """A page of a list: 1 to ``most`` rows, from a row offset that a list can have."""
    check_whole(limit, what="The number of rows to show", low=1, high=most)
    check_whole(offset, what="The offset", low=0, high=MAX_OFFSET)
