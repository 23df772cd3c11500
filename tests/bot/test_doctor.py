"""``carillon doctor`` and ``carillon db current``: the truth, the right hint, no side effects.

Offline only (``doctor --live`` against the emulator is in tests/e2e/test_doctor_live.py).
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import socket
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.cli import main
from bot.ops import dbcheck
from bot.ops.checks import Status, fail, ok, render, warn
from bot.ops.live_check import ALL_PERMISSIONS, INVITE_PERMISSIONS, guild_permissions, invite_url
from tests.dbkit import fresh_database_url

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "MTA4.GxYz12.abcdefghijklmnopqrstuvwxyz"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """An empty folder, an empty config file, a data directory that does not exist yet and a
    well-formed token; returns the data directory."""
    for name in list(os.environ):
        if name.startswith("CARILLON_") or name == "DISCORD_TOKEN":
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "config.toml").write_text("", encoding="utf-8")
    data = tmp_path / "data"
    monkeypatch.setenv("CARILLON_DATA_DIR", str(data))
    monkeypatch.setenv("DISCORD_TOKEN", TOKEN)
    return data


def doctor(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    capsys.readouterr()
    status = main(["doctor", *args])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err
    return status, captured.out


def line(out: str, name: str) -> str:
    """The doctor's line for check ``name`` plus its fix line, if any."""
    lines = out.splitlines()
    for i, text in enumerate(lines):
        if text[6:].startswith(name + " "):
            fix = lines[i + 1] if i + 1 < len(lines) and "fix: " in lines[i + 1] else ""
            return text + ("\n" + fix if fix else "")
    raise AssertionError(f"no {name!r} line in:\n{out}")


def migrate_to(revision: str) -> None:
    assert main(["db", "upgrade", revision]) == 0


