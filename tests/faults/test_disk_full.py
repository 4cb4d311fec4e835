"""Disk full while writing an export result (EXPORT_DIR on a tiny tmpfs we mount): the task fails with the reason,
the partial file is removed, the server keeps serving and exports again once there is room."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from server.export.tasks import errors_path, result_path
from server.settings import Settings, replace
from tests.factory import build
from tests.utils.client import EVERYTHING
from tests.utils.export_tasks import FIELDS, running, start_export

ROOM = 2048  # bytes left free: less than the first page (three rows with everything included)


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    mount = tmp_path / "tiny"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {done.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=True)


def _fill(disk: Path, leave: int) -> Path:
    filler = disk / "filler"
    stat = os.statvfs(disk)
    filler.write_bytes(b"\0" * (stat.f_bavail * stat.f_frsize - leave))
    return filler


async def test_disk_full_fails_the_task_and_the_server_keeps_serving(settings: Settings, tiny_disk: Path) -> None:
    settings = replace(settings, export_dir=tiny_disk / "exports")
    async with running(settings) as (app, gql, http):
        await build("export", app.state.engine, app.state.organization_id, rows=12)
        filler = _fill(tiny_disk, ROOM)
        task = await start_export(gql, EVERYTHING)
        failed = await gql.wait_export(task["id"], FIELDS)
        assert failed == {
            "status": "FAILED",
            "rowCount": 0,
            "errorCount": 0,
            "sha256": None,
            "failureReason": "writing the result failed (ENOSPC): [Errno 28] No space left on device; "
            "the partial file was removed",
        }
        assert not result_path(settings.export_dir, task["id"]).exists()
        assert not errors_path(settings.export_dir, task["id"]).exists()
        assert (await http.get("/healthz")).status_code == 200
        rows = await gql.data("{ dataRows(first: 2) { nodes { id } } }")
        assert len(rows["dataRows"]["nodes"]) == 2

        filler.unlink()
        again = await gql.wait_export((await start_export(gql, EVERYTHING))["id"], FIELDS)
    assert (again["status"], again["rowCount"]) == ("COMPLETE", 12)
