"""`catalog-export export` (local engine and --server) and `catalog-export import` on real database files."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

import httpx
from starlette.applications import Starlette

from server.settings import Settings
from tests.factory import build
from tests.utils.client import EVERYTHING, GraphQLClient
from tests.utils.export_tasks import BUILT, start_export

INCLUDE = ",".join(k for k in EVERYTHING if not k.startswith("all"))


def cli(*args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "server.cli", *args], capture_output=True, timeout=120)


def on_terminal(*args: str) -> tuple[int, str]:
    """Run the CLI with stderr on a pseudo-terminal (where the progress bar shows): exit code, what it showed."""
    terminal, stderr = pty.openpty()
    done = subprocess.run([sys.executable, "-m", "server.cli", *args], stderr=stderr, timeout=120)
    os.close(stderr)
    shown = os.read(terminal, 1 << 16).decode()
    os.close(terminal)
    return done.returncode, shown


async def _worker_result(gql: GraphQLClient, client: httpx.AsyncClient, params: dict[str, object]) -> bytes:
    task = await start_export(gql, params)
    await gql.wait_export(task["id"])
    return (await client.get(f"/exports/{task['id']}.ndjson")).content


async def test_local_export_equals_the_worker_result(
    app: Starlette, gql: GraphQLClient, client: httpx.AsyncClient, settings: Settings, tmp_path: Path
) -> None:
    catalog = await build("export", app.state.engine, app.state.organization_id, rows=12)
    out = tmp_path / "local.ndjson"
    done = cli("export", "--database-url", settings.database_url, "--include", INCLUDE, "--project",
               catalog.project_ids[1], "--model-run", catalog.run_ids[0], "-o", str(out))  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stderr == b""  # no progress bar when stderr is not a terminal
    params = {k: v for k, v in EVERYTHING.items() if not k.startswith("all")}
    expected = await _worker_result(gql, client, params | {"projectIds": [catalog.project_ids[1]],
                                                           "modelRunIds": [catalog.run_ids[0]]})  # fmt: skip
    assert out.read_bytes() == expected
    assert not (tmp_path / "local.ndjson.errors.ndjson").exists()  # written only when there are error lines


async def test_local_export_with_a_filter_to_stdout(app: Starlette, settings: Settings, tmp_path: Path) -> None:
    catalog = await build("export", app.state.engine, app.state.organization_id, rows=6)
    spec = tmp_path / "filter.json"
    spec.write_text('{"globalKeys": ["gk-0000002", "gk-0000004"]}')
    done = cli("export", "--database-url", settings.database_url, "--filter", f"@{spec}")
    assert done.returncode == 0, done.stderr
    assert done.stdout.count(b"\n") == 2
    assert catalog.row_ids[2].encode() in done.stdout


def test_unknown_include_is_a_usage_error(settings: Settings) -> None:
    done = cli("export", "--database-url", settings.database_url, "--include", "colour")
    assert done.returncode == 2
    assert b"BAD_USER_INPUT: --include has unknown sections ['colour']" in done.stderr


async def test_server_export_downloads_the_task(
    app: Starlette,
    gql: GraphQLClient,
    client: httpx.AsyncClient,
    live_server: tuple[str, object],
    demo_key: str,
    tmp_path: Path,
) -> None:
    await build("export", app.state.engine, app.state.organization_id, rows=12)
    out = tmp_path / "remote.ndjson"
    done = cli("export", "--server", live_server[0], "--include", INCLUDE, "--all-projects", "--all-model-runs",
               "--api-key", demo_key, "-o", str(out))  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert out.read_bytes() == await _worker_result(gql, client, EVERYTHING)


async def test_server_export_on_a_terminal_shows_the_total_counted_by_the_task(
    app: Starlette, live_server: tuple[str, object], demo_key: str, tmp_path: Path
) -> None:
    """The task is queued when it is started, so its total is not known yet: the bar asks for it while it runs."""
    await build("export", app.state.engine, app.state.organization_id, rows=12)
    code, shown = on_terminal("export", "--server", live_server[0], "--api-key", demo_key, "-o", str(tmp_path / "o"))
    assert code == 0, shown
    assert "12/12 rows (100%)" in shown.splitlines()[-1]


async def test_import_command_reports_bad_lines(
    app: Starlette, gql: GraphQLClient, client: httpx.AsyncClient, tmp_path: Path
) -> None:
    await build("export", app.state.engine, app.state.organization_id, rows=2)
    lines = (await _worker_result(gql, client, EVERYTHING)).splitlines(keepends=True)
    source = tmp_path / "in.ndjson"
    source.write_bytes(lines[0] + b"[1]\n" + lines[1])
    target = f"sqlite+aiosqlite:///{tmp_path / 'target.db'}"
    done = cli("import", str(source), "--database-url", target)
    assert done.returncode == 1
    progress, built, *report = done.stderr.decode().splitlines()
    assert progress == "batch 1 committed: lines up to 3, 2 rows landed (2 in all)"
    assert built == BUILT
    assert report[0].startswith("imported 2 of 3 lines in ")
    assert report[1] == "line 2: the line has no data_row object: it is not an export line"
    again = cli("export", "--database-url", target, "--include", INCLUDE, "--all-projects", "--all-model-runs")
    assert again.stdout == lines[0] + lines[1]


def test_server_export_without_a_key_is_refused(live_server: tuple[str, object], tmp_path: Path) -> None:
    done = cli("export", "--server", live_server[0], "-o", str(tmp_path / "refused.ndjson"))
    assert done.returncode != 0
    assert b"401" in done.stderr or b"UNAUTHENTICATED" in done.stderr


async def test_local_export_in_the_beta_format_equals_the_worker_result(
    app: Starlette, gql: GraphQLClient, client: httpx.AsyncClient, settings: Settings, tmp_path: Path
) -> None:
    await build("export", app.state.engine, app.state.organization_id, rows=6)
    out = tmp_path / "beta.ndjson"
    done = cli("export", "--database-url", settings.database_url, "--include", INCLUDE, "--all-projects",
               "--all-model-runs", "--format", "LABELBOX_2023_BETA", "-o", str(out))  # fmt: skip
    assert done.returncode == 0, done.stderr
    expected = await _worker_result(gql, client, EVERYTHING | {"format": "LABELBOX_2023_BETA"})
    assert out.read_bytes() == expected and b'"model_runs":{"' in expected and b'"experiments"' not in expected
    refused = cli("export", "--database-url", settings.database_url, "--format", "COCO")
    assert refused.returncode == 2 and b"invalid choice: 'COCO'" in refused.stderr
