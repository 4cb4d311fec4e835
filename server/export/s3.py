"""EXPORT_STORAGE=s3://bucket/prefix: a task's streams as objects in S3-compatible storage (aiobotocore).

A running export buffers its pages and uploads them as **part objects** (`<prefix><id>/parts/result-000001`, and
`errors-…`) once `EXPORT_PART_BYTES` are buffered or the oldest buffered page is `EXPORT_FLUSH_SECONDS` old; each
upload is a durable point, and the checkpoint (row counts, cursor, the part sizes in `exporttask.storage_parts`)
moves only there, so memory holds at most a part and a page, no local disk is used, and a resumed task continues
after its last uploaded part without uploading any part again (the kept parts are read back once to rebuild the
SHA-256). Any server follows a running task by reading the parts the database lists.

At the end the parts become one object (`<prefix><id>.ndjson`, `<prefix><id>.errors.ndjson`): a server-side copy
for one part; otherwise a multipart upload whose parts are server-side copies of the part objects of at least
5 MiB (S3's smallest non-final part), with runs of smaller ones (slow exports flush small parts) concatenated
through the worker. The parts are deleted once the task is stored COMPLETE. A COMPLETE task's `url` is a pre-signed
GET of that object (Range requests work). Cancel and expiry delete every object under `<prefix><id>` and abort any
multipart upload left there (a worker killed while composing).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack
from typing import Any

import orjson
from aiobotocore.config import AioConfig
from aiobotocore.session import get_session
from botocore.exceptions import BotoCoreError, ClientError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from server.export.files import Unresumable
from server.export.progress_signal import ProgressSignal
from server.export.storage_error import StorageError
from server.export.tasks import E
from server.models.exports import TERMINAL, ExportStatus
from server.settings import Settings

MIN_PART = 5 * 1024 * 1024  # S3's smallest part of a multipart upload (but the last)
READ_CHUNK = 256 * 1024
FOLLOW_POLL = 0.2
NDJSON = "application/x-ndjson"
KINDS = {False: "result", True: "errors"}
MISSING = ("NoSuchKey", "404", "NotFound")


@contextlib.contextmanager
def _storage_errors(what: str) -> Iterator[None]:
    try:
        yield
    except ClientError as exc:
        error = exc.response.get("Error", {})
        raise StorageError(f"object storage refused to {what}: {error.get('Code')}: {error.get('Message')}") from exc
    except BotoCoreError as exc:
        raise StorageError(f"object storage unreachable while trying to {what}: {exc}") from exc


def _missing(exc: BaseException) -> bool:
    cause = exc.__cause__ if isinstance(exc, StorageError) else exc
    return isinstance(cause, ClientError) and str(cause.response.get("Error", {}).get("Code")) in MISSING


def load_parts(raw: str | None) -> dict[str, list[int]]:
    """`exporttask.storage_parts`: the sizes of the uploaded part objects of each stream."""
    parts = orjson.loads(raw) if raw else {}
    return {kind: list(parts.get(kind, [])) for kind in KINDS.values()}


class S3Storage:
    def __init__(self, settings: Settings) -> None:
        bucket, _, prefix = settings.export_storage.removeprefix("s3://").partition("/")
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.settings = settings
        self._client: Any = None
        self._stack: AsyncExitStack | None = None
        self._lock = asyncio.Lock()

    async def client(self) -> Any:
        """One client per storage (per process and event loop), made on first use."""
        async with self._lock:
            if self._client is None:
                s = self.settings
                options: dict[str, Any] = {
                    "endpoint_url": s.s3_endpoint_url or None,
                    "region_name": s.aws_region or None,
                    "aws_access_key_id": s.aws_access_key_id or None,
                    "aws_secret_access_key": s.aws_secret_access_key or None,
                }
                addressing = {"addressing_style": "path"} if s.s3_endpoint_url else {}
                config = AioConfig(signature_version="s3v4", s3=addressing, retries={"mode": "standard"})
                stack = AsyncExitStack()
                self._client = await stack.enter_async_context(
                    get_session().create_client("s3", config=config, **options)
                )
                self._stack = stack
        return self._client

    async def aclose(self) -> None:
        if self._stack is not None:
            await self._stack.aclose()
        self._client = self._stack = None

    def key(self, task_id: str, errors: bool) -> str:
        return f"{self.prefix}{task_id}{'.errors' if errors else ''}.ndjson"

    def part_key(self, task_id: str, kind: str, index: int) -> str:
        return f"{self.prefix}{task_id}/parts/{kind}-{index + 1:06d}"

    # -- writing ------------------------------------------------------------------------------------------------

    async def open(self, task: Any) -> S3Writer:
        parts = load_parts(task.storage_parts)
        if sum(parts["result"]) != task.bytes_written:
            raise Unresumable(f"the uploaded parts hold {sum(parts['result'])} bytes, not {task.bytes_written}")
        digest = hashlib.sha256()
        for index in range(len(parts["result"])):
            try:
                async for chunk in self._get(self.part_key(task.id, "result", index)):
                    digest.update(chunk)
            except StorageError as exc:
                if _missing(exc):
                    raise Unresumable(f"part {index + 1} of the result is gone from object storage") from exc
                raise
        return S3Writer(self, task.id, parts, digest)

    async def put(self, key: str, data: bytes) -> None:
        client = await self.client()
        with _storage_errors(f"store {key}"):
            await client.put_object(Bucket=self.bucket, Key=key, Body=data, ContentType=NDJSON)

    async def compose(self, task_id: str, errors: bool, sizes: list[int]) -> None:
        """The stream's part objects as one object (server-side copies where S3 allows it)."""
        key, kind = self.key(task_id, errors), KINDS[errors]
        sources = [self.part_key(task_id, kind, index) for index in range(len(sizes))]
        client = await self.client()
        await self._abort_uploads(key)
        if len(sources) <= 1:
            with _storage_errors(f"store {key}"):
                if not sources:
                    await client.put_object(Bucket=self.bucket, Key=key, Body=b"", ContentType=NDJSON)
                    return
                source = {"Bucket": self.bucket, "Key": sources[0]}
                await client.copy_object(
                    Bucket=self.bucket, Key=key, CopySource=source, ContentType=NDJSON, MetadataDirective="REPLACE"
                )
            return
        with _storage_errors(f"start the upload of {key}"):
            upload = (await client.create_multipart_upload(Bucket=self.bucket, Key=key, ContentType=NDJSON))["UploadId"]
        try:
            parts = await self._upload_parts(key, upload, sources, sizes)
            with _storage_errors(f"complete the upload of {key}"):
                await client.complete_multipart_upload(
                    Bucket=self.bucket, Key=key, UploadId=upload, MultipartUpload={"Parts": parts}
                )
        except BaseException:
            with contextlib.suppress(Exception):
                await client.abort_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload)
            raise

    async def _upload_parts(self, key: str, upload: str, sources: list[str], sizes: list[int]) -> list[dict[str, Any]]:
        client = await self.client()
        parts: list[dict[str, Any]] = []
        pending = bytearray()

        async def send(body: bytes) -> None:
            number = len(parts) + 1
            with _storage_errors(f"upload part {number} of {key}"):
                answer = await client.upload_part(
                    Bucket=self.bucket, Key=key, UploadId=upload, PartNumber=number, Body=body
                )
            parts.append({"PartNumber": number, "ETag": answer["ETag"]})

        for source, size in zip(sources, sizes, strict=True):
            if not pending and size >= MIN_PART:
                number = len(parts) + 1
                with _storage_errors(f"copy part {number} of {key}"):
                    answer = await client.upload_part_copy(
                        Bucket=self.bucket, Key=key, UploadId=upload, PartNumber=number,
                        CopySource={"Bucket": self.bucket, "Key": source},
                    )  # fmt: skip
                parts.append({"PartNumber": number, "ETag": answer["CopyPartResult"]["ETag"]})
                continue
            async for chunk in self._get(source):
                pending += chunk
            if len(pending) >= MIN_PART:
                await send(bytes(pending))
                pending.clear()
        if pending:
            await send(bytes(pending))
        return parts

    async def delete_parts(self, task_id: str) -> None:
        await self._delete_prefix(f"{self.prefix}{task_id}/parts/")

    async def remove(self, task_id: str) -> None:
        await self._delete_prefix(f"{self.prefix}{task_id}")
        await self._abort_uploads(f"{self.prefix}{task_id}")

    async def _delete_prefix(self, prefix: str) -> None:
        client = await self.client()
        with _storage_errors(f"delete {prefix}*"):
            pages = client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix)
            async for page in pages:
                keys = [{"Key": item["Key"]} for item in page.get("Contents", [])]
                if keys:
                    await client.delete_objects(Bucket=self.bucket, Delete={"Objects": keys, "Quiet": True})

    async def _abort_uploads(self, prefix: str) -> None:
        client = await self.client()
        with _storage_errors(f"list the uploads under {prefix}"):
            uploads = (await client.list_multipart_uploads(Bucket=self.bucket, Prefix=prefix)).get("Uploads", [])
            for upload in uploads:
                if upload["Key"].startswith(prefix):
                    await client.abort_multipart_upload(
                        Bucket=self.bucket, Key=upload["Key"], UploadId=upload["UploadId"]
                    )

    async def uploads(self, prefix: str = "") -> list[str]:
        """Keys of the multipart uploads in progress under `prefix` (what a cancel must leave none of)."""
        client = await self.client()
        with _storage_errors("list uploads"):
            answer = await client.list_multipart_uploads(Bucket=self.bucket, Prefix=self.prefix + prefix)
        return [upload["Key"] for upload in answer.get("Uploads", [])]

    async def keys(self, prefix: str = "") -> list[str]:
        """Every object key under the storage prefix + `prefix`."""
        client = await self.client()
        found: list[str] = []
        with _storage_errors("list objects"):
            pages = client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=self.prefix + prefix)
            async for page in pages:
                found += [item["Key"] for item in page.get("Contents", [])]
        return found

    # -- reading ------------------------------------------------------------------------------------------------

    async def _get(self, key: str, start: int = 0) -> AsyncIterator[bytes]:
        client = await self.client()
        with _storage_errors(f"read {key}"):
            extra = {"Range": f"bytes={start}-"} if start else {}
            answer = await client.get_object(Bucket=self.bucket, Key=key, **extra)
            async with answer["Body"] as body:
                while chunk := await body.read(READ_CHUNK):
                    yield chunk

    async def size(self, task_id: str, errors: bool) -> int:
        client = await self.client()
        try:
            with _storage_errors(f"look up {self.key(task_id, errors)}"):
                answer = await client.head_object(Bucket=self.bucket, Key=self.key(task_id, errors))
        except StorageError as exc:
            if _missing(exc):
                return 0
            raise
        return int(answer["ContentLength"])

    async def read(self, task_id: str, errors: bool, start: int = 0) -> AsyncIterator[bytes]:
        if start and start >= await self.size(task_id, errors):
            return
        try:
            async for chunk in self._get(self.key(task_id, errors), start):
                yield chunk
        except StorageError as exc:
            if not _missing(exc):
                raise

    async def download_url(self, task_id: str, errors: bool, ttl_seconds: int) -> str | None:
        client = await self.client()
        params = {"Bucket": self.bucket, "Key": self.key(task_id, errors)}
        url: str = await client.generate_presigned_url("get_object", Params=params, ExpiresIn=ttl_seconds)
        return url

    def follow(
        self, engine: AsyncEngine, task: Any, errors: bool, offset: int, signal: ProgressSignal | None
    ) -> AsyncIterator[bytes]:
        return self._follow(engine, task.id, errors, offset)

    async def _follow(self, engine: AsyncEngine, task_id: str, errors: bool, offset: int) -> AsyncIterator[bytes]:
        """The uploaded parts in order while the task runs, then the rest of its final object."""
        lines = LineSkipper(offset)
        consumed, next_part = 0, 0
        while True:
            async with engine.connect() as conn:
                row = (await conn.execute(select(E.status, E.storage_parts).where(E.id == task_id))).first()
            if row is None:
                return
            if row.status == ExportStatus.COMPLETE:
                async for chunk in self.read(task_id, errors, consumed):
                    if out := lines.feed(chunk):
                        yield out
                return
            if row.status in TERMINAL:
                return
            sizes = load_parts(row.storage_parts)[KINDS[errors]]
            grew = False
            for index in range(next_part, len(sizes)):
                try:
                    async for chunk in self._get(self.part_key(task_id, KINDS[errors], index)):
                        if out := lines.feed(chunk):
                            yield out
                except StorageError as exc:
                    if not _missing(exc):
                        raise
                    break  # composed and deleted meanwhile: the task is COMPLETE now
                consumed, next_part, grew = consumed + sizes[index], index + 1, True
            if not grew:
                await asyncio.sleep(FOLLOW_POLL)


