"""Structural invariants of the network stage, for every golden case and environment."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
import yaml
from support import resources_of_type
from synth_cases import PARAMS

Templates = Callable[[str, str], dict[str, str]]


def network(templates: Templates, case: str, env: str) -> dict[str, Any]:
    return yaml.safe_load(templates(case, env)["network.yaml"])  # type: ignore[no-any-return]


@pytest.mark.parametrize(("case", "env"), PARAMS)
def test_network_stage_has_no_shared_task_security_group(templates: Templates, case: str, env: str) -> None:
    # Each service has its own group in its compute shard (test_traffic_invariants.py).
    template = network(templates, case, env)
    assert "TaskSecurityGroup" not in template["Resources"]
    assert "TaskSecurityGroupId" not in template["Outputs"]


@pytest.mark.parametrize(("case", "env"), PARAMS)
def test_alb_admits_http_only_from_the_group_in_front_of_it(templates: Templates, case: str, env: str) -> None:
    resources = network(templates, case, env)["Resources"]
    assert "SecurityGroupIngress" not in resources["AlbSecurityGroup"]["Properties"]
    ingress = resources_of_type({"Resources": resources}, "AWS::EC2::SecurityGroupIngress")
    front = "NlbSecurityGroup" if "IngressNlb" in resources else "VpcLinkSecurityGroup"
    assert ingress == {
        "AlbIngressFromApiGateway": {
            "Type": "AWS::EC2::SecurityGroupIngress",
            "Properties": {
                "Description": ingress["AlbIngressFromApiGateway"]["Properties"]["Description"],
                "FromPort": 80,
                "GroupId": {"Fn::GetAtt": ["AlbSecurityGroup", "GroupId"]},
                "IpProtocol": "tcp",
                "SourceSecurityGroupId": {"Fn::GetAtt": [front, "GroupId"]},
                "ToPort": 80,
            },
        }
    }


@pytest.mark.parametrize(("case", "env"), PARAMS)
def test_no_load_balancer_or_vpc_link_group_admits_a_cidr(templates: Templates, case: str, env: str) -> None:
    """Nothing in the VPC can reach the NLB or the ALB around API Gateway (docs/security.md)."""
    resources = network(templates, case, env)["Resources"]
    groups = {"AlbSecurityGroup", "NlbSecurityGroup", "VpcLinkSecurityGroup"} & set(resources)
    assert "AlbSecurityGroup" in groups
    for lid in groups:
        for rule in resources[lid]["Properties"].get("SecurityGroupIngress", []):
            assert not {"CidrIp", "CidrIpv6", "SourcePrefixListId"} & set(rule), f"{lid} admits {rule}"
    for lid, rule in resources_of_type({"Resources": resources}, "AWS::EC2::SecurityGroupIngress").items():
        group = rule["Properties"]["GroupId"]["Fn::GetAtt"][0]
        if group in groups:
            assert "SourceSecurityGroupId" in rule["Properties"], f"{lid} admits {rule}"
    lbs = resources_of_type({"Resources": resources}, "AWS::ElasticLoadBalancingV2::LoadBalancer")
    for lid, lb in lbs.items():
        assert lb["Properties"]["SecurityGroups"], f"{lid} has no security group"


@pytest.mark.parametrize(("case", "env"), PARAMS)
def test_the_nlb_is_reached_only_over_privatelink(templates: Templates, case: str, env: str) -> None:
    resources = network(templates, case, env)["Resources"]
    if "IngressNlb" not in resources:  # alb-direct: no NLB
        assert "NlbSecurityGroup" not in resources
        return
    nlb = resources["IngressNlb"]["Properties"]
    assert nlb["SecurityGroups"] == [{"Fn::GetAtt": ["NlbSecurityGroup", "GroupId"]}]
    assert nlb["EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic"] == "off"
    group = resources["NlbSecurityGroup"]["Properties"]
    assert "SecurityGroupIngress" not in group
    assert group["SecurityGroupEgress"] == [
        {
            "Description": "HTTP and health checks to the internal ALB",
            "DestinationSecurityGroupId": {"Fn::GetAtt": ["AlbSecurityGroup", "GroupId"]},
            "FromPort": 80,
            "IpProtocol": "tcp",
            "ToPort": 80,
        }
    ]


@pytest.mark.parametrize(("case", "env"), PARAMS)
def test_nothing_is_internet_facing(templates: Templates, case: str, env: str) -> None:
    template = network(templates, case, env)
    lbs = resources_of_type(template, "AWS::ElasticLoadBalancingV2::LoadBalancer")
    assert lbs and {lid: lb["Properties"]["Scheme"] for lid, lb in lbs.items()} == {lid: "internal" for lid in lbs}
    for subnet in resources_of_type(template, "AWS::EC2::Subnet").values():
        assert subnet["Properties"]["MapPublicIpOnLaunch"] is False


@pytest.mark.parametrize(("case", "env"), PARAMS)
def test_log_bucket_blocks_public_access_and_is_encrypted(templates: Templates, case: str, env: str) -> None:
    template = network(templates, case, env)
    for bucket in resources_of_type(template, "AWS::S3::Bucket").values():
        props = bucket["Properties"]
        assert props["PublicAccessBlockConfiguration"] == {
            "BlockPublicAcls": True, "BlockPublicPolicy": True, "IgnorePublicAcls": True, "RestrictPublicBuckets": True
        }  # fmt: skip
        rule = props["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
        assert rule["ServerSideEncryptionByDefault"] == {"SSEAlgorithm": "AES256"}
        assert props["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    policies = resources_of_type(template, "AWS::S3::BucketPolicy")
    for policy in policies.values():
        sids = [s["Sid"] for s in policy["Properties"]["PolicyDocument"]["Statement"]]
        assert sids == ["AllowElbLogDelivery", "DenyInsecureTransport"]


@pytest.mark.parametrize(("case", "env"), PARAMS)
def test_flow_logs_go_to_a_log_group_with_retention_when_enabled(templates: Templates, case: str, env: str) -> None:
    template = network(templates, case, env)
    flow_logs = resources_of_type(template, "AWS::EC2::FlowLog")
    if "FlowLogRetentionDays" not in template.get("Parameters", {}):
        assert flow_logs == {}  # disabled in the registry
        return
    assert list(flow_logs) == ["VpcFlowLog"]
    props = flow_logs["VpcFlowLog"]["Properties"]
    assert props["LogDestinationType"] == "cloud-watch-logs"
    assert props["LogGroupName"] == {"Ref": "FlowLogGroup"}
    assert template["Resources"]["FlowLogGroup"]["Properties"]["RetentionInDays"] == {"Ref": "FlowLogRetentionDays"}


@pytest.mark.parametrize(("case", "env"), PARAMS)
def test_every_taggable_resource_carries_platform_and_environment_tags(
    templates: Templates, case: str, env: str
) -> None:
    for name, text in yaml_templates(templates, case, env):
        for lid, resource in yaml.safe_load(text)["Resources"].items():
            tags = resource.get("Properties", {}).get("Tags")
            if tags is None:
                continue
            as_dict = tags if isinstance(tags, dict) else {t["Key"]: t["Value"] for t in tags}
            assert as_dict.get("environment") == env, f"{name}:{lid}"
            assert "platform" in as_dict, f"{name}:{lid}"


@pytest.mark.parametrize(("case", "env"), PARAMS)
def test_no_iam_statement_allows_wildcard_actions(templates: Templates, case: str, env: str) -> None:
    for name, text in yaml_templates(templates, case, env):
        for lid, resource in yaml.safe_load(text)["Resources"].items():
            for doc in _policy_documents(resource):
                for statement in doc["Statement"]:
                    actions = statement.get("Action", [])
                    actions = [actions] if isinstance(actions, str) else actions
                    if statement["Effect"] == "Allow":
                        bad = [a for a in actions if a == "*" or a.endswith(":*")]
                        assert bad == [], f"{name}:{lid} allows {bad}"


def _policy_documents(resource: dict[str, Any]) -> list[dict[str, Any]]:
    props = resource.get("Properties", {})
    docs = [props["PolicyDocument"]] if "PolicyDocument" in props else []
    docs += [p["PolicyDocument"] for p in props.get("Policies", []) if isinstance(p, dict) and "PolicyDocument" in p]
    return docs


@pytest.mark.parametrize(("case", "env"), PARAMS)
def test_root_wires_every_stage_parameter_from_the_registry_or_a_stage_output(
    templates: Templates, case: str, env: str
) -> None:
    rendered = templates(case, env)
    root = yaml.safe_load(rendered["template.yaml"])
    assert root["Transform"] == "AWS::Serverless-2016-10-31"
    for lid, stack in resources_of_type(root, "AWS::CloudFormation::Stack").items():
        nested = yaml.safe_load(rendered[stack["Properties"]["TemplateURL"]])
        assert sorted(stack["Properties"].get("Parameters", {})) == sorted(nested.get("Parameters", {})), lid
    exports = [o["Export"]["Name"] for o in root["Outputs"].values() if "Export" in o]
    assert len(exports) == len(set(exports))
    assert all(e.startswith(f"{root_prefix(root)}-{env}-") for e in exports)


def root_prefix(root: dict[str, Any]) -> str:
    return str(root["Description"]).split(" ")[0]


def yaml_templates(templates: Templates, case: str, env: str) -> list[tuple[str, str]]:
    return [(name, text) for name, text in sorted(templates(case, env).items()) if name.endswith(".yaml")]


RULE_DESCRIPTION = re.compile(r"[a-zA-Z0-9 ._\-:/()#,@\[\]+=&;{}!$*]{0,255}")  # EC2's allowed characters


@pytest.mark.parametrize(("case", "env"), PARAMS)
def test_every_security_group_rule_description_is_one_ec2_accepts(templates: Templates, case: str, env: str) -> None:
    resources = network(templates, case, env)["Resources"]
    descriptions = []
    for lid, resource in resources.items():
        props = resource.get("Properties", {})
        if resource["Type"] == "AWS::EC2::SecurityGroup":
            rules = props.get("SecurityGroupIngress", []) + props.get("SecurityGroupEgress", [])
            descriptions += [(lid, r["Description"]) for r in rules]
        elif resource["Type"] in ("AWS::EC2::SecurityGroupIngress", "AWS::EC2::SecurityGroupEgress"):
            descriptions.append((lid, props["Description"]))
    assert descriptions
    assert [(lid, d) for lid, d in descriptions if not RULE_DESCRIPTION.fullmatch(d)] == []
