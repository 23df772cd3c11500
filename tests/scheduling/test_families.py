"""The labelled corpus (tests/scheduling/corpus.py) against parse_when, one test per phrase.

Each case's answer was worked out by hand from the conventions of the time language; a failure
shows the text, the clock it was asked at, what was expected and what ``parse_when`` gave.
"""

from __future__ import annotations

import itertools

import pytest

from bot.errors import ParseError
from bot.scheduling.recurrence import Recurrence
from bot.scheduling.timelang import parse_when
from tests.scheduling.corpus import (
    JUNK,
    ONE_SHOTS,
    RECURRING,
    Case,
    Once,
    Refused,
    Runs,
    expected_zone,
    local_instant,
    same_zone,
    wall,
)

# A bounded recurrence ("until christmas") is read to its end, but never further than this.
MAX_RUNS = 1000


def _asked(case: Case) -> str:
    return f"{case.text!r} asked at {case.now.isoformat()} ({case.zone})"


def _shown(rule: Recurrence) -> str:
    runs = [wall(run) for run in itertools.islice(rule.occurrences(), 3)]
    return f"kind={rule.kind.value} zone={rule.timezone} first runs={runs}"


def _parse(case: Case) -> Recurrence:
    try:
        return parse_when(case.text, case.now, case.zone)
    except ParseError as error:
        pytest.fail(f"{_asked(case)}: expected {case.expected}, got ParseError: {error.message}")


@pytest.mark.parametrize("case", ONE_SHOTS, ids=lambda case: case.id)
def test_one_shot(case: Case) -> None:
    """A one-shot phrase gives the hand-computed instant, in the named zone or the user's."""
    assert isinstance(case.expected, Once)
    rule = _parse(case)
    zone = expected_zone(case)
    want = local_instant(case.expected.local, zone)
    got = f"{wall(rule.local_anchor)} ({rule.timezone}, kind={rule.kind.value})"
    assert rule.is_once, f"{_asked(case)}: expected a one-shot {case.expected}, got {_shown(rule)}"
    assert same_zone(zone, rule.timezone), f"{_asked(case)}: expected {case.expected}, got {got}"
    assert rule.anchor == want, f"{_asked(case)}: expected {case.expected}, got {got}"


@pytest.mark.parametrize("case", RECURRING, ids=lambda case: case.id)
def test_recurrence(case: Case) -> None:
    """A recurrence gives the hand-computed first three runs (and kind, zone and last run)."""
    assert isinstance(case.expected, Runs)
    expected = case.expected
    rule = _parse(case)
    zone = expected_zone(case)
    shown = f"{_asked(case)}: expected {expected}, got {_shown(rule)}"
    assert not rule.is_once, shown
    assert same_zone(zone, rule.timezone), shown
    runs = list(itertools.islice(rule.occurrences(), 3))
    assert runs == [local_instant(run, zone) for run in expected.first], shown
    if expected.kind is not None:
        assert rule.kind.value == expected.kind, shown
    if expected.last is not None:
        every = list(itertools.islice(rule.occurrences(), MAX_RUNS + 1))
        assert len(every) <= MAX_RUNS, f"{shown}; expected it to end, it runs on"
        assert every[-1] == local_instant(expected.last, zone), f"{shown}; last={wall(every[-1])}"


@pytest.mark.parametrize("case", JUNK, ids=lambda case: case.id)
def test_refused(case: Case) -> None:
    """Text with a word the language does not know is refused, and the error names that word."""
    assert isinstance(case.expected, Refused)
    word = case.expected.word
    try:
        rule = parse_when(case.text, case.now, case.zone)
    except ParseError as error:
        assert word.lower() in error.message.lower(), (
            f"{_asked(case)}: expected an error naming {word!r}, got {error.message!r}"
        )
    else:
        pytest.fail(f"{_asked(case)}: expected an error naming {word!r}, got {_shown(rule)}")
