"""Three engines on the labelled corpus: ours (``parse_when``), Duckling alone, dateparser alone.

Prints one JSON object::

    .venv/bin/python bench/timelang_engines.py

For each engine, measured in its own fresh interpreter (so that memory and first-call figures do
not leak between engines):

* ``accuracy``: share of the corpus one-shots (tests/scheduling/corpus.py, answers worked out by
  hand) whose answer is exactly the expected instant; ``by_family`` gives "right/total".  Duckling
  counts only when one time entity covers the whole text (anything less leaves words unread);
  ``accuracy_with_0900_default`` also moves its day-grain answers ("christmas" = midnight) to our
  documented 09:00, the adapter an integration would need;
* ``p50_ms`` / ``p99_ms``: per-parse latency over the one-shots and the junk after warm-up
  (``latency_by_set`` splits them: junk often reaches Duckling, our fallback);
* ``import_ms``, ``init_ms``, ``first_call_ms``: the cold costs (``init`` is Duckling's
  ``init()`` + zone load, or our ``warm_up()``);
* ``rss_mb``: resident memory before the engine is imported, after its first parse, and at the
  end; ``rss_growth_mb`` is end minus before;
* ``junk``: over phrases that must be refused (the corpus's refused family, and every one-shot with
  a junk word inserted at a seeded position), the share that got an answer instead of an error
  (``wrong_answer_share``).  For Duckling, ``wrong_answer_share_any_entity`` is what an
  integration that takes any entity it finds would do ("blorp at 9" -> "at 9").
"""

from __future__ import annotations

import json
import os
import random
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.scheduling.corpus import JUNK, ONE_SHOTS, Case, expected_instant  # noqa: E402

ENGINES = ("ours", "duckling", "dateparser")
JUNK_WORDS = ("blorp", "purple", "xyzzy")
ROUNDS = 3
ZONEINFO_DIR = "/usr/share/zoneinfo"


def junk_phrases() -> list[tuple[str, datetime, str]]:
    """The refused family, and each one-shot with one junk word inserted (seeded, so stable)."""
    rng = random.Random(10)
    phrases = [(case.text, case.now, case.zone) for case in JUNK]
    for case in ONE_SHOTS:
        words = case.text.split()
        position = rng.randrange(len(words) + 1)
        words.insert(position, rng.choice(JUNK_WORDS))
        phrases.append((" ".join(words), case.now, case.zone))
    return phrases


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


# An engine reads (text, now, zone) and answers an aware instant, or None when it refuses.
Reader = Callable[[str, datetime, str], datetime | None]


class Engine:
    """One engine under test: how to load it, and how to read a phrase with it."""

    def load(self) -> None:
        raise NotImplementedError

    def init(self) -> None:
        """Anything the engine needs before its first parse, beyond importing."""

    def read(self, text: str, now: datetime, zone: str) -> datetime | None:
        raise NotImplementedError

    def answers_junk(self, text: str, now: datetime, zone: str) -> dict[str, bool]:
        return {"answered": self.read(text, now, zone) is not None}


class Ours(Engine):
    def load(self) -> None:
        from bot.errors import ParseError
        from bot.scheduling import timelang

        self.error = ParseError
        self.timelang = timelang

    def init(self) -> None:
        self.timelang.warm_up()

    def read(self, text: str, now: datetime, zone: str) -> datetime | None:
        try:
            rule = self.timelang.parse_when(text, now, zone)
        except self.error:
            return None
        # A recurrence where a one-shot was meant is an answer, and a wrong one: its first run.
        return rule.anchor


class Duckling(Engine):
    def load(self) -> None:
        import duckling

        self.duckling = duckling

    def init(self) -> None:
        duck = self.duckling
        duck.init()
        self.zones = duck.load_time_zones(ZONEINFO_DIR)
        self.locale = duck.parse_locale("EN_US", duck.default_locale_lang(duck.parse_lang("EN")))
        self.dims = duck.parse_dimensions(["time", "duration"])
        self.day_default = False

    def _entities(self, text: str, now: datetime, zone: str) -> list[dict[str, Any]]:
        duck = self.duckling
        reference = duck.parse_ref_time(self.zones, zone, int(now.timestamp()))
        context = duck.Context(reference, self.locale)
        entities: list[dict[str, Any]] = duck.parse(text, context, self.dims, False)
        return [entity for entity in entities if entity["dim"] == "time"]

    def read(self, text: str, now: datetime, zone: str) -> datetime | None:
        text = text.strip()
        whole = [
            entity
            for entity in self._entities(text, now, zone)
            if entity["start"] == 0 and entity["end"] == len(text)
        ]
        if len(whole) != 1:
            return None
        value = whole[0]["value"]
        if value.get("type") == "interval":
            value = value.get("from") or value.get("to")
            if value is None:
                return None
        answer = datetime.fromisoformat(value["value"])
        if self.day_default and value.get("grain") == "day":
            local = answer.astimezone(ZoneInfo(zone))
            answer = local.replace(hour=9, minute=0, second=0, microsecond=0)
        return answer

    def answers_junk(self, text: str, now: datetime, zone: str) -> dict[str, bool]:
        return {
            "answered": self.read(text, now, zone) is not None,
            "answered_any_entity": bool(self._entities(text.strip(), now, zone)),
        }


