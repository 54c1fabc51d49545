"""Rules of cached routes (`api.routes[].cache`): only GET is cached, the cache key can name the caller, and
the route's APIs have a stage cache (`api.cache` in registry.yaml). See stacks/stage_cache.py."""

from __future__ import annotations

from collections.abc import Iterator

from template_gen.registry.context import ServiceContext
from template_gen.registry.models import APIS_BY_EXPOSURE
from template_gen.registry.rules import Finding


def route_cache(ctx: ServiceContext) -> Iterator[Finding]:
    api = ctx.model.api
    for index, route in enumerate(api.routes):
        cache = route.cache
        if cache is None:
            continue
        where: tuple[str | int, ...] = ("api", "routes", index, "cache")
        if set(route.methods) != {"GET"}:
            yield Finding(
                where,
                f"only GET may be cached (this route's methods: {', '.join(route.methods)})",
                hint="give GET a route of its own (api.routes[].methods: [GET]) and cache that one",
                related=(("api", "routes", index, "methods"),),
            )
        auth = route.auth or api.auth
        if auth == "iam":
            yield Finding(
                where,
                "a route with auth: iam cannot be cached: no request header names its caller (a SigV4 "
                "signature differs on every request), so callers would share answers",
            )
        elif auth == "none" and not cache.shared:
            yield Finding(
                where,
                "an open route (auth: none) has no caller identity to key the cache on: every caller would get "
                "the same cached answer",
                hint="set cache.shared: true if the answer is the same for everyone",
            )
        if cache.shared and auth != "none":
            yield Finding(
                (*where, "shared"),
                f"applies only to auth: none; a route with auth: {auth} is cached per caller",
            )
        for which in APIS_BY_EXPOSURE[route.exposure or api.exposure]:
            if getattr(ctx.env.api.cache, which) is None:
                yield Finding(
                    where,
                    f"the {which} API of environment '{ctx.env_name}' has no stage cache",
                    hint=f"set api.cache.{which}.size_gb (e.g. 0.5) in registry.yaml",
                )
