"""`--if-empty`, refusing to seed twice, bad --rows, and the `catalog-export seed` command in a subprocess."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from server.errors import CatalogError, ErrorCode
from server.ingest.seed import seed_database
from server.settings import Settings
from tests.seed.exports import export_all, sha256, sqlite_settings
from tests.utils.postgres import estimated_rows


async def test_if_empty_is_a_no_op_on_a_database_with_rows(tmp_path: Path) -> None:
    settings = sqlite_settings(tmp_path / "c.db")
    await seed_database(settings, rows=30, seed=2)
    before = await export_all(settings, seed=2)
    summary = await seed_database(settings, rows=500, seed=9, if_empty=True)
    assert summary == "seed skipped: the database already has 30 data rows"
    assert sha256(await export_all(settings, seed=2)) == sha256(before)


async def test_if_empty_seeds_a_missing_file(tmp_path: Path) -> None:
    settings = sqlite_settings(tmp_path / "new.db")
    summary = await seed_database(settings, rows=10, seed=2, if_empty=True)
    assert summary.startswith("seeded 10 data rows, ")
    assert len((await export_all(settings, seed=2)).splitlines()) == 10


async def test_seeding_a_catalog_twice_is_refused_and_writes_nothing(tmp_path: Path) -> None:
    settings = sqlite_settings(tmp_path / "c.db")
    await seed_database(settings, rows=20, seed=2)
    before = await export_all(settings, seed=2)
    with pytest.raises(CatalogError) as caught:
        await seed_database(settings, rows=20, seed=2)
    assert caught.value.code == ErrorCode.BAD_USER_INPUT
    assert caught.value.message == (
        "The demo organization already has data rows; seed a fresh database or pass --if-empty."
    )
    assert await export_all(settings, seed=2) == before


async def test_negative_rows_are_refused(tmp_path: Path) -> None:
    with pytest.raises(CatalogError) as caught:
        await seed_database(sqlite_settings(tmp_path / "c.db"), rows=-1)
    assert (caught.value.code, caught.value.message, caught.value.path) == (
        ErrorCode.BAD_USER_INPUT,
        "--rows must be 0 or more, got -1.",
        "rows",
    )


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "server.cli", *args], capture_output=True, text=True, timeout=120)


async def test_cli_seeds_then_skips_with_if_empty(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    first = run_cli("seed", "--rows", "200", "--database-url", url)
    assert first.returncode == 0, first.stderr
    assert first.stderr.startswith("seeded 200 data rows, ")
    assert "(seed 1)" in first.stderr
    again = run_cli("seed", "--rows", "200", "--if-empty", "--database-url", url)
    assert (again.returncode, again.stderr) == (0, "seed skipped: the database already has 200 data rows\n")
    lines = (await export_all(sqlite_settings(tmp_path / "cli.db"), seed=1)).splitlines()
    assert len(lines) == 200


async def test_cli_refuses_a_second_seed_without_a_traceback(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    assert run_cli("seed", "--rows", "5", "--database-url", url).returncode == 0
    again = run_cli("seed", "--rows", "5", "--database-url", url)
    assert (again.returncode, again.stderr) == (
        2,
        "seed: The demo organization already has data rows; seed a fresh database or pass --if-empty.\n",
    )


async def test_seed_leaves_sqlite_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "wal.db"
    await seed_database(sqlite_settings(path), rows=5)
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)


async def test_a_seeded_postgresql_catalog_has_current_statistics(settings: Settings) -> None:
    """Keyset pages over the seeded rows are planned from statistics, not from an empty table's defaults."""
    if settings.is_sqlite:
        pytest.skip("SQLite's plans for these queries do not use statistics")
    await seed_database(settings, rows=37, seed=2)
    assert await estimated_rows(settings, "datarow") == 37
