"""API stage behaviour: routes from metadata, integrations, auth modes, plans, stage, CORS, domain."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml
from support import PRICING, QUOTING, REGISTRY, make_project, run_cli

from template_gen.pipeline import synthesize

STATUS = {"kind": "lambda", "api": {"base_path": "/status", "auth": "none"}}
STATUS_CODE = {"functions/status": "def lambda_handler(event, context):\n    return {}\n"}


def registry(**api: Any) -> dict[str, Any]:
    data = copy.deepcopy(REGISTRY)
    data["environments"]["dev"]["services"] = ["quoting", "product-pricing", "status"]
    if api:
        data["defaults"] = {"api": api}
    return data


def services(quoting: dict[str, Any] | None = None, pricing: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "quoting": {**copy.deepcopy(QUOTING), **(quoting or {})},
        "product-pricing": {**copy.deepcopy(PRICING), **(pricing or {})},
        "status": STATUS,
    }


def api_template(
    tmp_path: Path, reg: dict[str, Any] | None = None, svcs: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The API stage's stacks (api.yaml, api-routes-*.yaml, api-stage.yaml) merged into one view."""
    project = make_project(tmp_path, reg or registry(), svcs or services(), STATUS_CODE)
    synthesize(project, "dev").write()
    merged: dict[str, Any] = {"Parameters": {}, "Resources": {}, "Outputs": {}}
    for file in sorted((project / "build/dev").glob("api*.yaml")):
        template = yaml.safe_load(file.read_text())
        for section in merged:
            merged[section].update(template.get(section, {}))
    return merged


def test_ecs_routes_proxy_through_the_vpc_link_with_path_and_identity_headers(tmp_path: Path) -> None:
    res = api_template(tmp_path, svcs=services(quoting={"api": {"base_path": "/quoting", "timeout_ms": 10000}}))[
        "Resources"
    ]
    assert res["PublicQuotingResource"]["Properties"] == {
        "ParentId": {"Fn::GetAtt": ["PublicApi", "RootResourceId"]}, "PathPart": "quoting", "RestApiId": {"Ref": "PublicApi"},
    }  # fmt: skip
    assert res["PublicQuotingProxyResource"]["Properties"]["PathPart"] == "{proxy+}"
    assert res["PublicQuotingProxyResource"]["Properties"]["ParentId"] == {"Ref": "PublicQuotingResource"}
    method = res["PublicQuotingProxyAnyMethod"]["Properties"]
    assert (method["HttpMethod"], method["AuthorizationType"], method["ApiKeyRequired"]) == ("ANY", "NONE", True)
    assert method["RequestParameters"] == {"method.request.path.proxy": True}
    assert method["Integration"] == {
        "Type": "HTTP_PROXY",
        "IntegrationHttpMethod": "ANY",
        "ConnectionType": "VPC_LINK",
        "ConnectionId": {"Ref": "VpcLinkId"},
        "Uri": {"Fn::Sub": ["http://${IntegrationHost}/quoting/{proxy}", {"IntegrationHost": {"Ref": "NlbDnsName"}}]},
        "RequestParameters": {
            "integration.request.header.X-Consumer-Id": "'anonymous'",
            "integration.request.header.X-Request-Id": "context.requestId",
            "integration.request.header.x-api-key": "'redacted'",
            "integration.request.path.proxy": "method.request.path.proxy",
        },
        "PassthroughBehavior": "WHEN_NO_MATCH",
        "TimeoutInMillis": 10000,
    }
    base = res["PublicQuotingAnyMethod"]["Properties"]
    assert "RequestParameters" not in base
    assert base["Integration"]["Uri"]["Fn::Sub"][0] == "http://${IntegrationHost}/quoting"


