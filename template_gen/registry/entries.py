"""What validation produces: services and environments with overrides applied, and the collector that
gathers every problem with its file and field path."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from template_gen import naming
from template_gen.errors import Problem
from template_gen.registry import paths, rules
from template_gen.registry.models import EcsService, Environment, LambdaService, Registry, WorkerService
from template_gen.registry.overrides import touches
from template_gen.registry.pydantic_errors import format_path

AnyService = EcsService | WorkerService | LambdaService


@dataclass(frozen=True)
class ServiceEntry:
    name: str
    file: str
    model: AnyService  # with this environment's overrides applied
    override: Mapping[str, Any]

    @property
    def code_dir(self) -> str | None:
        """The Lambda service's code folder; None for a container service (it has an image, not a folder)."""
        if not isinstance(self.model, LambdaService):
            return None
        return self.model.code or naming.code_dir_for(self.name)

    def alb_patterns(self) -> tuple[str, ...]:
        """The path patterns of the service's listener rule: its own, else the defaults of its base path.
        Empty when it has no rule (a Lambda, a worker, an internal service), and when it has one but neither
        is set: `rules.ecs_rules` reports that case, so every later check sees a known state, not a crash."""
        if not isinstance(self.model, EcsService) or self.model.alb is None:
            return ()
        if self.model.alb.path_patterns is not None:
            return tuple(self.model.alb.path_patterns)
        # The default covers every route of the service: its base path and each of `api.routes`.
        routes = [(self.model.api.base_path, True)] if self.model.api.base_path is not None else []
        routes += [(route.path, route.proxy) for route in self.model.api.routes]
        patterns: dict[str, None] = {}
        for path, proxy in routes:
            patterns.update(dict.fromkeys(paths.default_alb_patterns(path, proxy)))
        return tuple(patterns)  # () for a service with no route: internal, or a worker


@dataclass(frozen=True)
class EnvironmentEntry:
    name: str
    model: Environment  # with the registry's defaults applied
    services: tuple[ServiceEntry, ...]  # enabled services, sorted by name


@dataclass(frozen=True)
class ValidRegistry:
    project_dir: Path
    registry: Registry
    environments: Mapping[str, EnvironmentEntry]  # the environments that were asked for
    all_services: Mapping[str, str]  # every defined service -> its file


class Problems:
    def __init__(self) -> None:
        self.items: list[Problem] = []

    def add(self, file: str, path: str | Sequence[str | int], message: str, hint: str = "") -> None:
        where = path if isinstance(path, str) else format_path(path)
        self.items.append(Problem(file, where, message, hint))

    def extend(self, problems: Iterable[Problem]) -> None:
        self.items.extend(problems)


def report(problems: Problems, entry: ServiceEntry, env_name: str, finding: rules.Finding) -> None:
    """Attribute a finding to the override when the override set any field it depends on."""
    if any(touches(entry.override, list(p)) for p in (finding.path, *finding.related)):
        where = f"environments.{env_name}.{format_path(finding.path)}"
    else:
        where = format_path(finding.path)
    problems.add(entry.file, where, finding.message, finding.hint)


# --------------------------------------------------------------------------------------------------
# one environment
# --------------------------------------------------------------------------------------------------
