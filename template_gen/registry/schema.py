"""JSON Schemas for `registry.yaml` and `service.yaml`, generated from the models, so that editors
(yaml-language-server) complete and check the files as they are typed."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter

from template_gen.registry import versions
from template_gen.registry.models import Registry, Service
from template_gen.registry.overrides import FIXED_KEYS

SCHEMA_DIR = "services/_schema"
REGISTRY_SCHEMA = "registry.schema.json"
SERVICE_SCHEMA = "service.schema.json"
DRAFT = "https://json-schema.org/draft/2020-12/schema"
FORMAT = f"template-gen registry format version {versions.CURRENT}"


def registry_schema() -> dict[str, Any]:
    schema = Registry.model_json_schema(by_alias=True)
    return {"$schema": DRAFT, "$comment": FORMAT, "title": "Platform registry (services/registry.yaml)", **schema}


def service_schema() -> dict[str, Any]:
    schema = TypeAdapter(Service).json_schema(by_alias=True)
    defs = schema.setdefault("$defs", {})
    # An `environments.<env>` block is a partial service: any field but kind, name and environments.
    overrides = []
    for kind in ("EcsService", "WorkerService", "LambdaService"):
        partial = copy.deepcopy(defs[kind])
        partial.pop("required", None)
        for key in FIXED_KEYS:
            partial["properties"].pop(key, None)
        partial["title"] = f"{kind} override"
        defs[f"{kind}Override"] = partial
        overrides.append({"$ref": f"#/$defs/{kind}Override"})
    for kind in ("EcsService", "WorkerService", "LambdaService"):
        defs[kind]["properties"]["environments"]["additionalProperties"] = {"anyOf": overrides}
    title = "Service definition (services/<name>/service.yaml)"
    return {"$schema": DRAFT, "$comment": FORMAT, "title": title, **schema}


def render(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


def rendered() -> dict[str, str]:
    """Both schema files' text, by file name."""
    return {REGISTRY_SCHEMA: render(registry_schema()), SERVICE_SCHEMA: render(service_schema())}


def write_schemas(out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in rendered().items():
        path = out_dir / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
