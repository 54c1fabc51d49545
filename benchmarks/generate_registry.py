"""Write a synthetic platform registry with N services, for benchmarks and scale tests.

    python benchmarks/generate_registry.py OUT_DIR 1000

The mix resembles a real platform: mostly container services (a third of them autoscaled, some with
X-Ray, some on both APIs, a few with secrets), some Lambda services (a few driven by a schedule or a
queue). Names, paths and priorities are unique, so the registry is valid at any size.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import yaml

LAMBDA_EVERY = 5  # one service in five is a Lambda


def service(index: int) -> tuple[str, dict[str, Any]]:
    name = f"svc-{index:04d}"
    if index % LAMBDA_EVERY == 4:
        data: dict[str, Any] = {"kind": "lambda", "description": f"Lambda service {index}"}
        if index % 3 == 0:
            data["events"] = {"tick": {"schedule": "rate(5 minutes)"}}
        elif index % 3 == 1:
            data["events"] = {"work": {"sqs": {"batch_size": 10}}}
        if index % 3 != 0:
            data["api"] = {"base_path": f"/{name}", "auth": "authorizer"}
        return name, data
    data = {
        "kind": "ecs",
        "description": f"Container service {index}",
        "port": 8080,
        "cpu": 256,
        "memory": 512,
        "image": {"tag": f"1.{index}.0"},
        "api": {"base_path": f"/{name}", "auth": "authorizer", "exposure": "both" if index % 7 == 0 else "public"},
        "alb": {"priority": index + 1},
        "health_check": {"path": f"/{name}/health"},
    }
    if index % 3 == 0:
        data["autoscaling"] = {"min": 1, "max": 4, "cpu_target": 60}
    if index % 10 == 1:
        data["xray"] = True
    if index % 11 == 2:
        data["secrets"] = {"DB_PASSWORD": {"secrets_manager": f"platform/{name}/db", "key": "password"}}
    return name, data


def write_registry(root: Path, count: int, names: list[str] | None = None) -> list[str]:
    """Write services/ (and functions/) for `count` services under `root`; return the service names."""
    services = dict(service(i) for i in range(count))
    if names is not None:  # a chosen subset (scale tests add a service "in the middle")
        services = {n: services[n] for n in names}
    (root / "services").mkdir(parents=True, exist_ok=True)
    registry = {
        "version": 1,
        "platform": "bench",
        "region": "eu-west-1",
        "environments": {
            "prod": {
                "network": {"mode": "create", "cidr": "10.0.0.0/16", "az_count": 2},
                # Platforms this size raise API Gateway's adjustable resources-per-API quota.
                "quotas": {"api_resources_per_api": max(300, 3 * count)},
                "services": sorted(services),
            }
        },
    }
    (root / "services" / "registry.yaml").write_text(yaml.safe_dump(registry, sort_keys=False))
    for name, data in services.items():
        folder = root / "services" / name
        folder.mkdir(exist_ok=True)
        (folder / "service.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
        if data["kind"] == "lambda":
            code = root / "functions" / name.replace("-", "_")
            code.mkdir(parents=True, exist_ok=True)
            (code / "app.py").write_text("def lambda_handler(event, context):\n    return {}\n")
    for platform_function in ("api_key_validator", "onboarding"):
        code = root / "functions" / platform_function
        code.mkdir(parents=True, exist_ok=True)
        (code / "app.py").write_text("def lambda_handler(event, context):\n    return {}\n")
    return sorted(services)


if __name__ == "__main__":  # pragma: no cover
    out, count = Path(sys.argv[1]), int(sys.argv[2])
    print(f"wrote {len(write_registry(out, count))} services to {out}")