class LineSkipper:
    """Drops the first `lines` lines of a byte stream."""

    def __init__(self, lines: int) -> None:
        self.left = lines

    def feed(self, chunk: bytes) -> bytes:
        while self.left and chunk:
            cut = chunk.find(b"\n")
            if cut < 0:
                return b""
            chunk, self.left = chunk[cut + 1 :], self.left - 1
        return chunk


class S3Writer:
    """Pages buffered in memory, uploaded as part objects when a part is full or old enough."""

    store_each_durable = True

    def __init__(self, storage: S3Storage, task_id: str, parts: dict[str, list[int]], digest: Any) -> None:
        self.storage, self.task_id, self.parts, self.digest = storage, task_id, parts, digest
        self.buffers = {kind: bytearray() for kind in KINDS.values()}
        self._oldest: float | None = None

    async def write(self, data: bytes, errors: list[bytes]) -> bool:
        self.digest.update(data)
        self.buffers["result"] += data
        for line in errors:
            self.buffers["errors"] += line
        self._oldest = self._oldest or time.monotonic()
        settings = self.storage.settings
        full = max(len(buffer) for buffer in self.buffers.values()) >= settings.export_part_bytes
        if full or time.monotonic() - self._oldest >= settings.export_flush_seconds:
            await self._flush()
            return True
        return False

    async def _flush(self) -> None:
        for kind, buffer in self.buffers.items():
            if buffer:
                await self.storage.put(self.storage.part_key(self.task_id, kind, len(self.parts[kind])), bytes(buffer))
                self.parts[kind].append(len(buffer))
                buffer.clear()
        self._oldest = None

    def state(self) -> dict[str, Any]:
        return {"storage_parts": orjson.dumps(self.parts).decode()}

    async def finish(self) -> None:
        await self._flush()
        for errors, kind in KINDS.items():
            await self.storage.compose(self.task_id, errors, self.parts[kind])

    async def finished(self) -> None:
        await self.storage.delete_parts(self.task_id)

    async def close(self) -> None:
        for buffer in self.buffers.values():
            buffer.clear()
