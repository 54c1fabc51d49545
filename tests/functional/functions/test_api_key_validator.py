"""api_key_validator against a moto consumers table: allow/deny, cache, revocation, errors."""

from __future__ import annotations

import copy
import hashlib
import json
import logging
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError, ReadTimeoutError

CONSUMERS_TABLE = "platform-dev-consumers"  # as created by the `platform` fixture
KEY = "Zq7RkD2mVw9XcT4bLp8NsY3fHj6GaE1uKo5iMr0Q"  # 40 characters, like the onboarding function issues
METHOD_ARN = "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/dev/GET/quoting/quotes"
STAGE_WIDE = "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/dev/*/*"
DENY_STAGE = {
    "principalId": "anonymous",
    "policyDocument": {
        "Version": "2012-10-17",
        "Statement": [{"Action": "execute-api:Invoke", "Effect": "Deny", "Resource": [STAGE_WIDE]}],
    },
}


def allow(consumer_id: str = "c-1", plan: str = "basic", key: str = KEY) -> dict[str, Any]:
    return {
        "principalId": consumer_id,
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": [STAGE_WIDE]}],
        },
        "usageIdentifierKey": key,
        "context": {"consumer_id": consumer_id, "plan": plan},
    }


def put_key(
    key: str = KEY,
    consumer_id: str = "c-1",
    plan: str = "basic",
    status: str = "active",
    expires_at: float | None = None,
) -> None:
    key_hash = hashlib.sha256(key.encode()).hexdigest()
    item: dict[str, Any] = {
        "pk": {"S": f"key#{key_hash}"},
        "key_hash": {"S": key_hash},
        "consumer_id": {"S": consumer_id},
        "plan": {"S": plan},
        "status": {"S": status},
    }
    if expires_at is not None:
        item["expires_at"] = {"N": str(int(expires_at))}
    boto3.client("dynamodb").put_item(TableName=CONSUMERS_TABLE, Item=item)


def delete_key(key: str = KEY) -> None:
    key_hash = hashlib.sha256(key.encode()).hexdigest()
    boto3.client("dynamodb").delete_item(TableName=CONSUMERS_TABLE, Key={"pk": {"S": f"key#{key_hash}"}})


SAMPLE = json.loads((Path(__file__).resolve().parents[2] / "events" / "api_key_validator_request.json").read_text())


def event(headers: dict[str, Any] | None = None, method_arn: str = METHOD_ARN) -> dict[str, Any]:
    base = copy.deepcopy(SAMPLE)
    base["methodArn"] = method_arn
    base["headers"] = {"Accept": "application/json"} if headers is None else headers
    return base


class GetItemCounter:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, **kwargs: Any) -> None:
        self.calls += 1


@pytest.fixture()
def get_items() -> GetItemCounter:
    return GetItemCounter()


@pytest.fixture()
def validator_app(
    platform: Any,
    load_function: Callable[..., ModuleType],
    clock: Any,
    get_items: GetItemCounter,
) -> ModuleType:
    """The validator with an injected clock and a DynamoDB client that counts GetItem calls."""
    app = load_function("api_key_validator")
    client = boto3.client("dynamodb")
    client.meta.events.register("before-call.dynamodb.GetItem", get_items)
    store = app.DynamoKeyStore(CONSUMERS_TABLE, client=client)
    app.set_validator(app.KeyValidator(store, app.TtlCache(ttl_seconds=60, clock=clock), clock=clock))
    return app


def test_validator_allows_active_key_for_every_method_of_the_stage(validator_app, lambda_context):
    put_key()
    response = validator_app.lambda_handler(event({"x-api-key": KEY}), lambda_context)
    assert response == allow()


@pytest.mark.parametrize("header", ["x-api-key", "X-API-KEY", "X-Api-Key"])
def test_validator_reads_the_key_header_case_insensitively(validator_app, lambda_context, header):
    put_key(plan="premium", consumer_id="c-9")
    response = validator_app.lambda_handler(event({header: KEY}), lambda_context)
    assert response == allow(consumer_id="c-9", plan="premium")


def test_validator_denies_request_without_key(validator_app, lambda_context, get_items):
    put_key()
    assert validator_app.lambda_handler(event({"Accept": "*/*"}), lambda_context) == DENY_STAGE
    assert get_items.calls == 0


def test_validator_denies_unknown_key(validator_app, lambda_context):
    put_key()
    response = validator_app.lambda_handler(event({"x-api-key": KEY[::-1]}), lambda_context)
    assert response == DENY_STAGE


def test_validator_denies_revoked_key(validator_app, lambda_context):
    put_key(status="revoked")
    assert validator_app.lambda_handler(event({"x-api-key": KEY}), lambda_context) == DENY_STAGE


def test_validator_denies_expired_consumer_and_allows_until_expiry(validator_app, lambda_context, clock):
    put_key(expires_at=clock.now + 30)
    assert validator_app.lambda_handler(event({"x-api-key": KEY}), lambda_context) == allow()
    clock.advance(30)
    # Still in the cache, but expiry is checked on every decision.
    assert validator_app.lambda_handler(event({"x-api-key": KEY}), lambda_context) == DENY_STAGE


