"""How to adopt a kept (orphaned) resource again: a resource import names it by the primary identifier
of its type's resource schema (the schema cfn-lint ships), e.g. {"RepositoryName": "acme-dev-quoting"}."""

from __future__ import annotations

import json
from functools import cache

SCHEMA_REGION = "us-east-1"  # identifiers do not differ between Regions


@cache
def primary_identifier(resource_type: str) -> tuple[str, ...]:
    # cfn-lint loads only when a kept resource is reported: diff and synth stay light otherwise.
    from cfnlint.schema import PROVIDER_SCHEMA_MANAGER, ResourceNotFoundError

    try:
        schema = PROVIDER_SCHEMA_MANAGER.get_resource_schema(SCHEMA_REGION, resource_type).schema
    except ResourceNotFoundError:
        return ()
    return tuple(p.rsplit("/", 1)[-1] for p in schema.get("primaryIdentifier", []))


def identifier(resource_type: str, physical_id: str) -> dict[str, str]:
    """The ResourceIdentifier of a resource import. CloudFormation's physical id of these types is the
    value of their single primary identifier; without it (diff is offline) a placeholder says what to put."""
    keys = primary_identifier(resource_type)
    if len(keys) != 1:
        return {key: f"<its {key}>" for key in keys}
    return {keys[0]: physical_id or f"<its {keys[0]}>"}


def import_command(resource_type: str, logical_id: str, physical_id: str) -> str:
    resources = [
        {
            "ResourceType": resource_type,
            "LogicalResourceId": logical_id,
            "ResourceIdentifier": identifier(resource_type, physical_id),
        }
    ]
    return (
        "put it back in the template with DeletionPolicy Retain and import it with a change set of type IMPORT, "
        f"--resources-to-import '{json.dumps(resources)}' (docs/deploying.md)"
    )
