"""GraphQL documents built to stress the server's limits."""

from __future__ import annotations


def nested_fragments(levels: int, leaf: str) -> str:
    """`fragment F<i> on Query { ...F<i-1> (ten times) }`: 10^levels expanded copies of `leaf` in a document of ~100
    bytes a level (the expansion is what the limits count; validation must not walk it)."""
    spreads = (f"fragment F{i} on Query {{ {' '.join([f'...F{i - 1}'] * 10)} }}" for i in range(1, levels + 1))
    return "\n".join([f"fragment F0 on Query {{ {leaf} }}", *spreads, f"query Q {{ ...F{levels} }}"])
