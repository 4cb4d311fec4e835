"""The per-key token buckets of RATE_LIMIT_PER_SECOND shared by the server processes of one `serve --workers N`: a
table in an unnamed file each of them maps into memory (`SLOTS` keys; a key beyond them shares a bucket), read and
written under an exclusive lock of the file. Times are CLOCK_MONOTONIC, one clock for every process of the
machine."""

from __future__ import annotations

import fcntl
import hashlib
import mmap
import os
import struct
import tempfile
import time

from server.limits import spend

SLOTS = 4096
SLOT = struct.Struct("<16sdd")  # the key's digest (zeros: a free slot), its tokens, when they were counted
EMPTY = bytes(16)


def bucket_file() -> int:
    """The descriptor of a new, empty table in a file no directory names: nothing is left behind, however its
    processes end (the supervisor hands the descriptor to each server process it starts)."""
    with tempfile.TemporaryFile(prefix="catalog-export-rates-") as handle:
        handle.truncate(SLOTS * SLOT.size)
        return os.dup(handle.fileno())


class SharedRateLimiter:
    """RateLimiter's `take` over the shared table open as descriptor `fd` (this limiter owns it)."""

    def __init__(self, fd: int, per_second: float, burst: int) -> None:
        self.per_second, self.burst = per_second, burst
        self._file = os.fdopen(fd, "r+b")
        self._map = mmap.mmap(self._file.fileno(), SLOTS * SLOT.size)

    def take(self, key: str, now: float | None = None) -> None:
        if self.per_second <= 0:
            return
        now = time.monotonic() if now is None else now
        digest = hashlib.blake2b(key.encode(), digest_size=16).digest()
        fcntl.flock(self._file, fcntl.LOCK_EX)
        try:
            offset, tokens, last = self._find(digest, now)
            SLOT.pack_into(self._map, offset, digest, spend(self.per_second, self.burst, tokens, now - last), now)
        finally:
            fcntl.flock(self._file, fcntl.LOCK_UN)

    def _find(self, digest: bytes, now: float) -> tuple[int, float, float]:
        """The key's slot (or the free one it takes) and its bucket; a full table: the first slot probed."""
        start = int.from_bytes(digest[:8], "little") % SLOTS
        for probe in range(SLOTS):
            offset = (start + probe) % SLOTS * SLOT.size
            held, tokens, last = SLOT.unpack_from(self._map, offset)
            if held == digest:
                return offset, tokens, last
            if held == EMPTY:
                return offset, float(self.burst), now
        _, tokens, last = SLOT.unpack_from(self._map, start * SLOT.size)
        return start * SLOT.size, tokens, last