class DateParser(Engine):
    def load(self) -> None:
        import dateparser

        self.dateparser = dateparser

    def read(self, text: str, now: datetime, zone: str) -> datetime | None:
        settings = {
            "PREFER_DATES_FROM": "future",
            "RELATIVE_BASE": now.astimezone(ZoneInfo(zone)).replace(tzinfo=None),
            "TIMEZONE": zone,
            "RETURN_AS_TIMEZONE_AWARE": True,
        }
        answer: datetime | None = self.dateparser.parse(text, languages=["en"], settings=settings)
        return answer


def _accuracy(engine: Engine) -> tuple[float, dict[str, str], list[str]]:
    right: Counter[str] = Counter()
    total: Counter[str] = Counter()
    misses: list[str] = []
    for case in ONE_SHOTS:
        total[case.family] += 1
        if _is_right(engine, case):
            right[case.family] += 1
        else:
            misses.append(case.text)
    by_family = {family: f"{right[family]}/{count}" for family, count in total.items()}
    return sum(right.values()) / len(ONE_SHOTS), by_family, misses


def _is_right(engine: Engine, case: Case) -> bool:
    try:
        answer = engine.read(case.text, case.now, case.zone)
    except Exception:  # an engine crashing on a phrase is a miss, not a crash of the bench
        return False
    return answer is not None and answer == expected_instant(case)


def _timings(engine: Engine, phrases: list[tuple[str, datetime, str]]) -> list[float]:
    samples: list[float] = []
    for _ in range(ROUNDS):
        for text, now, zone in phrases:
            began = time.perf_counter()
            try:
                engine.read(text, now, zone)
            except Exception:  # a crash still took its time
                pass
            samples.append((time.perf_counter() - began) * 1e3)
    return samples


def run_engine(name: str) -> dict[str, Any]:
    rss_before = rss_mb()
    engine: Engine = {"ours": Ours, "duckling": Duckling, "dateparser": DateParser}[name]()
    started = time.perf_counter()
    engine.load()
    imported = time.perf_counter()
    engine.init()
    initialised = time.perf_counter()
    first = ONE_SHOTS[0]
    engine.read(first.text, first.now, first.zone)
    first_done = time.perf_counter()
    rss_first = rss_mb()

    accuracy, by_family, misses = _accuracy(engine)
    result: dict[str, Any] = {"accuracy": round(accuracy, 3), "by_family": by_family}
    if isinstance(engine, Duckling):
        engine.day_default = True
        result["accuracy_with_0900_default"] = round(_accuracy(engine)[0], 3)
        engine.day_default = False

    junk = junk_phrases()
    verdicts = [engine.answers_junk(text, now, zone) for text, now, zone in junk]
    result["junk"] = {
        "phrases": len(junk),
        "wrong_answer_share": round(sum(v["answered"] for v in verdicts) / len(junk), 3),
        "refused_family_wrong_answers": sum(v["answered"] for v in verdicts[: len(JUNK)]),
    }
    if isinstance(engine, Duckling):
        anything = sum(v["answered_any_entity"] for v in verdicts)
        result["junk"]["wrong_answer_share_any_entity"] = round(anything / len(junk), 3)

    valid = [(case.text, case.now, case.zone) for case in ONE_SHOTS]
    timings = {"one_shots": _timings(engine, valid), "junk": _timings(engine, junk)}
    samples = sorted(timings["one_shots"] + timings["junk"])
    rss_end = rss_mb()
    result.update(
        p50_ms=round(statistics.median(samples), 3),
        p99_ms=round(samples[int(len(samples) * 0.99) - 1], 3),
        max_ms=round(samples[-1], 3),
        samples=len(samples),
        latency_by_set={
            name: {
                "p50_ms": round(statistics.median(taken), 3),
                "p99_ms": round(sorted(taken)[int(len(taken) * 0.99) - 1], 3),
            }
            for name, taken in timings.items()
        },  # fmt: skip
        import_ms=round((imported - started) * 1e3, 1),
        init_ms=round((initialised - imported) * 1e3, 1),
        first_call_ms=round((first_done - initialised) * 1e3, 1),
        rss_mb={
            "before": round(rss_before, 1),
            "after_first_parse": round(rss_first, 1),
            "end": round(rss_end, 1),
        },  # fmt: skip
        rss_growth_mb=round(rss_end - rss_before, 1),
        misses=misses,
    )
    return result


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "engine":
        print(json.dumps(run_engine(sys.argv[2])))
        return
    results = {}
    for name in ENGINES:
        output = subprocess.run(
            [sys.executable, __file__, "engine", name],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONHASHSEED": "0"},
        ).stdout
        results[name] = json.loads(output)
    report = {
        "corpus": {
            "one_shots": len(ONE_SHOTS),
            "junk_phrases": len(junk_phrases()),
            "families": dict(Counter(case.family for case in ONE_SHOTS)),
        },
        "engines": results,
        "python": sys.version.split()[0],
        # latencies are wall-clock: a busy machine inflates them
        "load_average_1m": round(os.getloadavg()[0], 2),
        "cpus": os.cpu_count(),
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
