"""The result of one ``carillon doctor`` check, and how a list of them is shown.

Plain standard library, so the command line can import it without loading the app.
"""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable
from dataclasses import dataclass


class Status(enum.Enum):
    OK = "ok"
    WARN = "warn"  # worth knowing, but nothing is broken: the exit status stays 0
    FAIL = "FAIL"


@dataclass(frozen=True)
class Check:
    name: str
    status: Status
    detail: str
    fix: str = ""

    @property
    def ok(self) -> bool:
        """Passed (a warning passes)."""
        return self.status is not Status.FAIL


def ok(name: str, detail: str) -> Check:
    return Check(name, Status.OK, detail)


def warn(name: str, detail: str, fix: str = "") -> Check:
    return Check(name, Status.WARN, detail, fix)


def fail(name: str, detail: str, fix: str = "") -> Check:
    return Check(name, Status.FAIL, detail, fix)


def first_line(exc: BaseException) -> str:
    """An exception's message's first line, else its class name."""
    text = str(exc).strip()
    return text.splitlines()[0].strip() if text else type(exc).__name__


def one_line(exc: BaseException) -> str:
    """An exception as one line of text: its first line (after its class name, unless it is an
    OSError, whose message says enough), else its class name."""
    first, name = first_line(exc), type(exc).__name__
    if not str(exc).strip():
        return name
    return first if isinstance(exc, OSError) else f"{name}: {first}"


def unexpected(name: str, exc: BaseException) -> Check:
    """What a check that raised reports: a failure with the exception's one-line text (a bug in
    the check, or something it did not foresee; never a traceback)."""
    return fail(name, f"the check itself failed: {one_line(exc)}", "")


def guarded(name: str, check: Callable[[], Check | list[Check]]) -> list[Check]:
    """``check()``, with any exception it raises turned into a failed check."""
    try:
        result = check()
    except Exception as exc:
        return [unexpected(name, exc)]
    return result if isinstance(result, list) else [result]


async def guarded_async(name: str, check: Callable[[], Awaitable[list[Check]]]) -> list[Check]:
    try:
        return await check()
    except Exception as exc:
        return [unexpected(name, exc)]


def render(checks: list[Check], *, quiet: bool = False) -> str:
    """One line per check (``ok``/``warn``/``FAIL``, name, detail) plus ``fix:`` lines for what
    did not pass, and a summary. ``quiet`` shows only the failures and no summary."""
    shown = [c for c in checks if c.status is Status.FAIL] if quiet else checks
    if not shown:
        return ""
    width = max(len(check.name) for check in shown)
    lines = []
    for check in shown:
        lines.append(f"{check.status.value:<4}  {check.name:<{width}}  {check.detail}")
        if check.status is not Status.OK and check.fix:
            lines.append(f"{'':<4}  {'':<{width}}  fix: {check.fix}")
    if not quiet:
        passed = sum(check.ok for check in checks)
        warnings = sum(check.status is Status.WARN for check in checks)
        summary = f"{passed}/{len(checks)} checks passed"
        if warnings:
            summary += f" ({warnings} with a warning)"
        lines.append(summary)
    return "\n".join(lines)
