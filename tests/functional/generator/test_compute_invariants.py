"""Structural invariants of the compute stage, for every golden case and environment."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import yaml
from synth_cases import CASES, PARAMS

from template_gen import naming
from template_gen.pipeline import load_registry
from template_gen.registry.models import EcsService

Templates = Callable[[str, str], dict[str, str]]


def enabled_services(case: str, env: str) -> dict[str, Any]:
    valid = load_registry(CASES[case].project, [env])
    return {s.name: s for s in valid.environments[env].services}


@pytest.mark.parametrize(("case", "env"), PARAMS)
def test_every_ecs_service_has_its_routing_logging_and_service(templates: Templates, case: str, env: str) -> None:
    compute = yaml.safe_load(templates(case, env)["compute.yaml"])["Resources"]
    valid = load_registry(CASES[case].project, [env])
    model = valid.environments[env].model
    # alb-direct: the VPC link V2 puts the stage in front of the path; the rule matches it and strips it.
    stage = f"/{model.api.stage_name or env}" if model.network.ingress == "alb-direct" else ""
    for name, entry in enabled_services(case, env).items():
        if not isinstance(entry.model, EcsService):
            continue
        lid = naming.logical_id(name)
        if entry.model.alb is None:
            continue  # an internal service: test_traffic_invariants checks it has no rule
        rule = compute[f"{lid}ListenerRule"]["Properties"]
        assert rule["Priority"] == entry.model.alb.priority, name
        patterns = [stage + pattern for pattern in entry.alb_patterns()]
        assert rule["Conditions"][0]["PathPatternConfig"]["Values"] == patterns, name
        if stage:
            rewrite = {"Regex": f"^{stage}(/.*)$", "Replace": "$1"}
            assert rule["Transforms"] == [{"Type": "url-rewrite", "UrlRewriteConfig": {"Rewrites": [rewrite]}}]
        else:
            assert "Transforms" not in rule, name
        assert rule["Actions"] == [{"TargetGroupArn": {"Ref": f"{lid}TargetGroup"}, "Type": "forward"}]
        assert compute[f"{lid}TargetGroup"]["Properties"]["TargetType"] == "ip"
        group = compute[f"{lid}LogGroup"]["Properties"]
        assert group["LogGroupName"].endswith(f"/ecs/{name}") and group["RetentionInDays"] > 0
        container = compute[f"{lid}TaskDefinition"]["Properties"]["ContainerDefinitions"][0]
        assert container["LogConfiguration"]["Options"]["awslogs-group"] == {"Ref": f"{lid}LogGroup"}
        service = compute[f"{lid}Service"]["Properties"]
        assert service["LoadBalancers"][0]["TargetGroupArn"] == {"Ref": f"{lid}TargetGroup"}
        assert service["NetworkConfiguration"]["AwsvpcConfiguration"]["SecurityGroups"] == [
            {"Fn::GetAtt": [f"{lid}SecurityGroup", "GroupId"]},
            *entry.model.security_groups,
        ]


@pytest.mark.parametrize(("case", "env"), PARAMS)
def test_every_log_group_has_a_retention(templates: Templates, case: str, env: str) -> None:
    for name, text in sorted(templates(case, env).items()):
        if not name.endswith(".yaml"):
            continue
        for lid, resource in yaml.safe_load(text)["Resources"].items():
            if resource["Type"] == "AWS::Logs::LogGroup":
                assert "RetentionInDays" in resource["Properties"], f"{name}:{lid}"


@pytest.mark.parametrize(("case", "env"), PARAMS)
def test_every_function_logs_to_its_own_group_with_its_own_role(templates: Templates, case: str, env: str) -> None:
    compute = yaml.safe_load(templates(case, env)["compute.yaml"])["Resources"]
    functions = {lid: r for lid, r in compute.items() if r["Type"] == "AWS::Serverless::Function"}
    for lid, function in functions.items():
        base = lid.removesuffix("Function")
        props = function["Properties"]
        assert props["LoggingConfig"] == {"LogGroup": {"Ref": f"{base}LogGroup"}}
        assert props["Role"] == {"Fn::GetAtt": [f"{base}Role", "Arn"]}
        assert "Policies" not in props  # no SAM-generated role with managed policies


@pytest.mark.parametrize(("case", "env"), PARAMS)
def test_root_passes_every_network_output_the_compute_stage_needs(templates: Templates, case: str, env: str) -> None:
    root = yaml.safe_load(templates(case, env)["template.yaml"])
    params = root["Resources"]["ComputeStack"]["Properties"].get("Parameters", {})
    for name, value in params.items():
        if isinstance(value, dict):
            assert value == {"Fn::GetAtt": ["NetworkStack", f"Outputs.{name}"]}
