"""iso(): one format for every engine's timestamps, whatever the input's precision or time zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from server.timefmt import iso, parse_iso

ZONES = st.sampled_from([UTC, timezone(timedelta(hours=5, minutes=30)), timezone(timedelta(hours=-8))])


def expected(value: datetime) -> str:
    """The definition: UTC, milliseconds truncated, `+00:00`."""
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.isoformat(timespec="milliseconds") + "+00:00"


@given(st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)))
def test_naive_datetimes_with_and_without_microseconds(value: datetime) -> None:
    assert iso(value) == expected(value)
    assert iso(value.replace(microsecond=0)) == expected(value.replace(microsecond=0))


@given(st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=ZONES))
def test_aware_datetimes_are_given_in_utc(value: datetime) -> None:
    assert iso(value) == expected(value)


@given(st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)))
def test_sqlite_text_and_parsed_lines_round_trip(value: datetime) -> None:
    stored = value.isoformat(" ", timespec="microseconds")  # the text SQLAlchemy's SQLite DateTime stores
    assert iso(stored) == expected(value)
    assert iso(parse_iso(iso(value))) == iso(value)


def test_exact_strings() -> None:
    assert iso(datetime(2024, 1, 31, 12, 0)) == "2024-01-31T12:00:00.000+00:00"
    assert iso(datetime(2024, 1, 31, 12, 0, 0, 999999)) == "2024-01-31T12:00:00.999+00:00"
    assert iso(datetime(5, 1, 31, 12, 0, 0, 1000)) == "0005-01-31T12:00:00.001+00:00"
    assert iso(None) is None
