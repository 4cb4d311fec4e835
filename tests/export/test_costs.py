"""What an export costs in SQL (per page, never per row) and what the progress bar prints on a terminal."""

from __future__ import annotations

import io
import subprocess
import sys

from starlette.applications import Starlette

from server.export.progress import Progress
from tests.factory import build
from tests.utils.client import EVERYTHING, GraphQLClient
from tests.utils.export_tasks import start_export
from tests.utils.statements import count_statements


async def test_one_statement_per_related_table_per_page(app: Starlette, gql: GraphQLClient) -> None:
    await build("export", app.state.engine, app.state.organization_id, rows=12)
    with count_statements(app.state.engine) as counter:
        task = await start_export(gql, EVERYTHING)
        done = await gql.wait_export(task["id"], "status rowCount")
    assert done == {"status": "COMPLETE", "rowCount": 12}
    reads = counter.statements
    # one count, then 4 pages of 3 rows x (the page + attachments, metadata, embeddings, projects,
    # model runs, and project and model-run labels in one select, between the BEGIN and ROLLBACK of the page's
    # snapshot); slice lookups and per-row queries would add more
    assert len(reads) == 1 + 4 * (1 + 7 + 1)
    verbs = [statement.split()[0] for statement in reads]
    assert verbs.count("BEGIN") == verbs.count("ROLLBACK") == 4


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_on_a_terminal_and_silent_when_piped() -> None:
    shown, piped = Terminal(), io.StringIO()
    for stream in (shown, piped):
        bar = Progress(total=400, stream=stream)
        bar.add(100)
        bar.finish()
        assert bar.rows == 100
    assert piped.getvalue() == ""
    last = shown.getvalue().rstrip().split("\r")[-1]
    assert last.startswith("100/400 rows (25%) |") and " rows/s  ETA " in last


def test_a_total_counted_later_is_asked_for_while_shown() -> None:
    """A server task counts its rows once a worker takes it: a shown bar asks for the total at most once a refresh
    (and at the end), then shows the share; a piped one never asks."""
    asked: list[str] = []
    shown, piped = Terminal(), io.StringIO()
    for stream in (shown, piped):
        bar = Progress(stream=stream, lookup=lambda: asked.append("total") or 12)
        bar.add(2)
        bar.add(2)  # within one refresh of the first
        bar.finish()
    assert asked == ["total"] and piped.getvalue() == ""
    assert shown.getvalue().rstrip().split("\r")[-1].startswith("4/12 rows (33%) |")


def test_the_export_worker_process_does_not_load_numpy() -> None:
    """numpy (~20 MB resident) serves similarTo/search ranking only; the worker child loads it for a ranked export."""
    code = "import sys, server.export.worker_process; print('numpy' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout == "False\n"