def test_nested_base_paths_share_their_parent_resource(tmp_path: Path) -> None:
    svcs = services(quoting={"api": {"base_path": "/orders/v1"}, "alb": {"priority": 10}},
                    pricing={"api": {"base_path": "/orders/v2"}, "alb": {"priority": 20}})  # fmt: skip
    res = api_template(tmp_path, svcs=svcs)["Resources"]
    parents = [
        lid
        for lid, r in res.items()
        if r["Type"] == "AWS::ApiGateway::Resource" and r["Properties"]["PathPart"] == "orders"
    ]
    assert parents == ["PublicOrdersResource"]
    assert res["PublicOrdersV1Resource"]["Properties"]["ParentId"] == {"Ref": "PublicOrdersResource"}
    assert res["PublicOrdersV2Resource"]["Properties"]["ParentId"] == {"Ref": "PublicOrdersResource"}


def test_lambda_routes_use_proxy_integration_and_a_permission_scoped_to_api_stage_and_path(tmp_path: Path) -> None:
    template = api_template(tmp_path)
    res = template["Resources"]
    integration = res["PublicStatusAnyMethod"]["Properties"]["Integration"]
    assert integration == {
        "Type": "AWS_PROXY",
        "ContentHandling": "CONVERT_TO_TEXT",
        "IntegrationHttpMethod": "POST",
        "TimeoutInMillis": 29000,
        "Uri": {
            "Fn::Sub": [
                "arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${FunctionArn}/invocations",
                {"FunctionArn": {"Ref": "StatusFunctionArn"}},
            ]
        },
    }
    assert res["PublicStatusPermission"]["Properties"] == {
        "Action": "lambda:InvokeFunction",
        "FunctionName": {"Ref": "StatusFunctionArn"},
        "Principal": "apigateway.amazonaws.com",
        "SourceArn": {
            "Fn::Sub": "arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:${PublicApi}/dev/*/status*"
        },
    }
    assert template["Parameters"]["StatusFunctionArn"]["Type"] == "String"
    root = yaml.safe_load((tmp_path / "build/dev/template.yaml").read_text())
    params = root["Resources"]["ApiStack"]["Properties"]["Parameters"]
    assert params["StatusFunctionArn"] == {"Fn::GetAtt": ["ComputeStack", "Outputs.StatusFunctionArn"]}
    assert params["VpcLinkId"] == {"Fn::GetAtt": ["NetworkStack", "Outputs.VpcLinkId"]}


@pytest.mark.parametrize(
    ("auth", "authorization", "key_required", "key_source"),
    [("api_key", "NONE", True, "HEADER"), ("authorizer", "CUSTOM", True, "AUTHORIZER"),
     ("iam", "AWS_IAM", False, "HEADER"), ("none", "NONE", False, "HEADER")],
)  # fmt: skip
def test_auth_modes(tmp_path: Path, auth: str, authorization: str, key_required: bool, key_source: str) -> None:
    api = {"base_path": "/quoting", "auth": auth}
    svcs = services(quoting={"api": api}, pricing={"api": {"base_path": "/product-pricing", "auth": auth}})
    res = api_template(tmp_path, svcs=svcs)["Resources"]
    method = res["PublicQuotingAnyMethod"]["Properties"]
    assert (method["AuthorizationType"], method["ApiKeyRequired"]) == (authorization, key_required)
    assert res["PublicApi"]["Properties"]["ApiKeySourceType"] == key_source
    assert ("AuthorizerId" in method) is (auth == "authorizer")
    assert ("PublicApiAuthorizer" in res) is (auth == "authorizer")


def test_authorizer_reads_the_key_header_caches_by_it_and_may_be_invoked_by_the_api(tmp_path: Path) -> None:
    reg = registry(authorizer_cache_ttl_seconds=120)
    svcs = services(
        quoting={"api": {"base_path": "/quoting", "auth": "authorizer"}},
        pricing={"api": {"base_path": "/product-pricing", "auth": "authorizer"}},
    )
    res = api_template(tmp_path, reg, svcs)["Resources"]
    assert res["PublicApiAuthorizer"]["Properties"] == {
        "AuthorizerResultTtlInSeconds": 120,
        "AuthorizerUri": {
            "Fn::Sub": [
                "arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${FunctionArn}/invocations",
                {"FunctionArn": {"Ref": "ApiKeyValidatorFunctionArn"}},
            ]
        },
        "IdentitySource": "method.request.header.x-api-key",
        "Name": "api-key-validator",
        "RestApiId": {"Ref": "PublicApi"},
        "Type": "REQUEST",
    }
    assert res["PublicApiAuthorizerPermission"]["Properties"]["SourceArn"] == {
        "Fn::Sub": "arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:${PublicApi}/authorizers/${PublicApiAuthorizer}"
    }
    headers = res["PublicQuotingAnyMethod"]["Properties"]["Integration"]["RequestParameters"]
    assert headers["integration.request.header.X-Consumer-Id"] == "context.authorizer.consumer_id"
    assert headers["integration.request.header.X-Consumer-Plan"] == "context.authorizer.plan"


