"""Run the registered benchmarks and print one Markdown table: `python -m bench [--only NAME] [--rows N]`."""

from __future__ import annotations

import argparse
import asyncio
import importlib
import pkgutil
from pathlib import Path

import bench
from bench.registry import BENCHMARKS, OPT_IN, Result

RESULTS_DIR = Path("bench-results")


def _load_modules() -> None:
    for info in pkgutil.iter_modules(bench.__path__):
        if info.name not in ("registry", "__main__"):
            importlib.import_module(f"bench.{info.name}")


def table(results: list[Result]) -> str:
    lines = ["| benchmark | case | engine | value | unit | note |", "|---|---|---|---:|---|---|"]
    lines += [f"| {r.benchmark} | {r.case} | {r.engine} | {r.value:,.2f} | {r.unit} | {r.note} |" for r in results]
    return "\n".join(lines)


async def main(args: argparse.Namespace) -> None:
    _load_modules()
    names = args.only or sorted(set(BENCHMARKS) - OPT_IN)
    results: list[Result] = []
    for name in names:
        results += await BENCHMARKS[name](args)
        print(table(results), flush=True)
    _save(table(results))


def _save(text: str) -> None:
    RESULTS_DIR.mkdir(exist_ok=True)
    (RESULTS_DIR / "latest.md").write_text(text + "\n")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--only", action="append", help="run only this benchmark (repeatable)")
    parser.add_argument("--rows", type=int, action="append", help="catalog sizes to use (repeatable)")
    parser.add_argument("--database-url", action="append", help="engines to measure (repeatable)")
    return parser.parse_args()


if __name__ == "__main__":
    asyncio.run(main(parse_args()))
