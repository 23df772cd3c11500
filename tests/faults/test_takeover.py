"""Two runners on one database; one is SIGKILLed mid-burst and never comes back.

Runner ``b`` starts first, then bursts ``B1`` (one-offs due at ``D1``, plus a repeating play
whose next run after ``D1`` is 12 s later) and ``B1b`` (one-offs due 1.5 s after ``D1``, so they
are claimed but not started when ``B1`` plays) are added, and runner ``a`` starts: only ``a``
knows of them (``b`` read the database before they existed and refills only every
``window_s / 2``).  ``B2`` was added before either started, so both arm it.

``a`` is killed while ``B1`` plays.  With ``heartbeat_s`` 1 and ``runner_timeout_s`` 3, ``b``
must then, within the timeout plus one heartbeat (with 10 s of slack for a loaded machine):

* run every occurrence ``a`` had claimed but not started, exactly once;
* record ``a``'s started ones failed, "interrupted", with ``started_at``; their one-off tasks
  failed with ``last_error`` and their owner told;
* arm ``a``'s tasks at once: the repeating play's next run (12 s after ``D1``) runs on ``b``
  on time, not at ``b``'s next window refill;
* run ``B2`` (after the takeover) itself, exactly once each;

and, against the fsynced log, nothing runs twice and nothing due is left without an outcome.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from storage import migrate
from storage.engine import create_engine, create_session_factory
from storage.uow import UnitOfWorkFactory
from tests.bot.taskkit import add_sound
from tests.dbkit import BACKENDS, fresh_database_url
from tests.faults.harness import (
    EVENT_TIMEOUT_S,
    LEAD,
    STARTED_NOT_INTERRUPTED,
    Observer,
    Occ,
    RunnerProcess,
    Violations,
    add_burst,
    add_every_minute,
    generic_violations,
    interrupted_task_violations,
    occ_str,
    poll,
    runner_env,
    sleep_until,
    start_mark_violations,
    tail,
    universe_of,
    until_exercised,
    utcnow,
)

pytestmark = [pytest.mark.faults, pytest.mark.slow]

HEARTBEAT_S = 1
TIMEOUT_S = 3
SLACK_S = 10  # for a slow, loaded machine
TAKEOVER_BOUND_S = TIMEOUT_S + HEARTBEAT_S + SLACK_S
PLAY_S = 0.3
R_GAP = timedelta(seconds=12)  # the repeating play's next run after D1
B1B_AFTER = timedelta(seconds=1.5)
B2_AT_S = 32  # B2 is due this long after the test starts: well after the takeover
SETTLE_TIMEOUT_S = 20.0

NOT_TAKEN_OVER = f"a's unfinished runs not taken over within {TAKEOVER_BOUND_S} s of its death"
OWED_LOST = "claimed by a but not started when it died: not run exactly once by b"
NOT_ARMED = "a's repeating task: its next run not run by b in time (armed only at a refill?)"
LATER_NOT_ON_B = "a burst due after the takeover not run exactly once, by b"
TERM_EXIT = "clean stop (SIGTERM) of b did not exit 0"


@pytest.mark.parametrize("backend", BACKENDS)
async def test_a_survivor_takes_over_a_dead_runners_claims_once_and_in_time(
    backend: str, tmp_path: Path
) -> None:
    await until_exercised(lambda folder, seed: _scenario(backend, folder, seed), tmp_path)


async def _scenario(backend: str, tmp_path: Path, seed: int) -> str | None:
    """One kill-and-take-over scenario: fails the test on any violation; returns what the
    scenario did not get to exercise (the machine too slow for its timeline), else None."""
    rng = random.Random(seed)
    origin = utcnow()
    events: list[str] = []

    def note(text: str) -> None:
        events.append(f"{(utcnow() - origin).total_seconds():7.2f} {text}")

    def rel(moment: datetime) -> str:
        return f"{(moment - origin).total_seconds():.2f}"

    async with fresh_database_url(backend, tmp_path) as url:
        engine = create_engine(url)
        await migrate.upgrade(engine)
        uow = UnitOfWorkFactory(create_session_factory(engine))
        obs = Observer(engine, uow, tmp_path / "executions.log", tmp_path / "notifications.log")
        procs: list[RunnerProcess] = []

        def runner(name: str) -> RunnerProcess:
            env = runner_env(
                tmp_path,
                CARILLON_SCHEDULER__RUNNER_NAME=name,
                CARILLON_SCHEDULER__HEARTBEAT_S=str(HEARTBEAT_S),
                CARILLON_SCHEDULER__RUNNER_TIMEOUT_S=str(TIMEOUT_S),
            )
            proc = RunnerProcess(
                db_url=url,
                log=obs.log,
                notify=obs.notify,
                name=name,
                env=env,
                stderr=tmp_path / f"{name}.err",
                play_s=PLAY_S,
            )
            procs.append(proc)
            return proc

        v = Violations()
        missing: list[str] = []
        try:
            sound = await add_sound(uow, utcnow())
            d2 = (origin + timedelta(seconds=B2_AT_S)).replace(microsecond=0)
            b2 = await add_burst(uow, sound, d2, rng.randint(40, 80), "B2")
            note(f"B2: {len(b2)} one-offs due at {rel(d2)}")
            initial = await obs.state()

            b = await runner("b").start()
            await b.wait_for("READY")
            assert b.life.ready_at is not None
            note(f"b: {b.life.ready_line}")
            startup_s = (b.life.ready_at - b.life.spawned_at).total_seconds()
            ahead = 1.5 * startup_s + LEAD.total_seconds() + rng.uniform(1.5, 2.5)
            d1 = (utcnow() + timedelta(seconds=ahead + 1)).replace(microsecond=0)
            d1b = d1 + B1B_AFTER
            b1 = await add_burst(uow, sound, d1, rng.randint(60, 100), "B1")
            b1b = await add_burst(uow, sound, d1b, rng.randint(20, 40), "B1b")
            r_next = d1 + R_GAP
            repeating = await add_every_minute(uow, sound, d1, r_next, "every-minute")
            note(
                f"B1: {len(b1)} due at {rel(d1)}; B1b: {len(b1b)} due at {rel(d1b)}; "
                f"task {repeating} every minute, due at {rel(d1)} then {rel(r_next)}"
            )
            a_ids = b1 | b1b | {repeating}

            a = await runner("a").start()
            await a.wait_for("READY")
            note(f"a: {a.life.ready_line}")

            async def claimed() -> bool:
                return await obs.run_count(a_ids) >= len(a_ids)

            if not await poll(claimed, EVENT_TIMEOUT_S + (d1b - utcnow()).total_seconds()):
                note("B1/B1b NOT all claimed within the bound")

            async def playing() -> bool:
                return bool(obs.logged(b1))

            if not await poll(playing, EVENT_TIMEOUT_S + (d1 - utcnow()).total_seconds()):
                note("B1 did not start playing within the bound")
            room = (d1b - timedelta(seconds=0.3) - utcnow()).total_seconds()
            await sleep_until(
                utcnow() + timedelta(seconds=max(0.0, min(room, rng.uniform(0.05, 0.25))))
            )
            await a.kill()
            killed_at = a.life.ended_at
            assert killed_at is not None
            at_kill = await obs.state()
            unfinished = {
                run.id: run for run in at_kill.runs if run.claimed_by == "a" and run.outcome is None
            }
            started: set[Occ] = {
                run.occ for run in unfinished.values() if at_kill.phase(run.occ) == "started"
            }
            owed: set[Occ] = {
                run.occ for run in unfinished.values() if at_kill.phase(run.occ) == "claimed"
            }
            note(
                f"a killed: {len(started)} of its runs started, {len(owed)} claimed but not "
                f"started, {len(at_kill.log)} log lines"
            )
            if not started:
                missing.append("a had no started, unfinished run when killed")
            if not owed:
                missing.append("a had no claimed, unstarted run when killed")
            if utcnow() > d2 - LEAD - timedelta(seconds=1):
                missing.append("B2 was due before the takeover could have happened")

            async def taken_over() -> datetime | None:
                state = await obs.state()
                rows = {run.id: run for run in state.runs}
                for run_id in unfinished:
                    row = rows.get(run_id)
                    if row is not None and row.outcome is None and row.claimed_by == "a":
                        return None
                return state.at

            taken_at = await poll(taken_over, TAKEOVER_BOUND_S, interval=0.1)
            if taken_at is None:
                v.add(NOT_TAKEN_OVER, f"still a's after {TAKEOVER_BOUND_S} s")
                note("takeover: NOT within the bound")
            else:
                note(f"takeover: {(taken_at - killed_at).total_seconds():.2f} s after the kill")

            async def owed_run() -> bool:
                lines = {
                    line.occ for line in obs.logged({t for t, _ in owed}) if line.runner == "b"
                }
                return owed <= lines

            if owed and await poll(owed_run, 5.0):
                note("b has started every occurrence a owed")

            deadline = max(r_next, taken_at or utcnow()) + timedelta(seconds=HEARTBEAT_S + SLACK_S)

            async def next_run_on_b() -> bool:
                return any(
                    line.occ == (repeating, r_next) and line.runner == "b"
                    for line in obs.logged({repeating})
                )

            if await poll(next_run_on_b, max(0.0, (deadline - utcnow()).total_seconds())):
                note(f"b ran task {repeating}'s next run")
            else:
                v.add(
                    NOT_ARMED, f"task {repeating} due {rel(r_next)} not run by b by {rel(deadline)}"
                )

            async def b2_done() -> bool:
                state = await obs.state()
                return all(
                    (run := state.run_of.get((task, d2))) is not None and run.outcome is not None
                    for task in b2
                )

            await poll(b2_done, EVENT_TIMEOUT_S + max(0.0, (d2 - utcnow()).total_seconds()))

            async def settled() -> datetime | None:
                state = await obs.state()
                if any(run.outcome is None and run.due_at <= state.at for run in state.runs):
                    return None
                for task in state.tasks.values():
                    if task.status in ("pending", "running") and (
                        task.one_off or task.next_run_at is None or task.next_run_at <= state.at
                    ):
                        return None
                return state.at

            cutoff = await poll(settled, SETTLE_TIMEOUT_S, interval=0.2)
            note("settled" if cutoff is not None else f"NOT settled within {SETTLE_TIMEOUT_S} s")
            cutoff = cutoff or utcnow()
            await b.terminate()
            note(f"b stopped: exit {b.life.exit_code}")
            final = await obs.state()
        finally:
            for proc in procs:
                await proc.ensure_dead()
            await engine.dispose()

    if b.life.exit_code != 0:
        v.add(TERM_EXIT, f"exit {b.life.exit_code}")
    generic_violations(final, cutoff, universe_of([initial, at_kill, final], cutoff), v)
    start_mark_violations(at_kill, "when a died", v, runner="a")
    for occ in sorted(owed):
        run = final.run_of.get(occ)
        lines = [line.runner for line in final.log if line.occ == occ]
        if lines != ["b"] or run is None or run.outcome != "succeeded":
            v.add(OWED_LOST, f"{run.describe() if run else occ_str(occ)}; executed by {lines}")
    for occ in sorted(started):
        run = final.run_of.get(occ)
        lines = [line.runner for line in final.log if line.occ == occ]
        if run is None or not run.interrupted or run.started_at is None or "b" in lines:
            v.add(
                STARTED_NOT_INTERRUPTED,
                f"{run.describe() if run else occ_str(occ)}; executed by {lines}",
            )
    interrupted_task_violations(
        final,
        [run for occ in started if (run := final.run_of.get(occ)) is not None and run.interrupted],
        lambda run: True,
        v,
    )
    for task in sorted(b2):
        run = final.run_of.get((task, d2))
        lines = [line.runner for line in final.log if line.occ == (task, d2)]
        if lines != ["b"] or run is None or run.outcome != "succeeded":
            v.add(LATER_NOT_ON_B, f"{run.describe() if run else occ_str((task, d2))}; by {lines}")
    report = (
        f"seed {seed}, backend {backend}\ntimeline (s from start):\n"
        + "\n".join(events)
        + f"\n{a.life.describe(origin)}\n{b.life.describe(origin)}"
    )
    print(report)
    if v:
        pytest.fail(
            f"{report}\n"
            + f"violations:\n{v.render()}\n"
            + (f"not exercised (a harness problem): {missing}\n" if missing else "")
            + f"b's stderr ends:\n{tail(b.life.stderr)}",
            pytrace=False,
        )
    return f"{report}\nnot exercised: {missing}" if missing else None
