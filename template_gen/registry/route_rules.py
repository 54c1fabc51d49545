"""Rules of API routes (`api.routes` beside the `api.base_path` short form).

One service: each route's path, auth options and authorizer; no (path, method) twice; every route reached
by one of the service's ALB path patterns. The rules across services are in `route_cross_checks`."""

from __future__ import annotations

from collections.abc import Iterator

from template_gen.registry import paths
from template_gen.registry.context import ServiceContext
from template_gen.registry.models import EcsService
from template_gen.registry.rules import Finding

TOKEN_AUTH = ("cognito", "jwt")
JWT_CODE = "functions/jwt_authorizer"


def _routes(ctx: ServiceContext) -> list[tuple[int | None, str, tuple[str, ...], bool, str]]:
    """(index or None for base_path, path, methods, proxy, auth) of each route the service declares."""
    api = ctx.model.api
    out: list[tuple[int | None, str, tuple[str, ...], bool, str]] = []
    if api.base_path is not None:
        out.append((None, api.base_path, ("ANY",), True, api.auth))
    out += [(i, r.path, tuple(r.methods), r.proxy, r.auth or api.auth) for i, r in enumerate(api.routes)]
    return out


def route_rules(ctx: ServiceContext) -> Iterator[Finding]:
    """Each route of `api.routes` on its own: path, scopes, authorizer."""
    api = ctx.model.api
    authorizers = ctx.env.api.authorizers
    auths: list[tuple[str | int, ...]] = []
    if api.auth in TOKEN_AUTH and api.base_path is not None:
        auths.append(("api", "auth"))
    for index, route in enumerate(api.routes):
        where = ("api", "routes", index)
        problem = paths.check_route_path(route.path)
        if problem:
            yield Finding((*where, "path"), problem)
        auth = route.auth or api.auth
        if route.scopes and auth != "cognito":
            yield Finding((*where, "scopes"), f"OAuth scopes need auth: cognito (this route's auth is {auth})")
        if route.authorizer is not None and auth not in TOKEN_AUTH:
            yield Finding(
                (*where, "authorizer"), f"an authorizer needs auth: cognito or jwt (this route's auth is {auth})"
            )
        if route.authorizer is not None and auth in TOKEN_AUTH:
            chosen = authorizers.get(route.authorizer)
            if chosen is None:
                known = ", ".join(sorted(authorizers)) or "none"
                yield Finding(
                    (*where, "authorizer"),
                    f"'{route.authorizer}' is not an authorizer of environment '{ctx.env_name}' (api.authorizers: "
                    f"{known})",
                )
            elif chosen.type != auth:
                yield Finding((*where, "authorizer"), f"'{route.authorizer}' is a {chosen.type} authorizer, not {auth}")
        elif auth in TOKEN_AUTH:
            auths.append((*where, "auth") if route.auth else ("api", "auth"))
    for field in dict.fromkeys(auths):
        yield from _default_authorizer(ctx, field, api.auth if field == ("api", "auth") else None)


def _default_authorizer(ctx: ServiceContext, field: tuple[str | int, ...], auth: str | None) -> Iterator[Finding]:
    """A cognito/jwt route that names no authorizer needs exactly one of that type in the environment."""
    if auth is None:
        index = field[2]
        assert isinstance(index, int)
        auth = ctx.model.api.routes[index].auth
    names = sorted(name for name, a in ctx.env.api.authorizers.items() if a.type == auth)
    if len(names) == 1:
        return
    if not names:
        yield Finding(
            field,
            f"'{auth}' needs a {auth} authorizer in api.authorizers of environment '{ctx.env_name}'; there is none",
            hint=f"declare one in registry.yaml: api: {{authorizers: {{<name>: {{type: {auth}, ...}}}}}}",
        )
    else:
        yield Finding(
            field,
            f"environment '{ctx.env_name}' has several {auth} authorizers ({', '.join(names)}); name one with "
            "api.routes[].authorizer",
        )


def unique_methods(ctx: ServiceContext) -> Iterator[Finding]:
    """A (path, method) is declared once per service; ANY covers every method."""
    seen: dict[tuple[str, str], int | None] = {}
    for index, path, methods, _proxy, _auth in _routes(ctx):
        for method in methods:
            clash = next(
                (
                    (other, first)
                    for (p, other), first in seen.items()
                    if p == path and (other == method or "ANY" in (method, other))
                ),
                None,
            )
            if clash is not None:
                other, first = clash
                earlier = "api.base_path" if first is None else f"api.routes[{first}]"
                field = ("api", "base_path") if index is None else ("api", "routes", index, "methods")
                yield Finding(field, f"{method} {path} is already routed by {earlier} ({other} {path})")
                break
            seen[(path, method)] = index


def alb_reaches_routes(ctx: ServiceContext) -> Iterator[Finding]:
    """Every route of a container service must be reached by one of its ALB path patterns, or API Gateway
    sends requests the ALB answers with its default 404."""
    model = ctx.model
    if not isinstance(model, EcsService) or model.alb is None or model.alb.path_patterns is None:
        return  # the default patterns cover every route (a service without a rule has no route: ecs_rules)
    patterns = ctx.entry.alb_patterns()
    for index, path, _methods, proxy, _auth in _routes(ctx):
        witnesses = [path] + ([("" if path == "/" else path) + "/x"] if proxy else [])
        for witness in witnesses:
            if not any(paths.reaches(pattern, witness) for pattern in patterns):
                field = ("api", "base_path") if index is None else ("api", "routes", index, "path")
                yield Finding(
                    field,
                    f"'{witness}' is not reached by any ALB path pattern of this service "
                    f"({', '.join(repr(p) for p in patterns)})",
                    hint="add a pattern to alb.path_patterns, or remove alb.path_patterns to use the default "
                    "(every route)",
                    related=(("alb", "path_patterns"),),
                )
                break
