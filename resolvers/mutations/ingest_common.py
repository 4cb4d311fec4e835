"""What the ingest mutations share: the context's type and the write functions' common arguments (inputs become
plain data with `resolvers.inputs.to_plain_snake`)."""

from __future__ import annotations

from typing import Any

import strawberry

from resolvers.context import Context

Info = strawberry.Info[Context, None]


def scope(info: Info) -> dict[str, Any]:
    """The keyword arguments every write function takes: the engine and the caller's organization."""
    return {"engine": info.context.engine, "organization_id": info.context.organization_id}
