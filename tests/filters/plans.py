"""What the plan tests look for in SQLite's query plans."""

from __future__ import annotations

# The tables hanging off a data row: a plan that scans one of them reads every row of it.
RELATED = ("label", "labelfeature", "metadatavalue", "projectdatarow", "modelrundatarow")
