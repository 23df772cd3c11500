"""Configuration: one typed, validated :class:`Settings` object.

Sources, later ones winning:

1. built-in defaults (the values in ``config.example.toml``);
2. the TOML file: ``--config``, else ``$CARILLON_CONFIG``, else ``./config.toml`` if it exists;
3. environment variables ``CARILLON_<SECTION>__<KEY>`` (``CARILLON_DATA_DIR`` for top-level keys,
   ``CARILLON_SCHEDULER__LATENESS__PLAY_SOUND`` for nested tables);
4. the bot token, which only ever comes from ``DISCORD_TOKEN`` (so it never lands in a file).

Every problem is reported at once, each naming the key, the value and what is allowed.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.credits.rules import BALANCE_LIMIT, MAX_RECHARGE_AMOUNT
from bot.errors import ConfigError

ENV_PREFIX = "CARILLON_"
CONFIG_ENV = "CARILLON_CONFIG"
TOKEN_ENV = "DISCORD_TOKEN"
SQLITE_FILE = "carillon.db"  # in the data directory, when database.url is unset


@dataclass(frozen=True)
class DiscordSettings:
    owner_ids: tuple[int, ...] = ()
    api_base_url: str | None = None
    gateway_url: str | None = None
    ca_file: str | None = None
    dev_guild_ids: tuple[int, ...] = ()
    token: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class DatabaseSettings:
    url: str | None = None  # None: SQLite file ``carillon.db`` in the data directory
    busy_timeout_ms: int = 5000
    echo: bool = False


@dataclass(frozen=True)
class LatenessSettings:
    """How late an occurrence may still run, in seconds, per task type; None means unlimited."""

    play_sound: int | None = 300
    play_playlist: int | None = 300
    credit_recharge: int | None = None


@dataclass(frozen=True)
class SchedulerSettings:
    window_s: int = 600
    lateness: LatenessSettings = field(default_factory=LatenessSettings)
    retry_backoff_s: tuple[int, ...] = (15, 60, 240)
    retention_days: int = 30
    max_runs_per_task: int = 100
    max_consecutive_failures: int = 5
    skip_if_nobody_listening: bool = True
    # This process's name among the runners sharing one database; None: the host name.
    runner_name: str | None = None
    # Seconds between a runner's heartbeats, and how long a runner may stay silent before the
    # others presume it dead and take over its claimed occurrences.
    heartbeat_s: int = 30
    runner_timeout_s: int = 90


@dataclass(frozen=True)
class CreditSettings:
    starting_balance: int = 100
    daily_allowance: int = 100
    max_balance: int = 100
    cost_per_play: int = 1


@dataclass(frozen=True)
class AudioSettings:
    max_upload_mb: float = 8.0
    max_duration_s: int = 300
    loudness_target_lufs: float = -16.0
    idle_timeout_s: int = 300
    connect_timeout_s: float = 10.0
    connect_retries: int = 2


# The range of each task limit, whether it comes from the config (the default) or from a server's
# own setting (/admin settings set): one range for both, so no server can hold a value the config
# could not, and the other way round.
PENDING_TASKS_RANGE = (1, 1000)
MIN_INTERVAL_S_RANGE = (60, 7 * 86_400)  # a minute to a week
HORIZON_DAYS_RANGE = (1, 3653)  # a day to ten years
NAME_LENGTH_RANGE = (1, 100)  # scheduled_tasks.name is String(100)
# The longest max_duration any configuration may allow, in seconds (a day): /playlist play's
# option is bounded by it, because Discord needs fixed bounds.
MAX_DURATION_CEILING_S = 86_400


@dataclass(frozen=True)
class LimitSettings:
    max_pending_tasks_per_user: int = 25
    min_interval_user_s: int = 900
    min_interval_admin_s: int = 60
    horizon_days: int = 1826
    max_name_length: int = 100
    default_max_duration_s: int = 600
    max_duration_s: int = 3600


@dataclass(frozen=True)
class LoggingSettings:
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    format: Literal["text", "json"] = "text"


@dataclass(frozen=True)
class Settings:
    data_dir: Path = Path("data")
    default_timezone: str = "UTC"
    discord: DiscordSettings = field(default_factory=DiscordSettings)
    database: DatabaseSettings = field(default_factory=DatabaseSettings)
    scheduler: SchedulerSettings = field(default_factory=SchedulerSettings)
    credits: CreditSettings = field(default_factory=CreditSettings)
    audio: AudioSettings = field(default_factory=AudioSettings)
    limits: LimitSettings = field(default_factory=LimitSettings)
    logging: LoggingSettings = field(default_factory=LoggingSettings)
    source: str = "built-in defaults"  # where the file came from, for doctor and logs

    @property
    def sqlite_path(self) -> Path:
        """The SQLite file used when ``database.url`` is unset."""
        return (self.data_dir / SQLITE_FILE).resolve()

    @property
    def database_url(self) -> str:
        if self.database.url:
            return self.database.url
        return f"sqlite+aiosqlite:///{self.sqlite_path}"


def _between(low: int, high: int, unit: str) -> tuple[typing.Callable[[Any], bool], str]:
    return (lambda v: low <= v <= high), f"{unit} from {low:,} to {high:,}"


# Rules that a type alone cannot say: key -> (check, what is allowed).
_RULES: dict[str, tuple[typing.Callable[[Any], bool], str]] = {
    "database.busy_timeout_ms": (lambda v: v >= 0, "a number of milliseconds >= 0"),
    "scheduler.window_s": (lambda v: 60 <= v <= 86_400, "seconds between 60 and 86400"),
    "scheduler.retry_backoff_s": (
        lambda v: all(x > 0 for x in v),
        "a list of positive numbers of seconds, e.g. [15, 60, 240]",
    ),
    "scheduler.retention_days": (lambda v: v >= 1, "a number of days >= 1"),
    "scheduler.max_runs_per_task": (lambda v: v >= 1, "a number >= 1"),
    "scheduler.max_consecutive_failures": (lambda v: v >= 1, "a number >= 1"),
    "scheduler.heartbeat_s": (lambda v: 1 <= v <= 3600, "seconds between 1 and 3600"),
    "scheduler.runner_timeout_s": (lambda v: 3 <= v <= 86_400, "seconds between 3 and 86400"),
    # Balances and amounts are stored in 32-bit columns (bot.credits.rules.BALANCE_LIMIT).
    "credits.starting_balance": _between(0, BALANCE_LIMIT, "credits"),
    "credits.daily_allowance": _between(0, MAX_RECHARGE_AMOUNT, "credits"),
    "credits.max_balance": _between(1, BALANCE_LIMIT, "credits"),
    "credits.cost_per_play": _between(0, BALANCE_LIMIT, "credits"),
    "audio.max_upload_mb": (lambda v: 0 < v <= 500, "megabytes above 0 and at most 500"),
    "audio.max_duration_s": (lambda v: 1 <= v <= 3600, "seconds between 1 and 3600"),
    "audio.loudness_target_lufs": (lambda v: -70 <= v <= -5, "LUFS between -70 and -5"),
    "audio.idle_timeout_s": (lambda v: v >= 0, "seconds >= 0 (0 leaves at once)"),
    "audio.connect_timeout_s": (lambda v: v > 0, "seconds above 0"),
    "audio.connect_retries": (lambda v: 0 <= v <= 10, "a number between 0 and 10"),
    "limits.max_pending_tasks_per_user": _between(*PENDING_TASKS_RANGE, "tasks"),
    "limits.min_interval_user_s": _between(*MIN_INTERVAL_S_RANGE, "seconds"),
    "limits.min_interval_admin_s": _between(*MIN_INTERVAL_S_RANGE, "seconds"),
    "limits.horizon_days": _between(*HORIZON_DAYS_RANGE, "days"),
    "limits.max_name_length": _between(*NAME_LENGTH_RANGE, "characters"),
    "limits.default_max_duration_s": _between(1, MAX_DURATION_CEILING_S, "seconds"),
    "limits.max_duration_s": _between(1, MAX_DURATION_CEILING_S, "seconds"),
}


def load_settings(
    path: str | os.PathLike[str] | None = None, env: Mapping[str, str] | None = None
) -> Settings:
    """Load, merge and validate the configuration; :class:`ConfigError` lists every problem."""
    env = os.environ if env is None else env
    raw: dict[str, Any] = {}
    source = "built-in defaults"
    chosen = path or env.get(CONFIG_ENV)
    if chosen:
        file = Path(chosen)
        if not file.is_file():
            raise ConfigError(
                f"config file {str(file)!r} does not exist; copy config.example.toml there, "
                "or leave --config and CARILLON_CONFIG unset to use ./config.toml or the defaults"
            )
    else:
        file = Path("config.toml")
    if file.is_file():
        try:
            raw = tomllib.loads(file.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"config file {str(file)!r} is not valid TOML: {exc}") from exc
        source = str(file)

    errors: list[str] = []
    # Relative paths written in the file are relative to the file's folder, so
    # `carillon --config /etc/carillon/config.toml` means the same from any directory.
    base = file.resolve().parent if source != "built-in defaults" else None
    _merge_env(raw, env, errors)
    settings: Settings | None = _build(Settings, raw, "", errors)
    if settings is not None:
        token = env.get(TOKEN_ENV) or None
        discord = settings.discord
        ca_file = _file_path(discord.ca_file, _get(raw, "discord", "ca_file"), base)
        settings = dataclasses.replace(
            settings,
            source=source,
            data_dir=Path(_file_path(str(settings.data_dir), raw.get("data_dir"), base) or "."),
            discord=dataclasses.replace(
                discord, token=token, ca_file=None if ca_file is None else str(ca_file)
            ),
        )
        _check_rules(settings, errors)
    if errors:
        raise ConfigError("invalid configuration (" + source + "):\n  - " + "\n  - ".join(errors))
    assert settings is not None
    return settings


def _get(raw: dict[str, Any], section: str, key: str) -> Any:
    table = raw.get(section)
    return table.get(key) if isinstance(table, dict) else None


def _file_path(value: str | None, raw: Any, base: Path | None) -> str | None:
    """``value`` made absolute: against ``base`` (the config file's folder) when the file gave
    it, else against the current directory (defaults, and environment variables as a shell
    would)."""
    if value is None:
        return None
    path = Path(value)
    if not path.is_absolute():
        from_file = base is not None and raw is not None and not isinstance(raw, _EnvText)
        path = (base if from_file and base is not None else Path.cwd()) / path
    return str(path)


def _merge_env(raw: dict[str, Any], env: Mapping[str, str], errors: list[str]) -> None:
    for name, value in env.items():
        if not name.startswith(ENV_PREFIX) or name == CONFIG_ENV:
            continue
        parts = [p.lower() for p in name[len(ENV_PREFIX) :].split("__")]
        if not all(parts):
            errors.append(f"environment variable {name}: expected CARILLON_<SECTION>__<KEY>")
            continue
        table = raw
        for part in parts[:-1]:
            nested = table.setdefault(part, {})
            if not isinstance(nested, dict):
                errors.append(f"environment variable {name}: {part!r} is not a table")
                break
            table = nested
        else:
            # Environment values are text; _coerce converts them by the field's type.
            table[parts[-1]] = _EnvText(value)


class _EnvText(str):
    """A string that came from the environment and may be converted to the field's type."""


def _build(cls: type[Any], raw: Any, prefix: str, errors: list[str]) -> Any:
    if not isinstance(raw, dict):
        errors.append(f"[{prefix.rstrip('.')}] must be a table, not {raw!r}")
        return cls()
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if f.name not in ("source", "token")}
    for key in raw:
        if key not in fields:
            where = f"[{prefix.rstrip('.')}]" if prefix else "the top level"
            allowed = ", ".join(sorted(fields))
            errors.append(f"unknown key {prefix + key!r} in {where}; allowed keys: {allowed}")
    values: dict[str, Any] = {}
    for name in fields:
        if name not in raw:
            continue
        hint = hints[name]
        key = prefix + name
        if dataclasses.is_dataclass(hint):
            values[name] = _build(typing.cast(type[Any], hint), raw[name], key + ".", errors)
            continue
        try:
            values[name] = _coerce(raw[name], hint)
        except ValueError as exc:
            errors.append(f"{key} = {raw[name]!r} is not allowed: expected {exc}")
    return cls(**values)