def snapshot(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` with a hash of its bytes (to prove nothing changed)."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


# --- a fresh install ------------------------------------------------------------------------------


def test_fresh_install_passes_and_creates_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A data_dir that does not exist yet (nor its parent) is the normal state: every check
    passes, exit 0, and the folder still does not exist afterwards."""
    data = tmp_path / "not" / "yet" / "data"
    config = tmp_path / "carillon.toml"
    config.write_text(f'data_dir = "{data}"\n', encoding="utf-8")
    monkeypatch.delenv("CARILLON_DATA_DIR")
    capsys.readouterr()
    status = main(["--config", str(config), "doctor"])
    out = capsys.readouterr().out
    assert status == 0, out
    assert "FAIL" not in out and "warn" not in out
    assert "does not exist yet; carillon run creates it" in line(out, "data directory")
    database = line(out, "database")
    assert f"{data / 'carillon.db'} not created yet — `carillon run` creates and migrates it" in (
        database
    )
    assert "database.url" not in out
    assert "7/7 checks passed" in out
    assert not (tmp_path / "not").exists()


def test_fresh_install_quiet_prints_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    status, out = doctor(capsys, "--quiet")
    assert (status, out) == (0, "")


def test_quiet_prints_only_the_failures(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("DISCORD_TOKEN")
    status, out = doctor(capsys, "-q")
    assert status == 1
    assert out.splitlines()[0].startswith("FAIL  token  DISCORD_TOKEN is not set")
    assert out.splitlines()[1].strip() == "fix: set DISCORD_TOKEN to your bot's token"
    assert len(out.splitlines()) == 2


def test_db_current_on_a_fresh_install_creates_nothing(
    clean_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert main(["db", "current"]) == 0
    out = capsys.readouterr().out
    assert f"database {clean_env / 'carillon.db'} does not exist yet" in out
    assert "carillon run or carillon db upgrade creates it" in out
    assert not clean_env.exists()


def test_offline_doctor_does_not_touch_the_network(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without --live nothing connects anywhere (here any attempt would fail a check)."""
    calls: list[object] = []

    def refuse(self: socket.socket, address: object) -> None:
        calls.append(address)
        raise OSError("doctor must not use the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    status, out = doctor(capsys)
    assert status == 0, out
    assert calls == []


# --- an existing database -------------------------------------------------------------------------


def test_a_migrated_database_is_ok_and_left_untouched(
    clean_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    migrate_to("head")
    before = snapshot(clean_env)
    status, out = doctor(capsys)
    assert status == 0, out
    head = dbcheck.head_revision()
    assert line(out, "database").startswith(
        f"ok    database        {clean_env / 'carillon.db'} is at the latest revision {head}"
    )
    capsys.readouterr()
    assert main(["db", "current"]) == 0
    assert f"is at revision {head} (latest: {head})" in capsys.readouterr().out
    # No -wal/-shm appeared, no byte changed.
    assert snapshot(clean_env) == before


def test_a_database_in_use_is_read_through_its_locks(
    clean_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """While the bot has it open (WAL files beside it) doctor still reads the revision."""
    migrate_to("head")
    holder = sqlite3.connect(clean_env / "carillon.db")
    try:
        holder.execute("PRAGMA journal_mode=WAL")
        holder.execute("SELECT count(*) FROM alembic_version").fetchall()
        status, out = doctor(capsys)
    finally:
        holder.close()
    assert status == 0, out
    assert "is at the latest revision" in line(out, "database")


def test_a_database_behind_passes_with_a_warning(
    clean_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    migrate_to("0003")
    status, out = doctor(capsys)
    assert status == 0, out
    head = dbcheck.head_revision()
    assert line(out, "database").startswith(
        f"warn  database        {clean_env / 'carillon.db'} is at revision 0003, latest is "
        f"{head}; carillon run migrates it on start"
    )
    assert "(1 with a warning)" in out


def test_a_database_ahead_of_this_code_fails(
    clean_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    migrate_to("head")
    with sqlite3.connect(clean_env / "carillon.db") as conn:
        conn.execute("UPDATE alembic_version SET version_num = 'f00dcafe'")
    status, out = doctor(capsys)
    assert status == 1
    database = line(out, "database")
    assert database.startswith("FAIL  database")
    assert "at revision f00dcafe, which this version of Carillon does not know" in database
    assert "carillon db downgrade" in database


def test_a_file_that_is_not_a_database(clean_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The hint names the file and what is wrong; database.url is not mentioned (it is unset)."""
    clean_env.mkdir()
    (clean_env / "carillon.db").write_bytes(b"these are my holiday notes\n" * 200)
    status, out = doctor(capsys)
    assert status == 1
    database = line(out, "database")
    assert f"FAIL  database        {clean_env / 'carillon.db'} is not an SQLite database" in (
        database
    )
    assert "move it away" in database
    assert "database.url" not in out
    capsys.readouterr()
    assert main(["db", "current"]) == 1
    assert "is not an SQLite database" in capsys.readouterr().err


def test_a_database_of_another_program(clean_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    clean_env.mkdir()
    with sqlite3.connect(clean_env / "carillon.db") as conn:
        conn.execute("CREATE TABLE recipes (name TEXT)")
    status, out = doctor(capsys)
    assert status == 1
    assert "holds tables (recipes) but no Carillon schema" in line(out, "database")


def test_a_locked_database(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    migrate_to("head")
    monkeypatch.setenv("CARILLON_DATABASE__BUSY_TIMEOUT_MS", "100")
    holder = sqlite3.connect(clean_env / "carillon.db", isolation_level=None)
    try:
        holder.execute("PRAGMA journal_mode=WAL")
        holder.execute("PRAGMA locking_mode=EXCLUSIVE")
        holder.execute("BEGIN EXCLUSIVE")
        holder.execute("UPDATE alembic_version SET version_num = version_num")
        status, out = doctor(capsys)
        holder.execute("ROLLBACK")
    finally:
        holder.close()
    assert status == 1
    database = line(out, "database")
    assert "is locked by another program" in database
    assert "stop the program holding it" in database


def test_a_configured_sqlite_url_is_named_in_the_hint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    junk = tmp_path / "elsewhere.db"
    junk.write_bytes(b"not sqlite" * 100)
    monkeypatch.setenv("CARILLON_DATABASE__URL", f"sqlite+aiosqlite:///{junk}")
    status, out = doctor(capsys)
    assert status == 1
    assert "or correct database.url" in line(out, "database")


# --- PostgreSQL -----------------------------------------------------------------------------------


def test_an_unreachable_postgresql_names_host_and_port_and_hides_the_password(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))  # bound, never listening: connections are refused
        port = closed.getsockname()[1]
        url = f"postgresql+asyncpg://carillon:s3cr3t-pw@127.0.0.1:{port}/carillon"
        monkeypatch.setenv("CARILLON_DATABASE__URL", url)
        status, out = doctor(capsys)
    assert status == 1
    database = line(out, "database")
    assert f"cannot connect to 127.0.0.1:{port}: connection refused" in database
    assert "fix: check database.url and that the server runs" in database
    assert "s3cr3t-pw" not in out


@pytest.mark.parametrize("state", ["empty", "migrated", "missing database"])
async def test_postgresql_states(
    state: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    async with fresh_database_url("postgresql", tmp_path) as url:
        if state == "migrated":
            monkeypatch.setenv("CARILLON_DATABASE__URL", url)
            assert await asyncio.to_thread(main, ["db", "upgrade"]) == 0
        if state == "missing database":
            url = url.rsplit("/", 1)[0] + "/carillon_no_such_database"
        monkeypatch.setenv("CARILLON_DATABASE__URL", url)
        capsys.readouterr()
        status = await asyncio.to_thread(main, ["doctor"])
        out = capsys.readouterr().out
    database = line(out, "database")
    if state == "empty":
        assert status == 0 and "is empty — `carillon run` migrates it on start" in database
    elif state == "migrated":
        assert status == 0 and "is at the latest revision" in database
    else:
        assert status == 1 and "carillon_no_such_database" in database
        assert "correct its name in database.url" in database


# --- the data directory ---------------------------------------------------------------------------


def test_a_file_as_data_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    file = tmp_path / "hostname"
    file.write_text("box\n", encoding="utf-8")
    monkeypatch.setenv("CARILLON_DATA_DIR", str(file))
    status, out = doctor(capsys)
    assert status == 1
    data_dir = line(out, "data directory")
    assert f"data_dir {file} is a file, not a folder" in data_dir
    assert f"create {file}" not in out
    assert line(out, "database").startswith("warn")  # not checked: it lives in that folder
    assert file.read_text(encoding="utf-8") == "box\n"


@pytest.mark.skipif(not Path("/proc/1").is_dir(), reason="no /proc")
def test_proc_as_data_dir(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CARILLON_DATA_DIR", "/proc/1")
    status, out = doctor(capsys)
    assert status == 1
    data_dir = line(out, "data directory")
    assert "FAIL  data directory" in data_dir
    assert "No such file or directory" not in data_dir
    assert "create /proc/1" not in out


def _can_unshare() -> bool:
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return False
    try:
        probe = subprocess.run(["unshare", "-m", "true"], capture_output=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return probe.returncode == 0


@pytest.fixture
def read_only_data_dir(tmp_path: Path) -> Iterator[tuple[Path, list[str]]]:
    """A data directory that takes no new file, and the command prefix that makes it so: a
    read-only bind mount when root can unshare, else chmod 0555 when not root (root ignores
    modes), else skip."""
    data = tmp_path / "ro-data"
    data.mkdir()
    if _can_unshare():
        script = f'mount --bind -o ro {data} {data} && exec "$@"'
        yield data, ["unshare", "-m", "sh", "-c", script, "sh"]
        return
    if hasattr(os, "geteuid") and os.geteuid() != 0:
        data.chmod(0o555)
        try:
            yield data, []
        finally:
            data.chmod(0o755)
        return
    pytest.skip("root without unshare: no way to make a folder unwritable")


def test_an_unwritable_data_dir(read_only_data_dir: tuple[Path, list[str]], tmp_path: Path) -> None:
    data, prefix = read_only_data_dir
    env = {k: v for k, v in os.environ.items() if not k.startswith("CARILLON_")}
    env.update(
        CARILLON_DATA_DIR=str(data),
        CARILLON_CONFIG=str(tmp_path / "config.toml"),
        DISCORD_TOKEN=TOKEN,
    )
    result = subprocess.run(
        [*prefix, sys.executable, "-m", "bot", "doctor"],
        capture_output=True, text=True, cwd=ROOT, env=env, timeout=120,
    )  # fmt: skip
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    data_dir = line(result.stdout, "data directory")
    assert f"FAIL  data directory  cannot write a file in data_dir {data}" in data_dir
    if prefix:
        assert "read-only file system" in data_dir and "do not mount the data volume with :ro" in (
            data_dir
        )
    else:
        assert "writable by" in data_dir
    assert f"create {data}" not in data_dir
    assert list(data.iterdir()) == []


# --- never a traceback ----------------------------------------------------------------------------


def test_a_check_that_raises_is_one_failed_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def explode(path: Path) -> None:
        raise RuntimeError("the disk caught fire\nsecond line")

    monkeypatch.setattr("bot.ops.datadir.inspect", explode)
    monkeypatch.setattr(dbcheck, "inspect_database", lambda settings: 1 / 0)
    status, out = doctor(capsys)
    assert status == 1
    assert line(out, "data directory") == (
        "FAIL  data directory  the check itself failed: RuntimeError: the disk caught fire"
    )
    assert "the check itself failed: ZeroDivisionError: division by zero" in line(out, "database")
    assert "ok    PyAV + libopus" in out  # the other checks still ran


def test_a_bad_config_is_one_failed_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CARILLON_CREDITS__MAX_BALANCE", "lots")
    status, out = doctor(capsys, "--live")
    assert status == 1
    assert out.startswith("FAIL  config  invalid configuration")
    assert "Discord" not in out  # nothing is asked of Discord with a broken config


def test_live_without_a_token_asks_nothing(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("DISCORD_TOKEN")
    status, out = doctor(capsys, "--live")
    assert status == 1
    assert "FAIL  Discord" in out and "the token above must be fixed first" in out


# --- pieces -------------------------------------------------------------------------------------


def test_render_marks_fixes_and_summary() -> None:
    checks = [ok("a", "fine"), warn("bb", "hm", "do x"), fail("c", "broken", "do y")]
    assert render(checks).splitlines() == [
        "ok    a   fine",
        "warn  bb  hm",
        "          fix: do x",
        "FAIL  c   broken",
        "          fix: do y",
        "2/3 checks passed (1 with a warning)",
    ]
    assert render(checks, quiet=True).splitlines() == ["FAIL  c  broken", "         fix: do y"]
    assert render([ok("a", "fine")], quiet=True) == ""
    assert [c.status for c in checks] == [Status.OK, Status.WARN, Status.FAIL]


def test_guild_permissions() -> None:
    guild, bot, owner, role_a, role_b = 1, 2, 3, 10, 11
    roles = {guild: 1 << 10, role_a: 1 << 11, role_b: 1 << 20}
    assert guild_permissions(guild, owner, roles, [], bot) == 1 << 10
    assert guild_permissions(guild, owner, roles, [role_a, role_b], bot) == (
        1 << 10 | 1 << 11 | 1 << 20
    )
    assert guild_permissions(guild, owner, roles, [999], bot) == 1 << 10  # unknown role
    assert guild_permissions(guild, bot, {}, [], bot) == ALL_PERMISSIONS  # the owner
    assert guild_permissions(guild, owner, {guild: 0, role_a: 1 << 3}, [role_a], bot) == (
        ALL_PERMISSIONS  # administrator
    )


def test_invite_url_asks_for_what_the_bot_needs() -> None:
    assert INVITE_PERMISSIONS == 3148800  # View Channels | Send Messages | Connect | Speak
    assert invite_url(42) == (
        "https://discord.com/oauth2/authorize?client_id=42"
        "&scope=bot+applications.commands&permissions=3148800"
    )
    assert invite_url(42, 7).endswith("&guild_id=7&disable_guild_select=true")


def test_doctor_and_db_modules_import_lightly() -> None:
    """``carillon --help`` imports these: they must not load the app, SQLAlchemy or aiohttp."""
    code = (
        "import sys, types\n"
        # Load the two modules without the package's __init__ (which imports every command).
        "pkg = types.ModuleType('bot.cli'); pkg.__path__ = ['bot/cli']\n"
        "sys.modules['bot.cli'] = pkg\n"
        "import bot.cli.doctor, bot.cli.db\n"
        "heavy = ('sqlalchemy', 'alembic', 'aiohttp', 'discord', 'av', 'storage.engine',"
        " 'storage.migrate', 'storage.models', 'bot.app',"
        " 'bot.ops.live_check', 'bot.ops.dbcheck')\n"
        "print(sorted(m for m in heavy if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_retry_after_prefers_the_body_then_the_header() -> None:
    from bot.ops.live_check import _retry_after

    assert _retry_after({"retry_after": 0.25}, "1") == 0.25
    assert _retry_after({"message": "slow down"}, "2") == 2.0
    assert _retry_after("<html>", None) is None
    assert _retry_after({"retry_after": "soon"}, "x") is None
