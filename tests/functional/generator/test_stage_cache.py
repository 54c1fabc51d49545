"""The stage cache: a cluster per API (api.cache) that caches nothing until a GET route opts in
(api.routes[].cache), with cache keys that always name the caller (docs/api.md, caching)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from support import PRICING, PROXY_APP, QUOTING, REGISTRY, lint_matches, make_project, run_cli

from template_gen.registry.route_models import CognitoAuthorizer
from template_gen.stacks import stage_cache

RATES_CACHE = {"ttl_seconds": 60, "query_strings": ["currency"], "headers": ["Accept-Language"]}
COMMON = {"DataTraceEnabled": False, "LoggingLevel": "ERROR", "MetricsEnabled": True}


def registry(cache: dict[str, Any] | None = None) -> dict[str, Any]:
    data = copy.deepcopy(REGISTRY)
    if cache is not None:
        data["environments"]["dev"]["api"] = {"cache": cache}
    return data


def quoting(*routes: dict[str, Any], auth: str = "api_key") -> dict[str, Any]:
    return {**QUOTING, "api": {"auth": auth, "routes": [*routes, {"path": "/quoting", "methods": ["ANY"]}]}}


def synth(tmp_path: Path, reg: dict[str, Any], svc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    project = make_project(tmp_path / "project", reg, services={"quoting": svc, "product-pricing": PRICING})
    result = run_cli("synth", "--env", "dev", "--out", str(tmp_path / "out"), project=project)
    assert result.code == 0, result.err
    out = {}
    for name in ("api.yaml", "api-stage.yaml"):
        text = (tmp_path / "out" / name).read_text()
        assert lint_matches(text) == [], name
        out[name] = yaml.safe_load(text)
    return out


def validate(tmp_path: Path, reg: dict[str, Any], svc: dict[str, Any]) -> str:
    project = make_project(tmp_path, reg, services={"quoting": svc, "product-pricing": PRICING})
    result = run_cli("validate", project=project)
    assert result.code == 1
    return result.err


def test_a_cached_route_is_keyed_by_the_callers_key_its_path_and_its_parameters(tmp_path: Path) -> None:
    rates = {"path": "/quoting/rates", "methods": ["GET"], "cache": RATES_CACHE}
    templates = synth(tmp_path, registry({"public": {"size_gb": 0.5}}), quoting(rates))
    methods = templates["api.yaml"]["Resources"]
    base = methods["PublicQuotingRatesGetMethod"]["Properties"]
    proxy = methods["PublicQuotingRatesProxyGetMethod"]["Properties"]
    assert base["RequestParameters"] == {
        "method.request.header.x-api-key": False,
        "method.request.querystring.currency": False,
        "method.request.header.Accept-Language": False,
    }
    assert base["Integration"]["CacheKeyParameters"] == [
        "method.request.header.x-api-key",
        "method.request.querystring.currency",
        "method.request.header.Accept-Language",
    ]
    assert proxy["RequestParameters"] == {
        "method.request.header.x-api-key": False,
        "method.request.path.proxy": True,
        "method.request.querystring.currency": False,
        "method.request.header.Accept-Language": False,
    }
    assert proxy["Integration"]["CacheKeyParameters"] == [
        "method.request.header.x-api-key",
        "method.request.path.proxy",
        "method.request.querystring.currency",
        "method.request.header.Accept-Language",
    ]
    # the other route is not cached: no key parameters
    assert "CacheKeyParameters" not in methods["PublicQuotingProxyAnyMethod"]["Properties"]["Integration"]

    stage = templates["api-stage.yaml"]["Resources"]["PublicApiStage"]
    props = stage["Properties"]
    assert (props["CacheClusterEnabled"], props["CacheClusterSize"]) == (True, "0.5")
    throttle = {"ThrottlingBurstLimit": 200, "ThrottlingRateLimit": 100.0}
    cached = {"CacheDataEncrypted": True, "CacheTtlInSeconds": 60, "CachingEnabled": True, **COMMON, **throttle}
    assert props["MethodSettings"] == [
        {"CacheDataEncrypted": True, "CachingEnabled": False, **COMMON, **throttle, "HttpMethod": "*",
         "ResourcePath": "/*"},
        {**cached, "HttpMethod": "GET", "ResourcePath": "/~1quoting~1rates"},
        {**cached, "HttpMethod": "GET", "ResourcePath": "/~1quoting~1rates~1{proxy+}"},
    ]  # fmt: skip
    # checkov's rule (a cluster) passes; the guard rule wants every method cached, which is refused by design
    assert stage["Metadata"]["guard"] == {"SuppressedRules": ["API_GW_CACHE_ENABLED_AND_ENCRYPTED"]}
    assert "checkov" not in stage["Metadata"]


def test_a_cluster_alone_caches_nothing(tmp_path: Path) -> None:
    templates = synth(tmp_path, registry({"public": {"size_gb": 237}}), QUOTING)
    props = templates["api-stage.yaml"]["Resources"]["PublicApiStage"]["Properties"]
    assert (props["CacheClusterEnabled"], props["CacheClusterSize"]) == (True, "237")
    assert props["MethodSettings"] == [
        {"CacheDataEncrypted": True, "CachingEnabled": False, **COMMON, "HttpMethod": "*", "ResourcePath": "/*",
         "ThrottlingBurstLimit": 200, "ThrottlingRateLimit": 100.0},
    ]  # fmt: skip
    methods = templates["api.yaml"]["Resources"]
    assert all("CacheKeyParameters" not in m["Properties"].get("Integration", {}) for m in methods.values()
               if m["Type"] == "AWS::ApiGateway::Method")  # fmt: skip


def test_without_a_cluster_the_stage_is_unchanged_and_exempted(tmp_path: Path) -> None:
    stage = synth(tmp_path, registry(), QUOTING)["api-stage.yaml"]["Resources"]["PublicApiStage"]
    assert "CacheClusterEnabled" not in stage["Properties"]
    assert all("CachingEnabled" not in s for s in stage["Properties"]["MethodSettings"])
    assert [s["id"] for s in stage["Metadata"]["checkov"]["skip"]] == ["CKV_AWS_120"]
    assert stage["Metadata"]["guard"] == {"SuppressedRules": ["API_GW_CACHE_ENABLED_AND_ENCRYPTED"]}


def test_an_open_shared_route_is_keyed_by_its_path_only(tmp_path: Path) -> None:
    catalog = {"path": "/quoting/catalog", "methods": ["GET"], "cache": {"ttl_seconds": 3600, "shared": True}}
    api = synth(tmp_path, registry({"public": {"size_gb": 1.6}}), quoting(catalog, auth="none"))["api.yaml"]
    proxy = api["Resources"]["PublicQuotingCatalogProxyGetMethod"]["Properties"]
    assert proxy["Integration"]["CacheKeyParameters"] == ["method.request.path.proxy"]
    assert proxy["RequestParameters"] == {"method.request.path.proxy": True}
    assert "CacheKeyParameters" not in api["Resources"]["PublicQuotingCatalogGetMethod"]["Properties"]["Integration"]


def test_a_cognito_route_is_keyed_by_its_authorizers_token_header() -> None:
    pool = "arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_abc"
    authorizer = CognitoAuthorizer(type="cognito", user_pool_arns=[pool], identity_header="X-Id-Token")
    api = type("Api", (), {"authorizer": staticmethod(lambda name: authorizer)})()
    assert stage_cache.identity_parameter(api, "cognito", "users") == "method.request.header.X-Id-Token"  # type: ignore[arg-type]
    assert stage_cache.identity_parameter(api, "jwt", "oidc") == "method.request.header.Authorization"  # type: ignore[arg-type]
    assert stage_cache.identity_parameter(api, "authorizer", None) == "method.request.header.x-api-key"  # type: ignore[arg-type]


FILE = "services/quoting/service.yaml"


@pytest.mark.parametrize(
    ("route", "auth", "message"),
    [
        (
            {"methods": ["GET", "POST"], "cache": {"ttl_seconds": 60}},
            "api_key",
            f"{FILE}: api.routes[0].cache: only GET may be cached (this route's methods: GET, POST)",
        ),
        (
            {"methods": ["ANY"], "cache": {}},
            "api_key",
            f"{FILE}: api.routes[0].cache: only GET may be cached (this route's methods: ANY)",
        ),
        (
            {"methods": ["GET"], "cache": {}},
            "iam",
            f"{FILE}: api.routes[0].cache: a route with auth: iam cannot be cached: no request header names its "
            "caller (a SigV4 signature differs on every request), so callers would share answers",
        ),
        (
            {"methods": ["GET"], "cache": {}},
            "none",
            f"{FILE}: api.routes[0].cache: an open route (auth: none) has no caller identity to key the cache on: "
            "every caller would get the same cached answer",
        ),
        (
            {"methods": ["GET"], "cache": {"shared": True}},
            "authorizer",
            f"{FILE}: api.routes[0].cache.shared: applies only to auth: none; a route with auth: authorizer is "
            "cached per caller",
        ),
        (
            {"methods": ["GET"], "cache": {"ttl_seconds": 3601}},
            "api_key",
            f"{FILE}: api.routes[0].cache.ttl_seconds:",
        ),
    ],
)
def test_a_route_that_cannot_be_cached_safely_is_refused(
    tmp_path: Path, route: dict[str, Any], auth: str, message: str
) -> None:
    reg = registry({"public": {"size_gb": 0.5}})
    if auth == "authorizer":
        reg["environments"]["dev"]["platform_functions"] = {"api_key_validator": {"enabled": True}}
    err = validate(tmp_path, reg, quoting({"path": "/quoting/rates", **route}, auth=auth))
    assert message in err


def test_a_cached_route_needs_its_apis_cluster(tmp_path: Path) -> None:
    rates = {"path": "/quoting/rates", "methods": ["GET"], "cache": {}, "exposure": "both"}
    err = validate(tmp_path, registry({"public": {"size_gb": 0.5}}), quoting(rates))
    assert f"{FILE}: api.routes[0].cache: the private API of environment 'dev' has no stage cache" in err
    assert "hint: set api.cache.private.size_gb (e.g. 0.5) in registry.yaml" in err
    assert "the public API of environment 'dev'" not in err  # prod has no cluster at all: refused there too
    assert f"{FILE}: api.routes[0].cache: the public API of environment 'prod' has no stage cache" in err


def test_a_cache_size_api_gateway_does_not_offer_is_refused(tmp_path: Path) -> None:
    err = validate(tmp_path, registry({"public": {"size_gb": 1}}), QUOTING)
    assert (
        "services/registry.yaml: environments.dev.api.cache.public.size_gb: 1 GB is not a cache size; API Gateway "
        "offers 0.5, 1.6, 6.1, 13.5, 28.4, 58.2, 118, 237 GB"
    ) in err


def test_a_cached_lambda_route_lists_its_key_on_the_proxy_integration(tmp_path: Path) -> None:
    reports = {"kind": "lambda", "api": {"routes": [{"path": "/reports", "methods": ["GET"], "cache": {}}]}}
    reg = registry({"public": {"size_gb": 0.5}})
    reg["environments"]["dev"]["services"].append("reports")
    services = {"quoting": QUOTING, "product-pricing": PRICING, "reports": reports}
    project = make_project(tmp_path / "project", reg, services, {"functions/reports": PROXY_APP})
    result = run_cli("synth", "--env", "dev", "--out", str(tmp_path / "out"), project=project)
    assert result.code == 0, result.err
    text = (tmp_path / "out" / "api.yaml").read_text()
    assert lint_matches(text) == []
    integration = yaml.safe_load(text)["Resources"]["PublicReportsProxyGetMethod"]["Properties"]["Integration"]
    assert (integration["Type"], integration["CacheKeyParameters"]) == (
        "AWS_PROXY",
        ["method.request.header.x-api-key", "method.request.path.proxy"],
    )


def test_turning_caching_off_in_one_deployment_says_so_explicitly(tmp_path: Path) -> None:
    # CloudFormation does not reset a stage property or method setting that leaves the template (#2231): a
    # cluster would keep running, and a method would stay cached while its cache keys are gone.
    rates = {"path": "/quoting/rates", "methods": ["GET"], "cache": RATES_CACHE}
    services = {"quoting": quoting(rates), "product-pricing": PRICING}
    project = make_project(tmp_path, registry({"public": {"size_gb": 0.5}}), services)

    def synth_dev() -> tuple[dict[str, Any], dict[str, Any], str]:
        result = run_cli("synth", "--env", "dev", project=project)
        assert result.code == 0, result.err
        text = (project / "build/dev/api-stage.yaml").read_text()
        assert lint_matches(text) == []
        placement = yaml.safe_load((project / "services/environments/dev.placement.json").read_text())
        return yaml.safe_load(text)["Resources"]["PublicApiStage"]["Properties"], placement, result.err

    # GIVEN a cached route, deployed: the placement file records the API's cache and its cached methods
    _, placement, err = synth_dev()
    assert placement["stage_caches"] == {"public": ["GET /quoting/rates", "GET /quoting/rates/{proxy+}"]}
    assert "stage caches and cached methods recorded" in err
    # WHEN the route's cache and the cluster are removed in one change
    uncached = {"path": "/quoting/rates", "methods": ["GET"]}
    (project / "services/quoting/service.yaml").write_text(yaml.safe_dump(quoting(uncached)))
    (project / "services/registry.yaml").write_text(yaml.safe_dump(registry()))
    props, placement, _ = synth_dev()
    # THEN the stage turns the cluster off and each formerly cached method says it is not cached
    assert props["CacheClusterEnabled"] is False and "CacheClusterSize" not in props
    throttle = {"ThrottlingBurstLimit": 200, "ThrottlingRateLimit": 100.0}
    off = {"CachingEnabled": False, **COMMON, **throttle}
    assert props["MethodSettings"] == [
        {**COMMON, **throttle, "HttpMethod": "*", "ResourcePath": "/*"},
        {**off, "HttpMethod": "GET", "ResourcePath": "/~1quoting~1rates"},
        {**off, "HttpMethod": "GET", "ResourcePath": "/~1quoting~1rates~1{proxy+}"},
    ]
    assert placement["stage_caches"] == {"public": ["GET /quoting/rates", "GET /quoting/rates/{proxy+}"]}
    # and once the route no longer serves GET there, its settings go (a setting must name a method that exists)
    (project / "services/quoting/service.yaml").write_text(yaml.safe_dump(quoting()))
    props, placement, _ = synth_dev()
    assert props["CacheClusterEnabled"] is False
    assert [s["ResourcePath"] for s in props["MethodSettings"]] == ["/*"]
    assert placement["stage_caches"] == {"public": []}


def test_a_damaged_stage_cache_record_is_refused_with_the_file(tmp_path: Path) -> None:
    project = make_project(tmp_path, registry(), {"quoting": QUOTING, "product-pricing": PRICING})
    record = {"version": 1, "compute": {}, "albs": {}, "api_routes": {}, "stage_caches": {"public": ["quoting/rates"]}}
    (project / "services/environments").mkdir(parents=True)
    (project / "services/environments/dev.placement.json").write_text(json.dumps(record))
    result = run_cli("synth", "--env", "dev", project=project)
    assert result.code == 1
    assert (
        "services/environments/dev.placement.json: the placement file is damaged (stage_caches: 'quoting/rates' is "
        "not 'METHOD /path')" in result.err
    )
