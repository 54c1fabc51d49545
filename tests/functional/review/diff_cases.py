"""Two builds of a small project for the diff tests: the last deploy copied to ./deployed, then a change."""

from __future__ import annotations

import copy
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from support import PRICING, QUOTING, REGISTRY, make_project, run_cli

Change = Callable[[Path], None]


def deployed_then_changed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, change: Change) -> Path:
    """GIVEN a project synthesized to build/dev and that build copied to ./deployed (the last deploy),
    WHEN the registry changes, THEN `diff --against deployed` compares the two."""
    project = make_project(tmp_path / "project")
    assert run_cli("synth", "--env", "dev", project=project).code == 0
    shutil.copytree(project / "build/dev", tmp_path / "deployed")
    change(project)
    monkeypatch.chdir(tmp_path)
    return project


def change_port(project: Path) -> None:
    quoting = copy.deepcopy(QUOTING) | {"port": 9090}
    make_project(project, services={"quoting": quoting, "product-pricing": PRICING})


def change_log_retention(project: Path) -> None:
    registry = copy.deepcopy(REGISTRY)
    registry["environments"]["dev"]["log_retention_days"] = 14
    make_project(project, registry=registry)


def replace_pricing_with_billing(project: Path) -> None:
    shutil.rmtree(project / "services/product-pricing")
    registry = copy.deepcopy(REGISTRY)
    registry["environments"]["dev"]["services"] = ["quoting", "billing"]
    billing = {"kind": "ecs", "port": 8080, "api": {"base_path": "/billing"}, "alb": {"priority": 30}}
    make_project(project, registry=registry, services={"quoting": QUOTING, "billing": billing})


PORT_CHANGE = [
    "template.yaml (root)",
    "  modify  ComputeStack        AWS::CloudFormation::Stack  replacement: False  scope: Properties",
    "      TemplateURL: nested template compute.yaml changed",
    "  modify  NetworkStack        AWS::CloudFormation::Stack  replacement: False  scope: Properties",
    "      TemplateURL: nested template network.yaml changed",
    "  modify  ObservabilityStack  AWS::CloudFormation::Stack  replacement: False  scope: Properties",
    "      Parameters.QuotingTargetGroupFullName: !GetAtt ComputeStack.Outputs.QuotingTargetGroupFullName (via output QuotingTargetGroupFullName of ComputeStack)",
    "network.yaml (NetworkStack)",
    "  modify  AlbSecurityGroup  AWS::EC2::SecurityGroup  replacement: False  scope: Properties",
    '      SecurityGroupEgress[1]: (not set) -> {CidrIp: !Ref VpcCidr, Description: "to ECS tasks on port 9090", FromPort: 9090, IpProtocol: "tcp", ToPort: 9090}',
    "compute.yaml (ComputeStack)",
    "  replace  QuotingFromAlbIngress  AWS::EC2::SecurityGroupIngress             replacement: True   scope: Properties",
    "      FromPort: 8080 -> 9090 [replacement: True]",
    "      ToPort: 8080 -> 9090 [replacement: True]",
    "  replace  QuotingTargetGroup     AWS::ElasticLoadBalancingV2::TargetGroup   replacement: True   scope: Properties",
    "      Port: 8080 -> 9090 [replacement: True]",
    "  replace  QuotingTaskDefinition  AWS::ECS::TaskDefinition                   replacement: True   scope: Properties",
    "      ContainerDefinitions[Name=quoting].PortMappings[Name=quoting].ContainerPort: 8080 -> 9090 [replacement: True]",
    "  modify   QuotingListenerRule    AWS::ElasticLoadBalancingV2::ListenerRule  replacement: False  scope: Properties",
    "      Actions[0].TargetGroupArn: !Ref QuotingTargetGroup (via QuotingTargetGroup replaced)",
    "  modify   QuotingService         AWS::ECS::Service                          replacement: False  scope: Properties",
    "      LoadBalancers[0].ContainerPort: 8080 -> 9090",
    "      LoadBalancers[0].TargetGroupArn: !Ref QuotingTargetGroup (via QuotingTargetGroup replaced)",
    "      ServiceConnectConfiguration.Services[0].ClientAliases[0].Port: 8080 -> 9090",
    "      TaskDefinition: !Ref QuotingTaskDefinition (via QuotingTaskDefinition replaced)",
    "observability.yaml (ObservabilityStack)",
    "  modify  Dashboard                   AWS::CloudWatch::Dashboard  replacement: False  scope: Properties",
    '      DashboardBody: !Sub "{\\"start\\":\\"-PT3H\\",\\"widgets\\":[{\\"height\\":1,\\"properties\\":{\\"markdown\\":\\"## acme dev (eu-west-1)\\"},\\"type\\":\\"text\\",\\"width\\":24,\\"x\\":0,\\"y\\":0},{\\"height\\":1,\\"properties\\":{\\"markdow… (via parameter QuotingTargetGroupFullName)',
    "  modify  QuotingP99ResponseAlarm     AWS::CloudWatch::Alarm      replacement: False  scope: Properties",
    "      Dimensions[Name=TargetGroup].Value: !Ref QuotingTargetGroupFullName (via parameter QuotingTargetGroupFullName)",
    "  modify  QuotingTarget5xxAlarm       AWS::CloudWatch::Alarm      replacement: False  scope: Properties",
    "      Metrics[Id=errors].MetricStat.Metric.Dimensions[Name=TargetGroup].Value: !Ref QuotingTargetGroupFullName (via parameter QuotingTargetGroupFullName)",
    "      Metrics[Id=requests].MetricStat.Metric.Dimensions[Name=TargetGroup].Value: !Ref QuotingTargetGroupFullName (via parameter QuotingTargetGroupFullName)",
    "  modify  QuotingUnhealthyHostsAlarm  AWS::CloudWatch::Alarm      replacement: False  scope: Properties",
    "      Dimensions[Name=TargetGroup].Value: !Ref QuotingTargetGroupFullName (via parameter QuotingTargetGroupFullName)",
    "",
    "0 to add, 13 to change (3 replacements), 0 to remove",
]


def block(out: str, title: str) -> list[str]:
    """The lines of one stack's block in the text view."""
    lines = out.splitlines()
    start = lines.index(title)
    end = next(i for i in range(start + 1, len(lines)) if not lines[i].startswith(" "))
    return lines[start:end]
