"""Rule one of the time language: every word is understood or reported, never silently skipped.

For each valid phrase below (all from the labelled corpus), three properties:

* inserting a junk word at any position gives a ParseError whose message names the junk word;
* replacing any single word with a junk word gives a ParseError naming it;
* dropping any single word either gives a ParseError or changes the result: a parser that returns
  the unchanged result without the word was not reading it.

Two kinds of words are exempt from the last property, and both are listed here rather than guessed:

* ``FILLERS``: words that carry no meaning of their own in this language, so that dropping one may
  give the same result (or an error) but must never give a *different* one: "at", "on", "the",
  "of", "a", "an", "and", "this" ("this friday" is "friday" by convention), "o'clock" (a bare hour
  is already on the hour), and the approximations, which the conventions read as the time itself.
  "in", "from", "next", "every", "morning" and the like are *not* fillers: each changes meaning
  somewhere ("in 5 minutes" / "5 minutes", "friday" / "next friday" on a Friday).
* ``COINCIDENCES``: a (phrase, word) whose drop gives the same answer by the calendar's accident,
  not because the word was ignored; each says why.  Phrases prone to coincidences (the default
  09:00 meeting "9", the user's own zone meeting "CET", "next friday" meeting "friday" on a Tuesday)
  were left out of ``VALID`` rather than excused here ("tomorrow at 9am PST" without "9am" is
  still tomorrow at 09:00).

Deterministic (the junk word for each position comes from a generator seeded by the phrase) and
fast: a few thousand parses.
"""

from __future__ import annotations

import random

import pytest

from bot.errors import ParseError
from bot.scheduling.recurrence import Recurrence
from bot.scheduling.timelang import parse_when
from tests.scheduling.corpus import CORPUS, NEW_YORK, PARIS, Case, Clock, Refused

JUNK_WORDS = ("blorp", "purple", "xyzzy")

FILLERS = frozenset({
    "at", "on", "the", "of", "a", "an", "and", "this", "o'clock",
    "around", "about", "approximately", "roughly",
})  # fmt: skip

# (phrase, phrase with one word dropped) -> why the same answer is not a word ignored.
COINCIDENCES: dict[tuple[str, str], str] = {
    ("last monday in august", "last monday august"): "'in' names the month here, as 'of' does",
    ("every hour on the half hour", "every hour on the half"): "'on the half' says the half hour",
    (
        "every 15 minutes starting at 10am",
        "every 15 minutes at 10am",
    ): "'at 10am' can still be read as the start",
    ("every hour from 10am", "every hour 10am"): "'10am' can still be read as the start",
}

# (text, clock): at least 40 multi-word phrases from the corpus, across every family.
VALID: list[tuple[str, Clock]] = [
    ("the second of june", PARIS),
    ("june second", PARIS),
    ("on the 3rd", PARIS),
    ("the 20th of this month", PARIS),
    ("june 3rd at 10am", PARIS),
    ("on the 15th at 6pm", PARIS),
    ("the 4th of next month", PARIS),
    ("first friday of may", PARIS),
    ("last monday in august", PARIS),
    ("second tuesday of january", PARIS),
    ("last friday of this month", PARIS),
    ("the fourth thursday of november", PARIS),
    ("2 mondays from now", PARIS),
    ("thursday after next", PARIS),
    ("friday of next week", PARIS),
    ("3 fridays from now", PARIS),
    ("wednesday of next week at 10am", PARIS),
    ("a quarter past six", PARIS),
    ("ten to noon", PARIS),
    ("half seven", PARIS),
    ("at 7 45", PARIS),
    ("twenty past three", PARIS),
    ("a quarter to nine", PARIS),
    ("five past four", PARIS),
    ("in two hours", PARIS),
    ("in a quarter of an hour", PARIS),
    ("in 1/2 hour", PARIS),
    ("in one and a half hours", PARIS),
    ("a day from now", PARIS),
    ("5 days hence", PARIS),
    ("a fortnight from now", PARIS),
    ("in an hour and a half", PARIS),
    ("in 3/4 of an hour", PARIS),
    ("in four months", PARIS),
    ("6 in the morning", PARIS),
    ("tomorrow evening at 8", PARIS),
    ("this afternoon at 4", PARIS),
    ("at 8 in the evening", PARIS),
    ("tomorrow night at 11", PARIS),
    ("10 at night", PARIS),
    ("tonight at 9", NEW_YORK),
    ("christmas at 8am", PARIS),
    ("christmas eve", PARIS),
    ("new year's eve", PARIS),
    ("easter monday", PARIS),
    ("black friday", PARIS),
    ("mother's day", NEW_YORK),
    ("halloween at 7pm", NEW_YORK),
    ("every day at 9 until christmas", PARIS),
    ("at 15:00 UTC", PARIS),
    ("tomorrow 7am PDT", NEW_YORK),
    ("at 23:00 Asia/Tokyo", PARIS),
    ("at 9pm CEST", NEW_YORK),
    ("every day at 9am PST", PARIS),
    ("around 3pm", PARIS),
    ("at around 5", PARIS),
    ("about 10:30", PARIS),
    ("every other friday at 5pm", PARIS),
    ("every first monday of the month", PARIS),
    ("the last friday of every month", PARIS),
    ("every hour on the half hour", NEW_YORK),
    ("every day at 9am and 5pm", PARIS),
    ("every 90 minutes", NEW_YORK),
    ("every 15 minutes starting at 10am", NEW_YORK),
    ("every hour from 10am", NEW_YORK),
    ("every weekday except friday", PARIS),
    ("twice a week on tuesday and thursday", PARIS),
    ("every monday and wednesday at 18:00", PARIS),
    ("every 3 days", PARIS),
    ("every other day at 8am", PARIS),
    ("9 tomorrow evening", PARIS),
    ("Jul 18, Fri", PARIS),
    ("every sunday", PARIS),
]


