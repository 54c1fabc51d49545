"""VPC endpoints and task egress allow-lists (docs/security.md): the endpoints' exact properties, the exact
outbound rules of a service with restricted egress (no 0.0.0.0/0, so no exemption for it), Service Connect
calls as separate egress rules, NAT-free networks, imported VPCs; every template cfn-lint clean."""

from __future__ import annotations

import copy
import dataclasses
from pathlib import Path
from typing import Any

from support import PRICING, QUOTING, REGISTRY, make_project, resources_of_type, run_cli, synth_linted

from template_gen.layout.placement import Placement
from template_gen.pipeline import load_registry, placed_spec
from template_gen.stacks import compute
from template_gen.stacks.common import RenderContext

PREFIX_LIST = "pl-6da54004"
DB_GROUP = "sg-0123456789abcdef0"
OPEN_EGRESS_RULES = ["EC2_SECURITY_GROUP_EGRESS_OPEN_TO_WORLD_RULE", "SECURITY_GROUP_EGRESS_ALL_PROTOCOLS_RULE"]
EXISTING = {
    "mode": "existing",
    "vpc_id": "vpc-0123456789abcdef0",
    "vpc_cidr": "10.1.0.0/16",
    "private_subnet_ids": ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"],
}


def synth(tmp_path: Path, network: dict[str, Any], services: dict[str, Any] | None = None) -> dict[str, Any]:
    registry = copy.deepcopy(REGISTRY)
    dev = registry["environments"]["dev"]
    dev["network"] = network if network.get("mode") == "existing" else {**dev["network"], **network}
    project = make_project(tmp_path / "project", registry, services)
    return synth_linted(project, tmp_path / "out")[0]


RESTRICTED_NETWORK = {
    "task_egress": "restricted",
    "endpoints": {"services": ["ecr", "s3", "logs", "secretsmanager"], "s3_prefix_list_id": PREFIX_LIST},
}
RESTRICTED_SERVICES = {
    "quoting": {
        **QUOTING,
        "calls": ["product-pricing"],
        "egress": {
            "allow": [
                {"cidr": "10.1.0.0/16", "port": 5432, "description": "orders database"},
                {"security_group": DB_GROUP, "port": 6379},
            ]
        },
    },
    "product-pricing": PRICING,
}
ENDPOINT_TO = {
    "Description": "HTTPS to the VPC endpoints of AWS services",
    "DestinationSecurityGroupId": {"Ref": "EndpointSecurityGroupId"},
    "FromPort": 443,
    "IpProtocol": "tcp",
    "ToPort": 443,
}
S3_TO = {
    "Description": "HTTPS to S3 (ECR image layers) through the gateway endpoint",
    "DestinationPrefixListId": {"Ref": "S3PrefixListId"},
    "FromPort": 443,
    "IpProtocol": "tcp",
    "ToPort": 443,
}


def interface_endpoint(suffix: str, subnets: Any) -> dict[str, Any]:
    return {
        "PrivateDnsEnabled": True,
        "SecurityGroupIds": [{"Fn::GetAtt": ["EndpointSecurityGroup", "GroupId"]}],
        "ServiceName": {"Fn::Sub": f"com.amazonaws.${{AWS::Region}}.{suffix}"},
        "SubnetIds": subnets,
        "VpcEndpointType": "Interface",
        "VpcId": {"Ref": "Vpc"} if isinstance(subnets, list) else {"Ref": "VpcId"},
    }


def without_tags(resource: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in resource["Properties"].items() if k != "Tags"}


