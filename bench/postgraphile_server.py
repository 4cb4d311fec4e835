"""PostGraphile 4 with the connection-filter plugin, for the side-by-side benchmark: installed from the npm registry
with the system's npm into .node-tools/postgraphile/ (ignored by git), run as one Node process on a PostgreSQL
database. Without Node and npm (or when the install fails) the benchmark is skipped with the reason printed."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import httpx
from sqlalchemy import make_url

PACKAGES = ("postgraphile@4.14.1", "postgraphile-plugin-connection-filter@2.3.0")
PREFIX = Path(__file__).resolve().parents[1] / ".node-tools" / "postgraphile"
BINARY = PREFIX / "node_modules" / ".bin" / "postgraphile"
# Read by the PostGraphile CLI from its working directory: build options have no command-line flag, and filtering
# data rows by their metadata values and labels needs the plugin's relation filters.
RC_FILE = "module.exports = { options: { graphileBuildOptions: { connectionFilterRelations: true } } };\n"


def missing_tools() -> str | None:
    """Why PostGraphile cannot be run here, or None."""
    for tool in ("node", "npm"):
        if shutil.which(tool) is None:
            return f"no `{tool}` on PATH (apt-get install nodejs npm)"
    return None


def install() -> str | None:
    """Install PACKAGES into PREFIX when missing; why PostGraphile cannot be run, or None once it can."""
    reason = missing_tools()
    if reason or (BINARY.exists() and (PREFIX / "node_modules" / "postgraphile-plugin-connection-filter").exists()):
        return reason
    PREFIX.mkdir(parents=True, exist_ok=True)
    command = ["npm", "install", "--silent", "--no-audit", "--no-fund", "--prefix", str(PREFIX), *PACKAGES]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    if done.returncode != 0:
        return f"`npm install {' '.join(PACKAGES)}` failed: {done.stderr.strip()[-300:]}"
    return None


def connection_string(database_url: str) -> str:
    """The libpq URL of a SQLAlchemy PostgreSQL URL (what node-postgres reads)."""
    return make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)


def command(database_url: str, port: int) -> list[str]:
    return [
        str(BINARY),
        "--connection", connection_string(database_url),
        "--host", "127.0.0.1",
        "--port", str(port),
        "--append-plugins", "postgraphile-plugin-connection-filter",
        "--simple-collections", "both",
        "--disable-graphiql",
        "--disable-query-log",
    ]  # fmt: skip


def start(database_url: str, port: int, log: Path) -> subprocess.Popen[bytes]:
    """PostGraphile serving `database_url` on 127.0.0.1:`port`, once it answers a query (its output goes to `log`)."""
    (PREFIX / ".postgraphilerc.js").write_text(RC_FILE)
    env = os.environ | {"NODE_ENV": "production"}
    with log.open("wb") as out:
        proc = subprocess.Popen(command(database_url, port), cwd=PREFIX, env=env, stdout=out, stderr=out)
    url = f"http://127.0.0.1:{port}/graphql"
    for _ in range(600):
        if proc.poll() is not None:
            raise RuntimeError(f"PostGraphile exited with {proc.returncode}: {log.read_text()[-2000:]}")
        try:
            if httpx.post(url, json={"query": "{ __typename }"}).status_code == 200:
                return proc
        except httpx.TransportError:
            time.sleep(0.05)
    stop(proc)
    raise RuntimeError(f"PostGraphile did not answer on port {port}: {log.read_text()[-2000:]}")


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)
