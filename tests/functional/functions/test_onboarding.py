"""onboarding admin API against moto: create, show, rotate, revoke, and what the validator then says."""

from __future__ import annotations

import copy
import hashlib
import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

SAMPLE = json.loads((Path(__file__).resolve().parents[2] / "events" / "onboarding_create_consumer.json").read_text())
AUTHORIZER_SAMPLE = json.loads(
    (Path(__file__).resolve().parents[2] / "events" / "api_key_validator_request.json").read_text()
)
NOW = 1_795_521_600  # the `clock` fixture: 2026-11-24T12:00:00Z
BODY = {
    "name": "Acme Retail",
    "plan": "basic",
    "description": "Retail storefront integration",
    "contact": "api-team@acme.example",
    "client_token": "acme-retail-0001",
}


def admin_event(method: str, path: str, body: Any = None) -> dict[str, Any]:
    event = copy.deepcopy(SAMPLE)
    event["httpMethod"] = method
    event["path"] = f"/admin{path}"
    event["pathParameters"] = {"proxy": path.lstrip("/")}
    event["requestContext"]["httpMethod"] = method
    event["requestContext"]["path"] = f"/dev/admin{path}"
    event["body"] = body if body is None or isinstance(body, str) else json.dumps(body)
    return event


class Admin:
    def __init__(self, app: Any, context: Any) -> None:
        self.app = app
        self.context = context

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, dict[str, Any], dict[str, str]]:
        response = self.app.lambda_handler(admin_event(method, path, body), self.context)
        # REST proxy responses from Powertools carry headers as multiValueHeaders.
        headers = {name: values[-1] for name, values in (response.get("multiValueHeaders") or {}).items()}
        return response["statusCode"], json.loads(response["body"]), headers

    def create(self, body: dict[str, Any] | None = None) -> tuple[int, dict[str, Any]]:
        status, payload, _ = self.call("POST", "/consumers", BODY if body is None else body)
        return status, payload

    @property
    def service(self) -> Any:
        return self.app.get_service()


@pytest.fixture()
def admin(platform, load_function, lambda_context, clock) -> Admin:
    app = load_function("onboarding")
    app.set_service(app.ConsumerService(app.Settings.from_env(), clock=clock))
    return Admin(app, lambda_context)


@pytest.fixture()
def authorize(platform, load_function, lambda_context):
    """A fresh validator per call (empty cache), so each answer reflects the table now."""

    def check(key: str) -> str:
        validator = load_function("api_key_validator")
        event = copy.deepcopy(AUTHORIZER_SAMPLE)
        event["headers"]["x-api-key"] = key
        response = validator.lambda_handler(event, lambda_context)
        return response["policyDocument"]["Statement"][0]["Effect"]

    return check


