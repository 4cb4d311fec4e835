"""A request → its row set: the filter, slice and ids resolved and compiled into one `where`, the ranking of a
similarTo/search leaf, the probing form for pages that stop early, and the row count (SQL, or the facet arrays)."""
