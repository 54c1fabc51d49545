"""onboarding: rotation and revocation, and what the validator says afterwards."""

from __future__ import annotations

import hashlib


def sha256(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


# -- rotate ---------------------------------------------------------------------------------------


def test_onboarding_rotation_issues_a_new_key_and_revokes_the_old_one(
    expected_consumer, admin, platform, authorize, clock
):
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


def test_onboarding_rotation_keeps_the_old_key_when_storing_the_new_one_fails(fail_next, admin, platform, authorize):
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


def test_onboarding_revocation_retry_finishes_a_failed_api_key_clean_up(fail_next, admin, platform, authorize):
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