def test_restricted_egress_reaches_only_endpoints_s3_callees_and_the_allow_list(tmp_path: Path) -> None:
    templates = synth(tmp_path, RESTRICTED_NETWORK, RESTRICTED_SERVICES)
    network, compute = templates["network.yaml"], templates["compute.yaml"]
    # THEN the network stage has one interface endpoint per service, in the private subnets, behind one group
    endpoints = resources_of_type(network, "AWS::EC2::VPCEndpoint")
    private = [{"Ref": "PrivateSubnet1"}, {"Ref": "PrivateSubnet2"}]
    assert {lid: without_tags(e) for lid, e in endpoints.items() if lid != "S3GatewayEndpoint"} == {
        "EcrApiEndpoint": interface_endpoint("ecr.api", private),
        "EcrDkrEndpoint": interface_endpoint("ecr.dkr", private),
        "LogsEndpoint": interface_endpoint("logs", private),
        "SecretsmanagerEndpoint": interface_endpoint("secretsmanager", private),
    }
    assert without_tags(endpoints["S3GatewayEndpoint"]) == {
        "RouteTableIds": [{"Ref": "PrivateRouteTable"}],
        "ServiceName": {"Fn::Sub": "com.amazonaws.${AWS::Region}.s3"},
        "VpcEndpointType": "Gateway",
        "VpcId": {"Ref": "Vpc"},
    }
    group = network["Resources"]["EndpointSecurityGroup"]["Properties"]
    assert group["SecurityGroupIngress"] == [
        {
            "CidrIp": {"Ref": "VpcCidr"},
            "Description": "HTTPS from the VPC",
            "FromPort": 443,
            "IpProtocol": "tcp",
            "ToPort": 443,
        }
    ]
    assert [r["CidrIp"] for r in group["SecurityGroupEgress"]] == ["255.255.255.255/32"]
    assert network["Outputs"]["EndpointSecurityGroupId"]["Value"] == {
        "Fn::GetAtt": ["EndpointSecurityGroup", "GroupId"]
    }
    # AND quoting's group has exactly the endpoints, S3 and its allow list; its call is a separate rule
    groups = resources_of_type(compute, "AWS::EC2::SecurityGroup")
    assert groups["QuotingSecurityGroup"]["Properties"]["SecurityGroupEgress"] == [
        ENDPOINT_TO,
        S3_TO,
        {
            "CidrIp": "10.1.0.0/16",
            "Description": "orders database",
            "FromPort": 5432,
            "IpProtocol": "tcp",
            "ToPort": 5432,
        },
        {
            "Description": "egress.allow",
            "DestinationSecurityGroupId": DB_GROUP,
            "FromPort": 6379,
            "IpProtocol": "tcp",
            "ToPort": 6379,
        },
    ]
    assert groups["ProductPricingSecurityGroup"]["Properties"]["SecurityGroupEgress"] == [ENDPOINT_TO, S3_TO]
    assert {lid: r["Properties"] for lid, r in resources_of_type(compute, "AWS::EC2::SecurityGroupEgress").items()} == {
        "QuotingToProductPricingEgress": {
            "Description": "to product-pricing (calls)",
            "DestinationSecurityGroupId": {"Fn::GetAtt": ["ProductPricingSecurityGroup", "GroupId"]},
            "FromPort": 8080,
            "GroupId": {"Fn::GetAtt": ["QuotingSecurityGroup", "GroupId"]},
            "IpProtocol": "tcp",
            "ToPort": 8080,
        }
    }
    # AND no service group is exempted from the open-egress rules (none has 0.0.0.0/0)
    for lid, g in groups.items():
        suppressed = g.get("Metadata", {}).get("guard", {}).get("SuppressedRules", [])
        assert not set(OPEN_EGRESS_RULES) & set(suppressed), lid
    # AND the root feeds the shard the prefix list (a literal) and the endpoints' group (the network's output)
    root = templates["template.yaml"]["Resources"]["ComputeStack"]["Properties"]["Parameters"]
    assert root["S3PrefixListId"] == PREFIX_LIST
    assert root["EndpointSecurityGroupId"] == {"Fn::GetAtt": ["NetworkStack", "Outputs.EndpointSecurityGroupId"]}


def test_open_egress_stays_the_default_and_keeps_its_exemption(tmp_path: Path) -> None:
    templates = synth(tmp_path, {})
    assert resources_of_type(templates["network.yaml"], "AWS::EC2::VPCEndpoint") == {}
    group = templates["compute.yaml"]["Resources"]["QuotingSecurityGroup"]
    assert group["Properties"]["SecurityGroupEgress"] == [
        {"CidrIp": "0.0.0.0/0", "Description": "images, AWS APIs, callees and databases", "IpProtocol": "-1"}
    ]
    assert group["Metadata"]["guard"]["SuppressedRules"] == OPEN_EGRESS_RULES


def test_one_service_restricts_its_own_egress(tmp_path: Path) -> None:
    network = {"endpoints": {"services": ["ecr", "s3", "logs"], "s3_prefix_list_id": PREFIX_LIST}}
    services = {"quoting": {**QUOTING, "egress": {"mode": "restricted"}}, "product-pricing": PRICING}
    groups = resources_of_type(synth(tmp_path, network, services)["compute.yaml"], "AWS::EC2::SecurityGroup")
    assert groups["QuotingSecurityGroup"]["Properties"]["SecurityGroupEgress"] == [ENDPOINT_TO, S3_TO]
    assert groups["ProductPricingSecurityGroup"]["Properties"]["SecurityGroupEgress"][0]["CidrIp"] == "0.0.0.0/0"


