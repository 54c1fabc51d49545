"""onboarding: a write whose effect happened but whose answer was lost. For each write step: a lost
response after the commit, a retry that conflicts with the first attempt, and a lost response whose
read-back times out too. Each test checks that the answer matches the state: no orphan API key, no
phantom consumer, and the key handed out works."""

from __future__ import annotations

import hashlib

import pytest
from admin_support import orphans_and_phantoms
from botocore.exceptions import ClientError


def sha256(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def conflict() -> Exception:
    return ClientError({"Error": {"Code": "ConflictException", "Message": "already exists"}}, "CreateUsagePlanKey")


def assert_created_and_consistent(status, payload, platform, authorize):
    [api_key] = platform.api_keys()
    assert (status, payload["api_key"], payload["consumer"]["api_key_id"]) == (201, api_key["value"], api_key["id"])
    assert orphans_and_phantoms(platform) == ([], [])
    assert authorize(payload["api_key"]) == "Allow"


# -- create ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("service", "operation"),
    [("apigateway", "CreateApiKey"), ("apigateway", "CreateUsagePlanKey"), ("dynamodb", "TransactWriteItems")],
)
def test_create_answers_201_when_a_step_committed_but_its_answer_was_lost(
    faults, admin, platform, authorize, service, operation
):
    faults.lose_response(service, operation)

    status, payload = admin.create()

    assert_created_and_consistent(status, payload, platform, authorize)


@pytest.mark.parametrize(
    ("service", "operation"),
    [("apigateway", "CreateApiKey"), ("dynamodb", "TransactWriteItems")],
)
def test_create_answers_201_when_a_retry_conflicts_with_the_first_attempt(
    faults, admin, platform, authorize, service, operation
):
    # CreateApiKey's retry meets its own value (ConflictException); the table's retry meets its own
    # consumer (TransactionCanceledException, condition attribute_not_exists).
    faults.conflicting_retry(service, operation)

    status, payload = admin.create()

    assert_created_and_consistent(status, payload, platform, authorize)


def test_create_answers_201_when_the_usage_plan_link_retry_conflicts(faults, admin, platform, authorize):
    faults.lose_response("apigateway", "CreateUsagePlanKey", error=conflict)

    status, payload = admin.create()

    assert_created_and_consistent(status, payload, platform, authorize)


def test_create_is_503_when_the_table_write_and_its_read_back_fail_and_the_retry_returns_the_same_key(
    faults, admin, platform, authorize
):
    # The case: the transaction commits, its answer is lost; the old code undid the API key.
    faults.lose_response("dynamodb", "TransactWriteItems", read_back=("dynamodb", "GetItem"))

    status, payload, headers = admin.call("POST", "/consumers", admin.body)

    consumer_id = admin.app.consumer_id_for(admin.body["client_token"])
    assert (status, headers["Retry-After"], payload) == (
        503,
        "5",
        {
            "error": "outcome_unknown",
            "message": "storing the consumer: outcome unknown (ReadTimeoutError); retry with the same client_token "
            f"(consumer {consumer_id})",
            "retry_after_seconds": 5,
        },
    )
    # Nothing was undone: the consumer exists and its key still works.
    [api_key] = platform.api_keys()
    assert orphans_and_phantoms(platform) == ([], [])
    assert authorize(api_key["value"]) == "Allow"

    status, payload = admin.create()  # the retry the answer asked for

    assert (payload["consumer"]["id"], payload["idempotent_replay"]) == (consumer_id, False)
    assert_created_and_consistent(status, payload, platform, authorize)


def test_create_is_503_when_creating_the_key_and_its_read_back_fail_and_the_retry_adopts_the_key(
    faults, admin, platform, authorize
):
    faults.lose_response("apigateway", "CreateApiKey", read_back=("apigateway", "GetApiKeys"))

    status, payload = admin.create()

    assert (status, payload["error"]) == (503, "outcome_unknown")
    [left] = platform.api_keys()  # a key with no consumer yet: the retry takes it over
    assert platform.items() == []

    status, payload = admin.create()

    assert payload["consumer"]["api_key_id"] == left["id"]
    assert_created_and_consistent(status, payload, platform, authorize)


def test_create_is_502_nothing_created_when_the_table_write_really_failed(fail_next, admin, platform):
    # The read-back finds no consumer: a real failure, so the API key is removed.
    fail_next("dynamodb", "TransactWriteItems", admin.service, code="ValidationException")

    status, payload = admin.create()

    assert (status, payload["message"]) == (
        502,
        "storing the consumer failed (ValidationException); nothing was created",
    )
    assert (platform.api_keys(), platform.items()) == ([], [])


def test_create_retry_with_a_reused_token_and_another_body_is_a_conflict(faults, admin, platform):
    faults.lose_response("dynamodb", "TransactWriteItems", read_back=("dynamodb", "GetItem"))
    assert admin.create()[0] == 503

    status, payload = admin.create(admin.body | {"name": "Someone Else"})

    consumer_id = admin.app.consumer_id_for(admin.body["client_token"])
    assert (status, payload["message"]) == (
        409,
        f"client_token: already used for consumer {consumer_id} with a different request body",
    )


# -- rotate ---------------------------------------------------------------------------------------


@pytest.fixture()
def created(admin):
    _, payload = admin.create()
    return payload


def assert_rotated_and_consistent(status, payload, created, platform, authorize):
    [api_key] = platform.api_keys()  # the old API key is gone, no second new one
    assert (status, payload["api_key"], payload["consumer"]["api_key_id"]) == (200, api_key["value"], api_key["id"])
    assert orphans_and_phantoms(platform) == ([], [])
    assert (authorize(created["api_key"]), authorize(payload["api_key"])) == ("Deny", "Allow")


