"""How long the API stage's creation chain is for generated platforms (the table in docs/scaling.md).

    python benchmarks/api_chain.py [--sizes 250,1000]

API Gateway's control plane throttles writes per account, so route stacks deploy one after another and
each creates its Resources and Methods in DependsOn batches. This reads the rendered templates and reports,
per platform size: the route stacks in the chain, the API objects they create, and the steps of the
longest dependency path (the batches, one after another, across every route stack).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from generate_registry import write_registry  # noqa: E402

API_OBJECTS = ("AWS::ApiGateway::Resource", "AWS::ApiGateway::Method")


def longest_path(resources: Mapping[str, Any]) -> int:
    """Steps of the longest Ref/DependsOn path through a stack's API objects."""
    objects = {lid for lid, r in resources.items() if r["Type"] in API_OBJECTS}

    @cache
    def depth(lid: str) -> int:
        resource = resources[lid]
        text = json.dumps(resource.get("Properties", {}))
        before = {o for o in objects if f'{{"Ref": "{o}"}}' in text}
        before |= {d for d in resource.get("DependsOn", []) if d in objects}
        return 1 + max((depth(o) for o in before), default=0)

    return max((depth(o) for o in objects), default=0)


def measure(count: int) -> dict[str, int]:
    from template_gen.pipeline import synthesize

    with tempfile.TemporaryDirectory() as folder:
        project = Path(folder)
        write_registry(project, count)
        result = synthesize(project, "prod")
        routes = [s for s in result.stacks if s.file_name == "api.yaml" or s.file_name.startswith("api-routes-")]
        steps = objects = 0
        for stack in routes:
            resources = yaml.safe_load(stack.text)["Resources"]
            objects += sum(r["Type"] in API_OBJECTS for r in resources.values())
            steps += longest_path(resources)
    return {"services": count, "route_stacks": len(routes), "api_objects": objects, "steps": steps}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="250,1000")
    args = parser.parse_args()
    print("| services | route stacks (chained) | API objects | longest creation chain (steps) |")
    print("| ---: | ---: | ---: | ---: |")
    for size in (int(s) for s in args.sizes.split(",")):
        row = measure(size)
        print(f"| {row['services']:,} | {row['route_stacks']} | {row['api_objects']:,} | {row['steps']:,} |")


if __name__ == "__main__":
    main()
