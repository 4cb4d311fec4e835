"""Fault tests: short leases (reclaims in a second), small pages, and a TCP proxy that can cut the database off."""

from __future__ import annotations

import pytest

from server.settings import Settings, replace


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Three rows a page (a 12-row catalog is four checkpoints), a one-second lease, a short SQLite lock wait."""
    return replace(settings, export_page_size=3, export_lease_seconds=1.0, sqlite_busy_timeout_ms=200)
