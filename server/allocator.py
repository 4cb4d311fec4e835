"""glibc's allocator, set for a long-running process before it starts its threads.

By default glibc gives each thread that meets contention an arena of its own (up to 8 per core) and raises its
threshold for mapping large blocks each time one is freed. A server whose SQLite connections each run on a thread and
whose requests now and then parse a megabyte of variables then keeps freed memory in many fragmented heaps: in a 60 s
fuzz of both endpoints RSS rose ~1 MB every 4 s. With two arenas and a fixed 128 KiB mapping threshold (large
blocks go back to the system when freed) the rise is a fraction of that once the caches fill. Values an operator
sets in the environment win; the same variables reach the processes this one starts."""

from __future__ import annotations

import ctypes
import os

# environment variable (read by glibc at start-up) -> (mallopt parameter, value)
TUNING: dict[str, tuple[int, int]] = {
    "MALLOC_ARENA_MAX": (-8, 2),  # M_ARENA_MAX
    "MALLOC_MMAP_THRESHOLD_": (-3, 128 * 1024),  # M_MMAP_THRESHOLD (set, it no longer grows)
}


def tune() -> None:
    """Apply TUNING to this process (glibc only; elsewhere a no-op) and pass it on to child processes."""
    libc = _glibc()
    for name, (parameter, default) in TUNING.items():
        value = os.environ.setdefault(name, str(default))
        if libc is not None and value.isdigit():
            libc.mallopt(parameter, int(value))


def _glibc() -> ctypes.CDLL | None:
    """The C library this process runs on, if it is glibc (the symbols of the process itself: no library search,
    which on Linux runs `ldconfig -p` in a subprocess)."""
    try:
        if not os.confstr("CS_GNU_LIBC_VERSION"):
            return None
    except (AttributeError, ValueError, OSError):  # not glibc (musl, macOS) or no confstr (Windows)
        return None
    return ctypes.CDLL(None)
