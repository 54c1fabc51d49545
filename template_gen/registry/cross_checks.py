"""Rules that involve several services of one environment: priorities, overlapping paths, base paths
per API, API key sources, the admin route, and the platform functions the services rely on.

Each takes an `EnvironmentContext` and yields `Finding`s; a finding about one service names it
(`Finding.service`), the others are about the environment in the registry."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from template_gen import platform_code
from template_gen.registry import paths
from template_gen.registry.context import EnvironmentContext
from template_gen.registry.entries import ServiceEntry
from template_gen.registry.models import EcsService
from template_gen.registry.rules import Finding
from template_gen.route_table import ADMIN, RouteEntry


def by_service(routes: Sequence[RouteEntry]) -> list[RouteEntry]:
    """Routes in service order, public before private: who came first decides who is blamed."""
    return sorted(routes, key=lambda r: (r.name, r.api != "public"))


def auth_field(route: RouteEntry, entry: ServiceEntry) -> tuple[str | int, ...]:
    """Where a route's auth is set: its own `auth`, or the service's `api.auth` it inherits."""
    if route.index is None or entry.model.api.routes[route.index].auth is None:
        return ("api", "auth")
    return ("api", "routes", route.index, "auth")


def platform_function_code(ctx: EnvironmentContext) -> Iterator[Finding]:
    """An enabled platform function needs its code: the project's own `functions/<name>` when it has one
    (it overrides the packaged copy), else the copy shipped with template-gen."""
    functions = ctx.env.platform_functions
    for key in platform_code.PLATFORM_FUNCTIONS:
        if not getattr(functions, key).enabled:
            continue
        folder = f"functions/{key}"
        own = platform_code.project_override(ctx.project_dir, key)
        if own is not None and not (own / "app.py").is_file():
            yield Finding(
                ("platform_functions", key),
                f"is enabled and {folder}/ overrides the packaged code, but {folder}/app.py is missing",
                f"add {folder}/app.py, or remove {folder}/ to use the code shipped with template-gen",
            )
        elif own is None and not (platform_code.packaged_root() / key / "app.py").is_file():
            yield Finding(
                ("platform_functions", key),
                f"is enabled but its code is neither in {folder}/ nor in the installed template-gen",
                f"reinstall template-gen, add {folder}/app.py, or set platform_functions.{key}.enabled: false",
            )


def authorizer_needs_validator(ctx: EnvironmentContext) -> Iterator[Finding]:
    """`auth: authorizer` needs the platform's API key validator."""
    if ctx.env.platform_functions.api_key_validator.enabled:
        return
    owners = {e.name: e for e in ctx.services}
    blamed: set[tuple[str, tuple[str | int, ...]]] = set()
    for route in by_service(ctx.routes):
        if route.name == ADMIN:
            continue
        field = auth_field(route, owners[route.name])
        if route.auth == "authorizer" and (route.name, field) not in blamed:
            blamed.add((route.name, field))
            entry = owners[route.name]
            yield Finding(
                field,
                f"'authorizer' needs the platform's API key validator, which is disabled in environment "
                f"'{ctx.env_name}'",
                hint="use auth: api_key, or enable platform_functions.api_key_validator",
                service=entry,
            )


def unique_priorities(ctx: EnvironmentContext) -> Iterator[Finding]:
    """Listener rule priorities are unique per listener."""
    by_priority: dict[int, ServiceEntry] = {}
    for entry in ctx.services:
        if not isinstance(entry.model, EcsService) or entry.model.alb is None:
            continue
        priority = entry.model.alb.priority
        first = by_priority.setdefault(priority, entry)
        if first is not entry:
            yield Finding(
                ("alb", "priority"),
                f"{priority} is already used by {first.file}",
                hint="every ECS service needs its own listener rule priority",
                service=entry,
            )


