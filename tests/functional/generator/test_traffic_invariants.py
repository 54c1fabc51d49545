"""Structural invariants of service-to-service traffic, for every golden case and environment: each
service's own security group admits only the ALB's group (when behind the ALB) and its declared callers;
internal services have no ALB routing; Service Connect names match the port mappings; no task group
admits a CIDR."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import yaml
from support import resources_of_type
from synth_cases import CASES, PARAMS

from template_gen import naming
from template_gen.pipeline import load_registry
from template_gen.registry.models import ContainerService, EcsService, LambdaService

Templates = Callable[[str, str], dict[str, str]]


def compute_stacks(templates: Templates, case: str, env: str) -> dict[str, dict[str, Any]]:
    """compute.yaml, compute-2.yaml, ...: their resources merged (logical IDs are unique per environment)."""
    merged: dict[str, Any] = {}
    for name, text in sorted(templates(case, env).items()):
        if name.startswith("compute") and name.endswith(".yaml"):
            merged.update(yaml.safe_load(text)["Resources"])
    return merged


def test_the_example_has_an_internal_service_a_worker_and_a_call_in_every_environment() -> None:
    for env in CASES["example"].environments:
        services = {s.name: s.model for s in load_registry(CASES["example"].project, [env]).environments[env].services}
        assert services["pricing-rules"].kind == "ecs" and services["pricing-rules"].alb is None  # type: ignore[union-attr]
        assert services["quote-notifier"].kind == "worker"
        assert services["quoting"].calls == ["pricing-rules"]


@pytest.mark.parametrize(("case", "env"), PARAMS)
def test_a_service_group_admits_only_the_alb_and_its_declared_callers(
    templates: Templates, case: str, env: str
) -> None:
    entries = {s.name: s for s in load_registry(CASES[case].project, [env]).environments[env].services}
    resources = compute_stacks(templates, case, env)
    ingress = resources_of_type({"Resources": resources}, "AWS::EC2::SecurityGroupIngress")
    for name, entry in entries.items():
        model = entry.model
        if not (isinstance(model, ContainerService) or (isinstance(model, LambdaService) and model.vpc)):
            continue
        lid = naming.logical_id(name)
        assert resources[f"{lid}SecurityGroup"]["Type"] == "AWS::EC2::SecurityGroup"
        assert "SecurityGroupIngress" not in resources[f"{lid}SecurityGroup"]["Properties"]  # standalone rules only
        mine = {k: v["Properties"] for k, v in ingress.items() if v["Properties"]["GroupId"] in _ids(lid)}
        expected: dict[str, Any] = {}
        if isinstance(model, EcsService):
            if model.alb is not None:
                expected[f"{lid}FromAlbIngress"] = {"Ref": "AlbSecurityGroupId"}
            for caller, other in entries.items():
                if name in other.model.calls and caller != name:
                    expected[f"{lid}From{naming.logical_id(caller)}Ingress"] = _ids(naming.logical_id(caller))
        assert sorted(mine) == sorted(expected), name
        for title, props in mine.items():
            source = expected[title]
            assert props["SourceSecurityGroupId"] in (source if isinstance(source, list) else [source])
            assert (props["IpProtocol"], props["FromPort"], props["ToPort"]) == ("tcp", model.port, model.port)  # type: ignore[union-attr]


def _ids(lid: str) -> list[Any]:
    return [{"Fn::GetAtt": [f"{lid}SecurityGroup", "GroupId"]}, {"Ref": f"{lid}SecurityGroupId"}]


@pytest.mark.parametrize(("case", "env"), PARAMS)
def test_an_internal_service_has_no_listener_rule_or_target_group(templates: Templates, case: str, env: str) -> None:
    entries = load_registry(CASES[case].project, [env]).environments[env].services
    resources = compute_stacks(templates, case, env)
    for entry in entries:
        model = entry.model
        if not isinstance(model, ContainerService) or (isinstance(model, EcsService) and model.alb is not None):
            continue
        lid = naming.logical_id(entry.name)
        assert f"{lid}ListenerRule" not in resources and f"{lid}TargetGroup" not in resources, entry.name
        service = resources[f"{lid}Service"]["Properties"]
        assert "LoadBalancers" not in service and "HealthCheckGracePeriodSeconds" not in service


@pytest.mark.parametrize(("case", "env"), PARAMS)
def test_service_connect_port_names_match_the_port_mappings(templates: Templates, case: str, env: str) -> None:
    resources = compute_stacks(templates, case, env)
    services = resources_of_type({"Resources": resources}, "AWS::ECS::Service")
    assert services
    for lid, service in services.items():
        config = service["Properties"].get("ServiceConnectConfiguration")
        if config is None:
            continue
        task = resources[service["Properties"]["TaskDefinition"]["Ref"]]["Properties"]
        app = task["ContainerDefinitions"][0]
        named = {m["Name"]: m for m in app.get("PortMappings", []) if "Name" in m}
        for item in config.get("Services", []):
            mapping = named[item["PortName"]]
            assert item["ClientAliases"][0]["Port"] == mapping["ContainerPort"], lid
            assert mapping["AppProtocol"] in ("http", "http2", "grpc"), lid
        assert (
            config["LogConfiguration"]["Options"]["awslogs-group"]
            == app["LogConfiguration"]["Options"]["awslogs-group"]
        )


@pytest.mark.parametrize(("case", "env"), PARAMS)
def test_no_task_security_group_admits_a_cidr(templates: Templates, case: str, env: str) -> None:
    resources = compute_stacks(templates, case, env)
    for lid, rule in resources_of_type({"Resources": resources}, "AWS::EC2::SecurityGroupIngress").items():
        props = rule["Properties"]
        assert "CidrIp" not in props and "CidrIpv6" not in props and "SourcePrefixListId" not in props, lid
        assert "SourceSecurityGroupId" in props, lid
    for lid, group in resources_of_type({"Resources": resources}, "AWS::EC2::SecurityGroup").items():
        assert "SecurityGroupIngress" not in group["Properties"], lid


@pytest.mark.parametrize(("case", "env"), PARAMS)
def test_the_namespace_is_the_cluster_default_and_every_service_names_it(
    templates: Templates, case: str, env: str
) -> None:
    rendered = templates(case, env)
    first = yaml.safe_load(rendered["compute.yaml"])["Resources"]
    if "ServiceConnectNamespace" not in first:
        return  # Service Connect is off in this environment
    assert first["Cluster"]["Properties"]["ServiceConnectDefaults"] == {
        "Namespace": {"Fn::GetAtt": ["ServiceConnectNamespace", "Arn"]}
    }
    for lid, service in resources_of_type(
        {"Resources": compute_stacks(templates, case, env)}, "AWS::ECS::Service"
    ).items():
        namespace = service["Properties"]["ServiceConnectConfiguration"]["Namespace"]
        assert namespace in (
            {"Fn::GetAtt": ["ServiceConnectNamespace", "Arn"]},
            {"Ref": "ServiceConnectNamespaceArn"},
        ), lid


def test_in_the_example_a_caller_starts_after_the_service_it_calls(templates: Templates) -> None:
    for env in CASES["example"].environments:
        resources = yaml.safe_load(templates("example", env)["compute.yaml"])["Resources"]
        assert resources["QuotingService"]["DependsOn"] == ["QuotingListenerRule", "PricingRulesService"]
        assert resources["QuoteNotifierService"]["DependsOn"] == ["QuotingService"]
        assert "DependsOn" not in resources["PricingRulesService"]
