"""template-gen diff as a user runs it: two builds of a small project, exact output, JSON, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from diff_cases import (
    PORT_CHANGE,
    block,
    change_log_retention,
    change_port,
    deployed_then_changed,
    replace_pricing_with_billing,
)
from support import run_cli


def test_a_port_change_replaces_the_target_group_and_task_definition(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = deployed_then_changed(tmp_path, monkeypatch, change_port)
    result = run_cli("diff", "--env", "dev", "--against", "deployed", project=project)
    assert (result.code, result.err) == (0, "")
    assert result.out.splitlines() == [
        "dev: the templates synth would write now, compared with the build in deployed",
        "",
        *PORT_CHANGE,
    ]


def test_a_log_retention_change_updates_log_groups_in_place_and_passes_a_new_nested_parameter(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = deployed_then_changed(tmp_path, monkeypatch, change_log_retention)
    out = run_cli("diff", "--env", "dev", "--against", "deployed", project=project).out
    # The root passes the flow log retention to the network stack (the last of the root's rows).
    assert block(out, "template.yaml (root)")[-2:] == [
        "  modify  NetworkStack   AWS::CloudFormation::Stack  replacement: False  scope: Properties",
        '      Parameters.FlowLogRetentionDays: "30" -> "14"',
    ]
    # The API's access log group lives in the stage stack of the API stage.
    assert block(out, "api-stage.yaml (ApiStageStack)") == [
        "api-stage.yaml (ApiStageStack)",
        "  modify  PublicApiAccessLogGroup  AWS::Logs::LogGroup  replacement: False  scope: Properties",
        "      RetentionInDays: 30 -> 14",
    ]
    # The network template is unchanged: the flow log group changes because the root passes a new value.
    assert block(out, "network.yaml (NetworkStack)") == [
        "network.yaml (NetworkStack)",
        "  modify  FlowLogGroup  AWS::Logs::LogGroup  replacement: False  scope: Properties",
        '      RetentionInDays: "30" -> "14" (via parameter FlowLogRetentionDays)',
    ]
    assert block(out, "compute.yaml (ComputeStack)") == [
        "compute.yaml (ComputeStack)",
        "  modify  ApiKeyValidatorLogGroup  AWS::Logs::LogGroup  replacement: False  scope: Properties",
        "      RetentionInDays: 30 -> 14",
        "  modify  OnboardingLogGroup       AWS::Logs::LogGroup  replacement: False  scope: Properties",
        "      RetentionInDays: 30 -> 14",
        "  modify  ProductPricingLogGroup   AWS::Logs::LogGroup  replacement: False  scope: Properties",
        "      RetentionInDays: 30 -> 14",
        "  modify  QuotingLogGroup          AWS::Logs::LogGroup  replacement: False  scope: Properties",
        "      RetentionInDays: 30 -> 14",
        "  modify  ReconcilerLogGroup       AWS::Logs::LogGroup  replacement: False  scope: Properties",
        "      RetentionInDays: 30 -> 14",
    ]
    summary = json.loads(
        run_cli("diff", "--env", "dev", "--against", "deployed", "--format", "json", project=project).out
    )
    assert (summary["summary"]["replace"], summary["summary"]["conditional_replace"]) == (0, 0)


def test_replacing_a_service_adds_and_removes_its_resources_and_outputs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = deployed_then_changed(tmp_path, monkeypatch, replace_pricing_with_billing)
    out = run_cli("diff", "--env", "dev", "--against", "deployed", project=project).out
    assert block(out, "compute.yaml (ComputeStack)") == [
        "compute.yaml (ComputeStack)",
        "  remove  ProductPricingExecutionRole   AWS::IAM::Role",
        "  remove  ProductPricingFromAlbIngress  AWS::EC2::SecurityGroupIngress",
        "  remove  ProductPricingListenerRule    AWS::ElasticLoadBalancingV2::ListenerRule",
        "  remove  ProductPricingLogGroup        AWS::Logs::LogGroup",
        "  remove  ProductPricingRepository      AWS::ECR::Repository",
        "  remove  ProductPricingSecurityGroup   AWS::EC2::SecurityGroup",
        "  remove  ProductPricingService         AWS::ECS::Service",
        "  remove  ProductPricingTargetGroup     AWS::ElasticLoadBalancingV2::TargetGroup",
        "  remove  ProductPricingTaskDefinition  AWS::ECS::TaskDefinition",
        "  remove  ProductPricingTaskRole        AWS::IAM::Role",
        "  add     BillingExecutionRole          AWS::IAM::Role",
        "  add     BillingFromAlbIngress         AWS::EC2::SecurityGroupIngress",
        "  add     BillingListenerRule           AWS::ElasticLoadBalancingV2::ListenerRule",
        "  add     BillingLogGroup               AWS::Logs::LogGroup",
        "  add     BillingRepository             AWS::ECR::Repository",
        "  add     BillingSecurityGroup          AWS::EC2::SecurityGroup",
        "  add     BillingService                AWS::ECS::Service",
        "  add     BillingTargetGroup            AWS::ElasticLoadBalancingV2::TargetGroup",
        "  add     BillingTaskDefinition         AWS::ECS::TaskDefinition",
        "  add     BillingTaskRole               AWS::IAM::Role",
        "  output add  BillingRepositoryUri",
        '      Description: (not set) -> "billing: ECR repository URI"',
        "      Value: (not set) -> !GetAtt BillingRepository.RepositoryUri",
        "  output add  BillingSecurityGroupId",
        '      Description: (not set) -> "billing: its security group (admit it on a database or cache)"',
        '      Export: (not set) -> {Name: "acme-dev-billing-security-group-id"}',
        "      Value: (not set) -> !GetAtt BillingSecurityGroup.GroupId",
        "  output add  BillingServiceName",
        '      Description: (not set) -> "billing: ECS service name"',
        "      Value: (not set) -> !GetAtt BillingService.Name",
        "  output add  BillingTargetGroupFullName",
        '      Description: (not set) -> "billing: target group"',
        "      Value: (not set) -> !GetAtt BillingTargetGroup.TargetGroupFullName",
        "  output remove  ProductPricingRepositoryUri",
        '      Description: "product-pricing: ECR repository URI" -> (not set)',
        "      Value: !GetAtt ProductPricingRepository.RepositoryUri -> (not set)",
        "  output remove  ProductPricingSecurityGroupId",
        '      Description: "product-pricing: its security group (admit it on a database or cache)" -> (not set)',
        '      Export: {Name: "acme-dev-product-pricing-security-group-id"} -> (not set)',
        "      Value: !GetAtt ProductPricingSecurityGroup.GroupId -> (not set)",
        "  output remove  ProductPricingServiceName",
        '      Description: "product-pricing: ECS service name" -> (not set)',
        "      Value: !GetAtt ProductPricingService.Name -> (not set)",
        "  output remove  ProductPricingTargetGroupFullName",
        '      Description: "product-pricing: target group" -> (not set)',
        "      Value: !GetAtt ProductPricingTargetGroup.TargetGroupFullName -> (not set)",
    ]
    # Both services listen on 8080, so the ALB's group does not change; each service has its own group.
    assert "network.yaml (NetworkStack)" not in out


def test_json_names_each_change_with_its_path_values_and_replacement(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = deployed_then_changed(tmp_path, monkeypatch, change_port)
    result = run_cli("diff", "--env", "dev", "--against", "deployed", "--format", "json", project=project)
    data = json.loads(result.out)
    assert data["environment"] == "dev"
    assert data["against"] == {"kind": "folder", "label": "deployed", "commit": None}
    assert data["changed"] is True
    assert data["summary"] == {
        "add": 0,
        "change": 13,  # 3 in the root, 1 in network, 5 in compute, 4 in observability (the new target group)
        "replace": 3,  # the ingress rule, target group and task definition of quoting
        "conditional_replace": 0,
        "remove": 0,
        "parameters": 0,
        "outputs": 0,
    }
    compute = next(s for s in data["stacks"] if s["file"] == "compute.yaml")
    assert (compute["logical_id"], compute["title"], compute["status"]) == (
        "ComputeStack",
        "compute.yaml (ComputeStack)",
        "modified",
    )
    assert compute["resources"][1] == {
        "action": "modify",
        "logical_id": "QuotingTargetGroup",
        "type": "AWS::ElasticLoadBalancingV2::TargetGroup",
        "replacement": "True",
        "scope": ["Properties"],
        "details": [{"attribute": "Properties", "path": "Port", "before": 8080, "after": 9090, "replacement": "True"}],
    }
    assert compute["resources"][4] == {
        "action": "modify",
        "logical_id": "QuotingService",
        "type": "AWS::ECS::Service",
        "replacement": "False",
        "scope": ["Properties"],
        "details": [
            {
                "attribute": "Properties",
                "path": "LoadBalancers[0].ContainerPort",
                "before": 8080,
                "after": 9090,
                "replacement": "False",
            },
            {
                "attribute": "Properties",
                "path": "LoadBalancers[0].TargetGroupArn",
                "before": {"Ref": "QuotingTargetGroup"},
                "after": {"Ref": "QuotingTargetGroup"},
                "replacement": "False",
                "cause": "QuotingTargetGroup replaced",
            },
            {
                "attribute": "Properties",
                "path": "ServiceConnectConfiguration.Services[0].ClientAliases[0].Port",
                "before": 8080,
                "after": 9090,
                "replacement": "False",
            },
            {
                "attribute": "Properties",
                "path": "TaskDefinition",
                "before": {"Ref": "QuotingTaskDefinition"},
                "after": {"Ref": "QuotingTaskDefinition"},
                "replacement": "False",
                "cause": "QuotingTaskDefinition replaced",
            },
        ],
    }
    others = {s["file"]: s["status"] for s in data["stacks"] if s["file"] not in ("compute.yaml", "api.yaml")}
    # The root passes the new port to the network stack; the API stage stack is untouched; the alarms and the
    # dashboard take the new target group.
    assert others == {
        "template.yaml": "modified",
        "network.yaml": "modified",
        "api-stage.yaml": "unchanged",
        "observability.yaml": "modified",
    }
    assert data["warnings"] == []


def test_exit_code_flag_says_whether_anything_changes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = deployed_then_changed(tmp_path, monkeypatch, lambda _project: None)
    unchanged = run_cli("diff", "--env", "dev", "--against", "deployed", "--exit-code", project=project)
    assert (unchanged.code, unchanged.out.splitlines()) == (
        0,
        ["dev: the templates synth would write now, compared with the build in deployed", "", "no changes"],
    )
    change_port(project)
    assert run_cli("diff", "--env", "dev", "--against", "deployed", "--exit-code", project=project).code == 3
    # Without the flag a successful diff exits 0 either way, like every other command.
    assert run_cli("diff", "--env", "dev", "--against", "deployed", project=project).code == 0


def test_a_change_to_a_functions_code_shows_because_the_build_holds_the_code(tmp_path: Path) -> None:
    from synth_cases import CASES, copy_project

    project = copy_project(CASES["example"].project, tmp_path / "project")
    assert run_cli("synth", "--env", "dev", project=project).code == 0
    app = project / "functions/platform_info/app.py"
    app.write_text(app.read_text() + "# a change\n")
    result = run_cli("diff", "--env", "dev", "--against", str(project / "build/dev"), project=project)
    assert result.code == 0, result.err
    assert result.out.splitlines()[-5:] == [
        "compute.yaml (ComputeStack)",
        "  modify  PlatformInfoFunction  AWS::Serverless::Function  replacement: False  scope: Properties",
        "      CodeUri: content changed: functions/platform_info/app.py",
        "",
        "0 to add, 2 to change, 0 to remove",
    ]
