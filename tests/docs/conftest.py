"""The documentation's examples run against a demo server of their own (their mutations write to it)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.utils.dev_server import DevServer, started_dev_server


@pytest.fixture(scope="module")
def docs_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevServer]:
    with started_dev_server(tmp_path_factory.mktemp("docs")) as server:
        yield server
