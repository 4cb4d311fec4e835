"""Writing the catalog: validated ingestion, NDJSON import and the deterministic demo seed."""