def sha256(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def expected_consumer(consumer_id: str, api_key_id: str, key: str, **changes: Any) -> dict[str, Any]:
    consumer = {
        "id": consumer_id,
        "name": "Acme Retail",
        "plan": "basic",
        "status": "active",
        "description": "Retail storefront integration",
        "contact": "api-team@acme.example",
        "expires_at": None,
        "created_at": "2026-11-24T12:00:00Z",
        "rotated_at": None,
        "revoked_at": None,
        "api_key_id": api_key_id,
        "key_fingerprint": sha256(key)[:12],
    }
    consumer.update(changes)
    return consumer


# -- create ---------------------------------------------------------------------------------------


def test_onboarding_creates_consumer_and_returns_its_key_once(admin, platform):
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
    status, payload, _ = admin.call("GET", "/consumers")
    assert (status, payload) == (404, {"error": "not_found", "message": "no such route"})


# -- rotate ---------------------------------------------------------------------------------------


def test_onboarding_rotation_issues_a_new_key_and_revokes_the_old_one(admin, platform, authorize, clock):
    _, created = admin.create()
    old_key, consumer_id = created["api_key"], created["consumer"]["id"]
    old_key_id = created["consumer"]["api_key_id"]
    clock.advance(3600)

    status, payload, _ = admin.call("POST", f"/consumers/{consumer_id}/rotate")

    assert status == 200
    new_key = payload["api_key"]
    [api_key] = platform.api_keys()
    assert payload == {
        "consumer": expected_consumer(consumer_id, api_key["id"], new_key, rotated_at="2026-11-24T13:00:00Z"),
        "api_key": new_key,
    }
    assert (api_key["value"], api_key["id"] != old_key_id) == (new_key, True)
    assert platform.plan_key_ids("basic") == [api_key["id"]]
    assert sorted(item["pk"] for item in platform.items()) == [f"consumer#{consumer_id}", f"key#{sha256(new_key)}"]
    assert (authorize(old_key), authorize(new_key)) == ("Deny", "Allow")


def test_onboarding_rotation_keeps_the_old_key_when_storing_the_new_one_fails(admin, platform, authorize):
    _, created = admin.create()
    consumer_id = created["consumer"]["id"]
    fail_next("dynamodb", "TransactWriteItems", admin.service)

    status, payload, _ = admin.call("POST", f"/consumers/{consumer_id}/rotate")

    assert (status, payload["error"]) == (502, "upstream_failure")
    assert payload["message"] == "storing the new key failed (InternalServerError); key unchanged"
    assert [key["id"] for key in platform.api_keys()] == [created["consumer"]["api_key_id"]]
    assert authorize(created["api_key"]) == "Allow"


def test_onboarding_rotation_of_a_revoked_consumer_is_a_conflict(admin):
    _, created = admin.create()
    consumer_id = created["consumer"]["id"]
    admin.call("DELETE", f"/consumers/{consumer_id}")

    status, payload, _ = admin.call("POST", f"/consumers/{consumer_id}/rotate")

    assert (status, payload) == (
        409,
        {
            "error": "conflict",
            "message": f"id: consumer {consumer_id} is revoked; only active consumers can rotate",
            "fields": ["id"],
        },
    )


def test_onboarding_rotation_rejects_a_body_with_fields(admin):
    _, created = admin.create()
    status, payload, _ = admin.call("POST", f"/consumers/{created['consumer']['id']}/rotate", {"force": True})
    assert (status, payload) == (
        400,
        {"error": "bad_request", "message": "force: unknown field", "fields": ["force"]},
    )


# -- revoke ---------------------------------------------------------------------------------------


def test_onboarding_revocation_denies_the_key_unlinks_and_disables_it(admin, platform, authorize, clock):
    _, created = admin.create()
    key, consumer_id = created["api_key"], created["consumer"]["id"]
    clock.advance(60)

    status, payload, _ = admin.call("DELETE", f"/consumers/{consumer_id}")

    assert (status, payload) == (
        200,
        {"consumer": created["consumer"] | {"status": "revoked", "revoked_at": "2026-11-24T12:01:00Z"}},
    )
    [api_key] = platform.api_keys()
    assert api_key["enabled"] is False
    assert platform.plan_key_ids("basic") == []
    assert [item["pk"] for item in platform.items()] == [f"consumer#{consumer_id}"]
    assert authorize(key) == "Deny"


def test_onboarding_revocation_can_be_repeated(admin):
    _, created = admin.create()
    consumer_id = created["consumer"]["id"]
    first = admin.call("DELETE", f"/consumers/{consumer_id}")
    second = admin.call("DELETE", f"/consumers/{consumer_id}")
    assert (first[0], second[0], second[1]) == (200, 200, first[1])


def test_onboarding_revocation_retry_finishes_a_failed_api_key_clean_up(admin, platform, authorize):
    _, created = admin.create()
    consumer_id = created["consumer"]["id"]
    fail_next("apigateway", "DeleteUsagePlanKey", admin.service)

    status, payload, _ = admin.call("DELETE", f"/consumers/{consumer_id}")
    assert (status, payload["message"]) == (
        502,
        "consumer revoked, but disabling its API key failed (InternalServerError); retry the DELETE",
    )
    assert authorize(created["api_key"]) == "Deny"  # revoked in the table before API Gateway is touched
    assert platform.plan_key_ids("basic") == [created["consumer"]["api_key_id"]]

    status, _, _ = admin.call("DELETE", f"/consumers/{consumer_id}")
    assert (status, platform.plan_key_ids("basic"), platform.api_keys()[0]["enabled"]) == (200, [], False)


# -- partial failures leave no orphans ------------------------------------------------------------


def fail_next(
    service: str, operation: str, consumer_service: Any, code: str = "InternalServerError", times: int = 1
) -> None:
    """Make the next `times` calls of `operation` on the function's own client fail (a botocore event hook)."""
    client = consumer_service.clients.get(service)
    remaining = {"failures": times}

    def fail(**kwargs: Any) -> None:
        if remaining["failures"] > 0:
            remaining["failures"] -= 1
            raise ClientError({"Error": {"Code": code, "Message": "injected"}}, operation)

    client.meta.events.register(f"before-call.{client.meta.service_model.service_name}.{operation}", fail)


def test_onboarding_leaves_nothing_behind_when_the_usage_plan_link_fails(admin, platform):
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


def test_onboarding_retry_succeeds_after_the_usage_plan_link_failed(admin, platform):
    fail_next("apigateway", "CreateUsagePlanKey", admin.service)
    failed_status, _ = admin.create()
    assert (failed_status, platform.api_keys(), platform.items()) == (502, [], [])

    status, payload = admin.create()  # same client_token: the failed attempt left no idempotency record

    [api_key] = platform.api_keys()
    assert (status, payload["api_key"], api_key["value"]) == (201, api_key["value"], api_key["value"])
    assert platform.plan_key_ids("basic") == [api_key["id"]]


def test_onboarding_leaves_nothing_behind_when_the_table_write_fails(admin, platform):
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


def test_onboarding_is_unavailable_when_misconfigured(platform, load_function, lambda_context, monkeypatch):
    monkeypatch.delenv("IDEMPOTENCY_TABLE_NAME")
    app = load_function("onboarding")
    response = app.lambda_handler(admin_event("POST", "/consumers", BODY), lambda_context)
    assert (response["statusCode"], json.loads(response["body"])) == (
        503,
        {"error": "service_unavailable", "message": "onboarding is misconfigured"},
    )