def _coerce(value: Any, hint: Any) -> Any:
    """Convert ``value`` to ``hint``; raise ValueError naming what is allowed."""
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in args if a is not type(None)]
        if value is None or (isinstance(value, _EnvText) and value.strip().lower() in ("", "none")):
            return None
        if len(inner) == 1:
            return _coerce(value, inner[0])
    if origin is Literal:
        if value in args:
            return value
        if isinstance(value, str) and value.upper() in args:
            return value.upper()
        raise ValueError("one of " + ", ".join(repr(a) for a in args))
    if origin is tuple:
        item = args[0]
        if isinstance(value, _EnvText):
            text = value.strip().strip("[]")
            value = [v.strip() for v in text.split(",") if v.strip()]
        if not isinstance(value, list | tuple):
            raise ValueError(f"a list of {item.__name__}")
        return tuple(_coerce(_EnvText(v) if isinstance(v, str) else v, item) for v in value)
    if hint is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, _EnvText) and value.strip().lower() in ("1", "true", "yes", "on"):
            return True
        if isinstance(value, _EnvText) and value.strip().lower() in ("0", "false", "no", "off"):
            return False
        raise ValueError("true or false")
    if hint is int:
        if isinstance(value, bool):
            raise ValueError("a whole number")
        if isinstance(value, int):
            return value
        if isinstance(value, _EnvText):
            try:
                return int(value.strip())
            except ValueError:
                pass
        raise ValueError("a whole number")
    if hint is float:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, _EnvText):
            try:
                return float(value.strip())
            except ValueError:
                pass
        raise ValueError("a number")
    if hint is str:
        if isinstance(value, str):
            return str(value)
        raise ValueError("a string")
    if hint is Path:
        if isinstance(value, str):
            return Path(value).expanduser()
        raise ValueError("a path")
    raise ValueError(f"a value of type {hint}")  # pragma: no cover - a field type we forgot


