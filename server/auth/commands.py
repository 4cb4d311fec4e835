"""`catalog-export keys create|revoke|list`: manage API keys from the command line (the secret is printed once)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncEngine

from server.auth.keys import KeyInfo, create_key, list_keys, revoke_key
from server.db import create_engine
from server.errors import CatalogError
from server.orgs import ensure_organization
from server.schema_check import create_all
from server.settings import Settings
from server.timefmt import iso


def _line(key: KeyInfo) -> str:
    state = f"revoked {iso(key.revoked_at)}" if key.revoked_at else "live"
    role = "admin" if key.admin else "member"
    name = key.name.encode("unicode_escape").decode("ascii")  # names made before control characters were refused
    return f"{key.id}  {key.prefix}…  {name}  {role}  org={key.organization_id}  {state}"


async def _create(engine: AsyncEngine, args: argparse.Namespace) -> int:
    organization_id = await ensure_organization(engine, args.org)
    created = await create_key(engine, organization_id, args.name or f"cli key for {args.org}", args.admin)
    print(_line(created.info), file=sys.stderr)
    print(created.secret)  # stdout holds only the secret, for scripts; it is not stored and cannot be shown again
    return 0


async def _revoke(engine: AsyncEngine, args: argparse.Namespace) -> int:
    print(_line(await revoke_key(engine, args.key)))
    return 0


async def _list(engine: AsyncEngine, args: argparse.Namespace) -> int:
    for key in await list_keys(engine):
        print(_line(key))
    return 0


ACTIONS: dict[str, Callable[[AsyncEngine, argparse.Namespace], Awaitable[int]]] = {
    "create": _create,
    "revoke": _revoke,
    "list": _list,
}


async def keys_command(args: argparse.Namespace, settings: Settings) -> int:
    engine = create_engine(settings)
    try:
        await create_all(engine)
        return await ACTIONS[args.action](engine, args)
    except CatalogError as error:
        print(f"error: {error.message}", file=sys.stderr)
        return 1
    finally:
        await engine.dispose()


def add_key_arguments(sub: argparse.ArgumentParser, parents: list[argparse.ArgumentParser]) -> None:
    """`parents`: the options every level of the command line takes (--database-url)."""
    actions = sub.add_subparsers(dest="action", required=True)
    create = actions.add_parser("create", help="create a key and print it once", parents=parents)
    create.add_argument("--org", required=True, help="organization name (created when missing)")
    create.add_argument("--name", help="a label for the key")
    create.add_argument("--admin", action="store_true", help="may create and revoke keys through the API")
    revoke = actions.add_parser("revoke", help="revoke a key by id or prefix", parents=parents)
    revoke.add_argument("key", help="key id or its displayed prefix")
    actions.add_parser("list", help="list keys (never their secrets)", parents=parents)
