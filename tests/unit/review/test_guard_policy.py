"""The stack policy, checked against CloudFormation's documented stack policy format ("Prevent updates to
stack resources" in the CloudFormation User Guide): a JSON object with one `Statement` list; each
statement has `Effect`, `Action` or `NotAction` (Update:Modify, Update:Replace, Update:Delete, Update:*),
`Principal` (only "*"), `Resource` or `NotResource` ("*" or LogicalResourceId/...), and an optional
`Condition` on `ResourceType` with StringEquals or StringLike."""

from __future__ import annotations

import json
from typing import Any

import botocore.session
import jsonschema
import pytest

from template_gen.errors import UsageError
from template_gen.guard import STATEFUL, policy_body, stack_policy
from template_gen.guard.policy import POLICY_BODY_MAX, protected_types

_ACTION = {"enum": ["Update:Modify", "Update:Replace", "Update:Delete", "Update:*"]}
_ACTIONS = {"oneOf": [_ACTION, {"type": "array", "items": _ACTION, "minItems": 1}]}
_RESOURCE = {"type": "string", "pattern": r"^(\*|LogicalResourceId/[A-Za-z0-9*?]+)$"}
_RESOURCES = {"oneOf": [_RESOURCE, {"type": "array", "items": _RESOURCE, "minItems": 1}]}
_TYPES = {"type": "array", "items": {"type": "string", "pattern": r"^[A-Za-z0-9]+::[A-Za-z0-9]+::[A-Za-z0-9*]+$"}}
_CONDITION = {
    "type": "object",
    "minProperties": 1,
    "additionalProperties": False,
    "patternProperties": {
        "^(StringEquals|StringLike)$": {
            "type": "object",
            "additionalProperties": False,
            "required": ["ResourceType"],
            "properties": {"ResourceType": _TYPES},
        }
    },
}
STACK_POLICY_FORMAT: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["Statement"],
    "properties": {
        "Statement": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["Effect", "Principal"],
                "properties": {
                    "Effect": {"enum": ["Allow", "Deny"]},
                    "Action": _ACTIONS,
                    "NotAction": _ACTIONS,
                    "Principal": {"const": "*"},
                    "Resource": _RESOURCES,
                    "NotResource": _RESOURCES,
                    "Condition": _CONDITION,
                },
                "oneOf": [{"required": ["Action"]}, {"required": ["NotAction"]}],
                "allOf": [{"oneOf": [{"required": ["Resource"]}, {"required": ["NotResource"]}]}],
            },
        }
    },
}


def test_the_standing_policy_has_the_documented_format() -> None:
    jsonschema.validate(json.loads(policy_body()), STACK_POLICY_FORMAT)


def test_the_override_for_one_update_has_the_documented_format() -> None:
    jsonschema.validate(json.loads(policy_body(["QuotingLogGroup", "ConsumersTable"])), STACK_POLICY_FORMAT)


def test_the_format_check_can_fail() -> None:
    bad = stack_policy()
    bad["Statement"][1]["Principal"] = {"AWS": "arn:aws:iam::123456789012:root"}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, STACK_POLICY_FORMAT)


def test_the_policy_allows_updates_and_denies_replacing_or_deleting_the_stateful_types() -> None:
    assert stack_policy() == {
        "Statement": [
            {"Effect": "Allow", "Action": "Update:*", "Principal": "*", "Resource": "*"},
            {
                "Effect": "Deny",
                "Action": ["Update:Replace", "Update:Delete"],
                "Principal": "*",
                "Resource": "*",
                "Condition": {
                    "StringEquals": {
                        "ResourceType": [
                            "AWS::DynamoDB::Table",
                            "AWS::ECR::Repository",
                            "AWS::EFS::FileSystem",
                            "AWS::Logs::LogGroup",
                            "AWS::S3::Bucket",
                            "AWS::SQS::Queue",
                            "AWS::SecretsManager::Secret",
                            "AWS::ServiceDiscovery::HttpNamespace",
                            "AWS::ServiceDiscovery::PrivateDnsNamespace",
                        ]
                    }
                },
            },
        ]
    }
    # Every stateful type a deployed stack can hold: the SAM ones are transformed before a policy applies.
    assert set(protected_types()) == {t for t in STATEFUL if not t.startswith("AWS::Serverless::")}


def test_the_override_leaves_out_exactly_the_allowed_logical_ids() -> None:
    deny = stack_policy(["QuotingLogGroup", "ConsumersTable", "QuotingLogGroup"])["Statement"][1]
    assert "Resource" not in deny
    assert deny["NotResource"] == ["LogicalResourceId/ConsumersTable", "LogicalResourceId/QuotingLogGroup"]


def test_the_policy_fits_the_api_limit_and_an_oversized_override_is_refused() -> None:
    model = botocore.session.get_session().get_service_model("cloudformation")
    limit = model.operation_model("SetStackPolicy").input_shape.members["StackPolicyBody"].metadata["max"]
    assert limit == POLICY_BODY_MAX
    assert (
        model.operation_model("UpdateStack").input_shape.members["StackPolicyDuringUpdateBody"].metadata["max"] == limit
    )
    assert len(policy_body().encode()) < limit
    with pytest.raises(UsageError, match="allow fewer --allow-data-loss ids in one update"):
        policy_body([f"Resource{i:04d}" for i in range(500)])
