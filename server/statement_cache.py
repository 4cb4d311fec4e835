"""SQLAlchemy's compiled-statement cache, bounded by the SQL it holds rather than by a number of entries.

A cached statement keeps its expression tree, cache key and compiled form: about 100 bytes per character of SQL
(measured: an `or` of 101 `createdAt` conditions, 5.7k characters of SQL, held 602 KiB). Our own statements are at
most ~3k characters (pages, counts, exports every section), but filters make shapes of any size: an `or` of 499
conditions compiles to ~28k characters, so 100 entries of them held tens of MB. Here the whole cache holds at most
MAX_CHARS of SQL (~6 MB), least recently used first out, and a statement over MAX_ENTRY_CHARS is compiled each time
it runs (its cost grows with the filter the client sent, which the node limit bounds)."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

MAX_CHARS = 64 * 1024
MAX_ENTRY_CHARS = 8 * 1024


class StatementCache:
    """The mapping SQLAlchemy reads with `get` and fills with `[key] = compiled` (its `compiled_cache` option)."""

    def __init__(self, max_chars: int = MAX_CHARS, max_entry_chars: int = MAX_ENTRY_CHARS) -> None:
        self.max_chars, self.max_entry_chars = max_chars, max_entry_chars
        self.chars = 0
        self._entries: OrderedDict[Any, tuple[Any, int]] = OrderedDict()

    def get(self, key: Any, default: Any = None) -> Any:
        entry = self._entries.get(key)
        if entry is None:
            return default
        self._entries.move_to_end(key)
        return entry[0]

    def __setitem__(self, key: Any, compiled: Any) -> None:
        size = len(compiled.string)
        if size > self.max_entry_chars:
            return
        old = self._entries.pop(key, None)
        self.chars += size - (old[1] if old else 0)
        self._entries[key] = (compiled, size)
        while self.chars > self.max_chars:
            _, (_, dropped) = self._entries.popitem(last=False)
            self.chars -= dropped

    def __len__(self) -> int:
        return len(self._entries)
