"""The one timestamp format of every export line: millisecond UTC, `2024-01-31T12:00:00.000+00:00`."""

from __future__ import annotations

from datetime import UTC, datetime


def iso(value: datetime | str | None) -> str | None:
    """Format a stored timestamp (a datetime, or the text SQLite hands back) identically on every engine."""
    if value.__class__ is datetime and value.tzinfo is None:  # PostgreSQL's timestamps: the common case first
        # isoformat() without `timespec` costs ~40% of isoformat(timespec="milliseconds") (no keyword parsing);
        # it prints 6 fraction digits, or none when there are no microseconds. Cut to 3: truncated, as timespec does.
        text = value.isoformat()
        return text[:23] + "+00:00" if len(text) == 26 else text + ".000+00:00"
    if value is None:
        return None
    if isinstance(value, str) and len(value) == 26 and value[10] == " ":
        return value[:10] + "T" + value[11:23] + "+00:00"  # SQLite's stored text: no parsing per row
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.isoformat(timespec="milliseconds") + "+00:00"


def parse_iso(value: str) -> datetime:
    """Parse an ISO timestamp from user input or an export line into naive UTC."""
    if value.endswith("+00:00") and (utc := datetime.fromisoformat(value[:-6])).tzinfo is None:
        return utc  # every export line's format: no time zone arithmetic
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    return parsed