def _check_rules(settings: Settings, errors: list[str]) -> None:
    for key, (check, allowed) in _RULES.items():
        section, name = key.split(".")
        value = getattr(getattr(settings, section), name)
        if not check(value):
            errors.append(f"{key} = {value!r} is not allowed: expected {allowed}")
    for name, value in dataclasses.asdict(settings.scheduler.lateness).items():
        if value is not None and value < 0:
            errors.append(
                f"scheduler.lateness.{name} = {value!r} is not allowed: "
                "expected seconds >= 0, or leave it out for unlimited"
            )
    beat = settings.scheduler
    if beat.runner_timeout_s < 3 * beat.heartbeat_s:
        errors.append(
            f"scheduler.runner_timeout_s = {beat.runner_timeout_s!r} is not allowed: expected at "
            f"least 3 heartbeats (scheduler.heartbeat_s = {beat.heartbeat_s}), so that one late "
            "heartbeat does not make a live runner look dead"
        )
    try:
        ZoneInfo(settings.default_timezone)
    except (ZoneInfoNotFoundError, ValueError):
        errors.append(
            f"default_timezone = {settings.default_timezone!r} is not allowed: "
            "expected an IANA time zone name such as 'UTC' or 'Europe/Paris'"
        )
    for key, schemes in (
        ("api_base_url", ("http://", "https://")),
        ("gateway_url", ("ws://", "wss://")),
    ):
        url = getattr(settings.discord, key)
        if url is not None and not url.startswith(schemes):
            errors.append(
                f"discord.{key} = {url!r} is not allowed: expected a URL starting with "
                + " or ".join(schemes)
            )
    ca = settings.discord.ca_file
    if ca is not None and not Path(ca).is_file():
        errors.append(f"discord.ca_file = {ca!r} is not allowed: expected an existing PEM file")
    url = settings.database.url
    if url is not None and not url.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
        errors.append(
            f"database.url = {url!r} is not allowed: expected sqlite+aiosqlite:///PATH "
            "or postgresql+asyncpg://USER:PASSWORD@HOST/DB"
        )
    if settings.limits.default_max_duration_s > settings.limits.max_duration_s:
        errors.append(
            "limits.default_max_duration_s = "
            f"{settings.limits.default_max_duration_s} is not allowed: "
            f"expected at most limits.max_duration_s ({settings.limits.max_duration_s})"
        )


def token_problem(token: str | None) -> str | None:
    """Why ``token`` cannot be a Discord bot token, or None if it looks well-formed."""
    if not token:
        return (
            "DISCORD_TOKEN is not set. Create an application at https://discord.com/developers/"
            "applications, add a bot, copy its token and run: export DISCORD_TOKEN=..."
        )
    parts = token.split(".")
    if len(parts) != 3 or not all(parts) or any(c.isspace() for c in token):
        return (
            "DISCORD_TOKEN does not look like a bot token (three dot-separated parts); "
            "copy it again from the Bot page of your application"
        )
    return None
