"""The route table: which routes go on which REST API, the admin route included. Built once per
environment (`EnvironmentSpec.routes`) and read by the API stage, the layout's costs, the quota report,
`graph` and the registry's checks, so "what is on the public API" has one answer.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from template_gen.registry.models import APIS_BY_EXPOSURE, EcsService, Environment
from template_gen.registry.route_models import ApiRoute

if TYPE_CHECKING:
    from template_gen.registry.entries import ServiceEntry

ADMIN = "admin"  # the route name of the platform's consumer admin API


@dataclass(frozen=True)
class RouteCacheEntry:
    """A cached GET route (`api.routes[].cache`): its TTL and the query strings and headers in its cache key
    (the caller's identity and the `{proxy+}` path are added by the route builder)."""

    ttl_seconds: int
    query_strings: tuple[str, ...] = ()
    headers: tuple[str, ...] = ()


@dataclass(frozen=True)
class RouteEntry:
    """Requests to `base_path` (and below it, with `proxy`) on one API, sent to one backend. `base_path` is
    the route's path: a service's `api.base_path`, one of its `api.routes`, or `/` (the API's root)."""

    api: str  # public | private
    name: str  # service name, or "admin"
    base_path: str
    auth: str  # api_key | authorizer | iam | none | cognito | jwt
    backend: str  # vpc_link | lambda
    timeout_ms: int = 29000
    methods: tuple[str, ...] = ("ANY",)
    proxy: bool = True  # also `{proxy+}` below the path
    index: int | None = None  # position in `api.routes`; None: the `api.base_path` short form
    authorizer: str | None = None  # auth cognito | jwt: the authorizer's name
    scopes: tuple[str, ...] = ()  # auth cognito: OAuth scopes
    throttle: tuple[float, int] | None = None  # (rate, burst) of these methods
    cache: RouteCacheEntry | None = None  # cached in the stage cache (GET only)

    @property
    def field(self) -> tuple[str | int, ...]:
        """Where the route is declared in service.yaml."""
        return ("api", "base_path") if self.index is None else ("api", "routes", self.index, "path")

    @property
    def paths(self) -> tuple[str, ...]:
        """The paths the route's methods are on: the path, then `{proxy+}` below it."""
        if not self.proxy:
            return (self.base_path,)
        return (self.base_path, proxy_path(self.base_path))

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
    routes: tuple[ApiRoute, ...] = ()


def route_group(base_path: str) -> str:
    """The first path segment ("" for the root route)."""
    return base_path.strip("/").split("/")[0]


def proxy_path(path: str) -> str:
    return "/{proxy+}" if path == "/" else path + "/{proxy+}"


def build(services: Iterable[Exposed], admin: tuple[str, str] | None) -> tuple[RouteEntry, ...]:
    """Every route, sorted by API then path. `admin`: (base path, API) when the onboarding API is on."""
    routes: list[RouteEntry] = []
    for svc in services:
        if svc.base_path is not None:
            routes += [
                RouteEntry(which, svc.name, svc.base_path, svc.auth, svc.backend, svc.timeout_ms)
                for which in APIS_BY_EXPOSURE[svc.exposure]
            ]
        for index, route in enumerate(svc.routes):
            throttle = None if route.throttle is None else (route.throttle.rate_limit, route.throttle.burst_limit)
            cache = None
            if route.cache is not None:
                c = route.cache
                cache = RouteCacheEntry(
                    c.ttl_seconds, tuple(dict.fromkeys(c.query_strings)), tuple(dict.fromkeys(c.headers))
                )
            routes += [
                RouteEntry(
                    which,
                    svc.name,
                    route.path,
                    route.auth or svc.auth,
                    svc.backend,
                    svc.timeout_ms,
                    tuple(route.methods),
                    route.proxy,
                    index,
                    route.authorizer,
                    tuple(route.scopes),
                    throttle,
                    cache,
                )
                for which in APIS_BY_EXPOSURE[route.exposure or svc.exposure]
            ]
    if admin is not None:
        routes.append(RouteEntry(admin[1], ADMIN, admin[0], "iam", "lambda"))
    return tuple(sorted(routes, key=lambda r: (r.api, r.base_path, r.name, -1 if r.index is None else r.index)))


def for_environment(env: Environment, services: Iterable[ServiceEntry]) -> tuple[RouteEntry, ...]:
    """The route table of an environment from its (validated) services and the admin API."""
    admin = (env.api.admin.base_path, env.api.admin.exposure) if env.platform_functions.onboarding.enabled else None
    routes = build((_exposed(s) for s in services), admin)
    return tuple(_with_authorizer(r, env) for r in routes)


def _with_authorizer(route: RouteEntry, env: Environment) -> RouteEntry:
    """A cognito/jwt route without `authorizer` uses the environment's only authorizer of that type (the
    registry's checks report a missing or ambiguous one; the route then keeps None)."""
    if route.auth not in ("cognito", "jwt") or route.authorizer is not None:
        return route
    names = [name for name, a in env.api.authorizers.items() if a.type == route.auth]
    return dataclasses.replace(route, authorizer=names[0]) if len(names) == 1 else route


def _exposed(entry: ServiceEntry) -> Exposed:
    api = entry.model.api
    backend = "vpc_link" if isinstance(entry.model, EcsService) else "lambda"
    return Exposed(entry.name, api.exposure, api.base_path, api.auth, backend, api.timeout_ms, tuple(api.routes))


def on_api(routes: Iterable[RouteEntry], which: str) -> list[RouteEntry]:
    return [r for r in routes if r.api == which]


def apis(routes: Iterable[RouteEntry]) -> list[str]:
    """The APIs that carry at least one route, public first."""
    present = {r.api for r in routes}
    return [which for which in ("public", "private") if which in present]


def resource_order(routes: Iterable[RouteEntry]) -> list[str]:
    """The paths the routes need, in the order the route builder creates them: parents first, then each
    route's path and its `{proxy+}`. The root `/` is the API's own resource, listed for its methods."""
    out: dict[str, None] = {}

    def visit(path: str) -> None:
        if path in out:
            return
        parent = path.rpartition("/")[0]
        if parent:
            visit(parent)
        out[path] = None

    for route in routes:
        for path in route.paths:
            visit(path)
    return list(out)


def resource_paths(routes: Iterable[RouteEntry]) -> set[str]:
    """Every REST API resource the routes need: each path, its parents, and `{proxy+}` below it (the
    API's root resource exists already and is not counted)."""
    return {path for path in resource_order(routes) if path != "/"}


def api_resource_count(routes: Iterable[RouteEntry], which: str) -> int:
    return len(resource_paths(r for r in routes if r.api == which))


def authorizer_count(routes: Iterable[RouteEntry], which: str) -> int:
    """Authorizers the API needs: the API key validator (any `auth: authorizer` route) and each cognito or
    jwt authorizer its routes name."""
    mine = [r for r in routes if r.api == which]
    return len({r.authorizer for r in mine if r.authorizer is not None}) + any(r.auth == "authorizer" for r in mine)
