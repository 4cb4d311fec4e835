"""Hypothesis strategies for random DataRowFilter trees over the filter catalog's (seeded, known) ids and values: its
names, kinds and value pools come from the catalog's vocabulary (tests/factory/filters.py)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from hypothesis import strategies as st

from server.models import DataRow, Dataset
from server.timefmt import iso
from tests.factory.filters import BASE, CatalogSpec

# Ids that name nothing the catalog's organization holds: a filter naming them matches no row (as SQL's IN does).
UNKNOWN_IDS = ("c-missing", "c" + "0" * 24)


def _some(values: list[Any]) -> st.SearchStrategy[list[Any]]:
    return st.lists(st.sampled_from(values), min_size=1, max_size=4, unique=True)


def one_id(known: list[str], strangers: tuple[str, ...]) -> st.SearchStrategy[str]:
    """Mostly a known id, sometimes one of `strangers` (unknown, another organization's, deleted)."""
    return st.sampled_from(known) | st.sampled_from(strangers) if strangers else st.sampled_from(known)


def some_ids(known: list[str], strangers: tuple[str, ...]) -> st.SearchStrategy[list[str]]:
    """One to four ids, sometimes with (or only) strangers among them."""
    return _some(known) | _some([*known, *strangers]) | _some(list(strangers)) if strangers else _some(known)


def ranges(values: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    """A satisfiable range: lower ≤ upper, and strict bounds never on equal values."""

    @st.composite
    def build(draw: st.DrawFn) -> dict[str, Any]:
        low, high = sorted((draw(values), draw(values)))
        lower, upper = draw(st.sampled_from(["gt", "gte", None])), draw(st.sampled_from(["lt", "lte", None]))
        if lower is None and upper is None:
            lower = "gte"
        if low == high and lower and upper:
            lower, upper = "gte", "lte"
        return {op: v for op, v in ((lower, low), (upper, high)) if op}

    return build()


def _days(hours: int) -> st.SearchStrategy[str]:
    return st.integers(0, hours).map(lambda h: iso(BASE + timedelta(hours=h)) or "")


def _whole_days(days: int) -> st.SearchStrategy[str]:
    return st.integers(0, days).map(lambda d: iso(BASE + timedelta(days=d)) or "")


def _metadata(spec: CatalogSpec) -> st.SearchStrategy[dict[str, Any]]:
    vocab = spec.vocabulary
    strings = [f"{a} {b}" for a in vocab.words for b in vocab.words[:2]]
    numbers = st.integers(*vocab.halves).map(lambda n: n / 2)
    options = list(vocab.options) + [spec.names[o] for o in vocab.options]
    by_kind = {
        "STRING": st.one_of(
            st.builds(lambda v: {"eq": v}, st.sampled_from(strings)),
            st.builds(lambda v: {"in": v}, _some(strings)),
            st.builds(lambda v: {"contains": v}, st.sampled_from(["_", "%", "beta", "ALPHA", "a g"])),
        ),
        "NUMBER": st.one_of(
            st.builds(lambda v: {"eq": v}, numbers),
            st.builds(lambda v: {"in": v}, _some([0.5, 1, 2.5])),
            ranges(numbers),
        ),
        "DATETIME": st.one_of(
            st.builds(lambda v: {"eq": v}, _whole_days(vocab.days)),
            ranges(_days(vocab.days * 24)),
        ),
        "ENUM": st.one_of(
            st.builds(lambda v: {"eq": v}, st.sampled_from(options)), st.builds(lambda v: {"in": v}, _some(options))
        ),
    }

    def cond(name: str) -> st.SearchStrategy[dict[str, Any]]:
        ref = st.sampled_from([{"name": name}, {"schemaId": spec.names[name]}])
        ops = st.one_of(by_kind[vocab.kinds[name]], st.builds(lambda e: {"exists": e}, st.booleans()))
        return st.builds(lambda r, o: {**r, **o}, ref, ops)

    return st.sampled_from(list(vocab.kinds)).flatmap(cond)


def _optional(**fields: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    """A non-empty object with a random subset of the given fields."""
    keys = st.lists(st.sampled_from(list(fields)), min_size=1, max_size=3, unique=True)
    return keys.flatmap(lambda ks: st.fixed_dictionaries({k: fields[k] for k in ks}))


def _annotation(spec: CatalogSpec, strangers: tuple[str, ...]) -> st.SearchStrategy[dict[str, Any]]:
    v, counts = spec.vocabulary, st.integers(0, 3)
    features = [spec.names[f] for f in v.features]
    car = v.objects[0][0]
    return _optional(
        name=st.sampled_from(v.features[:-1]),  # every feature but the last answer (`bad`), which ids name
        featureSchemaId=st.sampled_from([features[0], features[-1], UNKNOWN_IDS[1]]),
        kind=st.sampled_from(v.annotation_kinds),
        projectId=one_id([spec.names[p] for p in v.projects], strangers),
        modelRunId=one_id([spec.names[r] for r in v.runs], strangers),
        source=st.sampled_from(["LABEL", "PREDICTION"]),
        minCount=counts,
    ) | st.tuples(counts, counts).map(lambda c: {"name": car, "minCount": min(c), "maxCount": max(c)})


def _project(spec: CatalogSpec, strangers: tuple[str, ...]) -> st.SearchStrategy[dict[str, Any]]:
    v = spec.vocabulary
    return _optional(
        projectId=one_id([spec.names[p] for p in v.projects], strangers),
        batchIds=some_ids([spec.names[b] for b in v.batch_names()], strangers),
        workflowStatus=_some(list(v.statuses)),
        labeled=st.booleans(),
        labelCreatedAt=ranges(_days(v.days * 24)),
    )


def leaves(spec: CatalogSpec, strangers: tuple[str, ...] = UNKNOWN_IDS) -> st.SearchStrategy[dict[str, Any]]:
    """Every leaf family; the id leaves sometimes name `strangers` (ids of nothing the organization holds)."""
    v, row_ids = spec.vocabulary, spec.ids(DataRow)
    keys = [r["global_key"] for r in spec.of(DataRow) if r["global_key"]]
    families = {
        "ids": some_ids(row_ids[:30], strangers),
        "globalKeys": _some(keys[:30]),
        "externalIds": _some([f"ext-{i}" for i in range(v.external_ids + 1)]),  # one more than any row has
        "datasetIds": some_ids(spec.ids(Dataset), strangers),
        "mediaTypes": _some([*v.media, "AUDIO"]),
        "createdAt": ranges(_days(v.row_hours + 10)),
        "updatedAt": ranges(_days(v.row_hours + 10 + v.update_days * 24)),
        "modelRunIds": some_ids([spec.names[r] for r in v.runs], strangers),
        "metadata": _metadata(spec),
        "annotation": _annotation(spec, strangers),
        "project": _project(spec, strangers),
    }
    return st.sampled_from(list(families)).flatmap(lambda k: families[k].map(lambda v: {k: v}))


def trees(spec: CatalogSpec, strangers: tuple[str, ...] = UNKNOWN_IDS) -> st.SearchStrategy[dict[str, Any]]:
    def extend(children: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[dict[str, Any]]:
        pair = st.lists(children, min_size=1, max_size=3)
        return st.one_of(
            pair.map(lambda c: {"and": c}),
            pair.map(lambda c: {"or": c}),
            children.map(lambda c: {"not": c}),
            st.tuples(children, children).map(lambda ab: {**ab[1], **ab[0]}),
        )

    return st.recursive(leaves(spec, strangers), extend, max_leaves=6)
