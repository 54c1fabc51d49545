"""diff_builds on small hand-written builds: what changes directly, and what changes because a value it
reads changes (a new parameter value from the root, a replaced resource, another stack's output)."""

from __future__ import annotations

import copy
from typing import Any

from template_gen.review.diff import diff_builds
from template_gen.review.model import ABSENT, Detail, StackChanges
from template_gen.review.templates import Build, StackTemplate

STACK = "AWS::CloudFormation::Stack"
ROOT: dict[str, Any] = {
    "Resources": {
        "NetworkStack": {
            "Type": STACK,
            "Properties": {
                "TemplateURL": "network.yaml",
                "Parameters": {"VpcCidr": "10.0.0.0/16", "SubnetCidrs": "10.0.0.0/24,10.0.1.0/24"},
            },
        },
        "ComputeStack": {
            "Type": STACK,
            "Properties": {
                "TemplateURL": "compute.yaml",
                "Parameters": {"VpcId": {"Fn::GetAtt": ["NetworkStack", "Outputs.VpcId"]}},
            },
        },
    }
}
NETWORK: dict[str, Any] = {
    "Parameters": {"VpcCidr": {"Type": "String"}, "SubnetCidrs": {"Type": "CommaDelimitedList"}},
    "Resources": {
        "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": {"Ref": "VpcCidr"}}},
        "Subnet": {
            "Type": "AWS::EC2::Subnet",
            "Properties": {"VpcId": {"Ref": "Vpc"}, "CidrBlock": {"Fn::Select": [0, {"Ref": "SubnetCidrs"}]}},
        },
    },
    "Outputs": {"VpcId": {"Value": {"Ref": "Vpc"}}},
}
COMPUTE: dict[str, Any] = {
    "Parameters": {"VpcId": {"Type": "String"}},
    "Resources": {
        "TargetGroup": {
            "Type": "AWS::ElasticLoadBalancingV2::TargetGroup",
            "Properties": {"Port": 80, "Protocol": "HTTP", "VpcId": {"Ref": "VpcId"}},
        },
        "Logs": {"Type": "AWS::Logs::LogGroup", "Properties": {"RetentionInDays": 7}},
    },
}


def build(root: dict[str, Any], network: dict[str, Any] | None, compute: dict[str, Any]) -> Build:
    stacks = [StackTemplate("", "template.yaml", root)]
    if network is not None:
        stacks.append(StackTemplate("NetworkStack", "network.yaml", network))
    stacks.append(StackTemplate("ComputeStack", "compute.yaml", compute))
    return Build(tuple(stacks))


def rows(stacks: tuple[StackChanges, ...]) -> list[tuple[str, str, str, list[tuple[str, Any, Any, str, str]]]]:
    return [
        (s.key, r.verb, r.logical_id, [(d.path, d.before, d.after, d.replacement, d.cause) for d in r.details])
        for s in stacks
        for r in s.resources
    ]


def test_a_new_vpc_cidr_replaces_the_vpc_and_ripples_through_references_and_outputs() -> None:
    root = copy.deepcopy(ROOT)
    root["Resources"]["NetworkStack"]["Properties"]["Parameters"]["VpcCidr"] = "10.1.0.0/16"
    stacks, warnings = diff_builds(build(ROOT, NETWORK, COMPUTE), build(root, NETWORK, COMPUTE), "eu-west-1")
    vpc_id = {"Fn::GetAtt": ["NetworkStack", "Outputs.VpcId"]}
    assert rows(stacks) == [
        (
            "",
            "modify",
            "ComputeStack",
            [("Parameters.VpcId", vpc_id, vpc_id, "False", "output VpcId of NetworkStack")],
        ),
        ("", "modify", "NetworkStack", [("Parameters.VpcCidr", "10.0.0.0/16", "10.1.0.0/16", "False", "")]),
        # the root passes a new literal to `CidrBlock: !Ref VpcCidr`: a sure replacement
        ("NetworkStack", "replace", "Vpc", [("CidrBlock", "10.0.0.0/16", "10.1.0.0/16", "True", "parameter VpcCidr")]),
        # the subnet's VpcId is a Ref to a replaced resource: CloudFormation decides at deploy time
        (
            "NetworkStack",
            "replace?",
            "Subnet",
            [("VpcId", {"Ref": "Vpc"}, {"Ref": "Vpc"}, "Conditional", "Vpc replaced")],
        ),
        (
            "ComputeStack",
            "replace?",
            "TargetGroup",
            [("VpcId", {"Ref": "VpcId"}, {"Ref": "VpcId"}, "Conditional", "parameter VpcId")],
        ),
    ]
    assert [s.status for s in stacks] == ["modified", "modified", "modified"]
    assert warnings == ()


