"""Facet keys (`kind:name`) and their arrays: each kind's dtype and the value a row without it holds."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np

from server.models.facets import CHUNK_ROWS

# kind → dtype; a bool kind is set for the rows that have it, a number kind holds NaN where a row has no value, a
# count kind 0.
KINDS: dict[str, np.dtype] = {
    "live": np.dtype(np.bool_),  # the organization's rows that exist
    "media": np.dtype(np.bool_),  # media:<type>
    "dataset": np.dtype(np.bool_),  # dataset:<id>
    "has": np.dtype(np.bool_),  # has:<metadata schema id>: a value of the schema
    "multi": np.dtype(np.bool_),  # multi:<schema id>: more than one value (its number array cannot say which)
    "number": np.dtype(np.float64),  # number:<schema id>
    "datetime": np.dtype(np.float64),  # datetime:<schema id>, microseconds since 1970 (exact below 2^53)
    "option": np.dtype(np.bool_),  # option:<enum option id>
    "feature": np.dtype(np.uint32),  # feature:<feature schema id>: instances in labels and predictions
    "featureName": np.dtype(np.uint32),  # featureName:<name>: the same summed over the schemas of that name
    "project": np.dtype(np.uint8),  # project:<id>: 1 + the workflow status's index, 0 outside the project
    "status": np.dtype(np.bool_),  # status:<workflow status>: in some project with that status
    "run": np.dtype(np.bool_),  # run:<model run id>
}
EPOCH = datetime(1970, 1, 1)


def key(kind: str, name: str = "") -> str:
    assert kind in KINDS, kind
    return f"{kind}:{name}"


def dtype(facet: str) -> np.dtype:
    return KINDS[facet.split(":", 1)[0]]


def empty(facet: str) -> np.ndarray:
    """The array of a chunk where no row has the facet."""
    kind = dtype(facet)
    return np.full(CHUNK_ROWS, np.nan) if kind.kind == "f" else np.zeros(CHUNK_ROWS, kind)


def micros(value: datetime) -> float:
    """A datetime (naive UTC, or aware) as microseconds since 1970: the datetime kind's value."""
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    delta = value - EPOCH
    return float((delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds)
