"""Look at the database without changing it (for ``carillon doctor`` and ``carillon db current``).

Nothing here creates a file, a folder, a table or a pragma: an SQLite file is opened read-only
(and, when no other connection has it open, as ``immutable`` so not even the ``-wal``/``-shm``
files appear), PostgreSQL is only read. ``carillon run`` and ``carillon db upgrade`` are the
ones that create and migrate.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.config import Settings
from bot.ops.checks import Check, fail, ok, one_line, warn

if TYPE_CHECKING:
    from sqlalchemy.engine import URL

NAME = "database"
CONNECT_TIMEOUT_S = 10.0
SIDE_FILES = ("-wal", "-shm", "-journal")


@dataclass(frozen=True)
class DatabaseState:
    """What is in the database, or why it could not be read."""

    where: str  # the SQLite file, or the URL with its password hidden
    exists: bool = True  # False: the SQLite file is not there yet (``carillon run`` makes it)
    revisions: tuple[str, ...] = ()  # rows of alembic_version; () for an empty database
    other_tables: tuple[str, ...] = ()  # tables of a database that has no alembic_version
    in_memory: bool = False  # an in-memory SQLite database: nothing on disk to look at
    problem: str | None = None  # why it could not be read: what is the case
    fix: str = ""


def inspect_database(settings: Settings) -> DatabaseState:
    """The state of the configured database, leaving it exactly as it was."""
    configured = settings.database.url
    if not configured:
        path = settings.sqlite_path
        return _read_sqlite(path, str(path), settings, configured=False)
    from sqlalchemy.engine import make_url

    url = make_url(configured)
    where = url.render_as_string(hide_password=True)
    if url.get_backend_name() == "sqlite":
        database = url.database or ""
        if database in ("", ":memory:") or url.query.get("mode") == "memory":
            return DatabaseState(where, exists=False, in_memory=True)
        return _read_sqlite(Path(database).resolve(), where, settings, configured=True)
    return asyncio.run(_read_server(configured, where))


# --- SQLite -----------------------------------------------------------------------------------


def _who() -> str:
    return f"uid {os.geteuid()}" if hasattr(os, "geteuid") else "this user"


def _read_sqlite(path: Path, where: str, settings: Settings, *, configured: bool) -> DatabaseState:
    elsewhere = (
        "or correct database.url"
        if configured
        else "or set data_dir to the folder with your carillon.db"
    )
    try:
        info = path.stat()
    except FileNotFoundError:
        return DatabaseState(where, exists=False)
    except NotADirectoryError:
        return DatabaseState(
            where,
            exists=False,
            problem=f"{path} cannot be created: a folder above it is a file",
            fix=("correct database.url" if configured else "set data_dir to a folder"),
        )
    except PermissionError:
        return DatabaseState(
            where,
            problem=f"cannot look at {path}: permission denied on a folder above it",
            fix=f"make the folders above {path} readable by {_who()}",
        )
    if path.is_dir():
        return DatabaseState(
            where,
            problem=f"{path} is a folder, not a database file",
            fix=f"move the folder {path} away (carillon run then creates the database) {elsewhere}",
        )
    if not os.access(path, os.R_OK):
        return DatabaseState(
            where,
            problem=f"cannot read {path}: permission denied for {_who()}",
            fix=f"make {path} readable and writable by {_who()} (e.g. chown; in Docker, uid 10001)",
        )
    if info.st_size == 0:
        return DatabaseState(where)  # an empty file is an empty database
    # Another connection leaves -wal/-shm (WAL) or -journal beside the file: then read through
    # SQLite's locks (read-only, never creating those files ourselves); otherwise the file is
    # complete and nobody writes it, so it can be read as immutable (no side files at all).
    in_use = any(path.with_name(path.name + suffix).exists() for suffix in SIDE_FILES)
    uri = path.as_uri() + ("?mode=ro" if in_use else "?mode=ro&immutable=1")
    timeout = settings.database.busy_timeout_ms / 1000
    try:
        connection = sqlite3.connect(uri, uri=True, timeout=timeout)
        try:
            tables = tuple(
                row[0]
                for row in connection.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
                )
            )
            revisions: tuple[str, ...] = ()
            if "alembic_version" in tables:
                rows = connection.execute("SELECT version_num FROM alembic_version")
                revisions = tuple(str(row[0]) for row in rows)
        finally:
            connection.close()
    except sqlite3.Error as exc:
        problem, fix = _sqlite_problem(path, exc, elsewhere)
        return DatabaseState(where, problem=problem, fix=fix)
    other = () if "alembic_version" in tables else tables
    return DatabaseState(where, revisions=revisions, other_tables=other)


def _sqlite_problem(path: Path, exc: sqlite3.Error, elsewhere: str) -> tuple[str, str]:
    code = getattr(exc, "sqlite_errorname", "") or ""
    reason = str(exc) or code or type(exc).__name__
    if code == "SQLITE_NOTADB":
        return (
            f"{path} is not an SQLite database file ({reason})",
            f"move it away (carillon run then creates a new database there) {elsewhere}",
        )
    if code.startswith("SQLITE_BUSY") or code.startswith("SQLITE_LOCKED") or "locked" in reason:
        return (
            f"{path} is locked by another program ({reason})",
            "stop the program holding it (another carillon, a backup, an sqlite3 shell) and "
            "run doctor again",
        )
    if code.startswith("SQLITE_CORRUPT"):
        return (f"{path} is damaged ({reason})", "restore it from a backup")
    if code.startswith(("SQLITE_CANTOPEN", "SQLITE_PERM", "SQLITE_AUTH", "SQLITE_READONLY")):
        return (
            f"cannot open {path}: {reason}",
            f"make {path} and its folder readable and writable by {_who()}",
        )
    return (f"cannot read {path}: {reason}", "restore it from a backup, or move it away")


# --- PostgreSQL (or any server) -----------------------------------------------------------------


def server_endpoint(url: URL) -> str:
    """host:port of a database server, with PostgreSQL's defaults filled in."""
    return f"{url.host or 'localhost'}:{url.port or 5432}"


