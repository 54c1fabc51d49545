"""Route rules across the services of an environment: no route inside another service's route on the same
API (only the root `/` may be shared that way), at most 10 authorizers per API, and the JWT authorizer's
code when a route uses it."""

from __future__ import annotations

from collections.abc import Iterator

from template_gen import platform_code, route_table
from template_gen.quotas import API_AUTHORIZERS
from template_gen.registry.context import EnvironmentContext
from template_gen.registry.cross_checks import by_service
from template_gen.registry.route_rules import JWT_CODE
from template_gen.registry.rules import Finding
from template_gen.route_table import ADMIN


def no_nested_routes(ctx: EnvironmentContext) -> Iterator[Finding]:
    """A route inside another service's route on the same API would split that service's subtree: API
    Gateway picks the most specific resource. Only the root route `/` may be shared this way."""
    owners = {e.name: e for e in ctx.services}
    routes = [r for r in by_service(ctx.routes) if r.name != ADMIN]
    # Proxy routes by (API, base path), in order: a route is inside one when that one's path followed by "/"
    # starts it, so only the route's own prefixes before a "/" need looking up (not every other route).
    proxies: dict[tuple[str, str], list[int]] = {}
    for index, other in enumerate(routes):
        if other.proxy and other.base_path != "/":
            proxies.setdefault((other.api, other.base_path), []).append(index)
    for route in routes:
        path = route.base_path
        candidates = (
            index
            for cut in range(len(path))
            if path[cut] == "/"
            for index in proxies.get((route.api, path[:cut]), ())
            if routes[index].name != route.name
        )
        first = min(candidates, default=None)  # the first such route, as the message has always named
        if first is not None:
            other = routes[first]
            yield Finding(
                route.field,
                f"'{route.base_path}' on the {route.api} API is inside '{other.base_path}' of "
                f"{owners[other.name].file}, whose {{proxy+}} serves everything below it",
                hint="give each service its own path prefix (only the root route '/' can be shared: the "
                "other services' routes take precedence over it)",
                service=owners[route.name],
            )


def authorizer_quota(ctx: EnvironmentContext) -> Iterator[Finding]:
    """At most 10 authorizers per REST API: the API key validator and each token authorizer in use."""
    for which in route_table.apis(ctx.routes):
        count = route_table.authorizer_count(ctx.routes, which)
        if count > API_AUTHORIZERS.limit:
            yield Finding(
                ("api", "authorizers"),
                f"quota exceeded: {API_AUTHORIZERS.name} is {API_AUTHORIZERS.limit}; the {which} API would have "
                f"{count}",
                hint="share authorizers between routes (an authorizer may accept several audiences or user pools)",
            )


def jwt_authorizer_code(ctx: EnvironmentContext) -> Iterator[Finding]:
    """A JWT authorizer in use is deployed from the project's functions/jwt_authorizer when it has one (it
    overrides the packaged copy), else from the copy shipped with template-gen."""
    if not any(r.auth == "jwt" for r in ctx.routes):
        return
    code = platform_code.source_of(ctx.project_dir, JWT_CODE)
    if not (code / "app.py").is_file():
        own = (ctx.project_dir / JWT_CODE).is_dir()
        yield Finding(
            ("api", "authorizers"),
            f"a jwt authorizer is in use, but its code ({JWT_CODE}/app.py) is missing"
            + (f" ({JWT_CODE}/ overrides the packaged code)" if own else " from the installed template-gen"),
            hint=f"add {JWT_CODE}/app.py, or remove {JWT_CODE}/ to use the code shipped with template-gen"
            if own
            else "reinstall template-gen",
        )
