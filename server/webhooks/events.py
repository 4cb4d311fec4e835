"""Event types a webhook can subscribe to, and the message each sends (Standard Webhooks' `type`/`timestamp`/`data`
envelope). An export event is queued with the task's final state; its download URL is made when it is sent, so every
attempt carries a fresh one."""

from __future__ import annotations

from typing import Any

import orjson

from server.models.exports import ExportStatus
from server.models.webhooks import WebhookEvent
from server.timefmt import iso

# event type -> the export status it reports (None: not an export event)
EVENTS: dict[str, str | None] = {
    WebhookEvent.EXPORT_COMPLETED.value: ExportStatus.COMPLETE.value,
    WebhookEvent.EXPORT_FAILED.value: ExportStatus.FAILED.value,
    WebhookEvent.EXPORT_CANCELED.value: ExportStatus.CANCELED.value,
    WebhookEvent.WEBHOOK_TEST.value: None,
}
EXPORT_EVENTS = {status: event for event, status in EVENTS.items() if status is not None}


def task_data(task: Any) -> dict[str, Any]:
    return {
        "taskId": task.id,
        "status": task.status,
        "rowCount": task.row_count,
        "errorCount": task.error_count,
        "totalRows": task.total_rows,
        "sha256": task.sha256,
        "failureReason": task.failure_reason,
        "completedAt": iso(task.completed_at) if task.completed_at else None,
    }


def envelope(event_type: str, timestamp: Any, data: dict[str, Any]) -> bytes:
    return orjson.dumps({"type": event_type, "timestamp": iso(timestamp), "data": data})
