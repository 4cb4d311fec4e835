"""Command-line failures a user meets: one line saying what is wrong and what to do, a non-zero exit, no files."""

from __future__ import annotations

import json
import secrets
import subprocess
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import make_url

from tests.faults.processes import CLI, cli_env
from tests.utils.dev_server import DevServer
from tests.utils.postgres import PostgresServer


def run(dev_server: DevServer, *args: str) -> subprocess.CompletedProcess[str]:
    env = cli_env(dev_server.settings, CATALOG_EXPORT_API_KEY="")
    return subprocess.run([*CLI, *args], env=env, capture_output=True, text=True, timeout=120)


def one_line(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 1, done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    return lines[0]


def test_a_wrong_key_is_one_line_and_leaves_no_file(dev_server: DevServer, tmp_path: Path) -> None:
    done = run(dev_server, "export", "--server", dev_server.url, "--api-key", "ce_wrong", "-o", str(tmp_path / "o"))
    assert one_line(done) == (
        f"catalog-export export: {dev_server.url}/graphql refused the API key (401): This API key is unknown or has"
        " been revoked; pass --api-key KEY or set CATALOG_EXPORT_API_KEY (`catalog-export keys create --org NAME`"
        " prints a key)."
    )
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("suffix", ["", "/", "/graphql", "/graphql/"])
def test_server_is_taken_with_or_without_the_graphql_path(dev_server: DevServer, tmp_path: Path, suffix: str) -> None:
    out = tmp_path / "images.ndjson"
    spec = '{"mediaTypes": ["IMAGE"], "metadata": {"name": "split", "eq": "train"}}'
    done = run(dev_server, "export", "--server", dev_server.url + suffix, "--filter", spec, "-o", str(out))
    assert done.returncode == 0, done.stderr
    count = "query($f: DataRowFilter) { dataRows(filter: $f) { totalCount } }"
    body = {"query": count, "variables": {"f": json.loads(spec)}}
    total = httpx.post(dev_server.url + "/graphql", json=body, timeout=30).json()["data"]["dataRows"]["totalCount"]
    assert out.read_bytes().count(b"\n") == total == 209
    assert sorted(p.name for p in tmp_path.iterdir()) == ["images.ndjson"]  # no errors file without errors


def test_a_wrong_path_says_what_the_server_option_is(dev_server: DevServer, tmp_path: Path) -> None:
    done = run(dev_server, "export", "--server", dev_server.url + "/api", "-o", str(tmp_path / "o"))
    assert one_line(done) == (
        f"catalog-export export: {dev_server.url}/api/graphql answered 404: is --server the server's address"
        " (http://HOST:PORT)?"
    )
    assert list(tmp_path.iterdir()) == []


def test_a_refused_connection_is_one_line(dev_server: DevServer, tmp_path: Path) -> None:
    done = run(dev_server, "export", "--server", "http://127.0.0.1:9", "-o", str(tmp_path / "o"))
    assert one_line(done) == (
        "catalog-export export: cannot connect to http://127.0.0.1:9 ([Errno 111] Connection refused): is"
        " `catalog-export serve` running there?"
    )
    assert list(tmp_path.iterdir()) == []


def test_a_missing_postgresql_database_says_how_to_create_it(
    dev_server: DevServer, postgres_server: PostgresServer
) -> None:
    url = make_url(postgres_server.url).set(database=f"missing_{secrets.token_hex(4)}")
    host, port, user, name = url.host, url.port or 5432, url.username or "postgres", url.database
    for args in (["seed", "--database-url", url.render_as_string(False)], ["keys", "list"]):
        if args[0] == "keys":
            args += ["--database-url", url.render_as_string(False)]
        assert one_line(run(dev_server, *args)) == (
            f'catalog-export {args[0]}: PostgreSQL at {host}:{port} has no database "{name}": create it (`createdb -h'
            f" {host} -p {port} -U {user} {name}`, or CREATE DATABASE {name}), or point --database-url / DATABASE_URL"
            " at one that exists."
        )


def test_an_unreachable_database_is_one_line_without_its_password(dev_server: DevServer) -> None:
    done = run(dev_server, "migrate", "--database-url", "postgresql://me:secret@127.0.0.1:9/x")
    assert one_line(done) == (
        "catalog-export migrate: cannot connect to the database postgresql+asyncpg://me:***@127.0.0.1:9/x: [Errno"
        " 111] Connect call failed ('127.0.0.1', 9). Is the server running and the URL right?"
    )


def test_a_sqlite_file_in_a_missing_directory(dev_server: DevServer, tmp_path: Path) -> None:
    done = run(dev_server, "seed", "--database-url", f"sqlite:///{tmp_path}/nope/catalog.db")
    assert one_line(done) == (
        f"catalog-export seed: BAD_USER_INPUT: the directory of the SQLite database {tmp_path}/nope/catalog.db does"
        " not exist: create it, or choose another path."
    )


def test_an_unwritable_output_names_the_file(dev_server: DevServer, tmp_path: Path) -> None:
    done = run(dev_server, "export", "--server", dev_server.url, "-o", str(tmp_path / "nope" / "o.ndjson"))
    assert one_line(done) == f"catalog-export export: {tmp_path}/nope/o.ndjson: No such file or directory"


@pytest.mark.parametrize(
    "args",
    [
        ["--database-url", "{url}", "keys", "create", "--org", "acme"],
        ["keys", "--database-url", "{url}", "create", "--org", "acme"],
        ["keys", "create", "--org", "acme", "--database-url", "{url}"],
    ],
)
def test_database_url_is_taken_at_any_level(dev_server: DevServer, tmp_path: Path, args: list[str]) -> None:
    url = f"sqlite:///{tmp_path}/keys.db"
    done = run(dev_server, *(a.format(url=url) for a in args))
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("ce_") and (tmp_path / "keys.db").exists()
    listed = run(dev_server, "keys", "list", "--database-url", url)
    assert " cli key for acme  member  org=" in listed.stdout


def test_a_refused_postgresql_login_is_one_line(dev_server: DevServer, postgres_server: PostgresServer) -> None:
    url = make_url(postgres_server.url).set(username="nobody_here", password="pw")
    done = run(dev_server, "migrate", "--database-url", url.render_as_string(False))
    shown = url.render_as_string(hide_password=True)
    assert one_line(done) == f'catalog-export migrate: database {shown}: role "nobody_here" does not exist'


def test_a_failing_statement_is_a_bug_and_keeps_its_traceback() -> None:
    from sqlalchemy.exc import IntegrityError, ProgrammingError

    from server.failures import explain

    bugs = (ProgrammingError("SELECT x", {}, Exception("no such column: x")), IntegrityError("", {}, Exception()))
    for error in bugs:
        assert explain(error, "sqlite+aiosqlite:///./catalog.db") is None
