"""Settings.from_env: defaults, then the environment, then explicit overrides; URLs normalised to async drivers."""

from __future__ import annotations

from pathlib import Path

import pytest

from server.settings import Settings


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
