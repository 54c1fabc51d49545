"""Write the example platform with every security option on, for `make scan`.

    python scan/hardened.py OUT_DIR

The options that fix scanner findings (docs/security.md, Options) are off by default, and each turns an
exemption off. Scanning only the defaults would leave the option-on templates, and the conditions of the
exemptions, unchecked. This copies the example project (services/, functions/) to OUT_DIR and turns on,
per environment, everything the Options table offers: customer-managed keys, a versioned and locked log
bucket, VPC endpoints with restricted task egress, TLS to the ALB (dev behind the NLB, prod in
`alb-direct` mode, so both ingress modes are scanned), stage caches with a cached route, hardened
containers, a function in the VPC, a year of logs and the validator's reserved concurrency. Comments of
the YAML files are not kept.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
ACCOUNT = "123456789012"
CERTIFICATE = f"arn:aws:acm:eu-west-1:{ACCOUNT}:certificate/0b3d7f5e-1c2a-4e6b-9f8d-2a4c6e8b0d1f"
LOGS_KEY = f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/1f2e3d4c-5b6a-4789-8a9b-0c1d2e3f4a5b"
DATA_KEY = f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/7a6b5c4d-3e2f-4a1b-9c8d-7e6f5a4b3c2d"
ENDPOINTS = ["ecr", "s3", "logs", "secretsmanager", "ssm", "ssmmessages", "sqs", "xray", "kms", "monitoring"]

# Every environment of the registry.
ENVIRONMENT: dict[str, Any] = {
    "log_retention_days": 365,
    "logs_kms_key_arn": LOGS_KEY,
    "platform_functions": {"api_key_validator": {"reserved_concurrency": 10}},
    "security": {
        "alb_certificate_arn": CERTIFICATE,
        "kms_key_arn": DATA_KEY,
        "log_bucket_versioning": True,
        "log_bucket_object_lock_days": 30,
    },
    "network": {
        "task_egress": "restricted",
        "endpoints": {"services": ENDPOINTS, "s3_prefix_list_id": "pl-6da54004"},
    },
    "ecs": {"xray_daemon_image": f"{ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com/aws-xray-daemon:3.3.14"},
}
PER_ENVIRONMENT: dict[str, dict[str, Any]] = {
    "dev": {"security": {"alb_tls_hostname": "internal.dev.acme.example"}},
    "prod": {"security": {"alb_tls_hostname": "internal.prod.acme.example"}, "network": {"ingress": "alb-direct"}},
}
DEFAULTS: dict[str, Any] = {"api": {"cache": {"public": {"size_gb": 0.5}, "private": {"size_gb": 0.5}}}}
# Every container service: read-only, non-root, with a hard memory limit.
CONTAINER: dict[str, Any] = {"readonly_root_filesystem": True, "user": "1000:1000", "memory_limit_mib": "task"}
PER_SERVICE: dict[str, dict[str, Any]] = {
    "quoting": {
        "exec": True,
        "api": {
            "routes": [
                {
                    "path": "/quoting/rates",
                    "methods": ["GET"],
                    "cache": {"ttl_seconds": 60, "query_strings": ["currency"]},
                }
            ]
        },
    },
    "platform-info": {"vpc": True},
}


def merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """`base` with `extra` merged in, mappings recursively."""
    out = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = value
    return out


def read(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def write(path: Path, data: dict[str, Any]) -> None:
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


def harden(out: Path, source: Path = ROOT) -> None:
    if out.exists():
        shutil.rmtree(out)
    for folder in ("services", "functions"):
        shutil.copytree(source / folder, out / folder, ignore=shutil.ignore_patterns("__pycache__", "*.placement.json"))
    registry_file = out / "services" / "registry.yaml"
    registry = read(registry_file)
    registry["defaults"] = merge(registry.get("defaults") or {}, DEFAULTS)
    for name, env in registry["environments"].items():
        registry["environments"][name] = merge(merge(env, ENVIRONMENT), PER_ENVIRONMENT.get(name, {}))
    write(registry_file, registry)
    for service_file in sorted((out / "services").glob("*/service.yaml")):
        service = read(service_file)
        extra = PER_SERVICE.get(service_file.parent.name, {})
        if service.get("kind") in ("ecs", "worker"):
            extra = merge(CONTAINER, extra)
        write(service_file, merge(service, extra))


if __name__ == "__main__":
    harden(Path(sys.argv[1]))
