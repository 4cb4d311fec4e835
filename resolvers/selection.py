"""plan_from_info: the selection set (fragments merged, @skip/@include applied) → one RowPlan via a needs table;
selected_names: the fields a selection asks for, one level down."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graphql import GraphQLObjectType, GraphQLResolveInfo, get_named_type
from graphql.execution.collect_fields import FieldDetails, FragmentDetails, collect_subfields
from graphql.execution.values import VariableValues, get_argument_values

from server.loading.plan import Included, RowPlan

Need = Callable[[dict[str, Any]], RowPlan]


def _included(args: dict[str, Any]) -> Included:
    ids = args.get("ids")
    return Included(all=True) if ids is None else Included(ids=frozenset(ids))


FIELD_NEEDS: dict[tuple[str, str], Need] = {
    ("DataRow", "details"): lambda a: RowPlan(details=True),
    ("DataRow", "mediaAttributes"): lambda a: RowPlan(media_attributes=True),
    ("DataRow", "attachments"): lambda a: RowPlan(attachments=True),
    ("DataRow", "metadataFields"): lambda a: RowPlan(metadata_fields=True),
    ("DataRow", "embeddings"): lambda a: RowPlan(embeddings=True),
    ("DataRow", "projects"): lambda a: RowPlan(projects=_included(a)),
    ("DataRow", "experiments"): lambda a: RowPlan(models=_included(a)),
    ("DataRow", "models"): lambda a: RowPlan(models=_included(a)),
    ("DataRowProject", "labels"): lambda a: RowPlan(project_labels=True),
    ("DataRowProject", "projectDetails"): lambda a: RowPlan(project_details=True),
    ("ExportLabel", "labelDetails"): lambda a: RowPlan(label_details=True),
    ("ExportLabel", "performanceDetails"): lambda a: RowPlan(performance_details=True),
    ("DataRowModelRun", "labels"): lambda a: RowPlan(model_labels=True),
    ("DataRowModelRun", "predictions"): lambda a: RowPlan(model_labels=True, predictions=True),
}


def _variables(info: GraphQLResolveInfo) -> VariableValues:
    """Strawberry hands resolvers the plain coerced dict; graphql-core's collector wants its container."""
    values: Any = info.variable_values
    return values if isinstance(values, VariableValues) else VariableValues(sources={}, coerced=values)


def _subfields(info: GraphQLResolveInfo, parent: GraphQLObjectType, details: list[FieldDetails]) -> Any:
    fragments = {name: FragmentDetails(node) for name, node in info.fragments.items()}
    return collect_subfields(
        info.schema, fragments, _variables(info), info.operation, parent, details
    ).grouped_field_set


def selected_fields(info: GraphQLResolveInfo) -> frozenset[str]:
    """The names of the current field's own subfields (fragments merged, @skip/@include applied)."""
    parent = get_named_type(info.return_type)
    assert isinstance(parent, GraphQLObjectType)
    groups = _subfields(info, parent, [FieldDetails(node, None) for node in info.field_nodes]).values()
    return frozenset(group[0].node.name.value for group in groups)


def _walk(info: GraphQLResolveInfo, parent: GraphQLObjectType, details: list[FieldDetails]) -> RowPlan:
    plan = RowPlan()
    for group in _subfields(info, parent, details).values():
        name = group[0].node.name.value
        field_def = parent.fields.get(name)
        if field_def is None:
            continue
        for detail in group:
            need = FIELD_NEEDS.get((parent.name, name))
            if need is not None:
                plan |= need(get_argument_values(field_def, detail.node, _variables(info)))
        child = get_named_type(field_def.type)
        if isinstance(child, GraphQLObjectType):
            plan |= _walk(info, child, group)
    return plan


def selected_names(info: GraphQLResolveInfo) -> frozenset[str]:
    """The names of the current field's own subfields that the request selects (fragments merged, @skip/@include
    applied)."""
    parent = get_named_type(info.return_type)
    assert isinstance(parent, GraphQLObjectType)
    grouped = _subfields(info, parent, [FieldDetails(node, None) for node in info.field_nodes])
    return frozenset(group[0].node.name.value for group in grouped.values())


def plan_from_info(info: GraphQLResolveInfo) -> RowPlan:
    """What the current field's selection needs read, whatever the nesting, aliases or fragments."""
    parent = get_named_type(info.return_type)
    assert isinstance(parent, GraphQLObjectType)
    return _walk(info, parent, [FieldDetails(node, None) for node in info.field_nodes])