async def _read_server(url_text: str, where: str) -> DatabaseState:
    from sqlalchemy.engine import make_url

    url = make_url(url_text)
    endpoint = server_endpoint(url)
    try:
        from sqlalchemy import inspect as sa_inspect
        from sqlalchemy import text
        from sqlalchemy.ext.asyncio import create_async_engine
        from sqlalchemy.pool import NullPool

        engine = create_async_engine(
            url_text, poolclass=NullPool, connect_args={"timeout": CONNECT_TIMEOUT_S}
        )
    except ModuleNotFoundError as exc:
        return DatabaseState(
            where,
            problem=f"the driver for {url.drivername} is not installed ({exc})",
            fix="pip install asyncpg (database.url uses postgresql+asyncpg)",
        )

    def read(connection: Any) -> tuple[tuple[str, ...], tuple[str, ...]]:
        tables = tuple(sorted(sa_inspect(connection).get_table_names()))
        if "alembic_version" not in tables:
            return (), tables
        rows = connection.execute(text("SELECT version_num FROM alembic_version"))
        return tuple(str(r) for r in rows.scalars()), ()

    try:
        async with asyncio.timeout(CONNECT_TIMEOUT_S + 5):
            async with engine.connect() as connection:
                revisions, other = await connection.run_sync(read)
    except TimeoutError:
        return DatabaseState(
            where,
            problem=f"no answer from {endpoint} within {CONNECT_TIMEOUT_S:.0f} s",
            fix="check database.url and that the server runs (and that a firewall lets it in)",
        )
    except Exception as exc:
        problem, fix = _server_problem(exc, endpoint)
        return DatabaseState(where, problem=problem, fix=fix)
    finally:
        await engine.dispose()
    return DatabaseState(where, revisions=revisions, other_tables=other)


def _root_cause(exc: BaseException) -> BaseException:
    seen: set[int] = set()
    while id(exc) not in seen:
        seen.add(id(exc))
        inner = getattr(exc, "orig", None) or exc.__cause__
        if not isinstance(inner, BaseException):
            break
        exc = inner
    return exc


def _server_problem(exc: BaseException, endpoint: str) -> tuple[str, str]:
    root = _root_cause(exc)
    reason = one_line(root).split("(Background on this error")[0].strip()
    name = type(root).__name__
    if isinstance(root, ConnectionRefusedError) or "Connect call failed" in reason:
        problem = f"cannot connect to {endpoint}: connection refused ({reason})"
    elif isinstance(root, OSError):
        problem = f"cannot connect to {endpoint}: {reason}"
    elif name in ("InvalidPasswordError", "InvalidAuthorizationSpecificationError"):
        return (
            f"{endpoint} refused the login: {reason}",
            "check the user and password in database.url",
        )
    elif name == "InvalidCatalogNameError":
        return (
            f"{endpoint}: {reason}",
            "create that database (e.g. createdb) or correct its name in database.url",
        )
    else:
        problem = f"cannot use the database at {endpoint}: {reason}"
    return problem, "check database.url and that the server runs"


# --- what it means --------------------------------------------------------------------------------


def known_revisions() -> set[str]:
    from alembic.script import ScriptDirectory

    from storage.migrate import alembic_config

    script = ScriptDirectory.from_config(alembic_config())
    return {revision.revision for revision in script.walk_revisions()}


def head_revision() -> str | None:
    from storage.migrate import head_revision as head

    return head()


def check(settings: Settings) -> Check:
    """The doctor's database line."""
    state = inspect_database(settings)
    return judge(state, head_revision(), known_revisions())


def judge(state: DatabaseState, head: str | None, known: set[str]) -> Check:
    where = state.where
    if state.problem is not None:
        return fail(NAME, state.problem, state.fix)
    if not state.exists:
        if state.in_memory:
            return ok(NAME, f"{where}: in memory, created on start (and lost on exit)")
        return ok(NAME, f"{where} not created yet — `carillon run` creates and migrates it")
    if not state.revisions:
        if state.other_tables:
            more = ", …" if len(state.other_tables) > 5 else ""
            shown = ", ".join(state.other_tables[:5]) + more
            return fail(
                NAME,
                f"{where} holds tables ({shown}) but no Carillon schema (no alembic_version)",
                "point Carillon at its own database (data_dir or database.url), or move this "
                "one away",
            )
        return ok(NAME, f"{where} is empty — `carillon run` migrates it on start")
    current = ", ".join(state.revisions)
    unknown = [r for r in state.revisions if r not in known]
    if unknown:
        return fail(
            NAME,
            f"{where} is at revision {current}, which this version of Carillon does not know "
            f"(its latest is {head}): a newer Carillon migrated it",
            f"run that newer Carillon, or with it run `carillon db downgrade {head}` before "
            "using this one (or restore a backup)",
        )
    if state.revisions == (head,):
        return ok(NAME, f"{where} is at the latest revision {head}")
    return warn(
        NAME,
        f"{where} is at revision {current}, latest is {head}; carillon run migrates it on start",
        "nothing to do (back the file up first if you like); `carillon db upgrade` migrates now",
    )
