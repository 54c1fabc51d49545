"""Hostile input for the authorizer: a corpus of malformed events and Hypothesis properties.
None may raise; none may Allow unless it is a well-formed REQUEST event carrying a valid key."""

from __future__ import annotations

import copy
import hashlib
import json
import re
from pathlib import Path
from typing import Any

import boto3
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

CONSUMERS_TABLE = "platform-dev-consumers"
KEY = "Zq7RkD2mVw9XcT4bLp8NsY3fHj6GaE1uKo5iMr0Q"
SAMPLE = json.loads((Path(__file__).resolve().parents[2] / "events" / "api_key_validator_request.json").read_text())
VALID_ARN = re.compile(r"^arn:aws:execute-api:[a-z]{2}(-[a-z]+)+-\d:\d{12}:[a-z0-9]+/[A-Za-z0-9_\-]+/\*/\*$")
HYPOTHESIS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def valid_event() -> dict[str, Any]:
    event = copy.deepcopy(SAMPLE)
    event["headers"]["x-api-key"] = KEY
    return event


def statements(response: dict[str, Any]) -> list[dict[str, Any]]:
    return response["policyDocument"]["Statement"]


def assert_denied(response: dict[str, Any]) -> None:
    assert [statement["Effect"] for statement in statements(response)] == ["Deny"]
    assert "usageIdentifierKey" not in response
    assert "context" not in response
    assert response["principalId"] == "anonymous"


@pytest.fixture()
def validator(platform, load_function):
    key_hash = hashlib.sha256(KEY.encode()).hexdigest()
    boto3.client("dynamodb").put_item(
        TableName=CONSUMERS_TABLE,
        Item={
            "pk": {"S": f"key#{key_hash}"},
            "key_hash": {"S": key_hash},
            "consumer_id": {"S": "c-1"},
            "plan": {"S": "basic"},
            "status": {"S": "active"},
        },
    )
    return load_function("api_key_validator")


def with_(path: str, value: Any) -> dict[str, Any]:
    """The valid event with one field (dotted path) replaced, or removed when value is ..."""
    event = valid_event()
    *parents, leaf = path.split(".")
    target = event
    for part in parents:
        target = target[part]
    if value is ...:
        target.pop(leaf, None)
    else:
        target[leaf] = value
    return event


ARN = "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5"
MALFORMED: dict[str, Any] = {
    "empty object": {},
    "list": [],
    "string": "x-api-key: " + KEY,
    "number": 42,
    "null": None,
    "token authorizer event": {"type": "TOKEN", "authorizationToken": KEY, "methodArn": f"{ARN}/dev/GET/x"},
    "lowercase type": with_("type", "request"),
    "no type": with_("type", ...),
    "no methodArn": with_("methodArn", ...),
    "methodArn null": with_("methodArn", None),
    "methodArn number": with_("methodArn", 12),
    "methodArn empty": with_("methodArn", ""),
    "methodArn all wildcards": with_("methodArn", "arn:aws:execute-api:*:*:*/*/*/*"),
    "methodArn wildcard api": with_("methodArn", "arn:aws:execute-api:eu-west-1:123456789012:*/dev/GET/x"),
    "methodArn wildcard stage": with_("methodArn", f"{ARN}/*/GET/x"),
    "methodArn wildcard region": with_("methodArn", "arn:aws:execute-api:*:123456789012:a1b2c3d4e5/dev/GET/x"),
    "methodArn wildcard in path": with_("methodArn", f"{ARN}/dev/GET/*"),
    "methodArn without stage": with_("methodArn", ARN),
    "methodArn short account": with_("methodArn", "arn:aws:execute-api:eu-west-1:1234:a1b2c3d4e5/dev/GET/x"),
    "methodArn other service": with_("methodArn", "arn:aws:lambda:eu-west-1:123456789012:function:f"),
    "methodArn newline": with_("methodArn", f"{ARN}/dev/GET/x\n{ARN}/prod/GET/x"),
    "methodArn huge": with_("methodArn", f"{ARN}/dev/GET/" + "a" * 10_000),
    "headers null": with_("headers", None),
    "headers list": with_("headers", ["x-api-key", KEY]),
    "headers string": with_("headers", f"x-api-key={KEY}"),
    "key is a list": with_("headers", {"x-api-key": [KEY]}),
    "key is a number": with_("headers", {"x-api-key": 12345678901234567890123}),
    "key is an object": with_("headers", {"x-api-key": {"value": KEY}}),
    "key empty": with_("headers", {"x-api-key": ""}),
    "key with spaces": with_("headers", {"x-api-key": f" {KEY} "}),
    "key with null byte": with_("headers", {"x-api-key": KEY + "\x00"}),
    "key too short": with_("headers", {"x-api-key": KEY[:19]}),
    "key huge": with_("headers", {"x-api-key": KEY * 1000}),
    "key non-ascii": with_("headers", {"x-api-key": KEY[:-1] + "é"}),
    "key in query string only": with_("headers", {"Accept": "*/*"}) | {"queryStringParameters": {"x-api-key": KEY}},
    "requestContext string": with_("headers", {"Accept": "*/*"}) | {"requestContext": "oops"},
}


@pytest.mark.parametrize("event", list(MALFORMED.values()), ids=list(MALFORMED))
def test_validator_denies_every_malformed_event(validator, lambda_context, event):
    assert_denied(validator.lambda_handler(event, lambda_context))


def test_validator_corpus_control_event_is_allowed(validator, lambda_context):
    # The corpus is only meaningful if the unmodified event is allowed.
    response = validator.lambda_handler(valid_event(), lambda_context)
    assert [statement["Effect"] for statement in statements(response)] == ["Allow"]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=20,
)


@HYPOTHESIS
@given(event=json_values)
def test_validator_denies_arbitrary_json(validator, lambda_context, event):
    assert_denied(validator.lambda_handler(event, lambda_context))


@HYPOTHESIS
@given(
    field=st.sampled_from(["type", "methodArn", "headers", "requestContext", "httpMethod"]),
    value=json_values,
)
def test_validator_allows_only_when_the_mutated_event_is_still_valid(validator, lambda_context, field, value):
    event = valid_event()
    event[field] = value
    response = validator.lambda_handler(event, lambda_context)
    effects = [statement["Effect"] for statement in statements(response)]
    still_valid = (
        event["type"] == "REQUEST"
        and event["methodArn"] == SAMPLE["methodArn"]
        and isinstance(event["headers"], dict)
        and any(name.lower() == "x-api-key" and val == KEY for name, val in event["headers"].items())
    )
    assert effects == (["Allow"] if still_valid else ["Deny"])


@HYPOTHESIS
@given(method_arn=st.text(max_size=120) | st.from_regex(r"arn:aws:execute-api:[a-z0-9*\-]+:[0-9*]+:.+", fullmatch=True))
def test_validator_never_allows_beyond_one_stage(validator, lambda_context, method_arn):
    event = valid_event()
    event["methodArn"] = method_arn
    response = validator.lambda_handler(event, lambda_context)
    for statement in statements(response):
        if statement["Effect"] == "Allow":
            assert [VALID_ARN.match(resource) is not None for resource in statement["Resource"]] == [True]
            assert response["usageIdentifierKey"] == KEY


@HYPOTHESIS
@given(key=st.text(max_size=300).filter(lambda text: text != KEY))
def test_validator_denies_any_other_key(validator, lambda_context, key):
    event = valid_event()
    event["headers"]["x-api-key"] = key
    assert_denied(validator.lambda_handler(event, lambda_context))
