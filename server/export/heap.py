"""The cyclic GC of a process that exports (the worker process, `catalog-export export` run locally).

A page allocates ~5 tracked containers a row (the line's dicts: 10,013 for 2,000 rows of details and media
attributes), so the default GC ran every ~140 rows and each run walked every object of the process. Objects from
start-up are frozen out of it, and a collection waits for 100,000 more container allocations than frees: more than
the two pages an export holds, so a page's lines are freed before any collection walks them. At 10,000 the GC still
ran at about every page (456 young, 41 middle and 3 full collections for 1M rows, 0.7-1.0 s of CPU on SQLite); at
100,000 not once. Export lines hold no cycles, so nothing waits longer to be freed; what other code leaves in cycles
is collected after at most 100,000 allocations.
"""

from __future__ import annotations

import gc

GC_THRESHOLD = 100_000


def tune_for_export() -> None:
    gc.freeze()
    gc.set_threshold(GC_THRESHOLD)