def no_overlapping_alb_paths(ctx: EnvironmentContext) -> Iterator[Finding]:
    """No path may be routed to two services by the ALB. One finding per pair of services, on the service
    that chose explicit patterns (else the later one by name), naming the other and a path both match."""
    owners = {e.name: e for e in ctx.services}
    patterns = [(e.name, p) for e in ctx.services if isinstance(e.model, EcsService) for p in e.alb_patterns()]
    reported: set[tuple[str, ...]] = set()
    for owner_a, pat_a, owner_b, pat_b, witness in paths.overlapping_pairs(patterns):
        pair = tuple(sorted((owner_a, owner_b)))
        if pair in reported:
            continue
        reported.add(pair)
        a, b = owners[owner_a], owners[owner_b]
        if _root_yields(a, pat_a, b) or _root_yields(b, pat_b, a):
            continue
        explicit_a, explicit_b = _explicit_patterns(a), _explicit_patterns(b)
        blame_b = explicit_b if explicit_a != explicit_b else owner_b > owner_a
        (mine, theirs, me, other) = (pat_b, pat_a, b, a) if blame_b else (pat_a, pat_b, a, b)
        root = next((x for x, pat in ((a, pat_a), (b, pat_b)) if _is_root_catch_all(x, pat)), None)
        if root is not None:  # the root service's rule is checked first: it would shadow the other service
            other = b if root is a else a
            yield Finding(
                ("alb", "priority"),
                f"the root route's ALB pattern '/*' is checked before {other.file} (priority "
                f"{other.model.alb.priority}) and would take its requests",  # type: ignore[union-attr]
                hint="give the service of the root route the highest alb.priority number of the environment, so "
                "its catch-all rule comes last",
                service=root,
            )
            continue
        field: tuple[str | int, ...] = ("api", "base_path") if me.model.api.base_path is not None else ("api", "routes")
        if _explicit_patterns(me):
            field = ("alb", "path_patterns", me.alb_patterns().index(mine))
        yield Finding(
            field,
            f"ALB path pattern '{mine}' overlaps '{theirs}' of {other.file} (both match '{witness}')",
            hint="give each service its own path prefix; the ALB would send these requests to whichever "
            "rule has the lower priority",
            service=me,
        )


def _explicit_patterns(entry: ServiceEntry) -> bool:
    model = entry.model
    return isinstance(model, EcsService) and model.alb is not None and model.alb.path_patterns is not None


def _is_root_catch_all(entry: ServiceEntry, pattern: str) -> bool:
    return pattern == "/*" and any(r.path == "/" for r in entry.model.api.routes)


def _root_yields(root: ServiceEntry, pattern: str, other: ServiceEntry) -> bool:
    """The root route's catch-all ALB pattern may overlap another service's when its rule comes last (a
    higher priority number), so the ALB, like API Gateway, prefers the more specific service."""
    if not _is_root_catch_all(root, pattern):
        return False
    return root.model.alb.priority > other.model.alb.priority  # type: ignore[union-attr]


def unique_base_paths(ctx: EnvironmentContext) -> Iterator[Finding]:
    """One service per base path and API (the route table's own entries)."""
    owners = {e.name: e for e in ctx.services}
    claimed: dict[tuple[str, str], str] = {}
    for route in by_service(ctx.routes):
        if route.name == ADMIN:
            continue
        first = claimed.setdefault((route.api, route.base_path), route.name)
        if first != route.name:
            yield Finding(
                route.field,
                f"'{route.base_path}' is already used on the {route.api} API by {owners[first].file}",
                service=owners[route.name],
            )


def one_api_key_source(ctx: EnvironmentContext) -> Iterator[Finding]:
    """A REST API has one API key source: HEADER (auth: api_key) or AUTHORIZER (auth: authorizer)."""
    owners = {e.name: e for e in ctx.services}
    key_source: dict[str, RouteEntry] = {}
    for route in by_service(ctx.routes):
        if route.auth not in ("api_key", "authorizer") or route.name == ADMIN:
            continue
        first_route = key_source.setdefault(route.api, route)
        first = owners[first_route.name]
        if first_route.auth != route.auth:
            yield Finding(
                auth_field(route, owners[route.name]),
                f"'{route.auth}' cannot share the {route.api} API with '{first_route.auth}' "
                f"({first.file}): a REST API has one API key source",
                hint="use the same auth for every keyed service of an API (authorizer also meters API keys)",
                service=owners[route.name],
            )


def admin_path_is_reserved(ctx: EnvironmentContext) -> Iterator[Finding]:
    """The onboarding admin API owns its base path on its API."""
    admin = next((r for r in ctx.routes if r.name == ADMIN), None)
    if admin is None:
        return
    owners = {e.name: e for e in ctx.services}
    for route in by_service(ctx.routes):
        base = route.base_path
        under = base == admin.base_path or base.startswith(admin.base_path + "/")
        if route.name != ADMIN and route.api == admin.api and under:
            yield Finding(
                ("api", "base_path"),
                f"'{base}' is taken by the platform's admin API ({admin.base_path}) on the {admin.api} API",
                hint="choose another base path, or move the admin API with api.admin.base_path",
                service=owners[route.name],
            )


def keys_need_a_usage_plan(ctx: EnvironmentContext) -> Iterator[Finding]:
    """API keys are only accepted through a usage plan."""
    keyed = ctx.env.platform_functions.onboarding.enabled or any(
        e.model.api.auth in ("api_key", "authorizer") for e in ctx.services
    )
    if keyed and not ctx.env.api.usage_plans:
        yield Finding(
            ("api", "usage_plans"), "needs at least one usage plan: API keys are only accepted through a usage plan"
        )
