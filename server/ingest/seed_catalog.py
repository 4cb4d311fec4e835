"""The fixed part of a seeded catalog: datasets, metadata schemas, ontologies, projects, batches, models, embeddings.

What it holds is a `Layout`: the demo's is `DEMO`; the test factory (tests/factory) names others."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from server.ingest.seed_ontology import BASE_TIME, ONTOLOGIES, BuiltOntology, Seeded, build_ontology

Rows = dict[str, list[dict[str, Any]]]
USERS = ("ana@demo.example", "ben@demo.example", "chen@demo.example", "dara@demo.example")
STATUSES = ("TO_LABEL", "IN_REVIEW", "IN_REWORK", "DONE")
TASK_NAMES = {
    "TO_LABEL": "Initial labeling task",
    "IN_REVIEW": "Initial review task",
    "IN_REWORK": "Rework",
    "DONE": "Done",
}
Spaces = tuple[tuple[str, int], ...]  # embedding spaces: (name, dims)
DEFAULT_EMBEDDINGS: Spaces = (("clip-mini", 8), ("text-minilm", 32))

DATASETS = {
    "IMAGE": ("street-images", "Dash-cam stills from city streets"),
    "VIDEO": ("traffic-videos", "Short traffic clips, 30 fps"),
    "TEXT": ("news-snippets", "One-paragraph business news snippets"),
    "CONVERSATIONAL": ("support-chats", "Customer support conversations"),
}
METADATA: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("tag", "string", ()),
    ("split", "enum", ("train", "valid", "test")),
    ("capture_datetime", "datetime", ()),
)
METADATA += (("quality_score", "number", ()), ("source_vector", "embedding", ()))
PROJECTS = (  # (name, media type, ontology, share of that media's rows, consensus labels)
    ("Street scenes labeling", "IMAGE", "Street scenes", 0.25, 2),
    ("Traffic video tracking", "VIDEO", "Traffic video", 0.3, 1),
    ("News entity tagging", "TEXT", "Language", 0.3, 1),
    ("Support chat intents", "CONVERSATIONAL", "Language", 0.4, 1),
)
MODELS = (  # (model name, media type, ontology, run names, share of that media's rows per run)
    ("Street detector", "IMAGE", "Street scenes", ("baseline-v1", "finetuned-v2"), 0.04),
    ("Entity tagger", "TEXT", "Language", ("ner-v1", "ner-v2"), 0.05),
)


MEDIA_CYCLE = ("IMAGE",) * 5 + ("VIDEO",) * 2 + ("TEXT",) * 2 + ("CONVERSATIONAL",)
FEWEST_FRAMES, MOST_FRAMES = 90, 900
Project = tuple[str, str, str, float, int]
Model = tuple[str, str, str, tuple[str, ...], float]


@dataclass(frozen=True)
class Layout:
    """What a seeded catalog holds: its projects and models (with the share of their media's rows each gets), and
    how its data rows are made (their media types in turn, their key templates with `{slug}` and `{i}`, the range of
    a video's frame count)."""

    projects: tuple[Project, ...] = PROJECTS
    models: tuple[Model, ...] = MODELS
    media_cycle: tuple[str, ...] = MEDIA_CYCLE
    global_key: str = "demo/{slug}/{i:07d}"
    external_id: str = "{slug}-{i:07d}"
    video_frames: tuple[int, int] = (FEWEST_FRAMES, MOST_FRAMES)


DEMO = Layout()


@dataclass
class Schema:
    id: str
    name: str
    kind: str
    options: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class ProjectPlan:
    id: str
    name: str
    ontology: BuiltOntology
    share: float
    consensus: int
    batches: list[tuple[str, int]]
    tasks: dict[str, str]


@dataclass
class RunPlan:
    id: str
    name: str
    ontology: BuiltOntology
    share: float


@dataclass
class Catalog:
    organization_id: str
    layout: Layout = DEMO
    datasets: dict[str, str] = field(default_factory=dict)
    schemas: list[Schema] = field(default_factory=list)
    ontologies: dict[str, BuiltOntology] = field(default_factory=dict)
    projects: dict[str, list[ProjectPlan]] = field(default_factory=dict)
    runs: dict[str, list[RunPlan]] = field(default_factory=dict)
    embeddings: list[tuple[str, int]] = field(default_factory=list)
    rows: Rows = field(default_factory=dict)

    def add(self, table: str, **row: Any) -> None:
        self.rows.setdefault(table, []).append({"organization_id": self.organization_id, **row})


def _datasets(cat: Catalog, seeded: Seeded) -> None:
    for media, (name, description) in DATASETS.items():
        cat.datasets[media] = seeded.id()
        cat.add(
            "dataset",
            id=cat.datasets[media],
            name=name,
            description=description,
            created_at=BASE_TIME,
            created_by=USERS[0],
        )


def _schemas(cat: Catalog, seeded: Seeded) -> None:
    for name, kind, options in METADATA:
        schema = Schema(seeded.id(), name, kind, [(seeded.id(), option) for option in options])
        cat.schemas.append(schema)
        cat.add("metadataschema", id=schema.id, name=name, kind=kind.upper(), parent_id=None)
        for option_id, option in schema.options:
            cat.add("metadataschema", id=option_id, name=option, kind="OPTION", parent_id=schema.id)


def _ontologies(cat: Catalog, seeded: Seeded) -> None:
    for name in ONTOLOGIES:
        built = build_ontology(seeded, cat.organization_id, name)
        cat.ontologies[name] = built
        cat.add("ontology", id=built.id, name=name, created_at=BASE_TIME)
        cat.rows.setdefault("featureschema", []).extend(built.rows)


def _project(cat: Catalog, seeded: Seeded, spec: Project) -> ProjectPlan:
    name, media, ontology, share, consensus = spec
    ont = cat.ontologies[ontology]
    plan = ProjectPlan(seeded.id(), name, ont, share, consensus, [], {s: seeded.id() for s in STATUSES})
    created = seeded.at(days=5)
    cat.add(
        "project",
        id=plan.id,
        name=name,
        description=f"Demo {media.lower()} project",
        media_type=media,
        ontology_id=ont.id,
        created_at=created,
    )
    for index in range(3):
        batch_id, priority = seeded.id(), 1 + seeded.rng.randrange(5)
        plan.batches.append((batch_id, priority))
        cat.add(
            "batch",
            id=batch_id,
            project_id=plan.id,
            name=f"{name} batch {index + 1}",
            priority=priority,
            created_at=created,
        )
    return plan


def _models(cat: Catalog, seeded: Seeded) -> None:
    for name, media, ontology, runs, share in cat.layout.models:
        model_id, ont = seeded.id(), cat.ontologies[ontology]
        created = seeded.at(days=10)
        cat.add("model", id=model_id, name=name, ontology_id=ont.id, created_at=created)
        for run in runs:
            plan = RunPlan(seeded.id(), run, ont, share)
            cat.runs.setdefault(media, []).append(plan)
            cat.add("modelrun", id=plan.id, model_id=model_id, name=run, created_at=seeded.at(created, days=20))


def _embeddings(cat: Catalog, seeded: Seeded, spaces: Spaces) -> None:
    for name, dims in spaces:
        cat.embeddings.append((seeded.id(), dims))
        cat.add("embedding", id=cat.embeddings[-1][0], name=name, dims=dims, created_at=BASE_TIME)


def build_catalog(seeded: Seeded, organization_id: str, embeddings: Spaces, layout: Layout = DEMO) -> Catalog:
    """Ids and rows of everything the data rows refer to, drawn from `seeded` in a fixed order."""
    cat = Catalog(organization_id, layout)
    _datasets(cat, seeded)
    _schemas(cat, seeded)
    _ontologies(cat, seeded)
    for spec in layout.projects:
        cat.projects.setdefault(spec[1], []).append(_project(cat, seeded, spec))
    _models(cat, seeded)
    _embeddings(cat, seeded, embeddings)
    return cat
