"""Which URLs a webhook may call: http(s) only, and never a loopback, private, link-local or otherwise internal
address unless it lies in WEBHOOK_ALLOWED_NETWORKS. Checked when an endpoint is saved and again before every attempt
(the name may resolve elsewhere by then)."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit

from server.errors import bad_input

MAX_URL = 2000
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class UnsafeTarget(Exception):
    """The URL's host is (or resolves to) an address webhooks may not call."""


def check_url(url: str) -> str:
    """The URL's shape: absolute http(s) with a host, no credentials, at most MAX_URL characters; its host."""
    if len(url) > MAX_URL:
        raise bad_input(f"`url` is longer than {MAX_URL} characters.", "url")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise bad_input("`url` must be an http:// or https:// URL.", "url")
    if not parts.hostname:
        raise bad_input("`url` has no host.", "url")
    if parts.username or parts.password:
        raise bad_input("`url` must not carry a user name or password; sign with the webhook secret instead.", "url")
    try:
        parts.port  # noqa: B018 - raises on a malformed port
    except ValueError as exc:
        raise bad_input(f"`url` has a bad port: {exc}.", "url") from exc
    return parts.hostname


def _internal(address: Address) -> bool:
    return (
        address.is_loopback
        or address.is_private
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )


def allowed(address: Address, networks: tuple[str, ...]) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if not _internal(address):
        return True
    return any(address in ipaddress.ip_network(net, strict=False) for net in networks)


async def resolve_safe(url: str, networks: tuple[str, ...]) -> None:
    """UnsafeTarget when the URL's host resolves to any address webhooks may not call (or does not resolve)."""
    host = check_url(url)
    port = urlsplit(url).port or (443 if url.startswith("https") else 80)
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise UnsafeTarget(f"{host} does not resolve ({exc.strerror})") from exc
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%")[0])  # the host part, a str for IP sockets
        if not allowed(address, networks):
            raise UnsafeTarget(
                f"{host} resolves to {address}, an internal address; allow its network in WEBHOOK_ALLOWED_NETWORKS"
            )
