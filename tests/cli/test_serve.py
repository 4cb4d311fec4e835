"""A second `catalog-export serve --dev` on a busy port: one line, a non-zero exit, the running server untouched."""

from __future__ import annotations

import subprocess

import httpx

from tests.faults.processes import CLI, cli_env
from tests.utils.dev_server import DevServer

ROWS = {"query": "{ dataRows(first: 1) { totalCount } }"}


def test_a_second_server_on_a_busy_port_changes_nothing(dev_server: DevServer) -> None:
    port = dev_server.url.rsplit(":", 1)[1]
    second = [*CLI, "serve", "--dev", "--port", port]
    done = subprocess.run(second, env=cli_env(dev_server.settings), capture_output=True, timeout=60)
    assert done.returncode == 1
    assert done.stderr.decode().splitlines() == [
        f"catalog-export serve: cannot listen on 127.0.0.1:{port}: Address already in use. Another server (a `make run`"
        " still running?) may hold it: stop that one, or pick another port with --port N (or PORT=N)."
    ]
    headers = {"Authorization": f"Bearer {dev_server.key}"}
    answer = httpx.post(dev_server.url + "/graphql", json=ROWS, headers=headers, timeout=30)
    assert answer.status_code == 200 and answer.json() == {"data": {"dataRows": {"totalCount": 2000}}}
