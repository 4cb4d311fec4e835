"""Similarity and natural-language search: exact vector ranking, full-text documents, semantic mode, filter leaves."""
