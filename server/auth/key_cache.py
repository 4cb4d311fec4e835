"""Live API keys remembered by each server process for API_KEY_CACHE_SECONDS, so a request is not one statement more
for its key (a scalar page is otherwise two: the key and the page).

Revocation: a process that revokes a key (revokeApiKey, the dev key's rotation) bumps a revocation generation after
the revocation committed, and a key remembered under an older generation is looked up again. The server processes
of one `serve --workers N` share that generation (server.shared_limits), so such a revocation stops the key at once
in all of them. A revocation made elsewhere (`catalog-export keys revoke`, another `serve` on the same database)
stops the key once its entry expires: within API_KEY_CACHE_SECONDS. Unknown and revoked keys are never remembered,
so a new key works at once and a refused one is refused on every request."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncEngine

from server.auth.keys import KeyInfo, hash_key, lookup_hash

MAX_KEYS = 10_000  # entries; past them the cache starts again empty (a lookup each is all that costs)


class Generation(Protocol):
    def read(self) -> int: ...
    def bump(self) -> None: ...


@dataclass
class LocalGeneration:
    """The generation of a process that shares it with none."""

    value: int = 0

    def read(self) -> int:
        return self.value

    def bump(self) -> None:
        self.value += 1


class KeyCache:
    """Live keys by hash, each for `seconds` from when its lookup began (0: every request looks its key up)."""

    def __init__(self, seconds: float, generation: Generation | None = None) -> None:
        self.seconds = seconds
        self.generation = generation or LocalGeneration()
        self._live: dict[str, tuple[KeyInfo, float, int]] = {}

    async def lookup(self, engine: AsyncEngine, key: str) -> KeyInfo | None:
        """The live key `key`, else None."""
        digest = hash_key(key)
        if self.seconds <= 0:
            return await lookup_hash(engine, digest)
        began, generation = time.monotonic(), self.generation.read()
        held = self._live.get(digest)
        if held is not None and held[2] == generation and began - held[1] < self.seconds:
            return held[0]
        found = await lookup_hash(engine, digest)
        if found is None:
            self._live.pop(digest, None)
        else:
            if len(self._live) >= MAX_KEYS:
                self._live.clear()
            # under the generation read before the lookup: one bumped meanwhile makes this entry stale at once
            self._live[digest] = (found, began, generation)
        return found

    def revoked(self) -> None:
        """A key was revoked (committed): every process sharing the generation looks its keys up again."""
        self._live.clear()
        self.generation.bump()