def test_private_api_admits_only_the_vpc_endpoint(tmp_path: Path) -> None:
    svcs = services(pricing={"api": {"base_path": "/product-pricing", "exposure": "private"}})
    template = api_template(tmp_path, svcs=svcs)
    private = template["Resources"]["PrivateApi"]["Properties"]
    endpoint = {"Ref": "ExecuteApiEndpointId"}
    assert private["EndpointConfiguration"] == {"Types": ["PRIVATE"], "VpcEndpointIds": [endpoint]}
    assert private["Policy"]["Statement"] == [
        {"Action": ["execute-api:Invoke"], "Condition": {"StringEquals": {"aws:SourceVpce": endpoint}},
         "Effect": "Allow", "Principal": "*", "Resource": ["execute-api:/*"]},
        {"Action": ["execute-api:Invoke"], "Condition": {"StringNotEquals": {"aws:SourceVpce": endpoint}},
         "Effect": "Deny", "Principal": "*", "Resource": ["execute-api:/*"]},
    ]  # fmt: skip
    assert "PublicProductPricingResource" not in template["Resources"]
    assert template["Outputs"]["PrivateApiUrl"]["Value"] == {
        "Fn::Sub": "https://${PrivateApi}-${ExecuteApiEndpointId}.execute-api.${AWS::Region}.${AWS::URLSuffix}/dev"
    }


def test_alb_direct_targets_the_alb_through_the_vpc_link_v2(tmp_path: Path) -> None:
    reg = registry()
    reg["environments"]["dev"]["network"]["ingress"] = "alb-direct"
    integration = api_template(tmp_path, reg)["Resources"]["PublicQuotingAnyMethod"]["Properties"]["Integration"]
    assert integration["IntegrationTarget"] == {"Ref": "AlbArn"}
    assert integration["ConnectionId"] == {"Ref": "VpcLinkId"}
    assert integration["Uri"] == {
        "Fn::Sub": ["http://${IntegrationHost}/quoting", {"IntegrationHost": {"Ref": "AlbDnsName"}}]
    }


def test_usage_plans_link_every_keyed_stage_and_publish_their_ids(tmp_path: Path) -> None:
    plans = [{"name": "basic", "throttle": {"rate_limit": 5, "burst_limit": 10}, "quota": {"limit": 1000, "period": "WEEK"}},
             {"name": "gold"}]  # fmt: skip
    svcs = services(pricing={"api": {"base_path": "/product-pricing", "exposure": "both"}})
    res = api_template(tmp_path, registry(usage_plans=plans), svcs)["Resources"]
    basic = res["UsagePlanBasic"]["Properties"]
    assert basic["UsagePlanName"] == "acme-dev-basic"
    assert basic["Throttle"] == {"BurstLimit": 10, "RateLimit": 5.0}
    assert basic["Quota"] == {"Limit": 1000, "Period": "WEEK"}
    assert basic["ApiStages"] == [
        {"ApiId": {"Ref": "PublicApi"}, "Stage": {"Ref": "PublicApiStage"}},
        {"ApiId": {"Ref": "PrivateApi"}, "Stage": {"Ref": "PrivateApiStage"}},
    ]
    assert "Throttle" not in res["UsagePlanGold"]["Properties"]
    parameter = res["UsagePlansParameter"]["Properties"]
    assert parameter["Name"] == "/acme/dev/usage-plans"
    assert parameter["Value"] == {
        "Fn::Join": [
            "",
            ["{", '"basic":"', {"Ref": "UsagePlanBasic"}, '"', ',"gold":"', {"Ref": "UsagePlanGold"}, '"', "}"],
        ]
    }


