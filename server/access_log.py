"""`serve`'s access log without export link signatures: whoever reads the log must not be able to download results."""

from __future__ import annotations

import copy
import logging
import re
from typing import Any

from uvicorn.config import LOGGING_CONFIG

SIGNATURE = re.compile(r"([?&]sig=)[^&\s]*")


class HideSignatures(logging.Filter):
    """Replaces the `sig` query parameter of the logged path (uvicorn's access record: client, method, path, ...)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and len(record.args) > 2 and isinstance(path := record.args[2], str):
            args = list(record.args)
            args[2] = SIGNATURE.sub(r"\1<hidden>", path)
            record.args = tuple(args)
        return True


def log_config() -> dict[str, Any]:
    """uvicorn's logging configuration with HideSignatures on its access log."""
    config = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["signatures"] = {"()": HideSignatures}
    config["handlers"]["access"]["filters"] = ["signatures"]
    return config
