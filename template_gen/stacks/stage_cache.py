"""The stage cache (`api.cache` per API, `api.routes[].cache` per GET route): a cache cluster on the stage that
caches nothing until a route opts in, and cache keys that always name the caller.

- The stage's `/*/*` method setting turns caching off and encrypts cache data; only the methods of a cached
  route turn it on, with their TTL. With a cluster, every method setting says `CachingEnabled` and
  `CacheDataEncrypted` explicitly: CloudFormation does not reset a property removed from the template, so
  caching left on by an older template would stay on (cloudformation-coverage-roadmap#2231). For the same
  reason a method cached before keeps a setting that says `CachingEnabled: false`, and a stage that had a
  cluster says `CacheClusterEnabled: false` once it has none: the placement file remembers both
  (layout/deploy_state.py), so caching turns off in one deployment.
- API Gateway keys an entry by resource and method only, plus the parameters the integration lists in
  `CacheKeyParameters` (each also declared in the method's `RequestParameters`). So a cached route's key
  lists the caller's identity header (`x-api-key` for API keys and the API key validator, the token header
  for cognito and jwt), the `{proxy+}` path (or every path below the route shares one entry), and the query
  strings and headers the route names.
- The authorizer and the API key check run before the cache is looked up, so a cached answer is served only
  to a caller that passed them. Clients cannot flush an entry: a `Cache-Control: max-age=0` request needs
  the `execute-api:InvalidateCache` permission, which API Gateway requires by default
  (requireAuthorizationForCacheControl, which CloudFormation cannot set) and consumers do not have.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from troposphere import apigateway as apigw

from template_gen.registry.route_models import CognitoAuthorizer
from template_gen.route_table import RouteEntry
from template_gen.spec import ApiSpec

API_KEY_HEADER = "method.request.header.x-api-key"
PROXY_PATH = "method.request.path.proxy"


def cluster_size(api: ApiSpec, which: str) -> str | None:
    """CacheClusterSize of the API's stage ("0.5", "118", ...), or None without a cluster."""
    cluster = getattr(api.cache, which)
    return None if cluster is None else f"{cluster.size_gb:g}"


def cached_methods(routes: Iterable[RouteEntry]) -> tuple[tuple[str, str, int], ...]:
    """(resource path, method, TTL) of every cached method: each path of a cached route, GET."""
    out = {(path, verb): route.cache.ttl_seconds for route in routes if route.cache for path in route.paths
           for verb in route.methods}  # fmt: skip
    return tuple((path, verb, ttl) for (path, verb), ttl in sorted(out.items()))


def identity_parameter(api: ApiSpec, auth: str, authorizer: str | None) -> str | None:
    """The request header that names the caller of a route with this auth (None: auth none)."""
    if auth in ("api_key", "authorizer"):
        return API_KEY_HEADER
    if auth == "cognito" and authorizer is not None:
        chosen = api.authorizer(authorizer)
        if isinstance(chosen, CognitoAuthorizer):
            return f"method.request.header.{chosen.identity_header}"
    if auth in ("cognito", "jwt"):
        return "method.request.header.Authorization"
    return None  # none (registry rules refuse a cached iam route: a SigV4 signature differs on every request)


def key_parameters(api: ApiSpec, route: Any, proxy: bool) -> list[str]:
    """The cache key parameters of a cached route's method (`route`: the route builder's Route)."""
    cache = route.cache
    keys = [identity_parameter(api, route.auth, route.authorizer)]
    if proxy:
        keys.append(PROXY_PATH)
    keys += [f"method.request.querystring.{name}" for name in cache.query_strings]
    keys += [f"method.request.header.{name}" for name in cache.headers]
    return list(dict.fromkeys(k for k in keys if k is not None))


def cluster_properties(size: str | None, had_cluster: bool) -> dict[str, Any]:
    """The stage's cache cluster; once it had one, `CacheClusterEnabled: false` when it has none now (a
    property removed from the template would leave the cluster running and billed:
    cloudformation-coverage-roadmap#2231). Both updates apply without interruption."""
    if size is not None:
        return {"CacheClusterEnabled": True, "CacheClusterSize": size}
    return {"CacheClusterEnabled": False} if had_cluster else {}


def method_settings(
    api: ApiSpec,
    size: str | None,
    throttles: Iterable[tuple[str, str, float, int]],
    cached: Iterable[tuple[str, str, int]],
    uncached: Iterable[tuple[str, str]] = (),
) -> list[apigw.MethodSetting]:
    """The stage's method settings: `/*/*` (logging, metrics, the stage throttle), then each method with its
    own throttle or cache, and each method cached before and not now, which says `CachingEnabled: false`
    (deploy_state: a removed setting would leave caching on). Per-method settings replace the stage's for
    that method: repeat logging and metrics (and the stage throttle when the method has none of its own)."""
    common = {"LoggingLevel": api.execution_logging, "DataTraceEnabled": api.data_trace, "MetricsEnabled": api.metrics}
    stage_throttle = (api.throttle.rate_limit, api.throttle.burst_limit)
    methods: dict[tuple[str, str], dict[str, Any]] = {}
    for path, verb, rate, burst in throttles:
        methods[(path, verb)] = {"ThrottlingRateLimit": rate, "ThrottlingBurstLimit": burst}
    if size is not None:
        for path, verb, ttl in cached:
            setting = methods.setdefault(
                (path, verb), {"ThrottlingRateLimit": stage_throttle[0], "ThrottlingBurstLimit": stage_throttle[1]}
            )
            setting.update(CachingEnabled=True, CacheTtlInSeconds=ttl)
    for path, verb in uncached:
        setting = methods.setdefault(
            (path, verb), {"ThrottlingRateLimit": stage_throttle[0], "ThrottlingBurstLimit": stage_throttle[1]}
        )
        setting["CachingEnabled"] = False
    out = [
        apigw.MethodSetting(
            ResourcePath="/*",
            HttpMethod="*",
            **common,
            ThrottlingRateLimit=stage_throttle[0],
            ThrottlingBurstLimit=stage_throttle[1],
            **_cache_flags(size, {}),
        )
    ]
    for (path, verb), setting in sorted(methods.items()):
        out.append(
            apigw.MethodSetting(
                ResourcePath="/" + path.replace("/", "~1"),  # /orders -> /~1orders
                HttpMethod=verb,
                **common,
                **{k: v for k, v in setting.items() if k.startswith("Throttling")},
                **_cache_flags(size, setting),
            )
        )
    return out


def _cache_flags(size: str | None, setting: dict[str, Any]) -> dict[str, Any]:
    """With a cluster: caching on or off explicitly, and cache data encrypted (CT.APIGATEWAY.PR.3). Without
    one: off, for a method that was cached before."""
    if size is None:
        return {"CachingEnabled": False} if setting.get("CachingEnabled") is False else {}
    flags: dict[str, Any] = {"CachingEnabled": setting.get("CachingEnabled", False), "CacheDataEncrypted": True}
    if "CacheTtlInSeconds" in setting:
        flags["CacheTtlInSeconds"] = setting["CacheTtlInSeconds"]
    return flags
