"""Strawberry output types, one module per type family."""
