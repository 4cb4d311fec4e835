"""Stopping a test's child process for good, whatever state it is in."""

from __future__ import annotations

import subprocess


def stop(proc: subprocess.Popen[bytes], grace: float = 30.0) -> int:
    """SIGTERM, then SIGKILL if it is still running after `grace` seconds; its exit code.

    A server left running by a failed test keeps its database connections (and on PostgreSQL the locks of any open
    transaction) and its export worker claims the next tests' tasks: every later test on that database fails."""
    if proc.poll() is None:
        proc.terminate()
    try:
        return proc.wait(grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        return proc.wait()
