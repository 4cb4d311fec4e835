"""ExportParams (the contract's option names, snake_case here) → RowPlan."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

from server.errors import bad_input
from server.loading.formats import DEFAULT_FORMAT, ExportFormat
from server.loading.plan import Included, RowPlan


@dataclass(frozen=True)
class ExportParams:
    data_row_details: bool = False
    media_attributes: bool = False
    attachments: bool = False
    metadata_fields: bool = False
    project_details: bool = False
    label_details: bool = False
    performance_details: bool = False
    predictions: bool = False
    embeddings: bool = False
    interpolated_frames: bool = False
    project_ids: tuple[str, ...] = ()
    model_run_ids: tuple[str, ...] = ()
    all_projects: bool = False
    all_model_runs: bool = False
    format: ExportFormat = DEFAULT_FORMAT

    def to_plan(self) -> RowPlan:
        """Each option named as a RowPlan section sets it (PLAN_SECTIONS); the others choose the scopes. An export
        reads every label of the projects and model runs it includes."""
        return RowPlan(
            **{name: getattr(self, name) for name in PLAN_SECTIONS},
            details=self.data_row_details,
            projects=Included(all=self.all_projects, ids=frozenset(self.project_ids)),
            project_labels=True,
            models=Included(all=self.all_model_runs, ids=frozenset(self.model_run_ids)),
            model_labels=True,
        )

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["project_ids"] = list(self.project_ids)
        data["model_run_ids"] = list(self.model_run_ids)
        data["format"] = str(self.format)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ExportParams:
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(data) - known)
        if unknown:
            raise bad_input(f"params has unknown options {unknown}; known: {sorted(known)}.", "params")
        clean = dict(data)
        for key in ("project_ids", "model_run_ids"):
            clean[key] = tuple(clean.get(key) or ())
        clean["format"] = _format(clean.get("format", DEFAULT_FORMAT))
        return cls(**clean)

    @classmethod
    def flags(cls) -> tuple[str, ...]:
        """The on/off options: the sections and `all_projects` / `all_model_runs`."""
        return tuple(k for k, f in cls.__dataclass_fields__.items() if f.type == "bool")

    @classmethod
    def everything(cls) -> ExportParams:
        """Every optional section on, every project and model run: what round trips need."""
        on: dict[str, Any] = dict.fromkeys(cls.flags(), True)  # the bool fields, named at run time
        return cls(**on)


PLAN_SECTIONS = tuple(f.name for f in fields(RowPlan) if f.name in {g.name for g in fields(ExportParams)})


def _format(value: str) -> ExportFormat:
    try:
        return ExportFormat(value)
    except ValueError:
        known = ", ".join(ExportFormat)
        raise bad_input(f"params.format {value!r} is not a format; use one of {known}.", "params.format") from None
