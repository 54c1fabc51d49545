"""onboarding: a failure half-way leaves no orphan, and retries finish the job."""

from __future__ import annotations

import hashlib
import json

import pytest


def sha256(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


# -- partial failures leave no orphans ------------------------------------------------------------


def test_onboarding_leaves_nothing_behind_when_the_usage_plan_link_fails(fail_next, admin, platform):
    # As API Gateway answers when the parameter names a usage plan that was deleted.
    fail_next("apigateway", "CreateUsagePlanKey", admin.service, code="NotFoundException", times=10)

    status, payload = admin.create()

    assert (status, payload) == (
        502,
        {
            "error": "upstream_failure",
            "message": "creating the API key failed (NotFoundException); nothing was created",
        },
    )
    assert platform.api_keys() == []
    assert platform.items() == []


def test_onboarding_retry_succeeds_after_the_usage_plan_link_failed(fail_next, admin, platform):
    fail_next("apigateway", "CreateUsagePlanKey", admin.service)
    failed_status, _ = admin.create()
    assert (failed_status, platform.api_keys(), platform.items()) == (502, [], [])

    status, payload = admin.create()  # same client_token: the failed attempt left no idempotency record

    [api_key] = platform.api_keys()
    assert (status, payload["api_key"], api_key["value"]) == (201, api_key["value"], api_key["value"])
    assert platform.plan_key_ids("basic") == [api_key["id"]]


def test_onboarding_leaves_nothing_behind_when_the_table_write_fails(fail_next, admin, platform):
    fail_next("dynamodb", "TransactWriteItems", admin.service)

    status, payload = admin.create()

    assert (status, payload) == (
        502,
        {
            "error": "upstream_failure",
            "message": "storing the consumer failed (InternalServerError); nothing was created",
        },
    )
    assert (platform.api_keys(), platform.plan_key_ids("basic"), platform.items()) == ([], [], [])
    assert admin.create()[0] == 201


def test_onboarding_is_unavailable_when_the_plans_parameter_is_missing(admin, platform):
    platform.ssm.delete_parameter(Name=platform.usage_plans_parameter)
    status, payload = admin.create()
    assert (status, payload) == (
        503,
        {"error": "service_unavailable", "message": "usage plans are unavailable; try again later"},
    )
    assert platform.api_keys() == []


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("not json", "usage plans are unavailable; try again later"),
        ('["basic"]', "usage plans are misconfigured"),
        ('{"basic": 42}', "usage plans are misconfigured"),
    ],
    ids=["not JSON", "a list", "ids not strings"],
)
def test_onboarding_is_unavailable_when_the_plans_parameter_is_malformed(admin, platform, value, message):
    platform.ssm.put_parameter(Name=platform.usage_plans_parameter, Type="String", Overwrite=True, Value=value)
    status, payload = admin.create()
    assert (status, payload) == (503, {"error": "service_unavailable", "message": message})
    assert platform.api_keys() == []


def test_onboarding_is_unavailable_when_misconfigured(platform, load_function, load_event, lambda_context, monkeypatch):
    monkeypatch.delenv("IDEMPOTENCY_TABLE_NAME")
    app = load_function("onboarding")
    response = app.lambda_handler(load_event("onboarding_create_consumer.json"), lambda_context)
    assert (response["statusCode"], json.loads(response["body"])) == (
        503,
        {"error": "service_unavailable", "message": "onboarding is misconfigured"},
    )


def test_onboarding_returns_the_key_when_only_the_idempotency_success_record_fails(fail_next, admin, platform):
    # The consumer is created; saving the idempotency record's success state (UpdateItem) fails.
    # The key is shown only once, so the caller must still get it.
    fail_next("dynamodb", "UpdateItem", admin.service)

    status, payload = admin.create()

    [api_key] = platform.api_keys()
    consumer_id = payload["consumer"]["id"]
    assert (status, payload["api_key"], payload["idempotent_replay"]) == (201, api_key["value"], False)
    assert sorted(item["pk"] for item in platform.items()) == [
        f"consumer#{consumer_id}",
        f"key#{sha256(api_key['value'])}",
    ]
