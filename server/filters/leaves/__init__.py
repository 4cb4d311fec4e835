"""LEAVES: every DataRowFilter field → its LeafSpec (relations compile to semi-join subqueries, never joins)."""

from server.filters.leaves.annotation import ANNOTATION_LEAVES
from server.filters.leaves.columns import COLUMN_LEAVES
from server.filters.leaves.metadata import METADATA_LEAVES
from server.filters.leaves.project import PROJECT_LEAVES
from server.filters.leaves.ranking import RANKING_LEAVES
from server.filters.leaves.spec import LeafSpec, T

LEAVES: dict[str, LeafSpec] = COLUMN_LEAVES | METADATA_LEAVES | ANNOTATION_LEAVES | PROJECT_LEAVES | RANKING_LEAVES

__all__ = ["LEAVES", "LeafSpec", "T"]