def test_stage_logs_traces_and_throttles(tmp_path: Path) -> None:
    reg = registry(
        throttle={"rate_limit": 30, "burst_limit": 60},
        usage_plans=[{"name": "standard", "throttle": {"rate_limit": 10, "burst_limit": 20}}],
        execution_logging="INFO",
        access_log_retention_days=90,
    )
    res = api_template(tmp_path, reg)["Resources"]
    stage = res["PublicApiStage"]["Properties"]
    assert stage["StageName"] == "dev"
    assert stage["TracingEnabled"] is True
    assert stage["MethodSettings"] == [
        {"DataTraceEnabled": False, "HttpMethod": "*", "LoggingLevel": "INFO", "MetricsEnabled": True,
         "ResourcePath": "/*", "ThrottlingBurstLimit": 60, "ThrottlingRateLimit": 30.0}
    ]  # fmt: skip
    assert stage["AccessLogSetting"]["DestinationArn"] == {"Fn::GetAtt": ["PublicApiAccessLogGroup", "Arn"]}
    assert stage["AccessLogSetting"]["Format"].startswith('{"requestId":"$context.requestId",')
    assert res["PublicApiAccessLogGroup"]["Properties"]["RetentionInDays"] == 90
    assert res["PublicApiAccessLogGroup"]["Properties"]["LogGroupName"] == "/acme/dev/apigateway/public"


def test_deployment_is_recreated_exactly_when_routes_change(tmp_path: Path) -> None:
    def deployment(folder: str, svcs: dict[str, Any]) -> str:
        res = api_template(tmp_path / folder, svcs=svcs)["Resources"]
        (lid,) = [k for k, v in res.items() if v["Type"] == "AWS::ApiGateway::Deployment"]
        assert res["PublicApiStage"]["Properties"]["DeploymentId"] == {"Ref": lid}
        # The deployment is in api-stage.yaml, which the root deploys after every stack with routes.
        stage_stack = yaml.safe_load((tmp_path / folder / "build/dev/api-stage.yaml").read_text())
        assert lid in stage_stack["Resources"]
        return lid

    first = deployment("a", services())
    assert deployment("b", services()) == first  # same input, same logical id
    changed = services(quoting={"api": {"base_path": "/quotes"}})
    assert deployment("c", changed) != first
    assert first.startswith("PublicApiDeployment") and len(first) == len("PublicApiDeployment") + 10


def test_cors_single_origin_preflight_and_gateway_responses(tmp_path: Path) -> None:
    res = api_template(tmp_path, registry(cors={"allow_origins": ["https://app.example.com"], "max_age_seconds": 300}))[
        "Resources"
    ]
    options = res["PublicQuotingOptionsMethod"]["Properties"]
    assert (options["AuthorizationType"], options["ApiKeyRequired"]) == ("NONE", False)
    response = options["Integration"]["IntegrationResponses"][0]
    assert (
        response["ResponseParameters"]["method.response.header.Access-Control-Allow-Origin"]
        == "'https://app.example.com'"
    )
    assert response["ResponseParameters"]["method.response.header.Access-Control-Max-Age"] == "'300'"
    assert "ResponseTemplates" not in response
    assert (
        res["PublicApiDefault4XX"]["Properties"]["ResponseParameters"][
            "gatewayresponse.header.Access-Control-Allow-Origin"
        ]
        == "'https://app.example.com'"
    )
    assert res["PublicApiDefault5XX"]["Properties"]["ResponseType"] == "DEFAULT_5XX"


def test_without_cors_there_are_no_preflights(tmp_path: Path) -> None:
    res = api_template(tmp_path)["Resources"]
    assert [lid for lid in res if "Options" in lid or "Default4XX" in lid] == []


