"""Helpers for fault tests that run real `catalog-export` processes (and kill them)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from server.settings import Settings
from tests.utils.process import free_port, wait_ready

CLI = [sys.executable, "-m", "server.cli"]


def cli_env(settings: Settings, **extra: str) -> dict[str, str]:
    """The environment of a `catalog-export` process on `settings`' database; `serve` runs one server process (with
    its export worker child) unless the test asks for more (tests/cli/test_workers.py)."""
    database = {"DATABASE_URL": settings.database_url, "EXPORT_DIR": str(settings.export_dir)}
    return os.environ | {"SERVE_WORKERS": "1", **database, **extra}


def run_cli(settings: Settings, *args: str) -> str:
    """Run a sub-command to completion; its stdout."""
    done = subprocess.run([*CLI, *args], env=cli_env(settings), capture_output=True, check=True)
    return done.stdout.decode()


def serve(settings: Settings, port: int | None = None, **env: str) -> tuple[str, subprocess.Popen[bytes]]:
    """`catalog-export serve` on a loopback port, answering /healthz; (base url, process)."""
    port = port or free_port()
    cmd = [*CLI, "serve", "--host", "127.0.0.1", "--port", str(port)]
    proc = subprocess.Popen(cmd, env=cli_env(settings, **env), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(url)
    except AssertionError:
        proc.kill()
        raise
    return url, proc


def export_source(directory: Path, rows: int) -> Path:
    """An Export v2 NDJSON file of a seeded catalog (every line importable)."""
    source = Settings(database_url=f"sqlite+aiosqlite:///{directory / 'source.db'}", export_dir=directory)
    run_cli(source, "seed", "--rows", str(rows))
    out = directory / "source.ndjson"
    flags = "attachments,labelDetails,projectDetails,dataRowDetails,mediaAttributes"
    run_cli(source, "export", "--all-projects", "--all-model-runs", "--include", flags, "-o", str(out))
    return out
