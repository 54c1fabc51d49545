"""Bad `api.routes` and authorizer settings: each reported exactly, with file and field, exit code 1."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from support import PRICING, QUOTING, REGISTRY, make_project, run_cli, with_summary

STUB = "def lambda_handler(event, context):\n    return {}\n"
CODE = {"functions/big": STUB, "functions/jwt_authorizer": STUB}
POOL = "arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_X"


def q(**api: Any) -> dict[str, Any]:
    return {**copy.deepcopy(QUOTING), "api": {"base_path": "/quoting", **api}}


def jwt(i: int) -> dict[str, Any]:
    return {"type": "jwt", "issuer": f"https://idp{i}.example.com/", "audiences": ["x"]}


def big(routes: list[dict[str, Any]]) -> dict[str, Any]:
    return {"kind": "lambda", "api": {"auth": "none", "routes": routes}}


def reg(api: dict[str, Any] | None = None, **env: Any) -> dict[str, Any]:
    data = copy.deepcopy(REGISTRY)
    data["environments"]["dev"]["services"] = ["quoting", "product-pricing", "big"]
    if api:
        data["environments"]["dev"]["api"] = api
    data["environments"]["dev"].update(env)
    return data


def svcs(quoting: dict[str, Any] | None = None, pricing: dict[str, Any] | None = None, routes: Any = ()) -> Any:
    return {
        "quoting": quoting or q(),
        "product-pricing": pricing or copy.deepcopy(PRICING),
        "big": big(list(routes) or [{"path": "/big"}]),
    }


CASES: list[tuple[str, dict[str, Any], dict[str, Any], list[str]]] = [
    (
        "route_no_alb_pattern_reaches",
        reg(),
        svcs(
            quoting={
                **q(routes=[{"path": "/api/v1/users"}]),
                "alb": {"priority": 10, "path_patterns": ["/quoting", "/quoting/*"]},
            }
        ),
        [
            "services/quoting/service.yaml: api.routes[0].path: '/api/v1/users' is not reached by any ALB path "
            "pattern of this service ('/quoting', '/quoting/*')",
            "    hint: add a pattern to alb.path_patterns, or remove alb.path_patterns to use the default (every route)",
        ],
    ),
    (
        "proxy_below_a_route_no_alb_pattern_reaches",
        reg(),
        svcs(
            quoting={
                **q(routes=[{"path": "/login"}]),
                "alb": {"priority": 10, "path_patterns": ["/quoting*", "/login"]},
            }
        ),
        [
            "services/quoting/service.yaml: api.routes[0].path: '/login/x' is not reached by any ALB path pattern of "
            "this service ('/quoting*', '/login')",
            "    hint: add a pattern to alb.path_patterns, or remove alb.path_patterns to use the default (every route)",
        ],
    ),
    (
        "default_alb_patterns_of_three_routes_exceed_a_rule",
        reg(),
        svcs(quoting=q(routes=[{"path": "/login"}, {"path": "/users"}])),
        [
            "services/quoting/service.yaml: alb.path_patterns: the listener rule would have 6 condition values (path "
            "patterns 6, host headers 0, HTTP header values 0); an ALB rule allows at most 5",
            "    hint: the default patterns are two per route (the path and below it): list fewer, broader patterns in "
            "alb.path_patterns, such as '/api/v1/*'",
        ],
    ),
    (
        "route_inside_another_services_route",
        reg(),
        svcs(routes=[{"path": "/product-pricing/export"}]),
        [
            "services/big/service.yaml: api.routes[0].path: '/product-pricing/export' on the public API is inside "
            "'/product-pricing' of services/product-pricing/service.yaml, whose {proxy+} serves everything below it",
            "    hint: give each service its own path prefix (only the root route '/' can be shared: the other "
            "services' routes take precedence over it)",
        ],
    ),
    (
        "same_route_in_two_services",
        reg(),
        svcs(routes=[{"path": "/quoting"}]),
        [
            "services/quoting/service.yaml: api.base_path: '/quoting' is already used on the public API by services/big/service.yaml"
        ],
    ),
    (
        "two_roots_on_one_api",
        reg(),
        svcs(
            routes=[{"path": "/"}],
            pricing={**copy.deepcopy(PRICING), "api": {"routes": [{"path": "/"}]}, "alb": {"priority": 900}},
        ),
        [
            "services/product-pricing/service.yaml: api.routes[0].path: '/' is already used on the public API by services/big/service.yaml"
        ],
    ),
    (
        "root_service_alb_rule_before_others",
        reg(),
        svcs(pricing={**copy.deepcopy(PRICING), "api": {"routes": [{"path": "/"}]}, "alb": {"priority": 5}}),
        [
            "services/product-pricing/service.yaml: alb.priority: the root route's ALB pattern '/*' is checked "
            "before services/quoting/service.yaml (priority 10) and would take its requests",
            "    hint: give the service of the root route the highest alb.priority number of the environment, so its "
            "catch-all rule comes last",
        ],
    ),
    (
        "duplicate_path_and_method",
        reg(),
        svcs(routes=[{"path": "/login", "methods": ["POST"]}, {"path": "/login", "methods": ["GET", "POST"]}]),
        [
            "services/big/service.yaml: api.routes[1].methods: POST /login is already routed by api.routes[0] (POST /login)"
        ],
    ),
    (
        "a_method_under_the_base_paths_any",
        reg(),
        svcs(quoting=q(routes=[{"path": "/quoting", "methods": ["GET"]}])),
        [
            "services/quoting/service.yaml: api.routes[0].methods: GET /quoting is already routed by api.base_path (ANY /quoting)"
        ],
    ),
    (
        "invalid_route_path",
        reg(),
        svcs(routes=[{"path": "/a/{id}"}, {"path": "x/"}]),
        [
            "services/big/service.yaml: api.routes[0].path: '/a/{id}' has an invalid segment '{id}': use letters, "
            "digits, '.', '_' and '-' (path parameters such as {id} belong to the service, not its base path)",
            "services/big/service.yaml: api.routes[1].path: 'x/' must start with '/'",
        ],
    ),
    (
        "more_than_300_resources_per_api",
        reg(),
        svcs(routes=[{"path": f"/r{i}"} for i in range(150)]),
        [
            "services/registry.yaml: environments.dev.services: quota exceeded: resources per REST API is 300; the "
            "public API would have 306",
            "    hint: the quota is adjustable: once AWS raised it for the account, declare it with "
            "quotas.api_resources_per_api; or expose fewer services on this API",
        ],
    ),
    (
        "more_than_10_authorizers_per_api",
        reg({"authorizers": {f"a{i}": jwt(i) for i in range(11)}}),
        svcs(routes=[{"path": f"/r{i}", "auth": "jwt", "authorizer": f"a{i}"} for i in range(11)]),
        [
            "services/registry.yaml: environments.dev.api.authorizers: quota exceeded: authorizers per REST API is "
            "10; the public API would have 11",
            "    hint: share authorizers between routes (an authorizer may accept several audiences or user pools)",
        ],
    ),
    (
        "authorizer_missing_ambiguous_unknown_or_of_the_wrong_type",
        reg({"authorizers": {"one": jwt(1), "two": jwt(2), "pool": {"type": "cognito", "user_pool_arns": [POOL]}}}),
        svcs(
            routes=[
                {"path": "/a", "auth": "jwt"},
                {"path": "/b", "auth": "jwt", "authorizer": "pool"},
                {"path": "/c", "auth": "cognito", "authorizer": "ghost"},
            ]
        ),
        [
            "services/big/service.yaml: api.routes[0].auth: environment 'dev' has several jwt authorizers (one, two); "
            "name one with api.routes[].authorizer",
            "services/big/service.yaml: api.routes[1].authorizer: 'pool' is a cognito authorizer, not jwt",
            "services/big/service.yaml: api.routes[2].authorizer: 'ghost' is not an authorizer of environment 'dev' "
            "(api.authorizers: one, pool, two)",
        ],
    ),
    (
        "token_auth_without_an_authorizer_and_misplaced_options",
        reg(),
        svcs(routes=[{"path": "/me", "auth": "jwt", "scopes": ["a"]}, {"path": "/x", "authorizer": "nope"}]),
        [
            "services/big/service.yaml: api.routes[0].auth: 'jwt' needs a jwt authorizer in api.authorizers of "
            "environment 'dev'; there is none",
            "    hint: declare one in registry.yaml: api: {authorizers: {<name>: {type: jwt, ...}}}",
            "services/big/service.yaml: api.routes[0].scopes: OAuth scopes need auth: cognito (this route's auth is jwt)",
            "services/big/service.yaml: api.routes[1].authorizer: an authorizer needs auth: cognito or jwt (this "
            "route's auth is none)",
        ],
    ),
    (
        "authorizer_route_with_the_validator_disabled",
        reg(platform_functions={"api_key_validator": {"enabled": False}}),
        svcs(routes=[{"path": "/a", "auth": "authorizer"}]),
        [
            "services/big/service.yaml: api.routes[0].auth: 'authorizer' needs the platform's API key validator, "
            "which is disabled in environment 'dev'",
            "    hint: use auth: api_key, or enable platform_functions.api_key_validator",
            "services/product-pricing/service.yaml: api.auth: 'api_key' cannot share the public API with 'authorizer' "
            "(services/big/service.yaml): a REST API has one API key source",
            "    hint: use the same auth for every keyed service of an API (authorizer also meters API keys)",
            "services/quoting/service.yaml: api.auth: 'api_key' cannot share the public API with 'authorizer' "
            "(services/big/service.yaml): a REST API has one API key source",
            "    hint: use the same auth for every keyed service of an API (authorizer also meters API keys)",
        ],
    ),
]


@pytest.mark.parametrize(("registry_data", "services", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_route_problem_is_reported_exactly(
    tmp_path: Path, registry_data: dict[str, Any], services: dict[str, Any], expected: list[str]
) -> None:
    result = run_cli("validate", "--env", "dev", project=make_project(tmp_path, registry_data, services, CODE))
    assert result.code == 1
    assert result.err.splitlines() == with_summary(expected)


def test_a_valid_routing_setup_has_no_problem(tmp_path: Path) -> None:
    routes = [{"path": "/"}, {"path": "/login", "methods": ["POST"]}, {"path": "/login", "methods": ["GET"]}]
    result = run_cli("validate", "--env", "dev", project=make_project(tmp_path, reg(), svcs(routes=routes), CODE))
    assert result.code == 0
    assert result.err == "note: no samconfig.toml: the SAM CLI's sections per environment were not checked\n"


def test_a_jwt_route_uses_the_packaged_jwt_authorizer_when_the_project_has_none(tmp_path: Path) -> None:
    data = reg({"authorizers": {"partners": jwt(1)}})
    routes = [{"path": "/me", "auth": "jwt"}]
    project = make_project(tmp_path, data, svcs(routes=routes), {"functions/big": STUB})
    result = run_cli("validate", "--env", "dev", project=project)
    assert result.code == 0, result.err


def test_a_project_jwt_authorizer_folder_without_its_app_is_refused(tmp_path: Path) -> None:
    data = reg({"authorizers": {"partners": jwt(1)}})
    routes = [{"path": "/me", "auth": "jwt"}]
    project = make_project(tmp_path, data, svcs(routes=routes), {"functions/big": STUB})
    (project / "functions/jwt_authorizer").mkdir()
    (project / "functions/jwt_authorizer/token_check.py").write_text("", encoding="utf-8")
    result = run_cli("validate", "--env", "dev", project=project)
    assert result.code == 1
    assert result.err.splitlines() == [
        "services/registry.yaml: environments.dev.api.authorizers: a jwt authorizer is in use, but its code "
        "(functions/jwt_authorizer/app.py) is missing (functions/jwt_authorizer/ overrides the packaged code)",
        "    hint: add functions/jwt_authorizer/app.py, or remove functions/jwt_authorizer/ to use the code shipped "
        "with template-gen",
        "error: 1 problem found",
    ]


def test_authorizer_names_and_types_are_checked(tmp_path: Path) -> None:
    bad = {"Bad_Name": jwt(1), "ok": {"type": "oidc"}}
    result = run_cli(
        "validate", "--env", "dev", project=make_project(tmp_path, reg({"authorizers": bad}), svcs(), CODE)
    )
    assert result.code == 1
    assert result.err.splitlines() == [
        "services/registry.yaml: environments.dev.api.authorizers.Bad_Name.[key]: 'Bad_Name' does not match the "
        "expected format ^[a-z][a-z0-9-]{0,31}$",
        "services/registry.yaml: environments.dev.api.authorizers.ok.type: must be one of 'cognito', 'jwt' (got 'oidc')",
        "error: 2 problems found",
    ]
