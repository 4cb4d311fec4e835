"""`make bench`: benchmarks over seeded catalogs, printed as a Markdown table (never part of `make test`)."""
