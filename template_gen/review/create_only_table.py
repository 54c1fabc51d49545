"""Build-time extraction of the create-only property table that `review.schemas` ships
(`create_only.json`), from the CloudFormation resource schemas that cfn-lint ships.

    python -m template_gen.review.create_only_table > template_gen/review/create_only.json   # make create-only

Run it after upgrading cfn-lint; a test fails while the shipped table differs from what cfn-lint says.
Only this module imports cfn-lint: `template-gen diff` reads the JSON and starts without it.
"""

from __future__ import annotations

import json
from importlib.metadata import version
from typing import Any


def extract() -> dict[str, Any]:
    """{"source": ..., "types": {type: [createOnlyProperties, conditionalCreateOnlyProperties]}} for every
    resource type cfn-lint knows in any Region. Refuses a type whose lists differ between Regions: the table
    has one entry per type."""
    from cfnlint.helpers import REGIONS
    from cfnlint.schema import PROVIDER_SCHEMA_MANAGER

    types = sorted({t for region in REGIONS for t in PROVIDER_SCHEMA_MANAGER.get_resource_types(region)})
    table: dict[str, list[list[str]]] = {}
    for resource_type in types:
        variants = {
            (
                tuple(schema.schema.get("createOnlyProperties", [])),
                tuple(schema.schema.get("conditionalCreateOnlyProperties", [])),
            )
            for _, schema in PROVIDER_SCHEMA_MANAGER.get_resource_schemas_by_regions(resource_type, REGIONS)
        }
        if len(variants) > 1:
            raise SystemExit(f"{resource_type}: create-only properties differ between Regions; key the table by Region")
        if variants:
            always, conditional = variants.pop()
            table[resource_type] = [list(always), list(conditional)]
    return {"source": f"cfn-lint {version('cfn-lint')} resource schemas", "types": table}


def render(data: dict[str, Any]) -> str:
    """One type per line, sorted, so that an upgrade shows as a readable diff."""
    lines = ["{", f'  "source": {json.dumps(data["source"])},', '  "types": {']
    items = sorted(data["types"].items())
    for i, (resource_type, lists) in enumerate(items):
        comma = "," if i < len(items) - 1 else ""
        lines.append(f"    {json.dumps(resource_type)}: {json.dumps(lists)}{comma}")
    lines += ["  }", "}", ""]
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover - run by `make create-only`
    print(render(extract()), end="")
