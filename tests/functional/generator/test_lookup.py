"""`network.mode: lookup | default`: resolved with boto3 (moto here), cached, reused offline."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml
from moto import mock_aws
from support import REGISTRY, make_project, run_cli

REGION = "eu-west-1"
CACHED_NOTE = (
    "note: asked AWS for the network of 'dev' and cached the answer in services/environments/dev.lookup.json "
    "(commit it: later synths read it instead of asking AWS)\n"
)
# The first synth of a project also writes its placement file (with the ECR repositories its stack creates
# and the API resource IDs), and says so.
PLACED = (
    "note: updated services/environments/dev.placement.json (compute shard 1: product-pricing, quoting; ALB 1: "
    "product-pricing, quoting; API route shard 1: /admin, /product-pricing, /quoting; ECR repositories the stack "
    "creates: product-pricing, quoting; API resource IDs recorded); commit it: it keeps services in their stacks\n"
)


def registry_with(network: dict[str, Any]) -> dict[str, Any]:
    data = copy.deepcopy(REGISTRY)
    data["environments"]["dev"]["network"] = network
    return data


@pytest.fixture()
def aws(aws_credentials: None) -> Iterator[Any]:
    with mock_aws():
        yield boto3.client("ec2", region_name=REGION)


def test_default_vpc_without_private_subnets_falls_back_to_public_with_a_warning(aws: Any, tmp_path: Path) -> None:
    # GIVEN moto's default VPC, which (like a new account's) has only public default subnets
    default_vpc = aws.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]
    subnets = aws.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [default_vpc["VpcId"]]}])["Subnets"]
    project = make_project(tmp_path, registry_with({"mode": "default"}))
    # WHEN synth runs
    result = run_cli("synth", "--env", "dev", project=project)
    # THEN the public subnets are used, tasks get public IPs, and the user is warned
    assert result.code == 0, result.err
    assert result.err.startswith(
        f"warning: environment 'dev': VPC {default_vpc['VpcId']} has no private subnets in two or more "
        "Availability Zones: load balancers and tasks use its public subnets and tasks get public IPs"
    )
    root = yaml.safe_load((project / "build/dev/template.yaml").read_text())
    params = root["Resources"]["NetworkStack"]["Properties"]["Parameters"]
    assert params["VpcId"] == default_vpc["VpcId"]
    assert params["VpcCidr"] == default_vpc["CidrBlock"]
    by_az = sorted((s["AvailabilityZone"], s["SubnetId"]) for s in subnets)
    assert params["TaskSubnetIds"] == ",".join(sid for _, sid in by_az)
    assert params["LoadBalancerSubnetIds"] == ",".join(sid for _, sid in by_az)  # one default subnet per AZ
    network = yaml.safe_load((project / "build/dev/network.yaml").read_text())
    assert network["Outputs"]["AssignPublicIp"]["Value"] == "ENABLED"
    # AND the answer is cached for offline, deterministic synths
    cache = json.loads((project / "services/environments/dev.lookup.json").read_text())
    assert cache["query"] == {"mode": "default", "region": REGION}
    assert cache["vpc"] == {"id": default_vpc["VpcId"], "cidr": default_vpc["CidrBlock"]}
    assert {s["id"] for s in cache["subnets"]} == {s["SubnetId"] for s in subnets}
    assert all(s["public"] for s in cache["subnets"])


def _private_vpc(ec2: Any) -> tuple[str, list[str], list[str]]:
    """A tagged VPC with a public subnet (IGW route) and two private subnets (explicit and main route tables)."""
    vpc = ec2.create_vpc(CidrBlock="10.40.0.0/16")["Vpc"]["VpcId"]
    ec2.create_tags(Resources=[vpc], Tags=[{"Key": "Name", "Value": "stage-vpc"}])
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    public_rt = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=public_rt, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    private_rt = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    public = []
    for az, cidr in (("eu-west-1a", "10.40.0.0/24"), ("eu-west-1b", "10.40.1.0/24")):
        sid = ec2.create_subnet(VpcId=vpc, CidrBlock=cidr, AvailabilityZone=az)["Subnet"]["SubnetId"]
        ec2.associate_route_table(RouteTableId=public_rt, SubnetId=sid)
        public.append(sid)
    explicit = ec2.create_subnet(VpcId=vpc, CidrBlock="10.40.16.0/20", AvailabilityZone="eu-west-1a")["Subnet"]
    ec2.associate_route_table(RouteTableId=private_rt, SubnetId=explicit["SubnetId"])
    # No association: this subnet uses the VPC's main route table, which has no internet route.
    implicit = ec2.create_subnet(VpcId=vpc, CidrBlock="10.40.32.0/20", AvailabilityZone="eu-west-1b")["Subnet"]
    return vpc, public, [explicit["SubnetId"], implicit["SubnetId"]]


def test_lookup_by_tags_uses_private_subnets_found_through_route_tables(aws: Any, tmp_path: Path) -> None:
    vpc, _public, private = _private_vpc(aws)
    project = make_project(tmp_path, registry_with({"mode": "lookup", "vpc_tags": {"Name": "stage-vpc"}}))
    result = run_cli("synth", "--env", "dev", project=project)
    assert (result.code, result.err) == (0, CACHED_NOTE + PLACED)
    root = yaml.safe_load((project / "build/dev/template.yaml").read_text())
    params = root["Resources"]["NetworkStack"]["Properties"]["Parameters"]
    assert params["VpcId"] == vpc
    assert params["TaskSubnetIds"] == ",".join(private)
    assert params["LoadBalancerSubnetIds"] == ",".join(private)
    network = yaml.safe_load((project / "build/dev/network.yaml").read_text())
    assert network["Outputs"]["AssignPublicIp"]["Value"] == "DISABLED"


def test_cached_lookup_is_reused_offline_and_refresh_asks_again(aws: Any, tmp_path: Path) -> None:
    vpc, _public, _private = _private_vpc(aws)
    project = make_project(tmp_path, registry_with({"mode": "lookup", "vpc_id": vpc}))
    looked_up = run_cli("synth", "--env", "dev", project=project)
    assert (looked_up.code, looked_up.err) == (0, CACHED_NOTE + PLACED)
    cache_file = project / "services/environments/dev.lookup.json"
    first = cache_file.read_text()
    # WHEN the VPC changes in AWS but synth runs without --refresh-lookups
    aws.create_subnet(VpcId=vpc, CidrBlock="10.40.48.0/20", AvailabilityZone="eu-west-1c")
    cached = run_cli("synth", "--env", "dev", project=project)
    assert (cached.code, cached.err) == (0, "")
    # THEN the cached answer is used (deterministic)
    assert cache_file.read_text() == first
    # AND --refresh-lookups picks the change up
    assert run_cli("synth", "--env", "dev", "--refresh-lookups", project=project).code == 0
    refreshed = json.loads(cache_file.read_text())
    assert len(refreshed["subnets"]) == len(json.loads(first)["subnets"]) + 1


def test_cached_lookup_works_with_no_aws_at_all(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = make_project(tmp_path, registry_with({"mode": "lookup", "vpc_tags": {"Name": "stage-vpc"}}))
    # GIVEN a committed cache for exactly this query, and an AWS endpoint that cannot be reached
    cache = {
        "version": 1,
        "query": {"mode": "lookup", "region": REGION, "vpc_id": None, "vpc_tags": {"Name": "stage-vpc"}},
        "vpc": {"id": "vpc-0e0000000000000e1", "cidr": "10.40.0.0/16"},
        "subnets": [
            {"id": "subnet-0a0000000000000a2", "az": "eu-west-1a", "cidr": "10.40.16.0/20", "public": False},
            {"id": "subnet-0b0000000000000b2", "az": "eu-west-1b", "cidr": "10.40.32.0/20", "public": False},
        ],
    }
    (project / "services/environments").mkdir(parents=True)
    (project / "services/environments/dev.lookup.json").write_text(json.dumps(cache))
    monkeypatch.setenv("AWS_ENDPOINT_URL_EC2", "http://127.0.0.1:9")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    result = run_cli("synth", "--env", "dev", project=project)
    assert (result.code, result.err) == (0, PLACED)


def test_lookup_without_cache_or_aws_fails_with_the_fix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_EC2", "http://127.0.0.1:9")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    project = make_project(tmp_path, registry_with({"mode": "default"}))
    result = run_cli("synth", "--env", "dev", project=project)
    assert result.code == 1
    lines = result.err.splitlines()
    assert lines[0].startswith(
        "error: environment 'dev': no cached lookup (services/environments/dev.lookup.json) and AWS could not be "
        'asked: Could not connect to the endpoint URL: "http://127.0.0.1:9/"'
    )
    assert lines[1] == (
        "    hint: run `template-gen synth --env dev --refresh-lookups` with credentials for the account, "
        "then commit services/environments/dev.lookup.json"
    )
    assert not (project / "build").exists()


def test_lookup_of_a_missing_vpc_is_a_clear_error(aws: Any, tmp_path: Path) -> None:
    project = make_project(tmp_path, registry_with({"mode": "lookup", "vpc_tags": {"Name": "nope"}}))
    result = run_cli("synth", "--env", "dev", project=project)
    assert (result.code, result.err) == (1, "error: a VPC tagged Name=nope was not found in eu-west-1\n")


def test_lookup_with_subnets_in_one_az_only_is_refused(aws: Any, tmp_path: Path) -> None:
    vpc = aws.create_vpc(CidrBlock="10.50.0.0/16")["Vpc"]["VpcId"]
    aws.create_subnet(VpcId=vpc, CidrBlock="10.50.0.0/24", AvailabilityZone="eu-west-1a")
    project = make_project(tmp_path, registry_with({"mode": "lookup", "vpc_id": vpc}))
    result = run_cli("synth", "--env", "dev", project=project)
    assert (result.code, result.err) == (
        1,
        f"error: VPC {vpc} has no subnets in two Availability Zones of one kind (private or public); "
        "load balancers need two\n",
    )
