"""The layout's one rule that code can break silently: nothing imports the composition root.

Front ends (``cogs/``, later ``web/``) and the services take their types from ``bot.services``;
only the entry points (``bot/cli/``) import ``bot.app``, so the root can import the front ends
without a cycle.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ENTRY_POINTS = ("bot/cli/", "bot/app.py", "bot/__main__.py")


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def test_only_the_entry_points_import_the_composition_root() -> None:
    offenders = []
    for package in ("bot", "cogs", "storage", "audio"):
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if relative.startswith(ENTRY_POINTS):
                continue
            if "bot.app" in _imports(path):
                offenders.append(relative)
    assert offenders == []


def test_the_lower_layers_do_not_import_the_bot() -> None:
    """storage/ and audio/ know nothing of the services or the front ends above them."""
    offenders = []
    for package in ("storage", "audio"):
        for path in sorted((ROOT / package).rglob("*.py")):
            above = {m for m in _imports(path) if m.startswith(("bot.", "cogs"))}
            # audio's players talk to the playback port's types and the error classes only.
            allowed = {"bot.errors", "bot.plays.port"}
            if above - allowed:
                offenders.append((path.relative_to(ROOT).as_posix(), sorted(above - allowed)))
    assert offenders == []
