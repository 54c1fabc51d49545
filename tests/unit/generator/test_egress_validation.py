"""VPC endpoints and restricted egress a registry can get wrong: the exact problem lines and exit 1 (a service
whose egress is restricted must still reach its endpoints, S3 and its images; an allow list only where egress
is restricted; no NAT only when nothing in the VPC needs the internet)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from support import PRICING, QUOTING, REGISTRY, make_project, run_cli, with_summary

PREFIX_LIST = "pl-6da54004"
ENDPOINTS = {"services": ["ecr", "s3", "logs"], "s3_prefix_list_id": PREFIX_LIST}
ECR_IMAGE = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/mirror/agent:1"
EXISTING = {
    "mode": "existing",
    "vpc_id": "vpc-0123456789abcdef0",
    "vpc_cidr": "10.1.0.0/16",
    "private_subnet_ids": ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"],
}


def registry(**network: Any) -> dict[str, Any]:
    """The test registry with dev's network changed (or replaced, when `network` names another mode)."""
    data = copy.deepcopy(REGISTRY)
    dev = data["environments"]["dev"]
    dev["network"] = network if network.get("mode", "create") != "create" else {**dev["network"], **network}
    return data


def q(**changes: Any) -> dict[str, Any]:
    return {**copy.deepcopy(QUOTING), **changes}


RESTRICTED = {"mode": "restricted"}

