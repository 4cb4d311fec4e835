"""Facet keys (`kind:name`) and their arrays: each kind's dtype and the value a row without it holds. numpy is
imported where arrays are made: the export worker process plans counts without loading it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from server.filters.leaves.project import WORKFLOW_STATUSES
from server.models.facets import CHUNK_ROWS

if TYPE_CHECKING:
    import numpy as np

# kind → dtype; a bool kind is set for the rows that have it, a number kind holds NaN where a row has no value, a
# count kind 0.
KINDS: dict[str, str] = {
    "live": "bool",  # the organization's rows that exist
    "media": "bool",  # media:<type>
    "dataset": "bool",  # dataset:<id>
    "has": "bool",  # has:<metadata schema id>: a value of the schema
    "multi": "bool",  # multi:<schema id>: more than one value (its number array cannot say which)
    "number": "float64",  # number:<schema id>
    "datetime": "float64",  # datetime:<schema id>, microseconds since 1970 (exact below 2^53)
    "option": "bool",  # option:<enum option id>
    "feature": "uint32",  # feature:<feature schema id>: instances in labels and predictions
    "featureName": "uint32",  # featureName:<name>: the same summed over the schemas of that name
    "project": "uint8",  # project:<id>: 1 + the workflow status's index, 0 outside the project
    "status": "bool",  # status:<workflow status>: in some project with that status
    "labeled": "bool",  # labeled:<project id>: a label in that project
    "batch": "bool",  # batch:<project id>/<batch id>: in that batch of that project
    "labeledIn": "bool",  # labeledIn:<workflow status, or *>: in a project with that status, with a label there
    "unlabeledIn": "bool",  # unlabeledIn:<workflow status, or *>: the same without a label there
    "run": "bool",  # run:<model run id>
}
ANY_STATUS = "*"
EPOCH = datetime(1970, 1, 1)
STATUS_CODES = {status: code for code, status in enumerate(WORKFLOW_STATUSES, 1)}  # the project kind's values


def batch_key(project_id: str, batch_id: str) -> str:
    return key("batch", f"{project_id}/{batch_id}")


def key(kind: str, name: str = "") -> str:
    assert kind in KINDS, kind
    return f"{kind}:{name}"


def dtype(facet: str) -> str:
    return KINDS[facet.split(":", 1)[0]]


def empty(facet: str) -> np.ndarray:
    """The array of a chunk where no row has the facet."""
    import numpy as np

    kind = np.dtype(dtype(facet))
    return np.full(CHUNK_ROWS, np.nan) if kind.kind == "f" else np.zeros(CHUNK_ROWS, kind)


def micros(value: datetime) -> float:
    """A datetime (naive UTC, or aware) as microseconds since 1970: the datetime kind's value."""
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    delta = value - EPOCH
    return float((delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds)
