"""Settings.from_env: defaults, then the environment, then explicit overrides; URLs normalised to async drivers; every
bad value one line naming its variable."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest
from pydantic import ValidationError

from server.settings import Settings, environment_variables, replace


def test_environment_then_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/x")
    monkeypatch.setenv("MAX_IN_LIST", "7")
    monkeypatch.setenv("GRAPHIQL", "off")
    monkeypatch.setenv("EXPORT_DIR", "/tmp/results")
    settings = Settings.from_env(port=9001, host=None)
    assert settings.database_url == "postgresql+asyncpg://postgres@127.0.0.1:5432/x"
    assert (settings.max_in_list, settings.graphiql, settings.export_dir) == (7, False, Path("/tmp/results"))
    assert (settings.port, settings.host) == (9001, "127.0.0.1")


def test_a_cli_url_is_normalised_too() -> None:
    assert Settings.from_env(database_url="sqlite:///./c.db").database_url == "sqlite+aiosqlite:///./c.db"


def test_a_bad_number_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORT", "eighty")
    with pytest.raises(ValueError, match="environment variable PORT='eighty' is not a valid port"):
        Settings.from_env()


def test_a_bad_choice_names_the_variable_and_the_choices(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EXPORT_WORKER_MODE", "thread")
    with pytest.raises(ValueError) as caught:
        Settings.from_env()
    assert str(caught.value) == (
        "environment variable EXPORT_WORKER_MODE='thread' is not a valid export_worker_mode: "
        "Input should be 'process', 'loop' or 'none'"
    )


def test_a_bad_override_names_the_option() -> None:
    with pytest.raises(ValueError, match=r"^export_storage='bucket' is not valid: expected s3://bucket/prefix"):
        Settings.from_env(export_storage="bucket")


def test_lists_switches_numbers_and_links_read_as_documented(monkeypatch: pytest.MonkeyPatch) -> None:
    variables = {
        "CORS_ORIGINS": "https://a.example, https://b.example,",
        "GRAPHIQL": "0",
        "INTROSPECTION": "",
        "MAX_QUERY_DEPTH": "5",
        "RATE_LIMIT_PER_SECOND": "2.5",
        "PUBLIC_URL": "https://catalog.example/",
        "DATABASE_POOL_SIZE": "9",
        "AWS_REGION": "eu-west-1",
    }
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    s = Settings.from_env()
    assert s.cors_origins == ("https://a.example", "https://b.example")
    assert (s.graphiql, s.introspection, s.max_query_depth, s.rate_limit_per_second) == (False, False, 5, 2.5)
    assert (s.public_url, s.database_pool_size, s.aws_region) == ("https://catalog.example", 9, "eu-west-1")


def test_entry_point_defaults_sit_below_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    defaults = {"export_worker_mode": "process"}
    assert Settings.from_env(defaults).export_worker_mode == "process"
    monkeypatch.setenv("EXPORT_WORKER_MODE", "none")
    assert Settings.from_env(defaults).export_worker_mode == "none"
    assert Settings.from_env(defaults, export_worker_mode="loop").export_worker_mode == "loop"


def test_only_the_exact_variable_names_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    """Development mode is a command-line switch (a stray DEV=1 must not open the server); names are case-exact."""
    monkeypatch.setenv("DEV", "1")
    monkeypatch.setenv("ECHO_SQL", "1")
    monkeypatch.setenv("port", "1234")
    settings = Settings.from_env()
    assert (settings.dev, settings.echo_sql, settings.port) == (False, False, 8000)
    assert "DEV" not in environment_variables() and "PORT" in environment_variables()


def test_settings_built_in_code_ignore_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAX_IN_LIST", "7")
    assert Settings().max_in_list == 10_000
    assert Settings.from_env().max_in_list == 7


def test_replace_validates_and_leaves_the_original() -> None:
    base = Settings(database_url="sqlite:///./c.db")
    changed = replace(base, port="9001", dev=True)
    assert (changed.port, changed.dev, changed.database_url) == (9001, True, "sqlite+aiosqlite:///./c.db")
    assert (base.port, base.dev) == (8000, False)
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        replace(base, max_in_lists=5)
    with pytest.raises(ValidationError, match="Input should be 'process', 'loop' or 'none'"):
        replace(base, export_worker_mode="threads")
    with pytest.raises(ValidationError, match="frozen"):
        base.port = 1  # type: ignore[misc]


def test_settings_survive_the_trip_to_the_worker_process() -> None:
    """The server hands its settings to the export worker's child process pickled."""
    settings = replace(Settings(), cors_origins=("https://a.example",), export_dir=Path("/tmp/x"), dev=True)
    assert pickle.loads(pickle.dumps(settings)) == settings
