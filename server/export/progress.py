"""The export commands' progress bar on stderr (rows, rows/s, ETA): tqdm's, shown on a terminal, silent when piped."""

from __future__ import annotations

import io
import os
import sys
import time
from collections.abc import Callable
from typing import TextIO

from tqdm import tqdm

SIZE = (80, 24)  # columns and lines when the terminal does not tell its own (a pseudo-terminal of no size)
REFRESH = 0.2  # seconds between two redraws (and two asks for a total still unknown)
COUNTED = "{n:,}/{total:,} rows ({percentage:.0f}%) |{bar}| {rate_noinv_fmt}  ETA {remaining}"
UNCOUNTED = "{n:,} rows  {rate_noinv_fmt}  {elapsed}"


class Progress:
    def __init__(
        self, total: int | None = None, stream: TextIO | None = None, lookup: Callable[[], int | None] | None = None
    ) -> None:
        """`lookup` asks for the total while it is unknown (a server task counts it once it runs), at most once a
        refresh and only when the bar is shown."""
        stream = stream or sys.stderr
        columns, lines = _size(stream)
        self.bar = tqdm(
            total=total, file=stream, disable=not stream.isatty(), unit=" rows", mininterval=REFRESH,
            bar_format=COUNTED if total else UNCOUNTED, ncols=columns, nrows=lines,
        )  # fmt: skip
        self.lookup, self._asked, self.rows = lookup, time.monotonic(), 0

    def add(self, rows: int) -> None:
        self.rows += rows  # counted when the bar is off too (tqdm counts nothing then)
        if self._uncounted:
            self._count()
        self.bar.update(rows)

    @property
    def _uncounted(self) -> bool:
        """The bar is shown, its total still unknown, and there is a way to ask for it."""
        return not self.bar.disable and not self.bar.total and self.lookup is not None

    def _count(self) -> None:
        now = time.monotonic()
        if now - self._asked >= REFRESH:
            self._asked = now
            total = self.lookup() if self.lookup is not None else None
            if total:
                self.bar.total, self.bar.bar_format = total, COUNTED

    def finish(self) -> None:
        if self._uncounted:
            self._asked -= REFRESH
            self._count()
        self.bar.close()


def _size(stream: TextIO) -> tuple[int, int]:
    try:
        size = os.get_terminal_size(stream.fileno())
    except (OSError, ValueError, io.UnsupportedOperation):
        return SIZE
    return size.columns or SIZE[0], size.lines or SIZE[1]