def test_a_value_used_through_select_is_only_a_conditional_replacement() -> None:
    root = copy.deepcopy(ROOT)
    root["Resources"]["NetworkStack"]["Properties"]["Parameters"]["SubnetCidrs"] = "10.0.9.0/24,10.0.1.0/24"
    stacks, _ = diff_builds(build(ROOT, NETWORK, COMPUTE), build(root, NETWORK, COMPUTE), "eu-west-1")
    select = {"Fn::Select": [0, {"Ref": "SubnetCidrs"}]}
    assert rows(stacks)[1:] == [
        ("NetworkStack", "replace?", "Subnet", [("CidrBlock", select, select, "Conditional", "parameter SubnetCidrs")]),
    ]


def test_attributes_tags_and_types_are_compared_too() -> None:
    compute = copy.deepcopy(COMPUTE)
    compute["Resources"]["Logs"]["DeletionPolicy"] = "Retain"
    compute["Resources"]["Logs"]["Properties"]["Tags"] = [{"Key": "team", "Value": "a"}]
    compute["Resources"]["TargetGroup"]["Type"] = "AWS::ElasticLoadBalancing::LoadBalancer"
    stacks, _ = diff_builds(build(ROOT, NETWORK, COMPUTE), build(ROOT, NETWORK, compute), "eu-west-1")
    compute_changes = stacks[2].resources
    assert [(r.verb, r.logical_id, r.scope) for r in compute_changes] == [
        ("replace", "TargetGroup", ("Type",)),
        ("modify", "Logs", ("DeletionPolicy", "Tags")),
    ]
    assert compute_changes[1].details == (
        Detail("Tags", ABSENT, [{"Key": "team", "Value": "a"}]),
        Detail("DeletionPolicy", ABSENT, "Retain", attribute="DeletionPolicy"),
    )


def test_a_nested_stack_that_appears_adds_all_of_its_resources() -> None:
    root = copy.deepcopy(ROOT)
    del root["Resources"]["NetworkStack"]
    root["Resources"]["ComputeStack"]["Properties"]["Parameters"]["VpcId"] = "vpc-0abc"
    stacks, _ = diff_builds(build(root, None, COMPUTE), build(ROOT, NETWORK, COMPUTE), "eu-west-1")
    assert [(s.key, s.title, s.status) for s in stacks] == [
        ("", "template.yaml (root)", "modified"),
        ("NetworkStack", "network.yaml (NetworkStack)", "added"),
        ("ComputeStack", "compute.yaml (ComputeStack)", "modified"),
    ]
    assert [(r.verb, r.logical_id) for r in stacks[0].resources] == [
        ("modify", "ComputeStack"),
        ("add", "NetworkStack"),
    ]
    assert [(r.verb, r.logical_id) for r in stacks[1].resources] == [("add", "Subnet"), ("add", "Vpc")]
    # ComputeStack's VpcId changes from a literal to another stack's output: Conditional for the target group
    assert rows(stacks)[-1] == (
        "ComputeStack",
        "replace?",
        "TargetGroup",
        [("VpcId", {"Ref": "VpcId"}, {"Ref": "VpcId"}, "Conditional", "parameter VpcId")],
    )
    removed, _ = diff_builds(build(ROOT, NETWORK, COMPUTE), build(root, None, COMPUTE), "eu-west-1")
    assert [(s.key, s.status, [r.verb for r in s.resources]) for s in removed][1:] == [
        ("ComputeStack", "modified", ["replace?"]),
        ("NetworkStack", "removed", ["remove", "remove"]),
    ]


def test_parameters_and_outputs_are_compared_field_by_field() -> None:
    network = copy.deepcopy(NETWORK)
    network["Parameters"]["VpcCidr"]["Default"] = "10.0.0.0/16"
    network["Outputs"]["VpcId"]["Export"] = {"Name": "acme-VpcId"}
    del network["Parameters"]["SubnetCidrs"]
    stacks, _ = diff_builds(build(ROOT, NETWORK, COMPUTE), build(ROOT, network, COMPUTE), "eu-west-1")
    network_changes = stacks[1]
    assert [
        (c.action, c.name, [(d.path, d.before, d.after) for d in c.details]) for c in network_changes.parameters
    ] == [
        ("remove", "SubnetCidrs", [("Type", "CommaDelimitedList", ABSENT)]),
        ("modify", "VpcCidr", [("Default", ABSENT, "10.0.0.0/16")]),
    ]
    assert [(c.action, c.name, [(d.path, d.after) for d in c.details]) for c in network_changes.outputs] == [
        ("modify", "VpcId", [("Export", {"Name": "acme-VpcId"})]),
    ]
