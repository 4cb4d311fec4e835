"""A task's result and error files: open them at a checkpoint (truncate, re-hash the kept prefix), delete them."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from server.export.tasks import errors_path, result_path

HASH_CHUNK = 1 << 20


class Unresumable(Exception):
    """The files on disk do not hold what the checkpoint says: the task cannot continue."""


@dataclass
class TaskFiles:
    out: IO[bytes]
    err: IO[bytes]
    digest: Any = field(default_factory=hashlib.sha256)

    def write(self, data: bytes, errors: list[bytes]) -> None:
        self.out.write(data)
        self.out.flush()
        self.err.writelines(errors)
        self.err.flush()
        self.digest.update(data)

    def sync(self) -> None:
        os.fsync(self.out.fileno())
        os.fsync(self.err.fileno())

    def close(self) -> None:
        self.out.close()
        self.err.close()


def _hash_prefix(handle: IO[bytes], size: int) -> Any:
    digest = hashlib.sha256()
    handle.seek(0)
    left = size
    while left:
        chunk = handle.read(min(HASH_CHUNK, left))
        if not chunk:
            raise Unresumable(f"the result file ends before the checkpoint ({size} bytes)")
        digest.update(chunk)
        left -= len(chunk)
    return digest


def _error_prefix_size(handle: IO[bytes], lines: int) -> int:
    handle.seek(0)
    for _ in range(lines):
        if not handle.readline().endswith(b"\n"):
            raise Unresumable(f"the error file holds fewer than the checkpointed {lines} lines")
    return handle.tell()


def _open_at(path: Path) -> IO[bytes]:
    if not path.exists():
        path.touch()
    return path.open("r+b")


def open_files(export_dir: Path, task_id: str, written: int, error_lines: int) -> TaskFiles:
    """Files positioned at the checkpoint: anything written after it is cut off; 0/0 starts afresh."""
    export_dir.mkdir(parents=True, exist_ok=True)
    if written and not result_path(export_dir, task_id).exists():
        raise Unresumable("the result file is gone")
    out, err = _open_at(result_path(export_dir, task_id)), _open_at(errors_path(export_dir, task_id))
    try:
        digest = _hash_prefix(out, written)
        err_size = _error_prefix_size(err, error_lines)
    except Unresumable:
        out.close()
        err.close()
        raise
    for handle, size in ((out, written), (err, err_size)):
        handle.truncate(size)
        handle.seek(size)
    return TaskFiles(out, err, digest)


def remove_results(export_dir: Path, task_id: str) -> None:
    for path in (result_path(export_dir, task_id), errors_path(export_dir, task_id)):
        path.unlink(missing_ok=True)
