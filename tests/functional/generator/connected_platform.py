"""A generated platform of about forty services that call each other, the way real microservice
systems do: HTTP services behind the ALB, internal HTTP and gRPC services reached only through Service
Connect, workers on queues (their own or an existing one), and Lambda services in the VPC that call
containers. Calls follow a fixed pattern, so the platform is the same on every run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

EDGE = [f"edge-{i:02d}" for i in range(12)]  # behind the ALB, on the public API
INTERNAL = [f"core-{i:02d}" for i in range(16)]  # internal HTTP services
GRPC = [f"grpc-{i:02d}" for i in range(6)]  # internal gRPC services
WORKERS = [f"worker-{i:02d}" for i in range(4)]
FUNCTIONS = [f"fn-{i:02d}" for i in range(2)]  # Lambda services in the VPC
CALLABLE = INTERNAL + GRPC + EDGE


def _calls(index: int, pool: list[str], count: int, me: str) -> list[str]:
    picked = []
    for step in range(1, 64):
        callee = pool[(index * 7 + step * 5) % len(pool)]
        if callee != me and callee not in picked:
            picked.append(callee)
        if len(picked) == count:
            break
    return picked


def services() -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for i, name in enumerate(EDGE):
        out[name] = {
            "kind": "ecs",
            "port": 8080,
            "image": {"tag": "1.0.0"},
            "api": {"base_path": f"/{name}", "auth": "authorizer"},
            "alb": {"priority": 100 + i},
            "health_check": {"path": f"/{name}/health"},
            "autoscaling": {"min": 1, "max": 4, "cpu_target": 60},
            "calls": _calls(i, INTERNAL + GRPC, 4, name),
        }
    for i, name in enumerate(INTERNAL):
        out[name] = {
            "kind": "ecs",
            "port": 8000 + i,  # distinct ports, as in a system of Spring Boot services
            "image": {"tag": "2.0.0"},
            "health_check": {"container": {"command": ["CMD-SHELL", f"curl -fs localhost:{8000 + i}/health"]}},
            "calls": _calls(i, INTERNAL + GRPC, 2, name),
            "readonly_root_filesystem": True,
            "volumes": [{"name": "tmp", "path": "/tmp"}],
        }
    out[INTERNAL[0]]["sidecars"] = [
        {"name": "metrics", "image": "public.ecr.aws/example/agent:1.4", "port": 9102, "mounts": {"tmp": "/scratch"}}
    ]
    out[INTERNAL[1]]["init_containers"] = [
        {"name": "migrate", "image": "public.ecr.aws/example/migrate:3", "command": ["migrate", "up"]}
    ]
    out[INTERNAL[2]]["volumes"] = [
        {
            "name": "shared",
            "path": "/shared",
            "efs": {"file_system_id": "fs-0123abcd", "access_point_id": "fsap-0123456789abcdef0"},
        }
    ]
    out[INTERNAL[3]].update(
        image={"tag": "2.0.0", "repository": "registry.example.com/team/core-03"},
        repository_credentials="arn:aws:secretsmanager:eu-west-1:123456789012:secret:registry-creds-AbCdEf",
        user="1000",
        drop_capabilities=["ALL"],
        stop_timeout_seconds=45,
        security_groups=["sg-0a1b2c3d4e5f60718"],
    )
    for i, name in enumerate(GRPC):
        out[name] = {
            "kind": "ecs",
            "port": 50051,
            "protocol": "grpc" if i % 2 == 0 else "http2",
            "image": {"tag": "3.0.0"},
            "health_check": {"container": {"command": ["CMD", "/bin/grpc_health_probe", "-addr=:50051"]}},
            "calls": _calls(i, INTERNAL, 1, name),
        }
    for i, name in enumerate(WORKERS):
        worker: dict[str, Any] = {
            "kind": "worker",
            "image": {"tag": "4.0.0"},
            "calls": _calls(i, INTERNAL, 2, name),
            "autoscaling": {"min": 1, "max": 8, "messages_per_task": 50, "cpu_target": 70},
        }
        if i == 0:
            worker["queue"] = {"arn": "arn:aws:sqs:eu-west-1:123456789012:orders-events"}
        else:
            worker["queue"] = {"visibility_timeout_seconds": 60, "fifo": i == 1}
        out[name] = worker
    for i, name in enumerate(FUNCTIONS):
        out[name] = {
            "kind": "lambda",
            "vpc": True,
            "api": {"base_path": f"/{name}", "auth": "authorizer"},
            "calls": _calls(i, INTERNAL + EDGE, 3, name),
        }
    return out


def call_count() -> int:
    return sum(len(s.get("calls", [])) for s in services().values())


def write(root: Path) -> Path:
    defined = services()
    registry = {
        "platform": "tickets",
        "region": "eu-west-1",
        "environments": {
            "prod": {"network": {"mode": "create", "cidr": "10.40.0.0/16", "az_count": 3}, "services": sorted(defined)},
        },
    }
    (root / "services").mkdir(parents=True, exist_ok=True)
    (root / "services" / "registry.yaml").write_text(yaml.safe_dump(registry, sort_keys=False))
    for name, data in defined.items():
        (root / "services" / name).mkdir()
        (root / "services" / name / "service.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    code = "def lambda_handler(event, context):\n    return {}\n"
    for folder in ("api_key_validator", "onboarding", *(f.replace("-", "_") for f in FUNCTIONS)):
        (root / "functions" / folder).mkdir(parents=True)
        (root / "functions" / folder / "app.py").write_text(code)
    return root