CASES: list[tuple[str, dict[str, Any], dict[str, Any], list[str]]] = [
    (
        "restricted_service_without_endpoints",
        registry(),
        {"quoting": q(egress=RESTRICTED), "product-pricing": PRICING},
        [
            "services/quoting/service.yaml: egress.mode: restricted egress needs the VPC endpoints ecr (image pulls), "
            "s3 (image layers), logs (container logs)",
            "    hint: add them to environments.dev.network.endpoints.services in services/registry.yaml, or name the "
            "group of endpoints the VPC already has in network.endpoints.security_group_id",
            "services/registry.yaml: environments.dev.network.endpoints.s3_prefix_list_id: required while a container "
            "service has restricted egress (quoting): ECR serves image layers from S3, which the tasks reach through "
            "the Region's S3 prefix list",
            "    hint: aws ec2 describe-managed-prefix-lists --region eu-west-1 --filters "
            "Name=prefix-list-name,Values=com.amazonaws.eu-west-1.s3 --query 'PrefixLists[0].PrefixListId'",
        ],
    ),
    (
        "environment_default_names_the_features_missing_their_endpoints",
        registry(task_egress="restricted", endpoints=ENDPOINTS),
        {
            "quoting": q(exec=True, secrets={"DB": {"secrets_manager": "db-credentials"}}),
            "product-pricing": {**PRICING, "secrets": {"TOKEN": {"ssm": "/acme/token"}}},
        },
        [
            "services/product-pricing/service.yaml: egress: restricted egress (network.task_egress of environment "
            "'dev') needs the VPC endpoints ssm (secrets)",
            "    hint: add them to environments.dev.network.endpoints.services in services/registry.yaml, or name the "
            "group of endpoints the VPC already has in network.endpoints.security_group_id",
            "services/quoting/service.yaml: egress: restricted egress (network.task_egress of environment 'dev') "
            "needs the VPC endpoints secretsmanager (secrets), ssmmessages (exec)",
            "    hint: add them to environments.dev.network.endpoints.services in services/registry.yaml, or name the "
            "group of endpoints the VPC already has in network.endpoints.security_group_id",
        ],
    ),
    (
        "images_outside_ecr_of_the_region",
        registry(task_egress="restricted", endpoints={**ENDPOINTS, "services": ["ecr", "s3", "logs", "xray"]}),
        {
            "quoting": q(
                xray=True,
                sidecars=[{"name": "agent", "image": "public.ecr.aws/acme/agent:1"}],
                init_containers=[{"name": "init", "image": ECR_IMAGE.replace("eu-west-1", "us-east-1")}],
            ),
            "product-pricing": {**PRICING, "image": {"repository": "ghcr.io/acme/pricing"}},
        },
        [
            "services/product-pricing/service.yaml: image.repository: 'ghcr.io/acme/pricing' is not in an ECR "
            "repository of eu-west-1: restricted egress pulls images only through the VPC endpoints",
            "    hint: copy it into ECR (an ECR pull through cache rule does it on first pull), or set egress.mode: open",
            "services/quoting/service.yaml: init_containers[0].image: "
            "'123456789012.dkr.ecr.us-east-1.amazonaws.com/mirror/agent:1' is not in an ECR repository of eu-west-1: "
            "restricted egress pulls images only through the VPC endpoints",
            "    hint: copy it into ECR (an ECR pull through cache rule does it on first pull), or set egress.mode: open",
            "services/quoting/service.yaml: sidecars[0].image: 'public.ecr.aws/acme/agent:1' is not in an ECR "
            "repository of eu-west-1: restricted egress pulls images only through the VPC endpoints",
            "    hint: copy it into ECR (an ECR pull through cache rule does it on first pull), or set egress.mode: open",
            "services/quoting/service.yaml: xray: the X-Ray daemon image 'public.ecr.aws/xray/aws-xray-daemon:3.x' "
            "(ecs.xray_daemon_image) is not in an ECR repository of eu-west-1: restricted egress pulls images only "
            "through the VPC endpoints",
            "    hint: set ecs.xray_daemon_image in services/registry.yaml to a copy in ECR (e.g. an ECR pull through "
            "cache of public.ecr.aws)",
        ],
    ),
    (
        "allow_list_on_open_egress_and_a_world_cidr",
        registry(endpoints=ENDPOINTS),
        {
            "quoting": q(egress={"allow": [{"cidr": "10.1.0.0/16", "port": 5432}]}),
            "product-pricing": {
                **PRICING,
                "egress": {"mode": "restricted", "allow": [{"cidr": "0.0.0.0/0", "port": 1}]},
            },
        },
        [
            "services/product-pricing/service.yaml: egress.allow[0].cidr: 0.0.0.0/0 is every address: restricted "
            "egress would not restrict anything",
            "    hint: set egress.mode: open instead, or name the networks the service calls",
            "services/quoting/service.yaml: egress.allow: an allow list needs restricted egress; this service's "
            "egress is open",
            "    hint: set egress.mode: restricted (or network.task_egress: restricted in services/registry.yaml)",
        ],
    ),
    (
        "allow_entry_with_two_destinations",
        registry(endpoints=ENDPOINTS, task_egress="restricted"),
        {
            "quoting": q(
                egress={"allow": [{"cidr": "10.1.0.0/16", "security_group": "sg-0123456789abcdef0", "port": 1}]}
            ),
            "product-pricing": PRICING,
        },
        ["services/quoting/service.yaml: egress.allow[0]: set exactly one of cidr or security_group"],
    ),
    (
        "outbound_rules_quota",
        registry(endpoints=ENDPOINTS, task_egress="restricted"),
        {
            "quoting": q(egress={"allow": [{"cidr": f"10.1.{i}.0/24", "port": 5432} for i in range(59)]}),
            "product-pricing": PRICING,
        },
        [
            "services/quoting/service.yaml: egress.allow: quota exceeded: outbound rules per security group is 60; "
            "the security group of 'quoting' would have 61 (2 for AWS services, 0 callees, 59 allow entries)",
            "    hint: allow a network (a wider cidr) instead of single hosts, or a shared security_group",
        ],
    ),
    (
        "efs_needs_nfs",
        registry(endpoints=ENDPOINTS, task_egress="restricted"),
        {
            "quoting": q(
                volumes=[{"name": "data", "path": "/data", "efs": {"file_system_id": "fs-0123456789abcdef0"}}]
            ),
            "product-pricing": PRICING,
        },
        [
            "services/quoting/service.yaml: volumes[0].efs: restricted egress: mounting EFS needs NFS (tcp 2049) to "
            "the file system's mount targets",
            "    hint: add an egress.allow entry with port: 2049 and the mount targets' security_group",
        ],
    ),
    (
        "no_nat_while_a_service_has_open_egress",
        registry(nat_gateways="none", endpoints=ENDPOINTS),
        {"quoting": q(egress=RESTRICTED), "product-pricing": PRICING},
        [
            "services/registry.yaml: environments.dev.network.nat_gateways: none leaves the private subnets without "
            "a route to the internet, which these services use: product-pricing",
            "    hint: restrict their egress (network.task_egress: restricted; a Lambda service in the VPC always needs "
            "one), or keep a NAT gateway",
        ],
    ),
    (
        "endpoint_settings",
        registry(endpoints={"services": ["ecr", "logs", "ecr"], "route_table_ids": ["rtb-0123456789abcdef0"]}),
        {"quoting": QUOTING, "product-pricing": PRICING},
        [
            "services/registry.yaml: environments.dev.network.endpoints.route_table_ids: a created VPC's S3 gateway "
            "endpoint goes on its own private route tables",
            "    hint: remove route_table_ids",
            "services/registry.yaml: environments.dev.network.endpoints.services[2]: 'ecr' is listed twice",
        ],
    ),
    (
        "s3_gateway_in_an_existing_vpc_needs_route_tables",
        registry(**{**EXISTING, "endpoints": {"services": ["ecr", "s3"]}}),
        {"quoting": QUOTING, "product-pricing": PRICING},
        [
            "services/registry.yaml: environments.dev.network.endpoints.services[1]: the S3 gateway endpoint needs the "
            "route tables of the task subnets (mode existing: the VPC is not created here)",
            "    hint: list them in network.endpoints.route_table_ids",
        ],
    ),
]


@pytest.mark.parametrize(("registry_data", "services", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_egress_problem_is_reported_exactly(
    tmp_path: Path, registry_data: dict[str, Any], services: dict[str, Any], expected: list[str]
) -> None:
    project = make_project(tmp_path, registry_data, services)
    result = run_cli("validate", "--env", "dev", project=project)
    assert result.code == 1
    assert result.err.splitlines() == with_summary(expected)


def test_existing_endpoints_group_stands_in_for_the_missing_endpoints(tmp_path: Path) -> None:
    # GIVEN a shared VPC whose endpoints exist already (their group named), and only S3's prefix list
    network: dict[str, Any] = {**EXISTING, "task_egress": "restricted"}
    network["endpoints"] = {"security_group_id": "sg-0123456789abcdef0", "s3_prefix_list_id": PREFIX_LIST}
    project = make_project(tmp_path, registry(**network), {"quoting": q(exec=True), "product-pricing": PRICING})
    # WHEN validated THEN nothing is missing
    result = run_cli("validate", "--env", "dev", project=project)
    assert result.code == 0, result.err
