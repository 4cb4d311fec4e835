"""The rate limit the server processes of one `serve --workers N` share: one bucket per key in a file every process
maps, whatever limiter instance (process) spends from it."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from server.responses import RequestRejected
from server.shared_limits import SLOTS, SharedRateLimiter, SharedTable, bucket_file


@pytest.fixture
def table() -> Iterator[int]:
    fd = bucket_file()
    yield fd
    os.close(fd)


def test_two_limiters_on_one_table_spend_one_bucket_per_key(table: int) -> None:
    first = SharedRateLimiter(SharedTable(os.dup(table)), 1.0, 3)
    second = SharedRateLimiter(SharedTable(os.dup(table)), 1.0, 3)
    first.take("key-a", now=100.0)
    second.take("key-a", now=100.0)
    first.take("key-a", now=100.0)
    with pytest.raises(RequestRejected) as refused:
        second.take("key-a", now=100.0)
    assert refused.value.status == 429 and refused.value.headers == {"Retry-After": "1"}
    second.take("key-b", now=100.0)  # another key has its own bucket
    first.take("key-a", now=101.0)  # refilled at 1/s, in whichever process
    with pytest.raises(RequestRejected):
        second.take("key-a", now=101.0)


def test_a_full_table_shares_buckets_rather_than_forgetting_them(table: int) -> None:
    limiter = SharedRateLimiter(SharedTable(os.dup(table)), 1.0, 1)
    for index in range(SLOTS):
        limiter.take(f"key-{index}", now=0.0)
    with pytest.raises(RequestRejected):  # a key beyond the table spends from a bucket already empty
        limiter.take("one-more", now=0.0)


def test_a_rate_of_zero_is_off(table: int) -> None:
    limiter = SharedRateLimiter(SharedTable(os.dup(table)), 0.0, 1)
    for _ in range(5):
        limiter.take("key", now=0.0)
