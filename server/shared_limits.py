"""State the server processes of one `serve --workers N` share, in an unnamed file each of them maps into memory:
the per-key token buckets of RATE_LIMIT_PER_SECOND (`SLOTS` keys; a key beyond them shares a bucket), read and
written under an exclusive lock of the file, and the generation of API key revocations (server.auth.key_cache).
Times are CLOCK_MONOTONIC, one clock for every process of the machine."""

from __future__ import annotations

import fcntl
import hashlib
import mmap
import os
import struct
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager

from server.limits import spend

SLOTS = 4096
SLOT = struct.Struct("<16sdd")  # the key's digest (zeros: a free slot), its tokens, when they were counted
EMPTY = bytes(16)
GENERATION = struct.Struct("<Q")  # after the slots: how many times a process revoked API keys
GENERATION_AT = SLOTS * SLOT.size
SIZE = GENERATION_AT + GENERATION.size


def bucket_file() -> int:
    """The descriptor of a new, empty table in a file no directory names: nothing is left behind, however its
    processes end (the supervisor hands the descriptor to each server process it starts)."""
    with tempfile.TemporaryFile(prefix="catalog-export-rates-") as handle:
        handle.truncate(SIZE)
        return os.dup(handle.fileno())


class SharedTable:
    """The shared file open as descriptor `fd` (this table owns it), mapped whole."""

    def __init__(self, fd: int) -> None:
        self._file = os.fdopen(fd, "r+b")
        self.map = mmap.mmap(self._file.fileno(), SIZE)

    @contextmanager
    def locked(self) -> Iterator[mmap.mmap]:
        fcntl.flock(self._file, fcntl.LOCK_EX)
        try:
            yield self.map
        finally:
            fcntl.flock(self._file, fcntl.LOCK_UN)


class SharedRateLimiter:
    """RateLimiter's `take` over the shared table."""

    def __init__(self, table: SharedTable, per_second: float, burst: int) -> None:
        self.per_second, self.burst = per_second, burst
        self._table = table

    def take(self, key: str, now: float | None = None) -> None:
        if self.per_second <= 0:
            return
        now = time.monotonic() if now is None else now
        digest = hashlib.blake2b(key.encode(), digest_size=16).digest()
        with self._table.locked() as table:
            offset, tokens, last = self._find(table, digest, now)
            SLOT.pack_into(table, offset, digest, spend(self.per_second, self.burst, tokens, now - last), now)

    def _find(self, table: mmap.mmap, digest: bytes, now: float) -> tuple[int, float, float]:
        """The key's slot (or the free one it takes) and its bucket; a full table: the first slot probed."""
        start = int.from_bytes(digest[:8], "little") % SLOTS
        for probe in range(SLOTS):
            offset = (start + probe) % SLOTS * SLOT.size
            held, tokens, last = SLOT.unpack_from(table, offset)
            if held == digest:
                return offset, tokens, last
            if held == EMPTY:
                return offset, float(self.burst), now
        _, tokens, last = SLOT.unpack_from(table, start * SLOT.size)
        return start * SLOT.size, tokens, last


class SharedGeneration:
    """The key caches' revocation generation over the shared table: read without the lock (an aligned word that
    only grows; a read beside a bump is ordered before or after it), bumped under it."""

    def __init__(self, table: SharedTable) -> None:
        self._table = table

    def read(self) -> int:
        value: int = GENERATION.unpack_from(self._table.map, GENERATION_AT)[0]
        return value

    def bump(self) -> None:
        with self._table.locked() as table:
            GENERATION.pack_into(table, GENERATION_AT, GENERATION.unpack_from(table, GENERATION_AT)[0] + 1)
