"""The server's listening socket, bound before anything else happens, so a busy port is the first thing reported."""

from __future__ import annotations

import socket


class PortInUse(Exception):
    def __init__(self, host: str, port: int, reason: str) -> None:
        super().__init__(
            f"cannot listen on {host}:{port}: {reason}. Another server (a `make run` still running?) may hold it: "
            f"stop that one, or pick another port with --port N (or PORT=N)."
        )


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on host:port (the first address it resolves to), or PortInUse."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        sock = socket.socket(family, kind, proto)
    except OSError as exc:
        raise PortInUse(host, port, exc.strerror or str(exc)) from exc
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does: TIME_WAIT is not "in use"
        sock.bind(address)
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        raise PortInUse(host, port, exc.strerror or str(exc)) from exc
    return sock
