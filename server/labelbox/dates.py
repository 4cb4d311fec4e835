"""The SDK's date filter values ("YYYY-MM-DD", "YYYY-MM-DD hh:mm:ss", "YYYY-MM-DDThh:mm:ss+hhmm") → ISO UTC."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from server.errors import bad_input
from server.timefmt import iso

FORMATS = ("%Y-%m-%d", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S%z")

# The SDK's range operators → our DateTimeRange keys (BETWEEN carries {"min", "max"}).
OPERATORS = {"GREATER_THAN_OR_EQUAL": "gte", "LESS_THAN_OR_EQUAL": "lte"}


def _zone(name: Any, path: str) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError, TypeError) as exc:
        raise bad_input(f"{path}.timezone {name!r} is not an IANA time zone (UTC, Europe/Paris).", path) from exc


def to_iso(text: Any, zone_name: Any, path: str) -> str:
    """One SDK date string, read in `zone_name` unless it carries its own offset, as our ISO UTC timestamp."""
    for fmt in FORMATS:
        try:
            parsed = datetime.strptime(str(text), fmt)
        except ValueError:
            continue
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=_zone(zone_name, path))
        return iso(parsed)
    raise bad_input(f"{path}: {text!r} is not YYYY-MM-DD, YYYY-MM-DD hh:mm:ss or YYYY-MM-DDThh:mm:ss+hhmm.", path)


def date_range(value: Any, path: str) -> dict[str, str]:
    """The SDK's `{"operator", "timezone", "value"}` → {"gte"/"lte": ISO}; both ends inclusive, as the SDK documents."""
    if not isinstance(value, dict):
        raise bad_input(f"{path} must be an object with operator, timezone and value.", path)
    operator, zone, bound = value.get("operator"), value.get("timezone"), value.get("value")
    if operator == "BETWEEN" and isinstance(bound, dict):
        return {"gte": to_iso(bound.get("min"), zone, path), "lte": to_iso(bound.get("max"), zone, path)}
    if operator in OPERATORS:
        return {OPERATORS[operator]: to_iso(bound, zone, path)}
    known = ", ".join(["BETWEEN", *OPERATORS])
    raise bad_input(f"{path}.operator {operator!r} is not supported here; use one of {known}.", path)


def sdk_datetime(value: datetime | str | None) -> str | None:
    """A stored timestamp in the one form the SDK parses (`%Y-%m-%dT%H:%M:%S.%fZ`)."""
    text = iso(value)
    return None if text is None else text.removesuffix("+00:00") + "Z"
