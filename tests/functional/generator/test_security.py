"""Secure by default: the caller's key stays at the gateway, production load balancers are protected, a
web ACL guards the public stage, asynchronous Lambda failures are kept, and every scanner exemption is
written on the resource it applies to, with its reason (docs/security.md)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml
from support import REGISTRY, make_project, resources_of_type, run_cli, synth_linted

from template_gen.stacks import exemptions

WEB_ACL = "arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/edge/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
ROOT = Path(__file__).resolve().parents[3]


def synth(tmp_path: Path, env: str = "dev", **security: Any) -> tuple[dict[str, dict[str, Any]], str]:
    registry = copy.deepcopy(REGISTRY)
    if security:
        registry["environments"][env]["security"] = security
    project = make_project(tmp_path / "project", registry)
    return synth_linted(project, tmp_path / "out", env)


def integration_headers(api: dict[str, Any]) -> dict[str, dict[str, str]]:
    methods = resources_of_type(api, "AWS::ApiGateway::Method")
    return {
        lid: m["Properties"]["Integration"]["RequestParameters"]
        for lid, m in methods.items()
        if m["Properties"].get("Integration", {}).get("Type") == "HTTP_PROXY"
    }


def test_container_integrations_overwrite_the_callers_api_key(tmp_path: Path) -> None:
    templates, _ = synth(tmp_path)
    headers = integration_headers(templates["api.yaml"])
    assert sorted(headers) == [
        "PublicProductPricingAnyMethod", "PublicProductPricingProxyAnyMethod", "PublicQuotingAnyMethod",
        "PublicQuotingProxyAnyMethod",
    ]  # fmt: skip
    assert {lid: h["integration.request.header.x-api-key"] for lid, h in headers.items()} == dict.fromkeys(
        headers, "'redacted'"
    )


def test_forward_api_key_keeps_the_callers_header(tmp_path: Path) -> None:
    templates, _ = synth(tmp_path, forward_api_key=True)
    headers = integration_headers(templates["api.yaml"])
    assert headers and all("integration.request.header.x-api-key" not in h for h in headers.values())


def test_production_protects_both_load_balancers_and_warns_without_a_web_acl(tmp_path: Path) -> None:
    templates, err = synth(tmp_path, "prod", production=True)
    lbs = resources_of_type(templates["network.yaml"], "AWS::ElasticLoadBalancingV2::LoadBalancer")
    assert sorted(lbs) == ["Alb", "IngressNlb"]
    for lid, lb in lbs.items():
        attributes = {a["Key"]: a["Value"] for a in lb["Properties"]["LoadBalancerAttributes"]}
        assert attributes["deletion_protection.enabled"] == "true", lid
        suppressed = lb.get("Metadata", {}).get("guard", {}).get("SuppressedRules", [])
        assert "ELB_DELETION_PROTECTION_ENABLED" not in suppressed, lid
    assert (
        "warning: environment 'prod' is a production environment (security.production) with a public API but no web "
        "ACL (security.waf_web_acl_arn or security.baseline_web_acl): the public stage is served without AWS WAF"
    ) in err


def test_other_environments_leave_deletion_protection_off_and_say_why(tmp_path: Path) -> None:
    templates, err = synth(tmp_path)
    alb = templates["network.yaml"]["Resources"]["Alb"]
    keys = [a["Key"] for a in alb["Properties"]["LoadBalancerAttributes"]]
    assert "deletion_protection.enabled" not in keys
    assert alb["Metadata"]["guard"]["SuppressedRules"] == [
        "ELB_DELETION_PROTECTION_ENABLED", "elbv2_deletion_protection_enabled_check",
    ]  # fmt: skip
    assert "waf" not in err.lower()


def test_a_web_acl_is_associated_with_the_public_stage(tmp_path: Path) -> None:
    templates, err = synth(tmp_path, "prod", production=True, waf_web_acl_arn=WEB_ACL)
    association = templates["api-stage.yaml"]["Resources"]["PublicApiWebAclAssociation"]
    assert association == {
        "Type": "AWS::WAFv2::WebACLAssociation",
        "Properties": {
            "ResourceArn": {
                "Fn::Sub": [
                    "arn:${AWS::Partition}:apigateway:${AWS::Region}::/restapis/${PublicApi}/stages/${Stage}",
                    {"Stage": {"Ref": "PublicApiStage"}},
                ]
            },
            "WebACLArn": WEB_ACL,
        },
    }
    assert "waf" not in err.lower()


def test_a_malformed_web_acl_arn_is_refused_with_its_field(tmp_path: Path) -> None:
    registry = copy.deepcopy(REGISTRY)
    registry["environments"]["dev"]["security"] = {"waf_web_acl_arn": "arn:aws:wafv2:eu-west-1:1:global/webacl/x/y"}
    project = make_project(tmp_path, registry)
    result = run_cli("validate", project=project)
    assert result.code == 1
    assert "services/registry.yaml: environments.dev.security.waf_web_acl_arn:" in result.err


def test_the_xray_sidecar_is_read_only_and_not_root(templates: Any) -> None:
    compute = yaml.safe_load(templates("example", "dev")["compute.yaml"])
    sidecars = [
        c
        for task in resources_of_type(compute, "AWS::ECS::TaskDefinition").values()
        for c in task["Properties"]["ContainerDefinitions"]
        if c["Name"] == "xray-daemon"
    ]
    assert sidecars and all((c["ReadonlyRootFilesystem"], c["User"]) == (True, "1337") for c in sidecars)


def test_ecr_repositories_refuse_to_overwrite_a_tag(templates: Any) -> None:
    compute = yaml.safe_load(templates("example", "dev")["compute.yaml"])
    repositories = resources_of_type(compute, "AWS::ECR::Repository")
    assert repositories
    assert {r["Properties"]["ImageTagMutability"] for r in repositories.values()} == {"IMMUTABLE"}


def test_gateway_responses_echo_no_origin_when_several_are_allowed(templates: Any) -> None:
    api = yaml.safe_load(templates("example", "dev")["api.yaml"])
    for lid, response in resources_of_type(api, "AWS::ApiGateway::GatewayResponse").items():
        assert "gatewayresponse.header.Access-Control-Allow-Origin" not in response["Properties"]["ResponseParameters"]
        assert lid.endswith(("4XX", "5XX"))


# ---------------------------------------------------------------------------------------------- exemptions
def test_an_exemption_is_written_with_its_reason_on_the_resource() -> None:
    template = {"Resources": {"Logs": {"Type": "AWS::Logs::LogGroup", "Properties": {"RetentionInDays": 30}}}}
    metadata = exemptions.annotate(template)["Resources"]["Logs"]["Metadata"]
    encrypted = exemptions.EXEMPTIONS[0].reason
    assert metadata["checkov"] == {"skip": [{"id": "CKV_AWS_158", "comment": encrypted}]}
    assert metadata["guard"] == {
        "SuppressedRules": [
            "CLOUDWATCH_LOG_GROUP_ENCRYPTED", "cloudwatch_log_group_encrypted_check",
            "cloudwatch_log_group_retention_period_check",
        ]
    }  # fmt: skip
    retention = exemptions.EXEMPTIONS[1].reason
    assert metadata["template-gen"] == {"exemptions": {"cloudwatch_log_group_retention_period_check": retention}}


def test_no_exemption_once_the_gap_is_closed_by_an_option() -> None:
    props = {"RetentionInDays": 400, "KmsKeyId": "arn:aws:kms:eu-west-1:123456789012:key/abc"}
    template = {"Resources": {"Logs": {"Type": "AWS::Logs::LogGroup", "Properties": props}}}
    assert "Metadata" not in exemptions.annotate(template)["Resources"]["Logs"]


@pytest.mark.parametrize(
    ("statement", "exempt"),
    [
        ({"Action": ["xray:PutTraceSegments"], "Resource": ["*"]}, True),
        ({"Action": ["dynamodb:GetItem"], "Resource": ["*"]}, False),
        ({"Action": ["dynamodb:GetItem"], "Resource": ["arn:aws:dynamodb:eu-west-1:1:table/t"]}, True),
        ({"Action": ["ssmmessages:CreateControlChannel", "ssmmessages:OpenDataChannel"], "Resource": ["*"]}, True),
        ({"Action": ["cloudwatch:PutMetricData"], "Resource": "*"}, True),
        ({"Action": ["ssmmessages:OpenDataChannel", "ssm:GetParameter"], "Resource": ["*"]}, False),
    ],
)
def test_wildcard_resources_are_exempt_only_for_actions_without_resource_permissions(
    statement: dict[str, Any], exempt: bool
) -> None:
    props = {"Policies": [{"PolicyDocument": {"Statement": [{"Effect": "Allow", **statement}]}}]}
    found = [r for e in exemptions.for_resource("AWS::IAM::Role", props) for r in e.guard]
    assert ("IAM_POLICYDOCUMENT_NO_WILDCARD_RESOURCE" in found) is exempt


def test_security_doc_lists_every_exemption_as_the_code_has_it() -> None:
    doc = (ROOT / "docs" / "security.md").read_text()
    assert exemptions.markdown() in doc


def test_baseline_web_acl_blocks_with_managed_groups_and_a_rate_rule(tmp_path: Path) -> None:
    templates, err = synth(tmp_path, "prod", production=True, baseline_web_acl=True, baseline_rate_limit=500)
    resources = templates["api-stage.yaml"]["Resources"]
    acl = resources["PublicApiWebAcl"]["Properties"]
    assert (acl["Name"], acl["Scope"], acl["DefaultAction"]) == ("acme-prod-public-api", "REGIONAL", {"Allow": {}})
    assert [(r["Name"], r["Priority"]) for r in acl["Rules"]] == [
        ("AWSManagedRulesCommonRuleSet", 0), ("AWSManagedRulesKnownBadInputsRuleSet", 1),
        ("AWSManagedRulesAmazonIpReputationList", 2), ("RequestsPerClientIp", 3),
    ]  # fmt: skip
    assert acl["Rules"][3]["Statement"] == {"RateBasedStatement": {"AggregateKeyType": "IP", "Limit": 500}}
    assert acl["Rules"][3]["Action"] == {"Block": {}}
    assert all(r["OverrideAction"] == {"None": {}} for r in acl["Rules"][:3])
    association = resources["PublicApiWebAclAssociation"]["Properties"]
    assert association["WebACLArn"] == {"Fn::GetAtt": ["PublicApiWebAcl", "Arn"]}
    assert "waf" not in err.lower()


def test_an_existing_and_a_baseline_web_acl_together_are_refused(tmp_path: Path) -> None:
    registry = copy.deepcopy(REGISTRY)
    registry["environments"]["dev"]["security"] = {"waf_web_acl_arn": WEB_ACL, "baseline_web_acl": True}
    result = run_cli("validate", project=make_project(tmp_path, registry))
    assert result.code == 1
    assert (
        "services/registry.yaml: environments.dev.security: set waf_web_acl_arn or baseline_web_acl, not both "
        "(the public stage takes one web ACL)"
    ) in result.err


def test_only_dead_letter_queues_are_exempt_from_having_one() -> None:
    queue = {"Type": "AWS::SQS::Queue", "Properties": {"SqsManagedSseEnabled": True}}
    template = {"Resources": {"ReportsFailedEventsQueue": queue, "ReportsWorkQueue": copy.deepcopy(queue)}}
    resources = exemptions.annotate(template)["Resources"]
    assert "sqs_dlq_check" in resources["ReportsFailedEventsQueue"]["Metadata"]["guard"]["SuppressedRules"]
    assert "sqs_dlq_check" not in resources["ReportsWorkQueue"]["Metadata"]["guard"]["SuppressedRules"]
    assert resources["ReportsFailedEventsQueue"]["Metadata"]["cfn-lint"] == {"config": {"ignore_checks": ["ES6000"]}}
    assert "cfn-lint" not in resources["ReportsWorkQueue"]["Metadata"]


def test_a_function_logging_to_its_own_group_is_exempt_from_the_serverless_log_rule() -> None:
    props = {"LoggingConfig": {"LogGroup": {"Ref": "ReportsLogGroup"}}, "ReservedConcurrentExecutions": 5}
    template = {"Resources": {"ReportsFunction": {"Type": "AWS::Serverless::Function", "Properties": props}}}
    metadata = exemptions.annotate(template)["Resources"]["ReportsFunction"]["Metadata"]
    assert metadata["cfn-lint"] == {"config": {"ignore_checks": ["WS1004"]}}
    assert list(metadata["template-gen"]["exemptions"]) == ["WS1004"]
    assert "CKV_AWS_115" not in [s["id"] for s in metadata["checkov"]["skip"]]  # it has reserved concurrency
