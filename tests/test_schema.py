"""The committed schema.graphql is what the code generates (`make schema` rewrites it)."""

from pathlib import Path

from resolvers.schema import schema_sdl


def test_schema_file_is_in_sync() -> None:
    committed = (Path(__file__).parent.parent / "schema.graphql").read_text()
    assert committed == schema_sdl(), "schema.graphql is out of date: run `make schema` and commit it"
