"""Same seed → the same bytes on every run; another seed → another catalog; the app's export agrees."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import orjson
from starlette.applications import Starlette

from server.ingest.seed import organization_id, seed_database
from server.settings import Settings
from tests.seed.exports import Export, export_all, sha256, sqlite_settings
from tests.utils.client import EVERYTHING, GraphQLClient

EXPORT = "mutation($p: ExportParams) { exportDataRows(params: $p) { id } }"


def ids(data: bytes) -> set[str]:
    return {orjson.loads(line)["data_row"]["id"] for line in data.splitlines()}


async def test_same_seed_gives_identical_export_bytes(seeded_export: Export) -> None:
    first = await seeded_export(120, 7, "a")
    second = await seeded_export(120, 7, "b")
    assert len(first.splitlines()) == 120
    assert first == second
    assert sha256(first) == sha256(second)


async def test_different_seed_gives_a_different_catalog(seeded_export: Export) -> None:
    seven = await seeded_export(40, 7, "a")
    eight = await seeded_export(40, 8, "b")
    assert sha256(seven) != sha256(eight)
    assert ids(seven).isdisjoint(ids(eight))
    assert organization_id(7) != organization_id(8)


async def test_organization_id_is_the_seeds_first_id() -> None:
    """Pinned: a change to the id generator changes every catalog, so it must be deliberate."""
    assert organization_id(1) == "c0000000191b7584a2265b1f5"
    assert organization_id(2) == "c00000001dcf4bb99f4bea973"


async def test_export_through_the_app_matches_a_fresh_seed(
    seeded: Settings, app: Starlette, gql: GraphQLClient, tmp_path: Path
) -> None:
    assert app.state.organization_id == organization_id(5)
    task_id = (await gql.data(EXPORT, {"p": EVERYTHING}))["exportDataRows"]["id"]
    task = await gql.wait_export(task_id)
    assert task["status"] == "COMPLETE", task
    fresh = sqlite_settings(tmp_path / "fresh.db")
    await seed_database(fresh, rows=60, seed=5)
    expected = await export_all(fresh, seed=5)
    assert task["ndjson"].encode() == expected
    assert task["rowCount"] == 60
    assert task["sha256"] == sha256(expected)


def seed_in_process(path: Path, hash_seed: str) -> None:
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    args = ["seed", "--rows", "60", "--seed", "4", "--database-url", f"sqlite+aiosqlite:///{path}"]
    done = subprocess.run([sys.executable, "-m", "server.cli", *args], env=env, capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr


async def test_same_bytes_across_processes_with_different_hash_seeds(tmp_path: Path) -> None:
    seed_in_process(tmp_path / "one.db", "1")
    seed_in_process(tmp_path / "two.db", "2")
    one = await export_all(sqlite_settings(tmp_path / "one.db"), seed=4)
    two = await export_all(sqlite_settings(tmp_path / "two.db"), seed=4)
    assert len(one.splitlines()) == 60
    assert sha256(one) == sha256(two)
