"""Run the registered benchmarks and print one Markdown table: `python -m bench [--only NAME] [--rows N]`.

`--docs` also writes the table to docs/performance.md with the machine it ran on and the command (`make bench`
passes it): that page always holds the latest run, nothing older."""

from __future__ import annotations

import argparse
import asyncio
import importlib
import os
import pkgutil
import platform
import shlex
import sys
import time
from pathlib import Path

import bench
from bench.registry import BENCHMARKS, OPT_IN, Result

RESULTS_DIR = Path("bench-results")
DOCS_PAGE = Path("docs/performance.md")
DOCS_HEAD = """# Performance

The latest `make bench` run: every figure below comes from that one run (the page is rewritten by it, with
nothing kept from earlier runs). Figures vary with the machine and with what else runs on it; compare runs on one
machine. How each benchmark is taken is described in its module under `bench/`.

The `postgraphile` benchmark compares this server with PostGraphile 4.14 (and its connection-filter plugin) on the
same PostgreSQL catalog: a 100-row page of scalar fields, a 100-row page with details, metadata and labels, and a
filtered count, at 1, 8 and 32 clients, as ratios ours/PostGraphile of p50 latency and of requests/s. It needs Node
and npm (it installs PostGraphile from the npm registry into `.node-tools/` on first use, and is skipped, saying
why, without them) and a PostgreSQL server: `make bench BENCH_ARGS="--only postgraphile --database-url
postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"` (add `--rows 10000` for a smaller catalog than 100,000
rows; the catalog is kept as the database `bench_filters_<rows>` for later runs).
"""


def _load_modules() -> None:
    for info in pkgutil.iter_modules(bench.__path__):
        if info.name not in ("registry", "__main__"):
            importlib.import_module(f"bench.{info.name}")


def table(results: list[Result]) -> str:
    lines = ["| benchmark | case | engine | value | unit | note |", "|---|---|---|---:|---|---|"]
    lines += [f"| {r.benchmark} | {r.case} | {r.engine} | {r.value:,.2f} | {r.unit} | {r.note} |" for r in results]
    return "\n".join(lines)


async def main(args: argparse.Namespace) -> None:
    started = time.time()
    _load_modules()
    names = args.only or sorted(set(BENCHMARKS) - OPT_IN)
    results: list[Result] = []
    for name in names:
        results += await BENCHMARKS[name](args)
        print(table(results), flush=True)
    _save(table(results), docs_page(table(results), started) if args.docs else None)


def _save(text: str, page: str | None) -> None:
    RESULTS_DIR.mkdir(exist_ok=True)
    (RESULTS_DIR / "latest.md").write_text(text + "\n")
    if page is not None:
        DOCS_PAGE.write_text(page)


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in _lines("/proc/cpuinfo") if line.startswith("model name")), "")
    mem = next((line.split()[1] for line in _lines("/proc/meminfo") if line.startswith("MemTotal")), "0")
    load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    return (
        f"{os.cpu_count()} CPUs ({cpu or platform.machine()}), {int(mem) / 1024**2:.0f} GiB memory, "
        f"{platform.system()} {platform.release()}, Python {platform.python_version()}; load average at the end: {load}"
    )


def _lines(path: str) -> list[str]:
    try:
        return Path(path).read_text().splitlines()
    except OSError:
        return []


def docs_page(results: str, started: float) -> str:
    command = "python -m bench " + shlex.join(a for a in sys.argv[1:] if a != "--docs")
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(started))
    return (
        f"{DOCS_HEAD}\n- Command: `{command.strip()}` (through `make bench`)\n- Taken: {when}, "
        f"{(time.time() - started) / 60:.0f} min\n- Machine: {machine()}\n\n{results}\n"
    )


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--only", action="append", help="run only this benchmark (repeatable)")
    parser.add_argument("--rows", type=int, action="append", help="catalog sizes to use (repeatable)")
    parser.add_argument("--database-url", action="append", help="engines to measure (repeatable)")
    parser.add_argument("--docs", action="store_true", help=f"also write the table to {DOCS_PAGE}")
    return parser.parse_args()


if __name__ == "__main__":
    asyncio.run(main(parse_args()))
