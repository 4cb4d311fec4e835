"""A test's child processes: a free port for one, waiting until it serves, its memory, stopping it for good."""

from __future__ import annotations

import socket
import subprocess
import time
from pathlib import Path

import httpx


def stop(proc: subprocess.Popen[bytes], grace: float = 30.0) -> int:
    """SIGTERM, then SIGKILL if it is still running after `grace` seconds; its exit code.

    A server left running by a failed test keeps its database connections (and on PostgreSQL the locks of any open
    transaction) and its export worker claims the next tests' tasks: every later test on that database fails."""
    if proc.poll() is None:
        proc.terminate()
    try:
        return proc.wait(grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        return proc.wait()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_ready(url: str) -> None:
    """Return once `url`/healthz answers 200 (about ten seconds at most)."""
    for _ in range(200):
        try:
            if httpx.get(url + "/healthz").status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.05)
    raise AssertionError("server did not start")


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")