def test_no_nat_gateways_when_every_service_is_restricted(tmp_path: Path) -> None:
    network = synth(tmp_path, {**RESTRICTED_NETWORK, "nat_gateways": "none"})["network.yaml"]
    types = {r["Type"] for r in network["Resources"].values()}
    assert "AWS::EC2::NatGateway" not in types and "AWS::EC2::EIP" not in types
    routes = resources_of_type(network, "AWS::EC2::Route")
    assert sorted(routes) == ["PublicDefaultRoute"]
    assert network["Resources"]["S3GatewayEndpoint"]["Properties"]["RouteTableIds"] == [{"Ref": "PrivateRouteTable"}]


def test_an_existing_vpc_takes_endpoints_in_its_subnets_and_names_its_own_endpoints_group(tmp_path: Path) -> None:
    network = {
        **EXISTING,
        "task_egress": "restricted",
        "endpoints": {
            "services": ["ecr", "s3", "logs"],
            "private_dns": False,
            "route_table_ids": ["rtb-0123456789abcdef0", "rtb-0123456789abcdef1"],
            "s3_prefix_list_id": PREFIX_LIST,
            "security_group_id": "sg-00000000000000001",
        },
    }
    templates = synth(tmp_path, network)
    endpoints = resources_of_type(templates["network.yaml"], "AWS::EC2::VPCEndpoint")
    assert without_tags(endpoints["LogsEndpoint"]) == {
        **interface_endpoint("logs", {"Ref": "LoadBalancerSubnetIds"}),
        "PrivateDnsEnabled": False,
    }
    assert endpoints["S3GatewayEndpoint"]["Properties"]["RouteTableIds"] == [
        "rtb-0123456789abcdef0",
        "rtb-0123456789abcdef1",
    ]
    egress = templates["compute.yaml"]["Resources"]["QuotingSecurityGroup"]["Properties"]["SecurityGroupEgress"]
    assert egress == [
        ENDPOINT_TO,
        {
            "Description": "HTTPS to the VPC's own endpoints",
            "DestinationSecurityGroupId": "sg-00000000000000001",
            "FromPort": 443,
            "IpProtocol": "tcp",
            "ToPort": 443,
        },
        S3_TO,
    ]


def test_private_dns_endpoints_in_a_vpc_the_environment_does_not_create_warn_of_the_conflict(tmp_path: Path) -> None:
    registry = copy.deepcopy(REGISTRY)
    registry["environments"]["dev"]["network"] = {**EXISTING, "endpoints": {"services": ["logs"]}}
    project = make_project(tmp_path / "project", registry)
    result = run_cli("synth", "--env", "dev", "--out", str(tmp_path / "out"), project=project)
    assert result.code == 0, result.err
    assert (
        "warning: environment 'dev': creates VPC endpoints with private DNS (logs) in VPC vpc-0123456789abcdef0, which "
        'it does not create: if the VPC has one for the same service, the deploy fails with "private-dns-enabled '
        'cannot be set because there is already a conflicting DNS domain"; check with aws ec2 describe-vpc-endpoints '
        "--filters Name=vpc-id,Values=vpc-0123456789abcdef0, and list only the services it lacks "
        "(network.endpoints.security_group_id names the group of the others)"
    ) in result.err


def test_a_call_across_two_compute_shards_is_allowed_in_the_later_one(tmp_path: Path) -> None:
    # GIVEN restricted quoting in the first compute shard, calling product-pricing in the second
    registry = copy.deepcopy(REGISTRY)
    registry["environments"]["dev"]["network"].update(RESTRICTED_NETWORK)
    project = make_project(tmp_path, registry, RESTRICTED_SERVICES)
    spec = placed_spec(load_registry(project, ["dev"]), "dev")
    spec = dataclasses.replace(spec, placement=Placement(compute={"quoting": 1, "product-pricing": 2}))
    # WHEN both shards are built
    first, second = (compute.ComputeStage(spec, RenderContext(project), n).build().template.to_dict() for n in (1, 2))
    # THEN the egress rule lives beside the ingress rule, in the later shard, naming the caller's group by parameter
    assert resources_of_type(first, "AWS::EC2::SecurityGroupEgress") == {}
    rule = second["Resources"]["QuotingToProductPricingEgress"]["Properties"]
    assert rule["GroupId"] == {"Ref": "QuotingSecurityGroupId"}
    assert rule["DestinationSecurityGroupId"] == {"Fn::GetAtt": ["ProductPricingSecurityGroup", "GroupId"]}
    assert second["Parameters"]["QuotingSecurityGroupId"]["Type"] == "AWS::EC2::SecurityGroup::Id"
    assert "ProductPricingFromQuotingIngress" in second["Resources"]
