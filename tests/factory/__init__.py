"""Test data: one factory over the demo seed's spec (server.ingest.seed_*), with named profiles.

`build(profile, engine, org_id)` writes a seed `Layout` profile (`demo`, `export`): ids and timestamps from the seed's
`Seeded`, annotations from the seed's annotators, the seed's bulk write (`write_seeded` inside `bulk_load`); a
profile only chooses the catalog's layout (projects, models, media types, key templates) and embedding spaces, and
`build` returns the ids tests aim filters and params at. The other profiles are modules of their own, written with
the factory's one insert (`insert.py`, the same bulk numbering and full-text documents): `filters` (every filter
leaf with matches and non-matches, described before any database exists so hypothesis strategies draw from its
vocabulary; ids from `Seeded`, times from the seed's BASE_TIME), `tenants` (organizations with keys), and two whose
ids and times tests name or whose bytes are the point: `labelbox` (the SDK tests' catalog) and `engine_bytes`
(collation, sub-millisecond times and escapes that tell engines apart)."""

from __future__ import annotations

from tests.factory.build import Built, build
from tests.factory.profiles import PROFILES, Profile

__all__ = ["PROFILES", "Built", "Profile", "build"]
