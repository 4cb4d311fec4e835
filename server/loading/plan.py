"""RowPlan: what to read for a page of data rows, from a GraphQL selection or ExportParams; merges with `|`."""

from __future__ import annotations

from dataclasses import dataclass, field, fields

from server.loading.formats import DEFAULT_FORMAT, ExportFormat


@dataclass(frozen=True)
class Included:
    """Which projects or model runs a row's lines include: all of them, or the listed ids (empty and not all = none).
    Not the rows a request means: that is server.query.scope.Scope."""

    all: bool = False
    ids: frozenset[str] = field(default_factory=frozenset)

    def __or__(self, other: Included) -> Included:
        return Included(all=self.all or other.all, ids=self.ids | other.ids)

    @property
    def empty(self) -> bool:
        return not self.all and not self.ids


@dataclass(frozen=True)
class RowPlan:
    """Flags name export sections; `projects`/`models` say which are included; `*_labels` whether labels are read;
    `format` names the line envelope (server.loading.formats)."""

    details: bool = False
    media_attributes: bool = False
    attachments: bool = False
    metadata_fields: bool = False
    embeddings: bool = False
    projects: Included = field(default_factory=Included)
    project_labels: bool = False
    label_details: bool = False
    performance_details: bool = False
    project_details: bool = False
    models: Included = field(default_factory=Included)
    model_labels: bool = False
    predictions: bool = False
    interpolated_frames: bool = False
    format: ExportFormat = DEFAULT_FORMAT

    def __or__(self, other: RowPlan) -> RowPlan:
        if self.format != other.format:
            raise ValueError(f"plans of two formats do not merge: {self.format} and {other.format}")
        merged = {f.name: getattr(self, f.name) | getattr(other, f.name) for f in fields(self) if f.name != "format"}
        return RowPlan(**merged, format=self.format)
