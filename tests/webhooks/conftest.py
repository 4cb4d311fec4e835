"""Webhook tests: a real HTTP receiver on loopback (aiohttp) that verifies every message with the `standardwebhooks`
library and answers as each test scripts it; apps allowed to call loopback, with short timeouts and retries."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from server.settings import Settings, replace
from tests.webhooks.receiver import Receiver, start_receiver


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return replace(
        settings,
        webhook_allowed_networks=("127.0.0.0/8",),
        webhook_timeout_seconds=1.0,
        webhook_retry_seconds=0.2,
        webhook_max_attempts=3,
    )


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    hook = Receiver()
    runner = await start_receiver(hook)
    try:
        yield hook
    finally:
        await runner.cleanup()
