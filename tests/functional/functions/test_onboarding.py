"""onboarding admin API against moto: create, idempotent retries, show."""

from __future__ import annotations

import hashlib
import json
import re
from decimal import Decimal
from typing import Any

import pytest

NOW = 1_795_521_600  # the `clock` fixture: 2026-11-24T12:00:00Z
BODY = {
    "name": "Acme Retail",
    "plan": "basic",
    "description": "Retail storefront integration",
    "contact": "api-team@acme.example",
    "client_token": "acme-retail-0001",
}


def sha256(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


# -- create ---------------------------------------------------------------------------------------


def test_onboarding_creates_consumer_and_returns_its_key_once(expected_consumer, admin, platform):
    status, payload, headers = admin.call("POST", "/consumers", BODY)

    assert status == 201
    key = payload["api_key"]
    assert re.fullmatch(r"[A-Za-z0-9]{40}", key)
    consumer_id = payload["consumer"]["id"]
    assert re.fullmatch(r"c-[0-9a-f]{32}", consumer_id)
    [api_key] = platform.api_keys()
    assert payload == {
        "consumer": expected_consumer(consumer_id, api_key["id"], key),
        "api_key": key,
        "idempotent_replay": False,
    }
    assert headers["Location"] == f"/admin/consumers/{consumer_id}"


def test_onboarding_create_links_an_enabled_api_key_to_the_plans_usage_plan(admin, platform):
    _, payload = admin.create(BODY | {"plan": "premium"})

    [api_key] = platform.api_keys()
    assert (api_key["value"], api_key["enabled"], api_key["name"]) == (
        payload["api_key"],
        True,
        payload["consumer"]["id"],
    )
    assert platform.plan_key_ids("premium") == [api_key["id"]]
    assert platform.plan_key_ids("basic") == []


def test_onboarding_create_stores_the_key_hash_never_the_key(admin, platform):
    _, payload = admin.create(BODY | {"expires_at": "2030-01-31T00:00:00Z"})
    key, consumer_id = payload["api_key"], payload["consumer"]["id"]
    api_key_id = payload["consumer"]["api_key_id"]

    items = sorted(platform.items(), key=lambda item: item["pk"])
    assert items == [
        {
            "pk": f"consumer#{consumer_id}",
            "type": "consumer",
            "consumer_id": consumer_id,
            "name": "Acme Retail",
            "plan": "basic",
            "usage_plan_id": platform.usage_plans["basic"],
            "status": "active",
            "key_hash": sha256(key),
            "api_key_id": api_key_id,
            "created_at": Decimal(NOW),
            "description": "Retail storefront integration",
            "contact": "api-team@acme.example",
            "expires_at": Decimal(1896048000),
        },
        {
            "pk": f"key#{sha256(key)}",
            "type": "key",
            "key_hash": sha256(key),
            "consumer_id": consumer_id,
            "plan": "basic",
            "status": "active",
            "api_key_id": api_key_id,
            "created_at": Decimal(NOW),
            "expires_at": Decimal(1896048000),
        },
    ]
    assert key not in json.dumps(items, default=str)


def test_validator_allows_a_key_issued_by_onboarding(admin, authorize):
    _, payload = admin.create()
    assert authorize(payload["api_key"]) == "Allow"


# -- idempotency ----------------------------------------------------------------------------------


def test_onboarding_retry_with_the_same_client_token_returns_the_same_consumer(admin, platform):
    first_status, first = admin.create()
    retry_status, retry = admin.create()

    assert (first_status, retry_status) == (201, 200)
    assert retry == {
        "consumer": first["consumer"],
        "api_key": None,
        "idempotent_replay": True,
        "message": "already created with this client_token; the key is only shown once "
        "(rotate the consumer to get a new one)",
    }
    assert len(platform.api_keys()) == 1
    assert len(platform.items()) == 2
    [record] = platform.dynamodb.scan(TableName=platform.idempotency_table)["Items"]
    assert record["status"]["S"] == "COMPLETED"
    assert first["api_key"] not in json.dumps(record)  # the replayable response holds no key


def test_onboarding_retry_shows_the_consumer_as_it_is_now(admin):
    _, first = admin.create()
    consumer_id = first["consumer"]["id"]
    admin.call("DELETE", f"/consumers/{consumer_id}")

    status, retry = admin.create()

    assert (status, retry["consumer"]["status"], retry["consumer"]["id"]) == (200, "revoked", consumer_id)


def test_onboarding_rejects_a_reused_client_token_with_a_different_body(admin, platform):
    admin.create()
    status, payload = admin.create(BODY | {"name": "Someone Else"})

    assert status == 409
    assert payload == {
        "error": "conflict",
        "message": "client_token: already used with a different request body",
        "fields": ["client_token"],
    }
    assert len(platform.api_keys()) == 1


def test_onboarding_answers_409_to_a_duplicate_sent_while_the_first_is_in_flight(admin, platform):
    # The duplicate arrives while the first request is between "in progress" and "completed".
    duplicate: list[tuple[int, dict[str, Any]]] = []
    generate = admin.service.key_factory

    def key_factory() -> str:
        if not duplicate:
            duplicate.append(admin.create())
        return generate()

    admin.service.key_factory = key_factory
    status, _ = admin.create()

    assert status == 201
    assert duplicate == [
        (
            409,
            {
                "error": "conflict",
                "message": "client_token: a request with this token is still in progress; retry shortly",
                "fields": ["client_token"],
            },
        )
    ]
    assert len(platform.api_keys()) == 1


def test_onboarding_different_client_tokens_create_different_consumers(admin, platform):
    _, first = admin.create()
    _, second = admin.create(BODY | {"client_token": "acme-retail-0002"})

    assert first["consumer"]["id"] != second["consumer"]["id"]
    assert len(platform.api_keys()) == 2


# -- show -----------------------------------------------------------------------------------------


def test_onboarding_shows_a_consumer_without_its_key(admin):
    _, created = admin.create()
    consumer_id = created["consumer"]["id"]

    status, payload, _ = admin.call("GET", f"/consumers/{consumer_id}")

    assert (status, payload) == (200, {"consumer": created["consumer"]})


def test_onboarding_answers_404_for_an_unknown_consumer(admin):
    status, payload, _ = admin.call("GET", "/consumers/c-" + "0" * 32)
    assert (status, payload) == (
        404,
        {"error": "not_found", "message": f"id: consumer c-{'0' * 32} does not exist", "fields": ["id"]},
    )


def test_onboarding_rejects_a_malformed_consumer_id(admin):
    status, payload, _ = admin.call("GET", "/consumers/robert'); DROP TABLE")
    assert (status, payload) == (
        400,
        {
            "error": "bad_request",
            "message": "id: is not a consumer id (expected c- followed by 32 hex digits)",
            "fields": ["id"],
        },
    )


def test_onboarding_answers_404_for_an_unknown_route(admin):
    status, payload, _ = admin.call("GET", "/producers")
    assert (status, payload) == (404, {"error": "not_found", "message": "no such route"})


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("GET", "/consumers", "POST"),
        ("PUT", "/consumers/c-0f8fad5bd9cb469fa16570867728950e", "GET, DELETE"),
        ("GET", "/consumers/c-0f8fad5bd9cb469fa16570867728950e/rotate", "POST"),
    ],
)
def test_onboarding_answers_405_with_allow_for_an_unsupported_method(admin, method, path, allowed):
    status, payload, headers = admin.call(method, path)
    assert (status, headers["Allow"], payload) == (
        405,
        allowed,
        {"error": "method_not_allowed", "message": f"method: {method} is not allowed here (allowed: {allowed})"},
    )


@pytest.mark.filterwarnings("error")
def test_onboarding_answers_cors_preflight(platform, load_function, load_event, lambda_context):
    app = load_function("onboarding")
    event = load_event("onboarding_create_consumer.json")
    event["httpMethod"] = event["requestContext"]["httpMethod"] = "OPTIONS"
    event["headers"]["Origin"] = "https://portal.acme.example"
    event["multiValueHeaders"]["Origin"] = ["https://portal.acme.example"]
    event["body"] = None

    response = app.lambda_handler(event, lambda_context)

    headers = {name: values[-1] for name, values in response["multiValueHeaders"].items()}
    assert (response["statusCode"], headers["Access-Control-Allow-Origin"]) == (204, "*")
    assert "POST" in headers["Access-Control-Allow-Methods"]
    assert platform.api_keys() == []
