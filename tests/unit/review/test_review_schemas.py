"""Replacement predicted from the create-only properties in cfn-lint's resource schemas."""

from __future__ import annotations

from typing import Any

import pytest

from template_gen.review.model import ABSENT
from template_gen.review.schemas import replacement
from template_gen.review.values import Keyed, Path

REGION = "eu-west-1"


@pytest.mark.parametrize(
    ("resource_type", "path", "before", "after", "expected"),
    [
        # createOnlyProperties: a new value means a new resource
        ("AWS::ElasticLoadBalancingV2::TargetGroup", ("Port",), 8080, 9090, "True"),
        ("AWS::Logs::LogGroup", ("LogGroupName",), "/a", "/b", "True"),
        ("AWS::Logs::LogGroup", ("LogGroupName",), ABSENT, "/b", "True"),
        # ... and an updatable property does not
        ("AWS::Logs::LogGroup", ("RetentionInDays",), 14, 30, "False"),
        ("AWS::ECS::Service", ("DesiredCount",), 1, 2, "False"),
        # below a create-only property, by list item name or index
        ("AWS::ECS::TaskDefinition", ("ContainerDefinitions", Keyed("Name", "app"), "Image"), "a:1", "a:2", "True"),
        ("AWS::MSK::Replicator", ("ReplicationInfoList", 0, "TargetCompressionType"), "GZIP", "LZ4", "True"),
        (
            "AWS::MSK::Replicator",
            ("ReplicationInfoList", 0, "TopicReplication", "TopicsToReplicate"),
            [],
            ["a"],
            "False",
        ),
        # a whole object swapped: replaced only when the create-only value inside differs
        (
            "AWS::MSK::Replicator",
            ("ReplicationInfoList",),
            [{"TargetCompressionType": "GZIP", "X": 1}],
            [{"TargetCompressionType": "GZIP", "X": 2}],
            "False",
        ),
        (
            "AWS::MSK::Replicator",
            ("ReplicationInfoList",),
            [{"TargetCompressionType": "GZIP"}],
            [{"TargetCompressionType": "LZ4"}],
            "True",
        ),
        # conditionalCreateOnlyProperties
        (
            "AWS::DynamoDB::Table",
            ("KeySchema",),
            [{"AttributeName": "pk", "KeyType": "HASH"}],
            [{"AttributeName": "id", "KeyType": "HASH"}],
            "Conditional",
        ),
        # an unresolved intrinsic on either side can only be Conditional
        ("AWS::ElasticLoadBalancingV2::TargetGroup", ("VpcId",), {"Ref": "VpcA"}, {"Ref": "VpcB"}, "Conditional"),
        (
            "AWS::ECS::TaskDefinition",
            ("ContainerDefinitions", 0, "Image"),
            {"Fn::Sub": "${Repo}:1"},
            {"Fn::Sub": "${Repo}:2"},
            "Conditional",
        ),
        # SAM resources answer through the resource the transform makes
        ("AWS::Serverless::LayerVersion", ("ContentUri",), "catalog", "catalog2", "True"),
        ("AWS::Serverless::Function", ("FunctionName",), "a", "b", "True"),
        ("AWS::Serverless::Function", ("CodeUri",), "../a", "../b", "False"),
        ("AWS::Serverless::Function", ("Events",), {}, {"Api": {}}, "False"),
        # nested stacks are updated, never replaced
        ("AWS::CloudFormation::Stack", ("Parameters", "VpcId"), "a", "b", "False"),
        # no schema: cannot tell
        ("AWS::Nope::Nothing", ("Anything",), 1, 2, "Conditional"),
    ],
)
def test_replacement_follows_the_schema(resource_type: str, path: Path, before: Any, after: Any, expected: str) -> None:
    assert replacement(resource_type, REGION, path, before, after) == expected
