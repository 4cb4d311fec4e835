"""A running server's process tree read from /proc: its children, and which process holds a TCP connection."""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable
from pathlib import Path


def children(pid: int) -> set[int]:
    """The live child processes of `pid`, without multiprocessing's resource tracker."""
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        found.update(int(child) for child in (task / "children").read_text().split())
    return {child for child in found if b"resource_tracker" not in _cmdline(child) and alive(child)}


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def alive(pid: int) -> bool:
    """Running (not gone, not a zombie waiting for its parent)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def listeners(pid: int, port: int) -> set[int]:
    """The children of `pid` holding the listening socket on `port` (the server processes)."""
    inodes = _inodes(port, state="0A")
    return {child for child in children(pid) if _sockets(child) & inodes}


def owner(pid: int, server_port: int, client_port: int) -> int:
    """Which child of `pid` holds the server end of the connection from `client_port`."""
    inodes = _inodes(server_port, state="01", remote=client_port)
    owners = [child for child in children(pid) if _sockets(child) & inodes]
    assert len(owners) == 1, (owners, client_port)
    return owners[0]


def _inodes(port: int, state: str, remote: int | None = None) -> set[str]:
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            local_port = int(fields[1].rsplit(":", 1)[1], 16)
            remote_port = int(fields[2].rsplit(":", 1)[1], 16)
            if local_port == port and fields[3] == state and remote in (None, remote_port):
                found.add(fields[9])
    return found


def _sockets(pid: int) -> set[str]:
    inodes = set()
    try:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    except OSError:
        pass
    return inodes


def ask(port: int, path: str = "/healthz") -> socket.socket:
    """A connection that has been answered and is kept open (its server end stays with the process that accepted)."""
    conn = socket.create_connection(("127.0.0.1", port), timeout=30)
    conn.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    answer = b""
    while b"\r\n\r\n" not in answer:
        answer += conn.recv(65536)
    assert answer.startswith(b"HTTP/1.1 200"), answer[:200]
    return conn


def wait_for(check: Callable[[], bool], seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.1)
