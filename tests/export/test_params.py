"""Export options have one home, server.export.params.ExportParams: the GraphQL input, the plan, the Labelbox
translation and the CLI are checked against it, so an option added or renamed there and not followed elsewhere fails
here rather than at run time."""

from __future__ import annotations

import argparse
from dataclasses import fields, replace

import pytest

from resolvers.mutations.exports import ExportParams as ExportParamsInput
from resolvers.schema import schema
from server.export.local import params_from_args
from server.export.params import PLAN_SECTIONS, ExportParams
from server.labelbox.params import FLAGS, export_params
from server.loading.formats import ExportFormat
from server.loading.plan import RowPlan
from server.names import snake_case

OPTIONS = [f.name for f in fields(ExportParams)]
# A value other than the default for each kind of option.
CHANGED = {bool: True, tuple: ("id-1", "id-2"), ExportFormat: ExportFormat.LABELBOX_2023_BETA}


def _changed(name: str) -> object:
    default = getattr(ExportParams(), name)
    return next(value for kind, value in CHANGED.items() if isinstance(default, kind))


def test_the_graphql_input_has_every_option_in_order_with_its_default() -> None:
    graphql = schema._schema.type_map["ExportParams"].fields  # type: ignore[attr-defined]
    assert [snake_case(name) for name in graphql] == OPTIONS
    defaults = {snake_case(name): field.default_value for name, field in graphql.items()}
    assert defaults == {f.name: None if f.default == () else f.default for f in fields(ExportParams)}


@pytest.mark.parametrize("name", OPTIONS)
def test_each_graphql_option_arrives_in_the_params(name: str) -> None:
    value = _changed(name)
    given = ExportParamsInput(**{name: list(value) if isinstance(value, tuple) else value})  # type: ignore[call-arg]
    assert given.to_params() == replace(ExportParams(), **{name: value})
    assert ExportParamsInput().to_params() == ExportParams()  # type: ignore[call-arg]


@pytest.mark.parametrize("name", OPTIONS)
def test_each_option_changes_the_plan(name: str) -> None:
    assert replace(ExportParams(), **{name: _changed(name)}).to_plan() != ExportParams().to_plan()


def test_every_section_of_the_plan_has_an_option() -> None:
    """Sections named alike follow by name; `details` and the scopes are mapped by hand; an export reads every label
    of what it includes."""
    by_hand = {"details", "projects", "models", "project_labels", "model_labels"}
    assert {f.name for f in fields(RowPlan)} - set(PLAN_SECTIONS) == by_hand
    everything = ExportParams.everything().to_plan()
    assert all(getattr(everything, name) for name in set(PLAN_SECTIONS) - {"format"} | {"details"})


def test_the_labelbox_translation_says_what_it_does_with_every_option() -> None:
    """The SDK's switches map to options; the rest are set by the translation itself (media attributes always, the
    scoped ids from the SDK's lists and the export's own scope, the format Labelbox writes)."""
    set_by_the_translation = {"media_attributes", "project_ids", "model_run_ids", "format"}
    assert sorted(set(OPTIONS) - set(FLAGS.values())) == sorted(set_by_the_translation)
    sdk = dict.fromkeys(FLAGS, True) | {"projectIds": ["p"], "modelRunIds": ["m"]}
    assert export_params(sdk) == replace(ExportParams.everything(), project_ids=("p",), model_run_ids=("m",))


def test_the_cli_takes_every_flag_by_its_graphql_name() -> None:
    graphql = schema._schema.type_map["ExportParams"].fields  # type: ignore[attr-defined]
    flags = [name for name in graphql if snake_case(name) in ExportParams.flags()]
    args = argparse.Namespace(include=",".join(flags), all_projects=False, all_model_runs=False, project=[],
                              model_run=[], format=str(ExportFormat.LABELBOX))  # fmt: skip
    assert params_from_args(args) == ExportParams.everything()