def test_custom_domain_with_base_path_mapping_and_alias_record(tmp_path: Path) -> None:
    domain = {"domain_name": "api.example.com", "certificate_arn": "arn:aws:acm:us-east-1:123456789012:certificate/abc-123",
              "hosted_zone_id": "Z0123456789ABC", "base_path": "v1"}  # fmt: skip
    template = api_template(tmp_path, registry(custom_domain=domain))
    res = template["Resources"]
    assert res["CustomDomain"]["Properties"] == {
        "CertificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/abc-123",
        "DomainName": "api.example.com",
        "EndpointConfiguration": {"Types": ["EDGE"]},
        "SecurityPolicy": "TLS_1_2",
        "Tags": res["CustomDomain"]["Properties"]["Tags"],
    }
    assert res["CustomDomainMapping"]["Properties"] == {
        "BasePath": "v1", "DomainName": {"Ref": "CustomDomain"}, "RestApiId": {"Ref": "PublicApi"}, "Stage": {"Ref": "PublicApiStage"},
    }  # fmt: skip
    alias = res["CustomDomainRecord"]["Properties"]["AliasTarget"]
    assert alias == {
        "DNSName": {"Fn::GetAtt": ["CustomDomain", "DistributionDomainName"]},
        "HostedZoneId": {"Fn::GetAtt": ["CustomDomain", "DistributionHostedZoneId"]},
    }
    assert template["Outputs"]["CustomDomainUrl"]["Value"] == "https://api.example.com/v1"


def test_account_cloudwatch_role_is_optional_and_stages_wait_for_it(tmp_path: Path) -> None:
    res = api_template(tmp_path / "on", registry(cloudwatch_role=True))["Resources"]
    assert res["ApiGatewayAccount"]["Properties"] == {
        "CloudWatchRoleArn": {"Fn::GetAtt": ["ApiGatewayCloudWatchRole", "Arn"]}
    }
    assert res["PublicApiStage"]["DependsOn"] == ["ApiGatewayAccount"]
    off = api_template(tmp_path / "off")["Resources"]
    assert "ApiGatewayAccount" not in off and "DependsOn" not in off["PublicApiStage"]


def test_a_custom_domain_without_a_public_route_is_warned_about_not_dropped_silently(tmp_path: Path) -> None:
    domain = {"domain_name": "api.example.com", "certificate_arn": "arn:aws:acm:us-east-1:123456789012:certificate/abc"}
    reg = registry(custom_domain=domain)
    reg["defaults"]["platform_functions"] = {"onboarding": {"enabled": False}}
    svcs = services()
    for name, svc in svcs.items():
        svcs[name] = {**svc, "api": {**svc["api"], "exposure": "private"}}
    project = make_project(tmp_path, reg, svcs, STATUS_CODE)
    result = synthesize(project, "dev").write()
    assert [w for w in result.warnings if "custom_domain" in w] == [
        "environment 'dev' sets api.custom_domain (api.example.com), but nothing is on the public API, so no "
        "domain is created; expose a service publicly or remove the setting"
    ]
    assert "CustomDomain" not in yaml.safe_load((project / "build/dev/api-stage.yaml").read_text())["Resources"]


ROLE_WARNING = (
    "environment 'dev' sets api.cloudwatch_role, and so does prod in the same Region; the role is account-wide, "
    "so if they share an account set it in only one of them (or give each environment its account_id so this "
    "can be checked)"
)


@pytest.mark.parametrize(
    ("prod", "expected"),
    [
        ({}, [ROLE_WARNING]),  # both inherit the role from defaults
        ({"api": {"cloudwatch_role": False}}, []),
        ({"account_id": "210987654321"}, []),  # with dev in another account: no overlap
    ],
    ids=["both_from_defaults", "prod_opts_out", "distinct_accounts"],
)
def test_two_environments_creating_the_account_cloudwatch_role_are_warned_about(
    tmp_path: Path, prod: dict[str, Any], expected: list[str]
) -> None:
    reg = registry(cloudwatch_role=True)
    reg["environments"]["dev"]["account_id"] = "123456789012"
    reg["environments"]["prod"].update(prod)
    result = synthesize(make_project(tmp_path, reg, services(), STATUS_CODE), "dev").write()
    assert [w for w in result.warnings if "cloudwatch_role" in w] == expected


