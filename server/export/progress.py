"""A one-line progress bar on stderr (rows, rows/s, ETA) when it is a terminal; silent when piped."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO

REFRESH = 0.2


class Progress:
    def __init__(
        self, total: int | None = None, stream: TextIO | None = None, lookup: Callable[[], int | None] | None = None
    ) -> None:
        """`lookup` asks for the total while it is unknown (a server task counts it once it runs), at most once a
        refresh and only when the bar is shown."""
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty()
        self.total, self.rows, self.lookup = total, 0, lookup
        self.start = self._shown = time.monotonic()

    def add(self, rows: int) -> None:
        self.rows += rows
        now = time.monotonic()
        if self.enabled and now - self._shown >= REFRESH:
            self._shown = now
            self.stream.write("\r" + self.line(now))
            self.stream.flush()

    def line(self, now: float) -> str:
        if self.total is None and self.lookup is not None:
            self.total = self.lookup()
        rate = self.rows / max(now - self.start, 1e-9)
        text = f"{self.rows:,} rows  {rate:,.0f} rows/s"
        if self.total:
            eta = (self.total - self.rows) / rate if rate else 0.0
            text = (
                f"{self.rows:,}/{self.total:,} rows ({self.rows / self.total:.0%})  {rate:,.0f} rows/s  ETA {eta:.0f}s"
            )
        return text.ljust(70)

    def finish(self) -> None:
        if self.enabled:
            self.stream.write("\r" + self.line(time.monotonic()) + "\n")
            self.stream.flush()
