"""Every bad request body gets a 400 whose message names the field, and nothing is created."""

from __future__ import annotations

import base64
import copy
import json
from pathlib import Path
from typing import Any

import pytest

SAMPLE = json.loads((Path(__file__).resolve().parents[2] / "events" / "onboarding_create_consumer.json").read_text())
VALID = {"name": "Acme Retail", "plan": "basic", "client_token": "acme-retail-0001"}
ISO_HINT = "must be an ISO 8601 date-time with a timezone, e.g. 2030-01-31T00:00:00Z"


def without(field: str) -> dict[str, Any]:
    return {name: value for name, value in VALID.items() if name != field}


BAD_BODIES: list[tuple[str, Any, str, list[str]]] = [
    ("unknown field", VALID | {"colour": "red"}, "colour: unknown field", ["colour"]),
    (
        "unknown plan",
        VALID | {"plan": "gold"},
        "plan: unknown plan 'gold' (expected one of: basic, premium)",
        ["plan"],
    ),
    (
        "plan with odd characters",
        VALID | {"plan": "basic; DROP"},
        "plan: must contain only letters, digits, '.', '_' or '-'",
        ["plan"],
    ),
    ("missing name", without("name"), "name: field required", ["name"]),
    ("blank name", VALID | {"name": "   "}, "name: must not be empty", ["name"]),
    ("name too long", VALID | {"name": "a" * 65}, "name: must be at most 64 characters", ["name"]),
    ("name not a string", VALID | {"name": 42}, "name: must be a string", ["name"]),
    ("name null", VALID | {"name": None}, "name: must be a string", ["name"]),
    (
        "name with markup",
        VALID | {"name": "<script>"},
        "name: must start with a letter or digit and contain only letters, digits, spaces, '.', '_' or '-'",
        ["name"],
    ),
    (
        "description too long",
        VALID | {"description": "d" * 513},
        "description: must be at most 512 characters",
        ["description"],
    ),
    ("contact not an email", VALID | {"contact": "call me"}, "contact: must be an email address", ["contact"]),
    ("missing client_token", without("client_token"), "client_token: field required", ["client_token"]),
    (
        "short client_token",
        VALID | {"client_token": "abc"},
        "client_token: must be at least 8 characters",
        ["client_token"],
    ),
    (
        "client_token with spaces",
        VALID | {"client_token": "not a token"},
        "client_token: must contain only letters, digits, '_' or '-'",
        ["client_token"],
    ),
    (
        "expiry in the past",
        VALID | {"expires_at": "2001-01-01T00:00:00Z"},
        "expires_at: must be in the future",
        ["expires_at"],
    ),
    (
        "expiry without timezone",
        VALID | {"expires_at": "2031-01-01T00:00:00"},
        f"expires_at: {ISO_HINT}",
        ["expires_at"],
    ),
    ("expiry not a date", VALID | {"expires_at": "next tuesday"}, f"expires_at: {ISO_HINT}", ["expires_at"]),
    # Epoch seconds (the year 2100) are not ISO 8601, as a number or as a string.
    ("expiry as a number", VALID | {"expires_at": 4102444800}, f"expires_at: {ISO_HINT}", ["expires_at"]),
    ("expiry as a numeric string", VALID | {"expires_at": "4102444800"}, f"expires_at: {ISO_HINT}", ["expires_at"]),
    ("expiry as a date only", VALID | {"expires_at": "2100-01-01"}, f"expires_at: {ISO_HINT}", ["expires_at"]),
    (
        "several problems",
        {"plan": "basic", "extra": 1},
        "name: field required; client_token: field required; extra: unknown field",
        ["name", "client_token", "extra"],
    ),
    ("not JSON", "name=Acme", "body: is not valid JSON", ["body"]),
    ("JSON array", "[]", "body: must be a JSON object", ["body"]),
    ("JSON string", '"Acme"', "body: must be a JSON object", ["body"]),
    ("empty body", "", "body: a JSON object is required", ["body"]),
    ("no body", None, "body: a JSON object is required", ["body"]),
    ("oversized body", VALID | {"description": "d" * 5000}, "body: must be at most 4096 bytes", ["body"]),
    # Small enough for the size limit, deep enough for json's recursion limit.
    ("deeply nested JSON", "[" * 2040 + "]" * 2040, "body: JSON is nested too deeply", ["body"]),
]


@pytest.fixture()
def onboarding(platform, load_function):
    return load_function("onboarding")


@pytest.mark.parametrize(
    ("body", "message", "fields"),
    [case[1:] for case in BAD_BODIES],
    ids=[case[0] for case in BAD_BODIES],
)
def test_onboarding_rejects_bad_body_naming_the_field(onboarding, platform, lambda_context, body, message, fields):
    event = copy.deepcopy(SAMPLE)
    event["body"] = body if body is None or isinstance(body, str) else json.dumps(body)

    response = onboarding.lambda_handler(event, lambda_context)

    assert (response["statusCode"], json.loads(response["body"])) == (
        400,
        {"error": "bad_request", "message": message, "fields": fields},
    )
    assert platform.api_keys() == []
    assert platform.items() == []


def test_onboarding_accepts_the_sample_event(onboarding, platform, lambda_context):
    # The control case: the sample event users invoke with `sam local invoke` is itself valid.
    response = onboarding.lambda_handler(copy.deepcopy(SAMPLE), lambda_context)
    assert response["statusCode"] == 201
    assert len(platform.api_keys()) == 1


@pytest.mark.parametrize(
    "body",
    ["!!! not base64 !!!", "QUJDRA", "/w=="],
    ids=["not base64", "bad padding", "not UTF-8 once decoded"],
)
def test_onboarding_rejects_a_garbage_base64_body(onboarding, platform, lambda_context, body):
    # API Gateway base64-encodes the bodies of binary media types (isBase64Encoded: true).
    event = copy.deepcopy(SAMPLE)
    event["body"], event["isBase64Encoded"] = body, True

    response = onboarding.lambda_handler(event, lambda_context)

    assert (response["statusCode"], json.loads(response["body"])) == (
        400,
        {"error": "bad_request", "message": "body: is not valid base64-encoded UTF-8", "fields": ["body"]},
    )
    assert (platform.api_keys(), platform.items()) == ([], [])


def test_onboarding_accepts_a_base64_encoded_body(onboarding, platform, lambda_context):
    event = copy.deepcopy(SAMPLE)
    event["body"], event["isBase64Encoded"] = base64.b64encode(SAMPLE["body"].encode()).decode(), True

    response = onboarding.lambda_handler(event, lambda_context)

    assert response["statusCode"] == 201
