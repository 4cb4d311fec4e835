"""Benchmark registry: name → async function(args) returning result rows. Modules add themselves here."""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Result:
    benchmark: str
    case: str
    value: float
    unit: str
    engine: str = "sqlite"
    note: str = ""


Benchmark = Callable[[argparse.Namespace], Awaitable[list[Result]]]
BENCHMARKS: dict[str, Benchmark] = {}
OPT_IN: set[str] = set()  # run only when named with --only (they take many minutes)


def register(name: str, opt_in: bool = False) -> Callable[[Benchmark], Benchmark]:
    def wrap(fn: Benchmark) -> Benchmark:
        BENCHMARKS[name] = fn
        if opt_in:
            OPT_IN.add(name)
        return fn

    return wrap
