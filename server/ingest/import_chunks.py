"""Raw NDJSON lines → one batch of records: `ndjson.import_lines` runs this in a worker process while the previous
batch is written. The result is flat (records per table, each with the index of its line), so it pickles cheaply:
a record per table row, not an object tree per line."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Any

import orjson

from server.ingest.import_rows import LineError, LineRows, convert_line
from server.ingest.import_tables import Key, RecordMaker, Tables

Shared = dict[str, dict[str, dict[str, Any]]]  # table → id → record


@dataclass
class Chunk:
    """A batch: bad lines with their reason; per good line (by index) its number, data row id and global key."""

    last_line: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)
    numbers: list[int] = field(default_factory=list)
    row_ids: list[str] = field(default_factory=list)
    global_keys: list[str | None] = field(default_factory=list)
    tables: Tables = field(default_factory=dict)  # every good line's records, in line order
    owners: dict[Key, list[int]] = field(default_factory=dict)  # the line index of each record
    shared: Shared = field(default_factory=dict)  # shared records (projects, schemas, ...), first seen wins
    users: dict[tuple[str, str], list[int]] = field(default_factory=dict)  # (table, id) → lines needing it
    orders: list[dict[str, list[str]]] = field(default_factory=list)  # ordering hints, in line order

    def select(self, lines: set[int]) -> Tables:
        """The records of these lines."""
        selected: Tables = {}
        for key, records in self.tables.items():
            kept = [r for r, owner in zip(records, self.owners[key], strict=True) if owner in lines]
            if kept:
                selected[key] = kept
        return selected


def parse_line(raw: bytes, org: str, dataset: str) -> LineRows | str:
    try:
        return convert_line(orjson.loads(raw), org, dataset)
    except orjson.JSONDecodeError as exc:
        return f"not valid JSON: {exc}"
    except LineError as exc:
        return str(exc)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        return f"not an Export v2 line ({type(exc).__name__}: {exc})"


@cache
def _maker(drivername: str) -> RecordMaker:
    return RecordMaker(drivername)


def convert_chunk(raw: list[tuple[int, bytes]], org: str, dataset: str, drivername: str) -> Chunk:
    """Numbered raw lines → their records, and the reason each bad line is refused."""
    chunk, maker = Chunk(last_line=raw[-1][0] if raw else 0), _maker(drivername)
    for number, text in raw:
        parsed = parse_line(text, org, dataset)
        if isinstance(parsed, str):
            chunk.errors.append((number, parsed))
        else:
            _add(chunk, maker, number, parsed)
    return chunk


def _add(chunk: Chunk, maker: RecordMaker, number: int, rows: LineRows) -> None:
    index = len(chunk.numbers)
    row = rows.rows["datarow"][0]
    chunk.numbers.append(number)
    chunk.row_ids.append(row["id"])
    chunk.global_keys.append(row["global_key"])
    chunk.orders.append({kind: ids for kind, ids in rows.orders.items() if ids})
    for key, records in maker.tables(rows.rows).items():
        chunk.tables.setdefault(key, []).extend(records)
        chunk.owners.setdefault(key, []).extend([index] * len(records))
    for table, shared in rows.shared.items():
        into = chunk.shared.setdefault(table, {})
        for record_id, record in shared.items():
            into.setdefault(record_id, record)
            chunk.users.setdefault((table, record_id), []).append(index)