def _case(text: str, clock: Clock) -> Case:
    for case in CORPUS:
        if case.text == text and case.now == clock.now and not isinstance(case.expected, Refused):
            return case
    raise LookupError(f"{text!r} at {clock.now} is not a valid phrase of the corpus")


CASES = [_case(text, clock) for text, clock in VALID]


def _ids(case: Case) -> str:
    return case.text


def _junk(case: Case, position: int) -> str:
    return random.Random(f"{case.text}|{position}").choice(JUNK_WORDS)


def _outcome(text: str, case: Case) -> Recurrence | ParseError:
    try:
        return parse_when(text, case.now, case.zone)
    except ParseError as error:
        return error


def _assert_names(text: str, case: Case, word: str) -> None:
    outcome = _outcome(text, case)
    assert isinstance(outcome, ParseError), f"{text!r} (from {case.text!r}) gave {outcome}"
    assert word in outcome.message.lower(), (
        f"{text!r} (from {case.text!r}): the error does not name {word!r}: {outcome.message!r}"
    )


def test_valid_phrases_span_the_families() -> None:
    """The list covers 40+ phrases and every family of valid text in the corpus."""
    families = {case.family for case in CORPUS if not isinstance(case.expected, Refused)}
    assert len(CASES) >= 40
    assert {case.family for case in CASES} == families


@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_inserted_junk_word_is_named(case: Case) -> None:
    """A junk word inserted anywhere in a valid phrase is refused by name."""
    words = case.text.split()
    for position in range(len(words) + 1):
        junk = _junk(case, position)
        _assert_names(" ".join([*words[:position], junk, *words[position:]]), case, junk)


@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_replaced_word_is_named(case: Case) -> None:
    """Any single word of a valid phrase replaced by a junk word is refused by name."""
    words = case.text.split()
    for position in range(len(words)):
        junk = _junk(case, position)
        _assert_names(" ".join([*words[:position], junk, *words[position + 1 :]]), case, junk)


@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_dropped_word_is_never_ignored(case: Case) -> None:
    """Dropping a word gives an error or another answer; a filler may only leave it unchanged."""
    whole = _outcome(case.text, case)
    assert isinstance(whole, Recurrence), f"{case.text!r} itself is refused: {whole}"
    words = case.text.split()
    for position, word in enumerate(words):
        text = " ".join([*words[:position], *words[position + 1 :]])
        outcome = _outcome(text, case)
        if isinstance(outcome, ParseError) or (case.text, text) in COINCIDENCES:
            continue
        if word.lower() in FILLERS:
            assert outcome == whole, (
                f"dropping the filler {word!r} from {case.text!r} changed the answer: "
                f"{text!r} gave {outcome}, the whole phrase {whole}"
            )
        else:
            assert outcome != whole, (
                f"dropping {word!r} from {case.text!r} left the answer unchanged ({whole}): "
                f"{text!r} must be refused or mean something else"
            )
