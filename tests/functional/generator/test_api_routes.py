"""`api.routes`: several paths per service, the root route, per-method auth and throttling, binary media
types, Cognito and JWT authorizers; every generated template passes cfn-lint."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import yaml
from support import QUOTING, REGISTRY, lint_matches, make_project

from template_gen import route_ids
from template_gen.pipeline import synthesize

POOL = "arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_AbCdEf123"
AUTHORIZERS = {
    "staff": {"type": "cognito", "user_pool_arns": [POOL]},
    "partners": {"type": "jwt", "issuer": "https://login.example.com/", "audiences": ["orders-api"]},
}
AUTH = {  # serves login and users, under one prefix, on the ALB
    "kind": "ecs",
    "port": 8080,
    "api": {
        "auth": "none",
        "routes": [
            {"path": "/api/v1/auth", "methods": ["POST"], "throttle": {"rate_limit": 5, "burst_limit": 10}},
            {"path": "/api/v1/users", "auth": "cognito", "scopes": ["users/read"]},
        ],
    },
    "alb": {"priority": 30, "path_patterns": ["/api/v1/*"]},
}
WEB = {  # the web UI at the API's root; its ALB rule comes last
    "kind": "ecs",
    "port": 8080,
    "api": {"auth": "none", "routes": [{"path": "/"}]},
    "alb": {"priority": 900},
}
ORDERS = {"kind": "lambda", "api": {"base_path": "/orders", "auth": "jwt"}}
STUB = "def lambda_handler(event, context):\n    return {}\n"
ORDERS_CODE = {"functions/orders": STUB, "functions/jwt_authorizer": STUB}


def project(tmp_path: Path, **extra: Any) -> Path:
    data = copy.deepcopy(REGISTRY)
    data["environments"]["dev"]["services"] = ["quoting", "auth", "web", "orders"]
    data["environments"]["dev"]["api"] = {"authorizers": AUTHORIZERS, **extra}
    svcs = {"quoting": copy.deepcopy(QUOTING), "auth": AUTH, "web": WEB, "orders": ORDERS}
    return make_project(tmp_path, data, svcs, ORDERS_CODE)


def build(tmp_path: Path, **extra: Any) -> tuple[Path, dict[str, dict[str, Any]]]:
    root = project(tmp_path, **extra)
    synthesize(root, "dev").write()
    folder = root / "build" / "dev"
    return root, {p.name: yaml.safe_load(p.read_text()) for p in folder.glob("*.yaml")}


def resources(templates: dict[str, dict[str, Any]], name: str = "api.yaml") -> dict[str, Any]:
    return templates[name]["Resources"]


def test_every_template_of_a_real_routing_setup_passes_cfn_lint(tmp_path: Path) -> None:
    root, templates = build(tmp_path)
    for name in sorted(templates):
        assert lint_matches((root / "build" / "dev" / name).read_text()) == [], name


def test_each_route_gets_its_paths_and_methods(tmp_path: Path) -> None:
    res = resources(build(tmp_path)[1])
    login = res["PublicApiV1AuthPostMethod"]["Properties"]
    assert (login["HttpMethod"], login["AuthorizationType"], login["ResourceId"]) == (
        "POST",
        "NONE",
        {"Ref": "PublicApiV1AuthResource"},
    )
    assert login["Integration"]["Uri"] == {
        "Fn::Sub": ["http://${IntegrationHost}/api/v1/auth", {"IntegrationHost": {"Ref": "NlbDnsName"}}]
    }
    assert "PublicApiV1AuthAnyMethod" not in res
    assert res["PublicApiV1AuthProxyPostMethod"]["Properties"]["ResourceId"] == {"Ref": "PublicApiV1AuthProxyResource"}
    # The parents exist once, without methods of their own.
    assert res["PublicApiResource"]["Properties"] == {
        "ParentId": {"Fn::GetAtt": ["PublicApi", "RootResourceId"]},
        "PathPart": "api",
        "RestApiId": {"Ref": "PublicApi"},
    }
    assert not [
        lid for lid in res if lid.startswith("PublicApiV1") and lid.endswith("AnyMethod") and "Users" not in lid
    ]


def test_the_root_route_uses_the_apis_own_resource_and_a_root_proxy(tmp_path: Path) -> None:
    res = resources(build(tmp_path)[1])
    root = res["PublicRootAnyMethod"]["Properties"]
    assert root["ResourceId"] == {"Fn::GetAtt": ["PublicApi", "RootResourceId"]}
    assert root["Integration"]["Uri"] == {
        "Fn::Sub": ["http://${IntegrationHost}/", {"IntegrationHost": {"Ref": "NlbDnsName"}}]
    }
    proxy = res["PublicProxyResource"]["Properties"]
    assert (proxy["PathPart"], proxy["ParentId"]) == ("{proxy+}", {"Fn::GetAtt": ["PublicApi", "RootResourceId"]})
    assert res["PublicProxyAnyMethod"]["Properties"]["Integration"]["Uri"] == {
        "Fn::Sub": ["http://${IntegrationHost}/{proxy}", {"IntegrationHost": {"Ref": "NlbDnsName"}}]
    }
    # The other services keep their more specific resources: API Gateway matches those first.
    assert res["PublicQuotingResource"]["Properties"]["PathPart"] == "quoting"


def test_cognito_routes_carry_the_user_pool_authorizer_and_their_scopes(tmp_path: Path) -> None:
    res = resources(build(tmp_path)[1])
    authorizer = res["PublicStaffTokenAuthorizer"]["Properties"]
    assert authorizer == {
        "IdentitySource": "method.request.header.Authorization",
        "Name": "cognito-staff",
        "ProviderARNs": [POOL],
        "RestApiId": {"Ref": "PublicApi"},
        "Type": "COGNITO_USER_POOLS",
    }
    users = res["PublicApiV1UsersAnyMethod"]["Properties"]
    assert (users["AuthorizationType"], users["AuthorizerId"], users["AuthorizationScopes"]) == (
        "COGNITO_USER_POOLS",
        {"Ref": "PublicStaffTokenAuthorizer"},
        ["users/read"],
    )


def test_jwt_routes_use_the_generated_lambda_authorizer(tmp_path: Path) -> None:
    templates = build(tmp_path)[1]
    res = resources(templates)
    authorizer = res["PublicPartnersTokenAuthorizer"]["Properties"]
    assert (authorizer["Type"], authorizer["IdentitySource"], authorizer["AuthorizerResultTtlInSeconds"]) == (
        "REQUEST",
        "method.request.header.Authorization",
        300,
    )
    assert res["PublicOrdersAnyMethod"]["Properties"]["AuthorizerId"] == {"Ref": "PublicPartnersTokenAuthorizer"}
    assert res["PublicOrdersAnyMethod"]["Properties"]["AuthorizationType"] == "CUSTOM"
    function = templates["compute.yaml"]["Resources"]["JwtAuthorizerPartnersFunction"]["Properties"]
    assert function["CodeUri"] == "functions/jwt_authorizer"
    assert function["Environment"]["Variables"] == {
        "CLOCK_SKEW_SECONDS": "60",
        "JWKS_CACHE_SECONDS": "3600",
        "JWKS_URL": "https://login.example.com/.well-known/jwks.json",
        "JWT_AUDIENCES": "orders-api",
        "JWT_ISSUER": "https://login.example.com/",
        **{k: v for k, v in function["Environment"]["Variables"].items() if k.startswith("POWERTOOLS")},
    }


def test_binary_media_types_are_escaped_for_cloudformation(tmp_path: Path) -> None:
    res = resources(build(tmp_path, binary_media_types={"public": ["image/*", "application/octet-stream"]})[1])
    assert res["PublicApi"]["Properties"]["BinaryMediaTypes"] == ["image~1*", "application~1octet-stream"]


def test_routes_with_limits_get_stage_method_settings(tmp_path: Path) -> None:
    stage = resources(build(tmp_path)[1], "api-stage.yaml")["PublicApiStage"]["Properties"]
    assert [
        (s["ResourcePath"], s["HttpMethod"], s["ThrottlingRateLimit"], s["ThrottlingBurstLimit"])
        for s in stage["MethodSettings"]
    ] == [
        ("/*", "*", 100, 200),
        ("/~1api~1v1~1auth", "POST", 5, 10),
        ("/~1api~1v1~1auth~1{proxy+}", "POST", 5, 10),
    ]


def test_the_placement_file_records_every_resource_id(tmp_path: Path) -> None:
    root, _ = build(tmp_path)
    recorded = json.loads((root / "services/environments/dev.placement.json").read_text())["api_resources"]["public"]
    assert recorded["/"] == "Root"
    assert recorded["/api/v1/auth"] == "ApiV1Auth"
    assert recorded["/{proxy+}"] == "Proxy"


def test_adding_a_colliding_path_never_renames_a_deployed_resource(tmp_path: Path) -> None:
    # GIVEN /orders/v1 synthesized (and its IDs recorded in the placement file)
    data = copy.deepcopy(REGISTRY)
    data["environments"]["dev"]["services"] = ["quoting"]
    quoting = {**copy.deepcopy(QUOTING), "api": {"base_path": "/orders/v1"}}
    root = make_project(tmp_path, data, {"quoting": quoting})
    synthesize(root, "dev").write()
    first = yaml.safe_load((root / "build/dev/api.yaml").read_text())["Resources"]
    assert first["PublicOrdersV1Resource"]["Properties"]["PathPart"] == "v1"
    # WHEN a service at /orders-v1 (the same words) is added
    data["environments"]["dev"]["services"] = ["quoting", "legacy"]
    legacy = {"kind": "ecs", "port": 8080, "api": {"base_path": "/orders-v1"}, "alb": {"priority": 20}}
    root = make_project(tmp_path, data, {"quoting": quoting, "legacy": legacy})
    synthesize(root, "dev").write()
    second = yaml.safe_load((root / "build/dev/api.yaml").read_text())["Resources"]
    # THEN the deployed resource keeps its ID and path; the new one is hashed
    assert second["PublicOrdersV1Resource"]["Properties"] == first["PublicOrdersV1Resource"]["Properties"]
    new = [
        lid
        for lid, r in second.items()
        if r["Type"] == "AWS::ApiGateway::Resource" and r["Properties"]["PathPart"] == "orders-v1"
    ]
    assert new == ["PublicOrdersV1" + route_ids.hashed("/orders-v1")[-6:] + "Resource"]
