"""Project membership, labels with reviews and performance details, model-run rows and predictions of one data row."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import orjson

from server.ingest.features import feature_counts
from server.ingest.seed_annotations import Annotate, Annotator, Shape
from server.ingest.seed_catalog import STATUSES, TASK_NAMES, USERS, Catalog, ProjectPlan, Rows, RunPlan
from server.ingest.seed_ontology import BuiltOntology, Seeded
from server.ingest.shapes import label_kind
from server.timefmt import iso

STATUS_WEIGHTS = (5, 2, 1, 2)  # TO_LABEL IN_REVIEW IN_REWORK DONE
HISTORY = {
    "TO_LABEL": (),
    "IN_REVIEW": (("TO_LABEL", "IN_REVIEW"),),
    "IN_REWORK": (("TO_LABEL", "IN_REVIEW"), ("IN_REVIEW", "IN_REWORK")),
    "DONE": (("TO_LABEL", "IN_REVIEW"), ("IN_REVIEW", "DONE")),
}
REVIEW_ACTIONS = {"IN_REWORK": "Reject", "DONE": "Approve"}


class RowLabels:
    """Writes the labeling rows of one data row into the batch's tables."""

    def __init__(
        self, cat: Catalog, seeded: Seeded, out: Rows, row: dict[str, Any], annotate: Annotate, shape: Shape
    ) -> None:
        self.cat, self.seeded, self.rng, self.out = cat, seeded, seeded.rng, out
        self.row, self.annotate, self.shape = row, annotate, shape
        self.annotator = Annotator(seeded)

    def add(self, table: str, **values: Any) -> None:
        self.out[table].append({"organization_id": self.cat.organization_id, **values})

    def label(self, ont: BuiltOntology, label_id: str, created: datetime, **values: Any) -> None:
        annotations = self.annotate(self.annotator, ont, self.shape)
        scope = {"project_id": values["project_id"], "model_run_id": values["model_run_id"], "source": values["source"]}
        self.add(
            "label",
            id=label_id,
            data_row_id=self.row["id"],
            label_kind=label_kind(self.row["media_type"]),
            version="1.0.0",
            created_at=created,
            content_last_updated_at=values["updated_at"],
            annotations=orjson.dumps(annotations).decode(),
            **values,
        )
        for schema_id, name, kind, count in feature_counts(annotations):
            self.add(
                "labelfeature",
                label_id=label_id,
                feature_schema_id=schema_id,
                data_row_id=self.row["id"],
                name=name,
                kind=kind,
                count=count,
                **scope,
            )

    def projects(self, plans: list[ProjectPlan]) -> None:
        for plan in plans:
            if self.rng.random() < plan.share:
                self.membership(plan)

    def membership(self, plan: ProjectPlan) -> None:
        status = self.rng.choices(STATUSES, STATUS_WEIGHTS)[0]
        batch = self.rng.randrange(len(plan.batches))
        consensus = plan.consensus if batch == 0 else 1
        label_ids = [self.seeded.id() for _ in range(consensus)] if status != "TO_LABEL" else []
        last = self.row["created_at"]
        for label_id in label_ids:
            last = max(last, self.project_label(plan, label_id, status, label_ids))
        self.row["last_activity_at"] = max(self.row["last_activity_at"], last)
        self.add(
            "projectdatarow",
            project_id=plan.id,
            data_row_id=self.row["id"],
            batch_id=plan.batches[batch][0],
            priority=plan.batches[batch][1],
            workflow_status=status,
            task_id=plan.tasks[status],
            task_name=TASK_NAMES[status],
            consensus_expected_label_count=consensus,
            workflow_history=self.history(plan, status, last),
            last_activity_at=last,
        )

    def project_label(self, plan: ProjectPlan, label_id: str, status: str, group: list[str]) -> datetime:
        created = self.seeded.at(self.row["created_at"], days=20)
        updated = self.seeded.at(created, days=2)
        reviewed = self.seeded.at(updated, days=1) if status in REVIEW_ACTIONS else None
        self.label(
            plan.ontology,
            label_id,
            created,
            project_id=plan.id,
            model_run_id=None,
            source="LABEL",
            updated_at=updated,
            created_by=self.rng.choice(USERS),
            reviews=self.reviews(status, reviewed),
            performance_details=self.performance(label_id, group, reviewed is not None),
        )
        return reviewed or updated

    def reviews(self, status: str, reviewed: datetime | None) -> str:
        if reviewed is None:
            return "[]"
        review = {"id": self.seeded.id(), "created_at": iso(reviewed), "created_by": self.rng.choice(USERS)}
        return orjson.dumps([{**review, "review_action": REVIEW_ACTIONS[status]}]).decode()

    def performance(self, label_id: str, group: list[str], reviewed: bool) -> str:
        benchmark = self.rng.random() < 0.1
        consensus = len(group) > 1
        details = {
            "seconds_to_create": self.rng.randint(5, 900),
            "seconds_to_review": self.rng.randint(5, 300) if reviewed else 0,
            "skipped": False,
            "benchmark_reference_label": label_id if benchmark else None,
            "benchmark_score": round(self.rng.random(), 3) if benchmark else None,
            "consensus_score": round(self.rng.random(), 3) if consensus else None,
            "consensus_label_count": len(group),
            "consensus_labels": group if consensus else [],
        }
        return orjson.dumps(details).decode()

    def history(self, plan: ProjectPlan, status: str, last: datetime) -> str:
        moves = HISTORY[status]
        entries = []
        for index, (before, after) in enumerate(moves):
            at = last - timedelta(hours=len(moves) - 1 - index)
            entries.append(
                {
                    "action_id": self.seeded.id(),
                    "action": "MOVE",
                    "created_at": iso(at),
                    "created_by": self.rng.choice(USERS),
                    "previous_task_id": plan.tasks[before],
                    "previous_task_name": TASK_NAMES[before],
                    "next_task_id": plan.tasks[after],
                    "next_task_name": TASK_NAMES[after],
                }
            )
        return orjson.dumps(entries[::-1]).decode()

    def model_runs(self, plans: list[RunPlan]) -> None:
        for plan in plans:
            if self.rng.random() < plan.share:
                self.run_member(plan)

    def run_member(self, plan: RunPlan) -> None:
        self.add(
            "modelrundatarow", model_run_id=plan.id, data_row_id=self.row["id"], annotation_group_id=self.seeded.id()
        )
        sources = ("PREDICTION", "LABEL") if self.rng.random() < 0.3 else ("PREDICTION",)
        for source in sources:
            created = self.seeded.at(self.row["created_at"], days=30)
            self.label(
                plan.ontology,
                self.seeded.id(),
                created,
                project_id=None,
                model_run_id=plan.id,
                source=source,
                updated_at=created,
                created_by=USERS[0],
                reviews="[]",
                performance_details="{}",
            )
