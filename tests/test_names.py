"""The name spellings of `server.names`, pinned on edge cases, and each held to what it must agree with: the schema's
own camelCase names, the export parameters the CLI sends, the demo ontology's feature values."""

from __future__ import annotations

import re

import pytest
from strawberry.types.base import StrawberryObjectDefinition
from strawberry.utils.str_converters import to_camel_case

from resolvers.filters import DataRowFilter, MetadataCondition, filter_dict
from resolvers.labelbox.schema import schema as labelbox_schema
from resolvers.schema import schema
from server.export.params import ExportParams
from server.ingest.seed_ontology import ONTOLOGIES, Spec
from server.names import camel_case, feature_value, snake_case

# name: (snake_case, camel_case, feature_value)
EDGES = {
    "": ("", "", ""),
    "mimeType": ("mime_type", "mimeType", "mime_type"),
    "mime_type": ("mime_type", "mimeType", "mime_type"),
    "userID": ("user_id", "userID", "user_id"),
    "HTTPServer": ("httpserver", "HTTPServer", "httpserver"),
    "ab_cD": ("ab_c_d", "abCd", "ab_c_d"),
    "x_2d": ("x_2d", "x2d", "x_2d"),
    "a__b": ("a__b", "a_B", "a_b"),
    "ab_": ("ab_", "ab_", "ab"),
    "_private": ("_private", "Private", "private"),
    "__init__": ("__init__", "_Init__", "init"),
    "Traffic Light": ("traffic light", "Traffic Light", "traffic_light"),
    "trafficLight": ("traffic_light", "trafficLight", "traffic_light"),
    " Car (parked) ": (" car (parked) ", " Car (parked) ", "car_parked"),
    "3D box": ("3_d box", "3D box", "3_d_box"),
    "x-ray": ("x-ray", "x-ray", "x_ray"),
    "multi  space": ("multi  space", "multi  space", "multi_space"),
    "Café au lait": ("café au lait", "Café au lait", "caf_au_lait"),
    "ÉtéX": ("étéx", "ÉtéX", "t_x"),
}


@pytest.mark.parametrize("name", EDGES)
def test_each_spelling_on_edge_cases(name: str) -> None:
    assert (snake_case(name), camel_case(name), feature_value(name)) == EDGES[name]


@pytest.mark.parametrize("name", EDGES)
def test_camel_case_is_strawberrys(name: str) -> None:
    assert camel_case(name) == to_camel_case(name)


def test_camel_case_names_every_input_field_as_the_schema_does() -> None:
    fields = [
        (f.python_name, s.config.name_converter.get_graphql_name(f))
        for s in (schema, labelbox_schema)
        for t in s.schema_converter.type_map.values()
        if isinstance(t.definition, StrawberryObjectDefinition) and t.definition.is_input
        for f in t.definition.fields
        if f.graphql_name is None  # named by the converter, not by hand
    ]
    assert len(fields) > 100
    assert [(python, camel_case(python)) for python, _ in fields] == fields


def test_the_cli_sends_export_params_by_their_schema_names() -> None:
    sent = {camel_case(name) for name in ExportParams().to_json()}
    accepted = {
        f.graphql_name or schema.config.name_converter.get_graphql_name(f)
        for f in schema.get_type_by_name("ExportParams").fields  # type: ignore[union-attr]
    }
    assert sent == accepted


def test_snake_case_undoes_camel_case_of_python_names() -> None:
    for name in ExportParams().to_json():
        assert snake_case(camel_case(name)) == name


def _names(specs: tuple[Spec, ...]) -> list[str]:
    return [n for s in specs for n in (s.name, *_names(s.children))]


def test_the_demo_ontologys_values_are_its_lowercased_names_with_runs_of_other_characters_as_underscores() -> None:
    names = [n for specs in ONTOLOGIES.values() for n in _names(specs)]
    assert len(names) > 50
    assert {n: feature_value(n) for n in names} == {n: re.sub(r"[^a-z0-9]+", "_", n.lower()).strip("_") for n in names}


def test_a_filter_is_keyed_as_the_schema_names_its_fields() -> None:
    tree = DataRowFilter(
        and_=[DataRowFilter(metadata=MetadataCondition(name="x", in_=[{"k_": 1}, "v"]))],
        not_=DataRowFilter(global_keys=["g"]),
    )
    assert filter_dict(tree) == {
        "and": [{"metadata": {"name": "x", "in": [{"k_": 1}, "v"]}}],  # a JSON value keeps its own keys
        "not": {"globalKeys": ["g"]},
    }
