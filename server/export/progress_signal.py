"""The signal readers following a running task wait on; the export worker and its child-process proxy raise it."""

from __future__ import annotations

import asyncio


class ProgressSignal:
    """What readers following a task wait on: `progressed` is set and replaced after each page and each finished task
    (`_notify`); `notifications` counts them, so a reader that saw the count change does not wait (a wake-up it
    missed while reading)."""

    def __init__(self) -> None:
        self.progressed = asyncio.Event()
        self.notifications = 0

    def _notify(self) -> None:
        self.notifications += 1
        self.progressed.set()
        self.progressed = asyncio.Event()
