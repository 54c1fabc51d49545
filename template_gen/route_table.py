"""The route table: which routes go on which REST API, the admin route included. Built once per
environment (`EnvironmentSpec.routes`) and read by the API stage, the layout's costs, the quota report,
`graph` and the registry's checks, so "what is on the public API" has one answer.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from template_gen.registry.models import APIS_BY_EXPOSURE, EcsService, Environment

if TYPE_CHECKING:
    from template_gen.registry.entries import ServiceEntry

ADMIN = "admin"  # the route name of the platform's consumer admin API


@dataclass(frozen=True)
class RouteEntry:
    """Requests to `base_path` and below on one API, sent to one backend."""

    api: str  # public | private
    name: str  # service name, or "admin"
    base_path: str
    auth: str  # api_key | authorizer | iam | none
    backend: str  # vpc_link | lambda
    timeout_ms: int = 29000

    @property
    def group(self) -> str:
        """Routes sharing a first path segment share parent resources, so they stay in one stack."""
        return route_group(self.base_path)


@dataclass(frozen=True)
class Exposed:
    """What the table needs of one service."""

    name: str
    exposure: str
    base_path: str | None
    auth: str
    backend: str
    timeout_ms: int = 29000


def route_group(base_path: str) -> str:
    return base_path.strip("/").split("/")[0]


def build(services: Iterable[Exposed], admin: tuple[str, str] | None) -> tuple[RouteEntry, ...]:
    """Every route, sorted by API then path. `admin`: (base path, API) when the onboarding API is on."""
    routes = [
        RouteEntry(which, svc.name, str(svc.base_path), svc.auth, svc.backend, svc.timeout_ms)
        for svc in services
        for which in APIS_BY_EXPOSURE[svc.exposure]
    ]
    if admin is not None:
        routes.append(RouteEntry(admin[1], ADMIN, admin[0], "iam", "lambda"))
    return tuple(sorted(routes, key=lambda r: (r.api, r.base_path, r.name)))


def for_environment(env: Environment, services: Iterable[ServiceEntry]) -> tuple[RouteEntry, ...]:
    """The route table of an environment from its (validated) services and the admin API."""
    admin = (env.api.admin.base_path, env.api.admin.exposure) if env.platform_functions.onboarding.enabled else None
    return build((_exposed(s) for s in services), admin)


def _exposed(entry: ServiceEntry) -> Exposed:
    api = entry.model.api
    backend = "vpc_link" if isinstance(entry.model, EcsService) else "lambda"
    return Exposed(entry.name, api.exposure, api.base_path, api.auth, backend, api.timeout_ms)


def on_api(routes: Iterable[RouteEntry], which: str) -> list[RouteEntry]:
    return [r for r in routes if r.api == which]


def apis(routes: Iterable[RouteEntry]) -> list[str]:
    """The APIs that carry at least one route, public first."""
    present = {r.api for r in routes}
    return [which for which in ("public", "private") if which in present]


def resource_paths(base_paths: Iterable[str]) -> set[str]:
    """Every REST API resource the routes need: each base path, its parents, and `{proxy+}` below it."""
    resources: set[str] = set()
    for base in base_paths:
        parts = base.strip("/").split("/")
        for depth in range(1, len(parts) + 1):
            resources.add("/" + "/".join(parts[:depth]))
        resources.add(base + "/{proxy+}")
    return resources


def api_resource_count(routes: Iterable[RouteEntry], which: str) -> int:
    return len(resource_paths(r.base_path for r in routes if r.api == which))
