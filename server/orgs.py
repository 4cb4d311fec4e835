"""Organizations: every row belongs to one; `demo` owns the demo catalog."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from server.models import Organization
from server.models.base import new_id, utcnow

DEMO_ORG = "demo"
ORG = Organization.__table__.c


async def ensure_organization(engine: AsyncEngine, name: str = DEMO_ORG, org_id: str | None = None) -> str:
    """The id of the organization called `name`, created (with `org_id` if given) when missing."""
    async with engine.begin() as conn:
        found = (await conn.execute(select(ORG.id).where(ORG.name == name))).scalar_one_or_none()
        if found is not None:
            return str(found)
        new = org_id or new_id()
        await conn.execute(Organization.__table__.insert().values(id=new, name=name, created_at=utcnow()))
        return new
