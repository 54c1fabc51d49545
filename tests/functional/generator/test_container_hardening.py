"""Hardened containers (read-only root filesystem, a non-root user, hard memory limits) and Lambda functions
in the VPC: the options set what the scanners check, and the exemptions for those rules stop applying to
the resources that pass them (docs/security.md)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml
from support import PRICING, PROXY_APP, QUOTING, REGISTRY, lint_matches, make_project, run_cli

from template_gen.stacks import exemptions

TASK_RULES = [
    "ecs_containers_readonly_access_check",
    "ecs_task_definition_nonroot_user_check",
    "ecs_task_definition_memory_hard_limit_check",
]
HARDENED = {"readonly_root_filesystem": True, "user": "1000:1000", "memory_limit_mib": 256}


def synth_compute(tmp_path: Path, quoting: dict[str, Any]) -> dict[str, Any]:
    project = make_project(tmp_path / "project", services={"quoting": quoting, "product-pricing": PRICING})
    result = run_cli("synth", "--env", "dev", "--out", str(tmp_path / "out"), project=project)
    assert result.code == 0, result.err
    text = (tmp_path / "out" / "compute.yaml").read_text()
    assert lint_matches(text) == []
    return yaml.safe_load(text)  # type: ignore[no-any-return]


def validate(tmp_path: Path, quoting: dict[str, Any]) -> str:
    project = make_project(tmp_path, services={"quoting": quoting, "product-pricing": PRICING})
    result = run_cli("validate", project=project)
    assert result.code == 1
    return result.err


def suppressed(task: dict[str, Any]) -> list[str]:
    return list(task.get("Metadata", {}).get("guard", {}).get("SuppressedRules", []))


def test_a_hardened_service_sets_every_container_and_is_not_exempted(tmp_path: Path) -> None:
    compute = synth_compute(tmp_path, {**QUOTING, **HARDENED, "xray": True})
    task = compute["Resources"]["QuotingTaskDefinition"]
    app, xray = task["Properties"]["ContainerDefinitions"]
    assert {k: app[k] for k in ("Name", "ReadonlyRootFilesystem", "User", "Memory")} == {
        "Name": "quoting", "ReadonlyRootFilesystem": True, "User": "1000:1000", "Memory": 256,
    }  # fmt: skip
    assert {k: xray[k] for k in ("Name", "ReadonlyRootFilesystem", "User", "Memory", "MemoryReservation")} == {
        "Name": "xray-daemon", "ReadonlyRootFilesystem": True, "User": "1337", "Memory": 256,
        "MemoryReservation": 256,
    }  # fmt: skip
    assert "Metadata" not in task
    # the service that sets nothing keeps the three exemptions, each with its own reason
    assert suppressed(compute["Resources"]["ProductPricingTaskDefinition"]) == TASK_RULES


def test_an_unhardened_sidecar_keeps_only_the_exemptions_it_needs(tmp_path: Path) -> None:
    sidecar = {"name": "agent", "image": "public.ecr.aws/org/agent:1", "user": "nobody", "memory_limit_mib": 64}
    init = {"name": "migrate", "image": "public.ecr.aws/org/migrate:1", **HARDENED, "memory_limit_mib": 32}
    quoting = {**QUOTING, **HARDENED, "sidecars": [sidecar], "init_containers": [init]}
    task = synth_compute(tmp_path, quoting)["Resources"]["QuotingTaskDefinition"]
    containers = {c["Name"]: c for c in task["Properties"]["ContainerDefinitions"]}
    assert (containers["agent"]["User"], containers["agent"]["Memory"]) == ("nobody", 64)
    assert "ReadonlyRootFilesystem" not in containers["agent"]
    assert (containers["migrate"]["ReadonlyRootFilesystem"], containers["migrate"]["Memory"]) == (True, 32)
    assert suppressed(task) == ["ecs_containers_readonly_access_check"]


@pytest.mark.parametrize(
    ("container", "rules"),
    [
        ({"ReadonlyRootFilesystem": True, "User": "1000", "Memory": 512}, []),
        ({"ReadonlyRootFilesystem": True, "User": "root", "Memory": 512}, ["ecs_task_definition_nonroot_user_check"]),
        ({"ReadonlyRootFilesystem": True, "User": "0:0", "Memory": 512}, ["ecs_task_definition_nonroot_user_check"]),
        ({"ReadonlyRootFilesystem": True, "User": "10", "Memory": 3}, ["ecs_task_definition_memory_hard_limit_check"]),
        ({"ReadonlyRootFilesystem": False, "User": "10", "Memory": 8}, ["ecs_containers_readonly_access_check"]),
        ({}, TASK_RULES),
    ],
)
def test_a_task_definition_is_exempted_from_exactly_the_rules_it_fails(
    container: dict[str, Any], rules: list[str]
) -> None:
    props = {"ContainerDefinitions": [{"Name": "app", **container}]}
    found = [r for e in exemptions.for_resource("AWS::ECS::TaskDefinition", props) for r in e.guard]
    assert found == rules


def test_a_function_in_the_vpc_is_not_exempted_from_the_vpc_rule() -> None:
    props = {"ReservedConcurrentExecutions": 1, "VpcConfig": {"SubnetIds": ["subnet-1"], "SecurityGroupIds": ["sg-1"]}}
    template = {"Resources": {"F": {"Type": "AWS::Serverless::Function", "Properties": props}}}
    skips = [
        s["id"] for s in exemptions.annotate(copy.deepcopy(template))["Resources"]["F"]["Metadata"]["checkov"]["skip"]
    ]
    assert "CKV_AWS_117" not in skips
    del props["VpcConfig"]
    skips = [s["id"] for s in exemptions.annotate(template)["Resources"]["F"]["Metadata"]["checkov"]["skip"]]
    assert "CKV_AWS_117" in skips


def test_a_memory_limit_above_the_task_memory_is_refused(tmp_path: Path) -> None:
    err = validate(tmp_path, {**QUOTING, "memory_limit_mib": 1024})
    assert "services/quoting/service.yaml: memory_limit_mib: 1024 MiB is more than the task's memory (512 MiB)" in err


def test_limits_and_reservations_that_overflow_the_task_are_refused(tmp_path: Path) -> None:
    sidecar = {"name": "agent", "image": "public.ecr.aws/org/agent:1", "memory_reservation": 128}
    err = validate(tmp_path, {**QUOTING, "memory_limit_mib": 256, "xray": True, "sidecars": [sidecar]})
    assert (
        "services/quoting/service.yaml: memory_limit_mib: the task's containers reserve 640 MiB (the app 256, "
        "sidecar 'agent' 128, the X-Ray sidecar 256), more than the task's memory (512 MiB)"
    ) in err


def test_a_sidecar_limit_below_its_reservation_is_refused(tmp_path: Path) -> None:
    sidecar = {
        "name": "agent",
        "image": "public.ecr.aws/org/agent:1",
        "memory_reservation": 128,
        "memory_limit_mib": 64,
    }
    err = validate(tmp_path, {**QUOTING, "sidecars": [sidecar]})
    assert (
        "services/quoting/service.yaml: sidecars[0].memory_limit_mib: 64 MiB is less than its memory_reservation "
        "(128 MiB); a hard limit must be at least the reservation"
    ) in err


def test_a_function_in_the_vpc_manages_its_interfaces_without_a_wildcard_write(tmp_path: Path) -> None:
    reports = {"kind": "lambda", "vpc": True, "api": {"base_path": "/reports"}}
    services = {"quoting": QUOTING, "product-pricing": PRICING, "reports": reports}
    registry = copy.deepcopy(REGISTRY)
    registry["environments"]["dev"]["services"].append("reports")
    project = make_project(tmp_path / "project", registry, services, {"functions/reports": PROXY_APP})
    result = run_cli("synth", "--env", "dev", "--out", str(tmp_path / "out"), project=project)
    assert result.code == 0, result.err
    text = (tmp_path / "out" / "compute.yaml").read_text()
    assert lint_matches(text) == []
    resources = yaml.safe_load(text)["Resources"]
    statements = resources["ReportsRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
    eni = {s["Sid"]: (s["Action"], s["Resource"]) for s in statements if "NetworkInterfaces" in s["Sid"]}
    assert eni == {
        "VpcNetworkInterfaces": (
            ["ec2:CreateNetworkInterface", "ec2:DeleteNetworkInterface", "ec2:AssignPrivateIpAddresses",
             "ec2:UnassignPrivateIpAddresses"],
            [{"Fn::Sub": "arn:${AWS::Partition}:ec2:${AWS::Region}:*:*"}],
        ),
        "DescribeVpcNetworkInterfaces": (["ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"], ["*"]),
    }  # fmt: skip
    function = resources["ReportsFunction"]
    assert "VpcConfig" in function["Properties"]
    assert "CKV_AWS_117" not in [s["id"] for s in function["Metadata"]["checkov"]["skip"]]


def test_a_task_sized_limit_is_what_the_other_containers_leave(tmp_path: Path) -> None:
    sidecar = {"name": "agent", "image": "public.ecr.aws/org/agent:1", "memory_reservation": 64}
    quoting = {**QUOTING, "memory": 1024, "memory_limit_mib": "task", "xray": True, "sidecars": [sidecar]}
    task = synth_compute(tmp_path, quoting)["Resources"]["QuotingTaskDefinition"]
    limits = {c["Name"]: c.get("Memory") for c in task["Properties"]["ContainerDefinitions"]}
    assert limits == {"quoting": 1024 - 64 - 256, "agent": None, "xray-daemon": 256}


def test_a_task_sized_limit_with_nothing_left_is_refused(tmp_path: Path) -> None:
    sidecar = {"name": "agent", "image": "public.ecr.aws/org/agent:1", "memory_reservation": 256}
    err = validate(tmp_path, {**QUOTING, "memory_limit_mib": "task", "xray": True, "sidecars": [sidecar]})
    assert (
        "services/quoting/service.yaml: memory_limit_mib: the other containers reserve 512 MiB of the task's 512 "
        "MiB: less than 6 MiB is left for the app"
    ) in err
