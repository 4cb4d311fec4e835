"""What `make run` starts, in its own process: the demo catalog seeded as it seeds it (2,000 rows), `serve --dev`.

One per test session (`dev_server`), shared by the browser, CLI and documentation tests, which only read from it
(or start exports). A package uses it by importing the fixture into its conftest.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from server.settings import Settings
from tests.faults.processes import CLI, cli_env, run_cli
from tests.utils.process import free_port, stop, wait_ready


@dataclass(frozen=True)
class DevServer:
    url: str
    settings: Settings
    process: subprocess.Popen[bytes]
    log: Path

    def stderr(self) -> str:
        return self.log.read_text()

    @property
    def key(self) -> str:
        """The demo key the server printed."""
        return self.stderr().split("Headers tab): ", 1)[1].split()[0]


DEMO_ROWS = 2000  # what `make run` seeds


@contextmanager
def started_dev_server(directory: Path) -> Iterator[DevServer]:
    """`catalog-export seed --rows 2000` then `serve --dev` on a free loopback port, in `directory`."""
    settings = Settings(database_url=f"sqlite+aiosqlite:///{directory / 'catalog.db'}", export_dir=directory / "x")
    run_cli(settings, "seed", "--rows", str(DEMO_ROWS))
    port = free_port()
    log = directory / "serve.log"
    with log.open("wb") as err:
        cmd = [*CLI, "serve", "--dev", "--port", str(port)]
        # receivers on this machine are allowed, as the webhook example of docs/deployment.md says to
        env = cli_env(settings, WEBHOOK_ALLOWED_NETWORKS="127.0.0.0/8")
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=err)
    url = f"http://127.0.0.1:{port}"
    try:
        try:
            wait_ready(url)
        except AssertionError as exc:
            raise AssertionError(f"serve --dev did not start: {log.read_text()}") from exc
        yield DevServer(url, settings, proc, log)
    finally:
        stop(proc)


@pytest.fixture(scope="session")
def dev_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevServer]:
    """The demo server the read-only tests share."""
    with started_dev_server(tmp_path_factory.mktemp("dev")) as server:
        yield server
