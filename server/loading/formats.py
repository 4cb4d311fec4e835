"""The line formats an export writes: one registry of envelope key names, the annotation shapes shared by all.

`LABELBOX` is the format Labelbox emits today (`projects.<id>.name`, `experiments.<model>.runs.<run>`);
`LABELBOX_2023_BETA` is the envelope of the June 2023 beta document (`project_name`, `models.<model>.model_runs`).
Everything inside a label (annotations, details) and the data row sections are the same in both.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ExportFormat(StrEnum):
    LABELBOX = "LABELBOX"
    LABELBOX_2023_BETA = "LABELBOX_2023_BETA"


@dataclass(frozen=True)
class Envelope:
    """Key names of the parts that differ between formats."""

    row_keys: tuple[str, ...]  # data_row's own keys, in order (details follows)
    unset_left_out: frozenset[str]  # data_row keys left out when NULL instead of written as null
    project_name: str  # a project's name inside projects.<id>
    models: str  # the top-level map of models
    model_name: str
    runs: str  # a model's map of runs
    run_name: str
    run_row_id: str  # the model run data row's id


ENVELOPES: dict[ExportFormat, Envelope] = {
    ExportFormat.LABELBOX: Envelope(
        row_keys=("id", "global_key", "external_id", "row_data"),
        unset_left_out=frozenset({"global_key", "external_id"}),
        project_name="name",
        models="experiments",
        model_name="name",
        runs="runs",
        run_name="name",
        run_row_id="run_data_row_id",
    ),
    ExportFormat.LABELBOX_2023_BETA: Envelope(
        row_keys=("id", "external_id", "global_key", "row_data"),
        unset_left_out=frozenset(),
        project_name="project_name",
        models="models",
        model_name="model_name",
        runs="model_runs",
        run_name="model_run_name",
        run_row_id="annotation_group_id",
    ),
}
DEFAULT_FORMAT = ExportFormat.LABELBOX


def envelope(fmt: ExportFormat) -> Envelope:
    return ENVELOPES[fmt]
