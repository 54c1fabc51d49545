"""The escape hatches of one environment as plain frozen data, each naming the file and field it came
from, so that a problem found after building still points at the line to fix."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from template_gen.registry.entries import EnvironmentEntry, ServiceEntry
from template_gen.registry.loader import REGISTRY_FILE
from template_gen.registry.overrides import touches


@dataclass(frozen=True)
class Override:
    file: str
    field: str  # e.g. overrides[0], environments.dev.overrides.network[1]
    service: str | None  # a service's own patch: applied only when the service is in the build
    stage: str | None  # None: the stack that holds the resource
    op: str
    resource: str
    path: tuple[str, ...]
    value_json: str  # JSON, so the spec stays hashable

    @property
    def value(self) -> Any:
        return json.loads(self.value_json)


@dataclass(frozen=True)
class Extra:
    file: str
    field: str  # e.g. extra_resources.AlertsTopic
    service: str | None
    stage: str | None  # None: the compute stack that holds the service
    logical_id: str
    resource_json: str

    @property
    def resource(self) -> dict[str, Any]:
        return json.loads(self.resource_json)  # type: ignore[no-any-return]


@dataclass(frozen=True)
class EscapeHatches:
    overrides: tuple[Override, ...] = ()
    extras: tuple[Extra, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.overrides or self.extras)


def _dump(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


def _service(entry: ServiceEntry, env_name: str) -> tuple[list[Override], list[Extra]]:
    model = entry.model

    def where(field: str) -> str:
        return f"environments.{env_name}.{field}" if touches(entry.override, [field]) else field

    overrides = [
        Override(
            entry.file, f"{where('overrides')}[{i}]", entry.name, op.stage, op.op, op.resource,
            tuple(op.path.split(".")), _dump(op.value),
        )
        for i, op in enumerate(model.overrides)
    ]  # fmt: skip
    extras = [
        Extra(entry.file, f"{where('extra_resources')}.{lid}", entry.name, None, lid, _dump(res.template_dict()))
        for lid, res in model.extra_resources.items()
    ]
    return overrides, extras


def of_environment(entry: EnvironmentEntry) -> EscapeHatches:
    """The environment's own hatches (registry.yaml, by stack), then each service's, in name order."""
    env = entry.model
    prefix = f"environments.{entry.name}"
    overrides = [
        Override(
            REGISTRY_FILE, f"{prefix}.overrides.{stage}[{i}]", None, stage, op.op, op.resource,
            tuple(op.path.split(".")), _dump(op.value),
        )
        for stage, ops in env.overrides.items()
        for i, op in enumerate(ops)
    ]  # fmt: skip
    extras = [
        Extra(REGISTRY_FILE, f"{prefix}.extra_resources.{stage}.{lid}", None, stage, lid, _dump(res.template_dict()))
        for stage, resources in env.extra_resources.items()
        for lid, res in resources.items()
    ]
    for service in entry.services:
        more_overrides, more_extras = _service(service, entry.name)
        overrides += more_overrides
        extras += more_extras
    return EscapeHatches(tuple(overrides), tuple(extras))
