"""What registry rules look at: one service in one environment, or one environment with its services."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from template_gen.registry.entries import AnyService, ServiceEntry
from template_gen.registry.models import Environment, Registry
from template_gen.route_table import RouteEntry


@dataclass(frozen=True)
class ServiceContext:
    entry: ServiceEntry  # with the environment's overrides applied
    env: Environment
    env_name: str
    project_dir: Path

    @property
    def model(self) -> AnyService:
        return self.entry.model


@dataclass(frozen=True)
class EnvironmentContext:
    env: Environment  # with the registry's defaults applied
    env_name: str
    region: str
    project_dir: Path
    services: tuple[ServiceEntry, ...] = ()  # the enabled services that are valid on their own, by name
    routes: tuple[RouteEntry, ...] = ()  # their route table
    registry: Registry | None = None  # the whole registry, for rules that compare environments
    defined_services: frozenset[str] = frozenset()  # every service whose file is valid, enabled or not
    service_folders: frozenset[str] = frozenset()  # every folder under services/ (valid or not)
