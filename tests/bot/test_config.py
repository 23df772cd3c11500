"""Settings: file, environment and token, validated with messages that name key, value and rule."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from bot.config import Settings, load_settings, token_problem
from bot.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]


def test_example_config_documents_the_defaults() -> None:
    """config.example.toml loads and equals the built-in defaults."""
    loaded = load_settings(ROOT / "config.example.toml", env={})
    defaults = Settings()
    assert loaded.data_dir == ROOT / defaults.data_dir  # relative to the file's folder
    assert dataclasses.replace(loaded, source=defaults.source, data_dir=defaults.data_dir) == (
        defaults
    )


def test_every_key_in_example_has_a_comment() -> None:
    """Every key line in config.example.toml is preceded by a comment line."""
    lines = (ROOT / "config.example.toml").read_text().splitlines()
    for index, line in enumerate(lines):
        if "=" in line and not line.startswith("#") and not line.startswith("["):
            above = lines[index - 1]
            assert above.startswith("#"), f"undocumented key: {line}"


def test_file_then_environment_then_token(tmp_path: Path) -> None:
    """Environment variables override the file; the token comes from DISCORD_TOKEN only."""
    file = tmp_path / "c.toml"
    file.write_text(
        'data_dir = "/srv/a"\n[credits]\nmax_balance = 50\n[discord]\nowner_ids = [1]\n'
    )
    settings = load_settings(
        file,
        env={
            "CARILLON_CREDITS__MAX_BALANCE": "70",
            "CARILLON_SCHEDULER__LATENESS__PLAY_SOUND": "60",
            "CARILLON_SCHEDULER__RETRY_BACKOFF_S": "5,10",
            "CARILLON_DISCORD__DEV_GUILD_IDS": "7,8",
            "DISCORD_TOKEN": "a.b.c",
        },
    )
    assert settings.data_dir == Path("/srv/a")
    assert settings.credits.max_balance == 70
    assert settings.scheduler.lateness.play_sound == 60
    assert settings.scheduler.lateness.credit_recharge is None
    assert settings.scheduler.retry_backoff_s == (5, 10)
    assert settings.discord.owner_ids == (1,)
    assert settings.discord.dev_guild_ids == (7, 8)
    assert settings.discord.token == "a.b.c"
    assert settings.source == str(file)


def test_relative_paths_in_the_file_are_relative_to_its_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A relative data_dir / ca_file written in the file means the same from any directory; the
    default and environment values are relative to the current directory."""
    folder = tmp_path / "etc" / "carillon"
    folder.mkdir(parents=True)
    (folder / "ca.pem").write_text("-----BEGIN CERTIFICATE-----\n")
    file = folder / "config.toml"
    file.write_text('data_dir = "state"\n[discord]\nca_file = "ca.pem"\n')
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    settings = load_settings(file, env={})
    assert settings.data_dir == folder / "state"
    assert settings.discord.ca_file == str(folder / "ca.pem")
    assert settings.database_url.endswith(str(folder / "state" / "carillon.db"))

    from_env = load_settings(file, env={"CARILLON_DATA_DIR": "here"})
    assert from_env.data_dir == elsewhere / "here"
    (folder / "bare.toml").write_text("[credits]\nmax_balance = 5\n")
    assert load_settings(folder / "bare.toml", env={}).data_dir == elsewhere / "data"
    assert load_settings(None, env={}).data_dir == elsewhere / "data"


def test_config_env_var_chooses_the_file(tmp_path: Path) -> None:
    """CARILLON_CONFIG names the file when --config is not given."""
    file = tmp_path / "c.toml"
    file.write_text('default_timezone = "Europe/Paris"\n')
    assert load_settings(None, env={"CARILLON_CONFIG": str(file)}).default_timezone == (
        "Europe/Paris"
    )


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"CARILLON_SCHEDULER__WINDOW_S": "soon"}, "scheduler.window_s = 'soon' is not allowed"),
        ({"CARILLON_SCHEDULER__WINDOW_S": "5"}, "expected seconds between 60 and 86400"),
        ({"CARILLON_LOGGING__FORMAT": "xml"}, "expected one of 'text', 'json'"),
        ({"CARILLON_DEFAULT_TIMEZONE": "Mars/Olympus"}, "IANA time zone"),
        ({"CARILLON_DATABASE__URL": "mysql://x"}, "postgresql+asyncpg://"),
        ({"CARILLON_DISCORD__GATEWAY_URL": "http://x"}, "ws:// or wss://"),
        ({"CARILLON_DISCORD__CA_FILE": "/nope.pem"}, "existing PEM file"),
        ({"CARILLON_CREDITS__BONUS": "1"}, "unknown key 'credits.bonus'"),
        ({"CARILLON_AUDIO__MAX_DURATION_S": "true"}, "expected a whole number"),
        ({"CARILLON_SCHEDULER__LATENESS__PLAY_SOUND": "-1"}, "scheduler.lateness.play_sound"),
    ],
)
def test_bad_values_name_key_value_and_rule(env: dict[str, str], expected: str) -> None:
    """Each wrong value is reported with its key, its value and what is allowed."""
    with pytest.raises(ConfigError) as caught:
        load_settings(None, env=env)
    assert expected in caught.value.message


def test_all_problems_are_reported_together() -> None:
    """Two wrong keys give one error listing both."""
    with pytest.raises(ConfigError) as caught:
        load_settings(
            None, env={"CARILLON_CREDITS__MAX_BALANCE": "0", "CARILLON_LOGGING__LEVEL": "LOUD"}
        )
    assert "credits.max_balance" in caught.value.message
    assert "logging.level" in caught.value.message


def test_broken_toml_says_so(tmp_path: Path) -> None:
    """A file that is not TOML is named in the error."""
    file = tmp_path / "c.toml"
    file.write_text("data_dir = \n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(file, env={})


def test_missing_config_file_is_an_error(tmp_path: Path) -> None:
    """An explicit config path that does not exist is not silently ignored."""
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(tmp_path / "missing.toml", env={})


@pytest.mark.parametrize(
    ("token", "ok"),
    [
        (None, False),
        ("", False),
        ("abc", False),
        ("a.b", False),
        ("a b.c.d", False),
        ("MTA4.GxYz12.abcdefghijklmnopqrstuvwxyz", True),
    ],
)
def test_token_shape(token: str | None, ok: bool) -> None:
    """Only a three-part token without spaces is accepted as well-formed."""
    assert (token_problem(token) is None) is ok
