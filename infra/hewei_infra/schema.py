"""Table definitions read from the PynamoDB models (the one source of truth).

`table_spec(model)` turns a model into the CloudFormation shape of its table:
key schema, attribute definitions, global and local secondary indexes with
their projections. It reads the same `Model._get_schema()` that
`Model.create_table()` sends to DynamoDB, so the local stack's bootstrap, the
tests and the cloud tables cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pynamodb.models import Model


@dataclass(frozen=True)
class TableSpec:
    model: type[Model]
    table_name: str
    suffix: str
    """The table's name without the stage prefix (`cases`): how infra names it."""
    key_schema: list[dict[str, str]]
    attribute_definitions: list[dict[str, str]]
    global_secondary_indexes: list[dict[str, Any]]
    local_secondary_indexes: list[dict[str, Any]]
    ttl_attribute: str | None

    @property
    def index_names(self) -> list[str]:
        return [i["IndexName"] for i in self.global_secondary_indexes + self.local_secondary_indexes]


def _projection(raw: dict[str, Any]) -> dict[str, Any]:
    projection = {"ProjectionType": raw["ProjectionType"]}
    if raw.get("NonKeyAttributes"):
        projection["NonKeyAttributes"] = sorted(raw["NonKeyAttributes"])
    return projection


def _keys(raw: list[dict[str, str]]) -> list[dict[str, str]]:
    """Key schema, HASH before RANGE (DynamoDB's order, whatever the attributes' order in the model)."""
    keys = [{"AttributeName": k["AttributeName"], "KeyType": k["KeyType"]} for k in raw]
    return sorted(keys, key=lambda k: k["KeyType"] != "HASH")


def _index(raw: dict[str, Any]) -> dict[str, Any]:
    return {
        "IndexName": raw["index_name"],
        "KeySchema": _keys(raw["key_schema"]),
        "Projection": _projection(raw["projection"]),
    }


def table_spec(model: type[Model], prefix: str, ttl_attribute: str | None = None) -> TableSpec:
    name = model.Meta.table_name
    if not name.startswith(prefix):
        raise ValueError(f"{model.__name__}: table {name!r} does not carry the stage prefix {prefix!r}; "
                         "set HEWEI_RESOURCE_PREFIX before importing chalicelib")
    if getattr(model.Meta, "host", None):
        raise ValueError(f"{model.__name__}: Meta.host is set; the cloud tables must use the default endpoint")
    schema = model._get_schema()
    attributes = {a["AttributeName"]: a["AttributeType"] for a in schema["attribute_definitions"]}
    return TableSpec(
        model=model,
        table_name=name,
        suffix=name[len(prefix):],
        key_schema=_keys(schema["key_schema"]),
        attribute_definitions=[{"AttributeName": n, "AttributeType": t} for n, t in sorted(attributes.items())],
        global_secondary_indexes=[_index(i) for i in schema.get("global_secondary_indexes", [])],
        local_secondary_indexes=[_index(i) for i in schema.get("local_secondary_indexes", [])],
        ttl_attribute=ttl_attribute,
    )
