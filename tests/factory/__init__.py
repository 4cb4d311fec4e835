"""Test data: one factory over the demo seed's spec (server.ingest.seed_*), with named profiles.

Every profile draws its ids and timestamps from the seed's `Seeded`, writes annotations with the seed's annotators
and inserts with the seed's bulk write (`write_seeded` inside `bulk_load`); a profile only chooses the catalog's
layout (projects, models, media types, key templates) and embedding spaces. `build("export", engine, org_id)`
returns the ids tests aim filters and params at."""

from __future__ import annotations

from tests.factory.build import Built, build
from tests.factory.profiles import PROFILES, Profile

__all__ = ["PROFILES", "Built", "Profile", "build"]
