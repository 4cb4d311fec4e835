"""API keys `ce_<random>`: create (the plain key is returned once), revoke, list, look up by hash.

Only `sha256(key)` is stored. The key carries 256 bits from `secrets`, so a fast unsalted hash is enough: nobody can
brute-force such a key from its hash, unlike a password, and a lookup is one indexed equality match.
"""

from __future__ import annotations

import hashlib
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from types import SimpleNamespace
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from server.db import read_connection
from server.errors import bad_input, not_found
from server.models import ApiKey
from server.models.base import new_id, utcnow

K = ApiKey.__table__.c
KEY_PREFIX = "ce_"
DISPLAY_CHARS = 10


@dataclass(frozen=True)
class KeyInfo:
    id: str
    organization_id: str
    name: str
    prefix: str
    admin: bool
    created_at: datetime
    revoked_at: datetime | None


@dataclass(frozen=True)
class NewKey:
    info: KeyInfo
    secret: str


def generate_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def _info(row: Any) -> KeyInfo:
    return KeyInfo(row.id, row.organization_id, row.name, row.prefix, row.admin, row.created_at, row.revoked_at)


def check_key_name(name: str) -> str:
    """A key's name is shown by `keys list` and the API: no control characters (a terminal would act on them)."""
    if any(unicodedata.category(c) in ("Cc", "Cf") for c in name):
        raise bad_input("`name` must not contain control characters.", "name")
    return name


async def create_key(engine: AsyncEngine, organization_id: str, name: str, admin: bool = False) -> NewKey:
    check_key_name(name)
    secret = generate_key()
    values = {
        "id": new_id(),
        "organization_id": organization_id,
        "name": name,
        "hash": hash_key(secret),
        "prefix": secret[:DISPLAY_CHARS],
        "admin": admin,
        "created_at": utcnow(),
        "revoked_at": None,
    }
    async with engine.begin() as conn:
        await conn.execute(ApiKey.__table__.insert().values(**values))
    return NewKey(_info(SimpleNamespace(**values)), secret)


async def lookup_key(engine: AsyncEngine, key: str) -> KeyInfo | None:
    """The live (not revoked) key `key`, else None."""
    return await lookup_hash(engine, hash_key(key))


async def lookup_hash(engine: AsyncEngine, digest: str) -> KeyInfo | None:
    """The live (not revoked) key whose hash is `digest`, else None."""
    stmt = select(ApiKey.__table__).where(K.hash == digest, K.revoked_at.is_(None))
    async with read_connection(engine) as conn:
        row = (await conn.execute(stmt)).first()
    return _info(row) if row is not None else None


async def list_keys(engine: AsyncEngine, organization_id: str | None = None) -> list[KeyInfo]:
    stmt = select(ApiKey.__table__).order_by(K.created_at, K.id)
    if organization_id is not None:
        stmt = stmt.where(K.organization_id == organization_id)
    async with engine.connect() as conn:
        return [_info(row) for row in await conn.execute(stmt)]


async def revoke_key(engine: AsyncEngine, ident: str, organization_id: str | None = None) -> KeyInfo:
    """Revoke the key with id or display prefix `ident` (within `organization_id` when given); idempotent."""
    match = or_(K.id == ident, K.prefix == ident)
    scope = [K.organization_id == organization_id] if organization_id is not None else []
    async with engine.begin() as conn:
        rows = (await conn.execute(select(ApiKey.__table__).where(match, *scope))).all()
        if len(rows) != 1:
            raise not_found("API key", ident, "id")
        await conn.execute(
            update(ApiKey.__table__).where(K.id == rows[0].id, K.revoked_at.is_(None)).values(revoked_at=utcnow())
        )
        row = (await conn.execute(select(ApiKey.__table__).where(K.id == rows[0].id))).one()
    return _info(row)


async def rotate_key(engine: AsyncEngine, organization_id: str, name: str) -> NewKey:
    """Revoke the organization's live keys called `name` and make a new admin one (secrets are never shown twice)."""
    live = (K.organization_id == organization_id) & (K.name == name) & K.revoked_at.is_(None)
    async with engine.begin() as conn:
        await conn.execute(update(ApiKey.__table__).where(live).values(revoked_at=utcnow()))
    return await create_key(engine, organization_id, name, admin=True)
