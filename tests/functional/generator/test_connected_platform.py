"""A generated platform of forty services that call each other (100 calls): every template passes
cfn-lint and `sam validate --lint`, every quota holds (rules per security group, groups per network
interface, template limits), and every declared call is exactly one ingress rule, also when the
platform is split over two compute shards."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import connected_platform
import pytest
import yaml
from support import lint_matches, resources_of_type

from template_gen import naming, quota_report, quotas
from template_gen.pipeline import Synthesis, synthesize

SAM = str(Path(sys.executable).with_name("sam"))
SPLIT = [*connected_platform.EDGE[6:], *connected_platform.INTERNAL[8:], *connected_platform.WORKERS[2:]]


def _synth(project: Path, split: bool) -> Synthesis:
    if split:  # a committed placement keeps these services in a second compute shard
        names = connected_platform.services()
        placement = {
            "version": 1,
            "compute": {n: 2 if n in SPLIT else 1 for n in sorted(names)},
            "albs": {},
            "api_routes": {},
        }
        folder = project / "services" / "environments"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "prod.placement.json").write_text(json.dumps(placement))
    return synthesize(project, "prod").write()


@pytest.fixture(scope="module", params=["one-shard", "two-shards"])
def platform(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Synthesis]:
    project = connected_platform.write(tmp_path_factory.mktemp(request.param))
    return project, _synth(project, request.param == "two-shards")


def templates(result: Synthesis) -> dict[str, dict[str, Any]]:
    return {s.file_name: yaml.safe_load(s.text) for s in result.stacks}


def compute_resources(result: Synthesis) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for name, template in templates(result).items():
        if name.startswith("compute"):
            merged.update(template["Resources"])
    return merged


def test_the_generated_platform_is_the_size_of_a_real_one() -> None:
    assert len(connected_platform.services()) == 40
    assert connected_platform.call_count() == 100


def test_every_template_passes_cfn_lint(platform: tuple[Path, Synthesis]) -> None:
    _, result = platform
    problems = {s.file_name: lint_matches(s.text) for s in result.stacks}
    assert problems == {s.file_name: [] for s in result.stacks}


def test_every_quota_holds(platform: tuple[Path, Synthesis]) -> None:
    _, result = platform
    assert [u for u in quota_report.usage(result.spec, result.stacks) if u.exceeded] == []
    resources = compute_resources(result)
    rules = Counter(
        json.dumps(r["Properties"]["GroupId"])
        for r in resources.values()
        if r["Type"] == "AWS::EC2::SecurityGroupIngress"
    )
    assert max(rules.values()) <= quotas.SG_INBOUND_RULES.limit
    for lid, service in resources_of_type({"Resources": resources}, "AWS::ECS::Service").items():
        groups = service["Properties"]["NetworkConfiguration"]["AwsvpcConfiguration"]["SecurityGroups"]
        assert 1 <= len(groups) <= quotas.SG_PER_NETWORK_INTERFACE.limit, lid


def test_every_call_is_one_rule_on_the_callee_port_from_the_caller_group(platform: tuple[Path, Synthesis]) -> None:
    _, result = platform
    resources = compute_resources(result)
    ingress = resources_of_type({"Resources": resources}, "AWS::EC2::SecurityGroupIngress")
    declared = connected_platform.services()
    expected = {
        f"{naming.logical_id(callee)}From{naming.logical_id(caller)}Ingress": declared[callee]["port"]
        for caller, data in declared.items()
        for callee in data.get("calls", [])
    }
    calls = {lid: props["Properties"] for lid, props in ingress.items() if not lid.endswith("FromAlbIngress")}
    assert sorted(calls) == sorted(expected)
    for lid, props in calls.items():
        assert (props["FromPort"], props["ToPort"]) == (expected[lid], expected[lid])
    albs = sorted(lid for lid in ingress if lid.endswith("FromAlbIngress"))
    assert albs == sorted(f"{naming.logical_id(n)}FromAlbIngress" for n in connected_platform.EDGE)


def test_a_rule_between_two_shards_lives_in_the_later_one_and_takes_the_group_as_a_parameter(
    platform: tuple[Path, Synthesis],
) -> None:
    _, result = platform
    rendered = templates(result)
    if "compute-2.yaml" not in rendered:
        pytest.skip("one compute shard")
    second = rendered["compute-2.yaml"]
    # edge-06 (shard 2) calls services of shard 1: the rules are in shard 2, the callee's group a parameter.
    cross = [
        (lid, r["Properties"])
        for lid, r in second["Resources"].items()
        if r["Type"] == "AWS::EC2::SecurityGroupIngress" and "Ref" in r["Properties"]["GroupId"]
    ]
    assert cross
    for _, props in cross:
        name = props["GroupId"]["Ref"]
        assert second["Parameters"][name]["Type"] == "AWS::EC2::SecurityGroup::Id"
    root = rendered["template.yaml"]["Resources"]["ComputeStack2"]["Properties"]["Parameters"]
    first_outputs = rendered["compute.yaml"]["Outputs"]
    for _, props in cross:
        name = props["GroupId"]["Ref"]
        assert root[name] == {"Fn::GetAtt": ["ComputeStack", f"Outputs.{name}"]}
        assert name in first_outputs
    # The first shard never takes a parameter from the second (no stack waits on a later one).
    assert not any(
        "ComputeStack2" in json.dumps(v)
        for v in rendered["template.yaml"]["Resources"]["ComputeStack"]["Properties"].get("Parameters", {}).values()
    )


def test_a_worker_scales_on_its_backlog_per_task_and_reads_its_queue(platform: tuple[Path, Synthesis]) -> None:
    _, result = platform
    resources = compute_resources(result)
    existing = resources["Worker00BacklogScaling"]["Properties"]["TargetTrackingScalingPolicyConfiguration"]
    assert existing["TargetValue"] == 50.0
    metrics = existing["CustomizedMetricSpecification"]["Metrics"]
    assert [m["Id"] for m in metrics] == ["visible", "tasks", "backlog"]
    assert metrics[0]["MetricStat"]["Metric"]["Dimensions"] == [{"Name": "QueueName", "Value": "orders-events"}]
    assert metrics[2] == {
        "Expression": "visible / tasks",
        "Id": "backlog",
        "Label": "Visible messages per running task",
        "ReturnData": True,
    }
    app = resources["Worker00TaskDefinition"]["Properties"]["ContainerDefinitions"][0]
    assert "PortMappings" not in app
    env = {e["Name"]: e["Value"] for e in app["Environment"]}
    assert env["QUEUE_URL"] == "https://sqs.eu-west-1.amazonaws.com/123456789012/orders-events"
    own = resources["Worker01Queue"]["Properties"]
    assert own["FifoQueue"] is True
    assert own["RedrivePolicy"]["deadLetterTargetArn"] == {"Fn::GetAtt": ["Worker01DeadLetterQueue", "Arn"]}
    policy = resources["Worker01TaskRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
    consume = next(s for s in policy if s["Sid"] == "ConsumeQueue")
    assert consume["Resource"] == [{"Fn::GetAtt": ["Worker01Queue", "Arn"]}]


def test_a_lambda_service_in_the_vpc_has_its_group_and_finds_callees(platform: tuple[Path, Synthesis]) -> None:
    _, result = platform
    resources = compute_resources(result)
    function = resources["Fn00Function"]["Properties"]
    assert function["VpcConfig"] == {
        "SecurityGroupIds": [{"Fn::GetAtt": ["Fn00SecurityGroup", "GroupId"]}],
        "SubnetIds": {"Ref": "TaskSubnetIds"},
    }
    assert function["Environment"]["Variables"]["SERVICE_CONNECT_NAMESPACE"] == "tickets-prod"
    statements = resources["Fn00Role"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
    assert {s["Sid"] for s in statements} >= {"VpcNetworkInterfaces", "FindCallees"}


def test_the_container_shapes_reach_the_task_definition(platform: tuple[Path, Synthesis]) -> None:
    _, result = platform
    resources = compute_resources(result)
    sidecar = resources["Core00TaskDefinition"]["Properties"]["ContainerDefinitions"][1]
    assert (sidecar["Name"], sidecar["Essential"], sidecar["PortMappings"]) == (
        "metrics", False, [{"ContainerPort": 9102, "Protocol": "tcp"}]
    )  # fmt: skip
    assert sidecar["MountPoints"] == [{"ContainerPath": "/scratch", "ReadOnly": False, "SourceVolume": "tmp"}]
    app = resources["Core01TaskDefinition"]["Properties"]["ContainerDefinitions"][0]
    assert app["DependsOn"] == [{"Condition": "SUCCESS", "ContainerName": "migrate"}]
    volume = resources["Core02TaskDefinition"]["Properties"]["Volumes"][0]
    assert volume == {
        "EFSVolumeConfiguration": {
            "AuthorizationConfig": {"AccessPointId": "fsap-0123456789abcdef0", "IAM": "ENABLED"},
            "FilesystemId": "fs-0123abcd",
            "TransitEncryption": "ENABLED",
        },
        "Name": "shared",
    }
    private = resources["Core03TaskDefinition"]["Properties"]["ContainerDefinitions"][0]
    assert private["RepositoryCredentials"] == {
        "CredentialsParameter": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:registry-creds-AbCdEf"
    }
    assert (private["User"], private["StopTimeout"], private["LinuxParameters"]) == (
        "1000", 45, {"Capabilities": {"Drop": ["ALL"]}}
    )  # fmt: skip
    groups = resources["Core03Service"]["Properties"]["NetworkConfiguration"]["AwsvpcConfiguration"]["SecurityGroups"]
    assert groups == [{"Fn::GetAtt": ["Core03SecurityGroup", "GroupId"]}, "sg-0a1b2c3d4e5f60718"]
    grpc = resources["Grpc00TaskDefinition"]["Properties"]["ContainerDefinitions"][0]["PortMappings"]
    assert grpc == [{"AppProtocol": "grpc", "ContainerPort": 50051, "Name": "grpc-00", "Protocol": "tcp"}]


@pytest.mark.sam
def test_sam_validate_lint_accepts_the_root_template(platform: tuple[Path, Synthesis]) -> None:
    project, _ = platform
    env = {**os.environ, "SAM_CLI_TELEMETRY": "0", "AWS_DEFAULT_REGION": "eu-west-1"}
    result = subprocess.run(
        [SAM, "validate", "--lint", "--template-file", "build/prod/template.yaml"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "build/prod/template.yaml is a valid SAM Template" in result.stdout + result.stderr