def test_an_environment_with_nothing_exposed_has_no_api_stage(tmp_path: Path) -> None:
    reg = copy.deepcopy(REGISTRY)
    reg["defaults"] = {"platform_functions": {"onboarding": {"enabled": False}}}
    svcs = {"quoting": {**QUOTING, "api": {"base_path": "/quoting", "exposure": "none"}},
            "product-pricing": {**PRICING, "api": {"base_path": "/product-pricing", "exposure": "none"}}}  # fmt: skip
    project = make_project(tmp_path, reg, svcs)
    result = synthesize(project, "dev").write()
    assert [s.file_name for s in result.stacks] == [
        "template.yaml",
        "network.yaml",
        "compute.yaml",
        "observability.yaml",
    ]


BAD_INPUT = [
    (
        "invalid_cors_origins",
        {"defaults": {"api": {"cors": {"allow_origins": ["https://app.example.com/", "*"]}}}},
        None,
        [
            "services/registry.yaml: environments.dev.api.cors.allow_origins[0]: 'https://app.example.com/' is not a valid origin",
            "    hint: an origin is a scheme and host with an optional port, e.g. https://app.example.com, without a path or trailing slash",
            "services/registry.yaml: environments.dev.api.cors.allow_origins[1]: '*' cannot be combined with other origins",
        ],
    ),
    (
        "api_key_and_authorizer_on_one_api",
        None,
        services(pricing={"api": {"base_path": "/product-pricing", "auth": "authorizer"}}),
        [
            "services/quoting/service.yaml: api.auth: 'api_key' cannot share the public API with 'authorizer' "
            "(services/product-pricing/service.yaml): a REST API has one API key source",
            "    hint: use the same auth for every keyed service of an API (authorizer also meters API keys)",
        ],
    ),
    (
        "service_under_the_admin_route",
        None,
        services(quoting={"api": {"base_path": "/admin/quotes"}}),
        [
            "services/quoting/service.yaml: api.base_path: '/admin/quotes' is taken by the platform's admin API (/admin) on the public API",
            "    hint: choose another base path, or move the admin API with api.admin.base_path",
        ],
    ),
    (
        "edge_certificate_outside_us_east_1",
        {
            "defaults": {
                "api": {
                    "custom_domain": {
                        "domain_name": "api.example.com",
                        "certificate_arn": "arn:aws:acm:eu-west-1:123456789012:certificate/abc",
                    }
                }
            }
        },
        None,
        [
            "services/registry.yaml: environments.dev.api.custom_domain.certificate_arn: an EDGE custom domain (CloudFront) "
            "needs its ACM certificate in us-east-1; this one is in eu-west-1",
        ],
    ),
    (
        "duplicate_usage_plan",
        {"defaults": {"api": {"usage_plans": [{"name": "basic"}, {"name": "basic"}]}}},
        None,
        ["services/registry.yaml: environments.dev.api.usage_plans[1].name: usage plan 'basic' is defined twice"],
    ),
    (
        "two_services_claim_a_base_path_on_the_private_api",
        None,
        services(
            quoting={"api": {"base_path": "/quoting", "exposure": "private"}},
            pricing={
                "api": {"base_path": "/quoting", "exposure": "both"},
                "alb": {"priority": 20, "path_patterns": ["/pp/*"]},
            },
        ),
        [
            "services/product-pricing/service.yaml: api.base_path: '/quoting' is not reached by any ALB path "
            "pattern of this service ('/pp/*')",
            "    hint: add a pattern to alb.path_patterns, or remove alb.path_patterns to use the default (every route)",
            "services/quoting/service.yaml: api.base_path: '/quoting' is already used on the private API by "
            "services/product-pricing/service.yaml",
        ],
    ),
]


@pytest.mark.parametrize(("edit", "svcs", "expected"), [c[1:] for c in BAD_INPUT], ids=[c[0] for c in BAD_INPUT])
def test_api_bad_input_is_refused_exactly(
    tmp_path: Path, edit: dict[str, Any] | None, svcs: dict[str, Any] | None, expected: list[str]
) -> None:
    reg = registry()
    reg.update(edit or {})
    project = make_project(tmp_path, reg, svcs or services(), STATUS_CODE)
    result = run_cli("synth", "--env", "dev", project=project)
    assert result.code == 1
    assert result.err.splitlines()[:-1] == expected
    assert not (project / "build").exists()