@pytest.mark.parametrize(
    ("service", "operation"),
    [("apigateway", "CreateApiKey"), ("apigateway", "CreateUsagePlanKey"), ("dynamodb", "TransactWriteItems")],
)
def test_rotate_answers_200_when_a_step_committed_but_its_answer_was_lost(
    faults, admin, created, platform, authorize, service, operation
):
    faults.lose_response(service, operation)

    status, payload, _ = admin.call("POST", f"/consumers/{created['consumer']['id']}/rotate")

    assert_rotated_and_consistent(status, payload, created, platform, authorize)


@pytest.mark.parametrize(
    ("service", "operation"),
    [("apigateway", "CreateApiKey"), ("dynamodb", "TransactWriteItems")],
)
def test_rotate_answers_200_when_a_retry_conflicts_with_the_first_attempt(
    faults, admin, created, platform, authorize, service, operation
):
    faults.conflicting_retry(service, operation)

    status, payload, _ = admin.call("POST", f"/consumers/{created['consumer']['id']}/rotate")

    assert_rotated_and_consistent(status, payload, created, platform, authorize)


def test_rotate_is_503_when_the_swap_and_its_read_back_fail_and_the_retry_gives_a_working_key(
    faults, admin, created, platform, authorize
):
    # The case: the swap commits, its answer is lost; the old code deleted the new API key.
    consumer_id = created["consumer"]["id"]
    faults.lose_response("dynamodb", "TransactWriteItems", read_back=("dynamodb", "GetItem"))

    status, payload, _ = admin.call("POST", f"/consumers/{consumer_id}/rotate")

    assert (status, payload["error"], payload["message"]) == (
        503,
        "outcome_unknown",
        "storing the new key: outcome unknown (ReadTimeoutError); the consumer's key may have changed without "
        "this answer carrying it: retry the rotation to get a working key",
    )
    # The swap did commit: the consumer points at a key that exists (no phantom); the old key is
    # denied, and left for the retry to remove (it removes the key before the one it replaces).
    assert orphans_and_phantoms(platform) == ([created["consumer"]["api_key_id"]], [])
    assert authorize(created["api_key"]) == "Deny"

    status, payload, _ = admin.call("POST", f"/consumers/{consumer_id}/rotate")

    assert_rotated_and_consistent(status, payload, created, platform, authorize)


def test_rotate_is_503_when_creating_the_key_and_its_read_back_fail_and_the_old_key_still_works(
    faults, admin, created, platform, authorize
):
    consumer_id = created["consumer"]["id"]
    faults.lose_response("apigateway", "CreateApiKey", read_back=("apigateway", "GetApiKeys"))

    status, payload, _ = admin.call("POST", f"/consumers/{consumer_id}/rotate")

    assert (status, payload["message"]) == (
        503,
        "creating the new API key: outcome unknown (ReadTimeoutError); the current key is unchanged and still "
        "works; retry the rotation (an unused key is removed by the reconciler)",
    )
    left = [key["id"] for key in platform.api_keys() if key["id"] != created["consumer"]["api_key_id"]]
    assert orphans_and_phantoms(platform) == (left, [])  # the one the reconciler removes
    assert authorize(created["api_key"]) == "Allow"


# -- revoke ---------------------------------------------------------------------------------------


def assert_revoked_and_consistent(status, payload, created, platform, authorize):
    [api_key] = platform.api_keys()
    assert (status, payload["consumer"]["status"]) == (200, "revoked")
    assert (api_key["enabled"], platform.plan_key_ids("basic")) == (False, [])
    assert orphans_and_phantoms(platform) == ([], [])
    assert authorize(created["api_key"]) == "Deny"


@pytest.mark.parametrize(
    ("service", "operation"),
    [("dynamodb", "TransactWriteItems"), ("apigateway", "DeleteUsagePlanKey"), ("apigateway", "UpdateApiKey")],
)
def test_revoke_answers_200_when_a_step_committed_but_its_answer_was_lost(
    faults, admin, created, platform, authorize, service, operation
):
    faults.lose_response(service, operation)

    status, payload, _ = admin.call("DELETE", f"/consumers/{created['consumer']['id']}")

    assert_revoked_and_consistent(status, payload, created, platform, authorize)


def test_revoke_answers_200_when_the_table_retry_conflicts(faults, admin, created, platform, authorize):
    faults.conflicting_retry("dynamodb", "TransactWriteItems")

    status, payload, _ = admin.call("DELETE", f"/consumers/{created['consumer']['id']}")

    assert_revoked_and_consistent(status, payload, created, platform, authorize)


def test_revoke_is_503_when_the_table_write_and_its_read_back_fail_and_a_repeat_finishes(
    faults, admin, created, platform, authorize
):
    consumer_id = created["consumer"]["id"]
    faults.lose_response("dynamodb", "TransactWriteItems", read_back=("dynamodb", "GetItem"))

    status, payload, _ = admin.call("DELETE", f"/consumers/{consumer_id}")

    assert (status, payload["message"]) == (
        503,
        "revoking: outcome unknown (ReadTimeoutError); repeat the DELETE (it is safe to repeat)",
    )
    assert authorize(created["api_key"]) == "Deny"  # it did commit

    status, payload, _ = admin.call("DELETE", f"/consumers/{consumer_id}")

    assert_revoked_and_consistent(status, payload, created, platform, authorize)
