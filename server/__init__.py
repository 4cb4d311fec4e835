"""catalog-export: the catalog store, filter compiler, page loading and export engine (no GraphQL here)."""
