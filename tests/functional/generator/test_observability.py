"""The observability stage: invariants over every golden case, registry thresholds (per environment and per
service, and off per service), notifications, rollback on alarm, Service Connect's absence, bad inputs."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from observability_invariants import (
    alarms_without_actions,
    dangling_dimensions,
    missing_alarms,
    oversized_dashboards,
    resources,
    rollback_alarms_exist,
)
from support import PRICING, QUOTING, REGISTRY, lint_matches, make_project, run_cli
from synth_cases import PARAMS

from template_gen.pipeline import synthesize

Templates = Callable[[str, str], dict[str, str]]


def parsed(texts: dict[str, str]) -> dict[str, dict[str, Any]]:
    return {name: yaml.safe_load(text) for name, text in texts.items() if name.endswith(".yaml")}


@pytest.mark.parametrize(("case", "env"), PARAMS)
def test_observability_invariants_hold_for_every_golden_case(templates: Templates, case: str, env: str) -> None:
    stacks = parsed(templates(case, env))
    assert missing_alarms(stacks) == []
    assert alarms_without_actions(stacks) == []
    assert oversized_dashboards(stacks) == []
    assert dangling_dimensions(stacks) == []
    assert rollback_alarms_exist(stacks) == []


def synth(tmp_path: Path, registry: dict[str, Any] | None = None, services: dict[str, Any] | None = None) -> Any:
    project = make_project(tmp_path, registry, services)
    result = synthesize(project, "dev").write()
    return result, {s.file_name: yaml.safe_load(s.text) for s in result.stacks}


def alarm(stacks: dict[str, Any], logical: str) -> dict[str, Any]:
    return stacks["observability.yaml"]["Resources"][logical]["Properties"]


def test_thresholds_come_from_the_service_then_the_environment_then_the_defaults(tmp_path: Path) -> None:
    reg = copy.deepcopy(REGISTRY)
    reg["environments"]["dev"]["observability"] = {"alarms": {"ecs": {"cpu_percent": 70, "target_5xx_percent": 2}}}
    quoting = {**QUOTING, "alarms": {"cpu_percent": 60}, "environments": {"dev": {"alarms": {"memory_percent": 50}}}}
    _, stacks = synth(tmp_path, reg, {"quoting": quoting, "product-pricing": PRICING})
    assert alarm(stacks, "QuotingCpuHighAlarm")["Threshold"] == 60.0  # the service
    assert alarm(stacks, "QuotingMemoryHighAlarm")["Threshold"] == 50.0  # the service, in this environment
    assert alarm(stacks, "ProductPricingCpuHighAlarm")["Threshold"] == 70.0  # the environment
    assert alarm(stacks, "ProductPricingTarget5xxAlarm")["Threshold"] == 2.0
    assert alarm(stacks, "ProductPricingMemoryHighAlarm")["Threshold"] == 85.0  # the default
    assert alarm(stacks, "QuotingP99ResponseAlarm")["Threshold"] == 2.0  # 2000 ms, in seconds
    assert alarm(stacks, "QuotingP99ResponseAlarm")["ExtendedStatistic"] == "p99"
    assert alarm(stacks, "QuotingBelowDesiredAlarm")["EvaluationPeriods"] == 10


def test_alarms_turned_off_for_a_service_leave_no_alarm_and_no_rollback(tmp_path: Path) -> None:
    quoting = {**QUOTING, "alarms": {"enabled": False}}
    pricing = {**PRICING, "alarms": {"rollback": False}}
    _, stacks = synth(tmp_path, None, {"quoting": quoting, "product-pricing": pricing})
    observability = stacks["observability.yaml"]["Resources"]
    assert not [lid for lid in observability if lid.startswith("Quoting")]
    assert missing_alarms(stacks, alarms_off={"Quoting"}) == []
    compute = stacks["compute.yaml"]["Resources"]
    assert "Alarms" not in compute["QuotingService"]["Properties"]["DeploymentConfiguration"]
    # Alarms without rollback: the alarms exist, the deployment does not watch them.
    assert "ProductPricingTarget5xxAlarm" in observability
    assert "Alarms" not in compute["ProductPricingService"]["Properties"]["DeploymentConfiguration"]
    # The dashboard still shows the service.
    assert "quoting: CPU, memory, running tasks" in json.dumps(stacks["observability.yaml"]["Resources"]["Dashboard"])


def test_a_deployment_rolls_back_on_the_services_own_5xx_and_unhealthy_host_alarms(tmp_path: Path) -> None:
    _, stacks = synth(tmp_path)
    config = stacks["compute.yaml"]["Resources"]["QuotingService"]["Properties"]["DeploymentConfiguration"]
    assert config["Alarms"] == {
        "AlarmNames": ["acme-dev-quoting-target-5xx", "acme-dev-quoting-unhealthy-hosts"],
        "Enable": True,
        "Rollback": True,
    }
    assert alarm(stacks, "QuotingTarget5xxAlarm")["AlarmName"] == "acme-dev-quoting-target-5xx"
    assert alarm(stacks, "QuotingUnhealthyHostsAlarm")["AlarmName"] == "acme-dev-quoting-unhealthy-hosts"
    # The observability stack comes after compute (its parameters come from compute's outputs).
    root = stacks["template.yaml"]["Resources"]["ObservabilityStack"]["Properties"]["Parameters"]
    assert root["QuotingServiceName"] == {"Fn::GetAtt": ["ComputeStack", "Outputs.QuotingServiceName"]}


def test_one_encrypted_topic_with_the_registrys_subscriptions_and_a_key_cloudwatch_may_use(tmp_path: Path) -> None:
    reg = copy.deepcopy(REGISTRY)
    reg["environments"]["dev"]["observability"] = {
        "notifications": {"email": ["ops@acme.example"], "https": ["https://hooks.acme.example/alarms"]}
    }
    _, stacks = synth(tmp_path, reg)
    res = stacks["observability.yaml"]["Resources"]
    assert res["AlarmTopic"]["Properties"]["KmsMasterKeyId"] == {"Fn::GetAtt": ["AlarmTopicKey", "Arn"]}
    subscriptions = resources(stacks["observability.yaml"], "AWS::SNS::Subscription")
    assert sorted((s["Properties"]["Protocol"], s["Properties"]["Endpoint"]) for s in subscriptions.values()) == [
        ("email", "ops@acme.example"),
        ("https", "https://hooks.acme.example/alarms"),
    ]
    statements = res["AlarmTopicKey"]["Properties"]["KeyPolicy"]["Statement"]
    cloudwatch = next(s for s in statements if s["Sid"] == "CloudWatchPublishes")
    assert cloudwatch["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert sorted(cloudwatch["Action"]) == ["kms:Decrypt", "kms:GenerateDataKey*"]
    assert "AlarmTopicArn" in stacks["template.yaml"]["Outputs"]


def test_lambda_duration_alarm_is_a_share_of_the_functions_own_timeout(tmp_path: Path) -> None:
    reg = copy.deepcopy(REGISTRY)
    reg["environments"]["dev"]["services"] = ["quoting", "jobs"]
    jobs = {
        "kind": "lambda",
        "timeout_seconds": 20,
        "events": {"nightly": {"schedule": "rate(1 day)"}},
        "alarms": {"duration_percent_of_timeout": 50},
    }
    project = make_project(tmp_path, reg, {"quoting": QUOTING, "jobs": jobs}, {"functions/jobs": "x = 1\n"})
    stacks = {s.file_name: yaml.safe_load(s.text) for s in synthesize(project, "dev").write().stacks}
    assert alarm(stacks, "JobsDurationNearTimeoutAlarm")["Threshold"] == 10000  # ms
    # Platform functions keep their own minimum timeouts (validator 5 s, onboarding 15 s): 80% by default.
    assert alarm(stacks, "ApiKeyValidatorDurationNearTimeoutAlarm")["Threshold"] == 8000
    assert alarm(stacks, "OnboardingDurationNearTimeoutAlarm")["Threshold"] == 12000


def test_without_container_insights_there_is_no_below_desired_alarm(tmp_path: Path) -> None:
    reg = copy.deepcopy(REGISTRY)
    reg["environments"]["dev"]["ecs"] = {"container_insights": "disabled"}
    _, stacks = synth(tmp_path, reg)
    assert "QuotingBelowDesiredAlarm" not in stacks["observability.yaml"]["Resources"]
    assert missing_alarms(stacks, insights=False) == []


def test_service_connect_alarms_follow_the_rendered_service(tmp_path: Path) -> None:
    from troposphere import ecs

    from template_gen.stacks.observability import service_connect_name

    without = ecs.Service("S")
    assert service_connect_name(without) is None  # no Service Connect yet: no alarm, no failure
    with_sc = ecs.Service(
        "S",
        ServiceConnectConfiguration=ecs.ServiceConnectConfiguration(
            Enabled=True, Services=[ecs.ServiceConnectService(PortName="http", DiscoveryName="quoting")]
        ),
    )
    assert service_connect_name(with_sc) == "quoting"


def test_every_observability_template_passes_cfn_lint(tmp_path: Path) -> None:
    result, _ = synth(tmp_path)
    for stack in result.stacks:
        if stack.file_name.startswith("observability"):
            assert lint_matches(stack.text) == [], stack.file_name


@pytest.mark.parametrize(
    ("where", "value", "message"),
    [
        (
            ("registry", "notifications", "email"),
            ["not-an-address"],
            "services/registry.yaml: environments.dev.observability.notifications.email[0]: 'not-an-address' is "
            "not an email address",
        ),
        (
            ("registry", "notifications", "https"),
            ["http://insecure.example"],
            "services/registry.yaml: environments.dev.observability.notifications.https[0]: "
            "'http://insecure.example' is not an https:// URL",
        ),
        (
            ("service", "cpu_percent"),
            150,
            "services/quoting/service.yaml: alarms.cpu_percent: Input should be less than or equal to 100",
        ),
        (
            ("service", "unhealthy_hosts"),
            0,
            "services/quoting/service.yaml: alarms.unhealthy_hosts: 0 is outside the allowed range 1..1000",
        ),
    ],
)
def test_bad_observability_settings_name_the_file_and_field(
    tmp_path: Path, where: tuple[str, ...], value: Any, message: str
) -> None:
    reg = copy.deepcopy(REGISTRY)
    quoting = copy.deepcopy(QUOTING)
    if where[0] == "registry":
        reg["environments"]["dev"]["observability"] = {where[1]: {where[2]: value}}
    else:
        quoting["alarms"] = {where[1]: value}
    project = make_project(tmp_path, reg, {"quoting": quoting, "product-pricing": PRICING})
    result = run_cli("validate", "--env", "dev", project=project)
    assert result.code == 1
    assert result.err.splitlines() == [message, "error: 1 problem found"]


def test_the_runbook_in_the_docs_has_one_line_per_alarm() -> None:
    from template_gen.stacks.alarms import RUNBOOK

    doc = (Path(__file__).resolve().parents[3] / "docs/observability.md").read_text(encoding="utf-8")
    rows = [line for line in doc.splitlines() if line.startswith("| `") and line.count("|") == 5]
    assert rows == [f"| `{k}` | {r.title} | {r.meaning} | {r.first_check} |" for k, r in RUNBOOK.items()]