def test_validator_serves_a_repeated_key_from_its_cache(validator_app, lambda_context, get_items, clock):
    put_key()
    for _ in range(3):
        assert validator_app.lambda_handler(event({"x-api-key": KEY}), lambda_context) == allow()
        clock.advance(19)
    assert get_items.calls == 1


def test_validator_sees_revocation_once_the_cache_ttl_has_passed(validator_app, lambda_context, get_items, clock):
    # GIVEN an allowed key, cached
    put_key()
    assert validator_app.lambda_handler(event({"x-api-key": KEY}), lambda_context) == allow()
    # WHEN the key is revoked (its key item deleted)
    delete_key()
    # THEN the cached answer stands until the TTL is over, and the next lookup denies
    clock.advance(59)
    assert validator_app.lambda_handler(event({"x-api-key": KEY}), lambda_context) == allow()
    clock.advance(1)
    assert validator_app.lambda_handler(event({"x-api-key": KEY}), lambda_context) == DENY_STAGE
    assert get_items.calls == 2


def test_validator_caches_unknown_keys_too(validator_app, lambda_context, get_items):
    for _ in range(3):
        assert validator_app.lambda_handler(event({"x-api-key": KEY}), lambda_context) == DENY_STAGE
    assert get_items.calls == 1


def test_validator_denies_when_the_table_is_missing(platform, load_function, lambda_context, clock, get_items):
    app = load_function("api_key_validator")
    client = boto3.client("dynamodb")
    client.meta.events.register("before-call.dynamodb.GetItem", get_items)
    store = app.DynamoKeyStore("no-such-table", client=client)
    app.set_validator(app.KeyValidator(store, app.TtlCache(60, clock=clock), clock=clock))
    put_key()
    for _ in range(2):
        assert app.lambda_handler(event({"x-api-key": KEY}), lambda_context) == DENY_STAGE
    assert get_items.calls == 2  # errors are never cached


def test_validator_denies_when_get_item_times_out(validator_app, lambda_context, platform):
    put_key()
    client = validator_app.get_validator().store.client

    def time_out(**kwargs: Any) -> None:
        raise ReadTimeoutError(endpoint_url="https://dynamodb.eu-west-1.amazonaws.com")

    client.meta.events.register("before-call.dynamodb.GetItem", time_out)
    assert validator_app.lambda_handler(event({"x-api-key": KEY}), lambda_context) == DENY_STAGE


def test_validator_denies_when_dynamodb_throttles(validator_app, lambda_context):
    put_key()
    client = validator_app.get_validator().store.client

    def throttle(**kwargs: Any) -> None:
        error = {"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "slow down"}}
        raise ClientError(error, "GetItem")

    client.meta.events.register("before-call.dynamodb.GetItem", throttle)
    assert validator_app.lambda_handler(event({"x-api-key": KEY}), lambda_context) == DENY_STAGE


def test_validator_denies_a_corrupt_key_item(validator_app, lambda_context):
    key_hash = hashlib.sha256(KEY.encode()).hexdigest()
    boto3.client("dynamodb").put_item(
        TableName=CONSUMERS_TABLE, Item={"pk": {"S": f"key#{key_hash}"}, "status": {"S": "active"}}
    )
    assert validator_app.lambda_handler(event({"x-api-key": KEY}), lambda_context) == DENY_STAGE


def test_validator_denies_when_its_configuration_is_missing(platform, load_function, lambda_context, monkeypatch):
    monkeypatch.delenv("CONSUMERS_TABLE_NAME")
    app = load_function("api_key_validator")
    put_key()
    assert app.lambda_handler(event({"x-api-key": KEY}), lambda_context) == DENY_STAGE


def test_validator_builds_itself_from_the_environment(platform, load_function, lambda_context):
    app = load_function("api_key_validator")
    put_key()
    assert app.lambda_handler(event({"x-api-key": KEY}), lambda_context) == allow()
    assert app.get_validator().cache.ttl_seconds == 60


def test_validator_never_logs_the_key_or_the_event(platform, load_function, lambda_context, monkeypatch, caplog):
    # Even with event logging and DEBUG switched on by environment, the key must not reach a log record.
    monkeypatch.setenv("POWERTOOLS_LOGGER_LOG_EVENT", "true")
    monkeypatch.setenv("POWERTOOLS_LOG_LEVEL", "DEBUG")
    caplog.set_level(logging.DEBUG)
    app = load_function("api_key_validator")
    put_key()
    allowed = app.lambda_handler(event({"x-api-key": KEY}), lambda_context)
    denied = app.lambda_handler(event({"x-api-key": KEY + "x"}), lambda_context)
    broken = event({"x-api-key": KEY})
    broken["headers"] = ["x-api-key", KEY]
    app.lambda_handler(broken, lambda_context)

    assert allowed["usageIdentifierKey"] == KEY
    assert denied == DENY_STAGE
    decisions = [(r.decision, r.reason) for r in caplog.records if r.getMessage() == "authorization decided"]
    assert decisions == [("allow", "active"), ("deny", "unknown_key"), ("deny", "malformed_event")]
    for record in caplog.records:
        assert KEY not in repr(record.__dict__)
