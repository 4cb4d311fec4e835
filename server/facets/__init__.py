"""Facet arrays: counts of filter trees as array arithmetic over per-chunk columns (server.models.facets holds the
tables and the triggers that mark chunks stale; build rebuilds them; cover turns a tree into a mask; count reads)."""
