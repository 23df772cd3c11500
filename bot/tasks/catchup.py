"""The lateness policy, as pure arithmetic over a recurrence (DESIGN.md section 3).

When an occurrence fires late (downtime, a busy loop, retries), everything due up to ``now`` is
sorted into three piles:

* occurrences later than the task type's allowance are **missed** (recorded, not run);
* of those still inside the allowance only the **latest** runs, once: several overdue occurrences
  of one task collapse into one run, and the earlier ones are recorded as missed with that reason;
* the task then moves on to its **next future** occurrence.

A one-shot whose only occurrence is beyond the allowance has nothing to run and no future: the
service marks it ``expired``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

# Past this many overdue occurrences (a task every minute after a week offline) we stop listing
# them one by one and jump ahead; the count is then a lower bound.
MAX_LISTED = 100
MAX_SCANNED = 10_000

NextAfter = Callable[[datetime], datetime | None]


@dataclass(frozen=True)
class CatchUpPlan:
    run_due: datetime | None  # the occurrence to run now, if any
    missed: tuple[datetime, ...] = ()  # beyond the allowance (newest MAX_LISTED)
    collapsed: tuple[datetime, ...] = ()  # inside the allowance but superseded by run_due
    missed_total: int = 0  # including ones not listed
    more_than: bool = False  # missed_total is a lower bound
    next_due: datetime | None = None  # first occurrence after now


def plan_catch_up(
    first_due: datetime,
    now: datetime,
    allowance: timedelta | None,
    next_after: NextAfter,
) -> CatchUpPlan:
    """Sort the occurrences from ``first_due`` up to ``now`` (see the module docstring).

    ``next_after(t)`` gives the occurrence strictly after ``t`` (None when the schedule has ended);
    ``allowance`` None means unlimited.
    """
    if first_due > now:
        # Claimed ahead of its due time (the runner's lead): simply this occurrence, on time.
        return CatchUpPlan(run_due=first_due, next_due=next_after(first_due))
    missed: list[datetime] = []
    collapsed: list[datetime] = []
    missed_total = 0
    more_than = False
    run_due: datetime | None = None
    due: datetime | None = first_due
    scanned = 0
    while due is not None and due <= now:
        scanned += 1
        if allowance is not None and now - due > allowance:
            missed_total += 1
            missed.append(due)
            if len(missed) > MAX_LISTED:
                missed.pop(0)
            if scanned >= MAX_SCANNED:
                # Jump to the edge of the allowance window instead of walking every occurrence.
                more_than = True
                due = next_after(now - allowance - timedelta(microseconds=1))
                continue
        else:
            if run_due is not None:
                collapsed.append(run_due)
                if len(collapsed) > MAX_LISTED:
                    collapsed.pop(0)
            run_due = due
        due = next_after(due)
    return CatchUpPlan(
        run_due=run_due,
        missed=tuple(missed),
        collapsed=tuple(collapsed),
        missed_total=missed_total,
        more_than=more_than,
        next_due=due,
    )
