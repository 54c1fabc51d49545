"""What the generator adds so the consumer admin API keeps its promises: the reconciler on a schedule,
onboarding's permission to flush exactly its stages' authorizer caches, the parameter naming those
stages, the IAM caller in the access logs, and an API key required wherever the authorizer meters."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from support import make_project, resources_of_type
from test_api import STATUS_CODE, api_template, registry, services

from template_gen.pipeline import synthesize

APIGW = "arn:${AWS::Partition}:apigateway:${AWS::Region}::"


def compute_resources(tmp_path: Path) -> dict[str, Any]:
    project = make_project(tmp_path, registry(), services(), STATUS_CODE)
    synthesize(project, "dev").write()
    return yaml.safe_load((project / "build/dev/compute.yaml").read_text())["Resources"]  # type: ignore[no-any-return]


def statements(res: dict[str, Any], role: str) -> dict[str, tuple[list[str], list[Any]]]:
    policy = res[role]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
    return {s["Sid"]: (s["Action"], s["Resource"]) for s in policy}


def test_the_reconciler_runs_hourly_from_onboardings_code_with_its_own_least_privilege_role(tmp_path: Path) -> None:
    res = compute_resources(tmp_path)
    fn = res["ReconcilerFunction"]["Properties"]
    onboarding = res["OnboardingFunction"]["Properties"]
    assert (fn["FunctionName"], fn["Handler"], fn["CodeUri"], fn["Timeout"]) == (
        "acme-dev-reconciler",
        "reconciler.lambda_handler",
        onboarding["CodeUri"],
        300,
    )
    assert fn["Events"] == {
        "Hourly": {
            "Type": "Schedule",
            "Properties": {"Schedule": "rate(1 hour)", "Name": "acme-dev-reconciler-hourly", "State": "ENABLED"},
        }
    }
    variables = fn["Environment"]["Variables"]
    assert (variables["CONSUMERS_TABLE_NAME"], variables["USAGE_PLANS_PARAMETER"]) == (
        {"Ref": "ConsumersTable"},
        "/acme/dev/usage-plans",
    )
    table = {"Fn::GetAtt": ["ConsumersTable", "Arn"]}
    found = statements(res, "ReconcilerRole")
    assert found["ReconcileConsumers"] == (
        ["dynamodb:Scan", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:PutItem"],
        [table],
    )
    assert found["ListKeys"] == (
        ["apigateway:GET"],
        [{"Fn::Sub": f"{APIGW}/apikeys"}, {"Fn::Sub": f"{APIGW}/usageplans/*/keys"}],
    )
    assert found["RemoveKeys"] == (
        ["apigateway:GET", "apigateway:PATCH", "apigateway:DELETE"],
        [{"Fn::Sub": f"{APIGW}/apikeys/*"}, {"Fn::Sub": f"{APIGW}/usageplans/*/keys/*"}],
    )
    assert res["ReconcilerLogGroup"]["Properties"]["LogGroupName"] == "/acme/dev/lambda/reconciler"


def test_onboarding_may_flush_only_its_stage_authorizer_caches_and_find_keys_by_name(tmp_path: Path) -> None:
    res = compute_resources(tmp_path)
    found = statements(res, "OnboardingRole")
    assert found["FlushAuthorizerCaches"] == (
        ["apigateway:DELETE"],
        [{"Fn::Sub": f"{APIGW}/restapis/*/stages/dev/cache/authorizers"}],
    )
    assert found["FindKeysByName"] == (["apigateway:GET"], [{"Fn::Sub": f"{APIGW}/apikeys"}])
    assert found["ReadAuthorizerStages"] == (
        ["ssm:GetParameter"],
        [
            {
                "Fn::Sub": "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/acme/dev/authorizer-stages"
            }
        ],
    )
    variables = res["OnboardingFunction"]["Properties"]["Environment"]["Variables"]
    assert variables["AUTHORIZER_STAGES_PARAMETER"] == "/acme/dev/authorizer-stages"


def test_the_api_stage_names_every_stage_with_the_key_validator_for_onboarding(tmp_path: Path) -> None:
    svcs = services(
        quoting={"api": {"base_path": "/quoting", "auth": "authorizer", "exposure": "both"}},
        pricing={"api": {"base_path": "/product-pricing", "auth": "authorizer"}},
    )
    res = api_template(tmp_path, svcs=svcs)["Resources"]
    parameter = res["AuthorizerStagesParameter"]["Properties"]
    assert (parameter["Name"], parameter["Type"]) == ("/acme/dev/authorizer-stages", "String")
    assert parameter["Value"] == {
        "Fn::Join": [
            "",
            [
                "[",
                '{"rest_api_id":"',
                {"Ref": "PublicApi"},
                '","stage":"',
                {"Ref": "PublicApiStage"},
                '"}',
                ',{"rest_api_id":"',
                {"Ref": "PrivateApi"},
                '","stage":"',
                {"Ref": "PrivateApiStage"},
                '"}',
                "]",
            ],
        ]
    }


def test_without_an_authorizer_the_stages_parameter_is_an_empty_list(tmp_path: Path) -> None:
    res = api_template(tmp_path)["Resources"]
    assert res["AuthorizerStagesParameter"]["Properties"]["Value"] == {"Fn::Join": ["", ["[", "]"]]}


def test_the_access_log_names_the_iam_caller(tmp_path: Path) -> None:
    res = api_template(tmp_path)["Resources"]
    log_format = json.loads(res["PublicApiStage"]["Properties"]["AccessLogSetting"]["Format"])
    assert (log_format["caller"], log_format["apiKeyId"], log_format["consumerId"]) == (
        "$context.identity.userArn",
        "$context.identity.apiKeyId",
        "$context.authorizer.consumer_id",
    )


def test_every_method_behind_the_key_validator_requires_an_api_key(tmp_path: Path) -> None:
    # With ApiKeySourceType AUTHORIZER, API Gateway checks the key the validator returns against the usage
    # plans on every request, even when the authorizer's answer is cached; only when the method requires
    # a key. So a deleted, disabled or unlinked key is refused at once by API Gateway itself.
    svcs = services(
        quoting={"api": {"base_path": "/quoting", "auth": "authorizer"}},
        pricing={"api": {"base_path": "/product-pricing", "auth": "authorizer", "exposure": "both"}},
    )
    template = api_template(tmp_path, svcs=svcs)
    custom = {
        lid: m["Properties"]
        for lid, m in resources_of_type(template, "AWS::ApiGateway::Method").items()
        if m["Properties"]["AuthorizationType"] == "CUSTOM"
    }
    assert sorted(custom) == [
        "PrivateProductPricingAnyMethod",
        "PrivateProductPricingProxyAnyMethod",
        "PublicProductPricingAnyMethod",
        "PublicProductPricingProxyAnyMethod",
        "PublicQuotingAnyMethod",
        "PublicQuotingProxyAnyMethod",
    ]
    assert {lid: m["ApiKeyRequired"] for lid, m in custom.items()} == dict.fromkeys(custom, True)


def test_without_onboarding_there_is_no_reconciler_and_no_stages_parameter(tmp_path: Path) -> None:
    reg = registry()
    reg["environments"]["dev"]["platform_functions"] = {"onboarding": {"enabled": False}}
    project = make_project(tmp_path, reg, services(), STATUS_CODE)
    synthesize(project, "dev").write()
    build = project / "build/dev"
    assert "ReconcilerFunction" not in yaml.safe_load((build / "compute.yaml").read_text())["Resources"]
    assert "AuthorizerStagesParameter" not in yaml.safe_load((build / "api-stage.yaml").read_text())["Resources"]
