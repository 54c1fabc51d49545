"""The reconciler against moto: every pairing of half-written state (API key x usage-plan link x
consumer item x key item) is found, reported, and fixed only where a fix is safe."""

from __future__ import annotations

import hashlib
import time

import pytest
from admin_support import orphans_and_phantoms
from botocore.exceptions import ClientError

LATER = 3600.0  # far past the grace period for keys in flight


@pytest.fixture()
def reconcile(admin, load_function, platform):
    module = load_function("onboarding", "reconciler")

    def run(fix: bool = False, after: float = LATER) -> dict:
        reconciler = module.Reconciler(
            platform.consumers_table, platform.dynamodb, platform.apigateway, clock=lambda: time.time() + after
        )
        return reconciler.run(fix, set(platform.usage_plans.values())).as_dict()

    return run


def sha256(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def kinds(report: dict) -> list[tuple[str, bool]]:
    return [(finding["kind"], finding["fixed"]) for finding in report["findings"]]


@pytest.fixture()
def consumer(admin) -> dict:
    _, created = admin.create()
    return created


def stray_key(platform, linked: bool = True) -> str:
    """An API key named like a consumer that has no consumer (what a create with an unknown outcome leaves)."""
    key_id = platform.apigateway.create_api_key(
        name="c-0123456789abcdef0123456789abcdef", enabled=True, value="v" * 40
    )["id"]
    if linked:
        platform.apigateway.create_usage_plan_key(
            usagePlanId=platform.usage_plans["basic"], keyId=key_id, keyType="API_KEY"
        )
    return key_id


def test_a_consistent_table_has_no_findings(admin, consumer, reconcile):
    admin.call("POST", f"/consumers/{consumer['consumer']['id']}/rotate")
    _, other = admin.create(admin.body | {"client_token": "acme-retail-0002"})
    admin.call("DELETE", f"/consumers/{other['consumer']['id']}")

    report = reconcile(fix=True)

    assert (report["findings"], report["consumers"], report["api_keys"], report["left"]) == ([], 2, 2, 0)


@pytest.mark.parametrize("linked", [True, False], ids=["linked", "unlinked"])
def test_an_api_key_without_a_consumer_is_an_orphan_and_fix_deletes_it(platform, consumer, reconcile, linked):
    key_id = stray_key(platform, linked)

    report = reconcile()
    fixed = reconcile(fix=True)

    assert report["findings"] == [
        {
            "kind": "orphan_key",
            "consumer_id": "c-0123456789abcdef0123456789abcdef",
            "api_key_id": key_id,
            "detail": f"API key {key_id} (c-0123456789abcdef0123456789abcdef) belongs to no consumer",
            "fixed": False,
            "error": None,
        }
    ]
    assert (kinds(fixed), fixed["left"]) == ([("orphan_key", True)], 0)
    assert [key["id"] for key in platform.api_keys()] == [consumer["consumer"]["api_key_id"]]
    assert platform.plan_key_ids("basic") == [consumer["consumer"]["api_key_id"]]


def test_a_key_younger_than_the_grace_period_is_in_flight_and_left_alone(platform, reconcile):
    key_id = stray_key(platform)

    report = reconcile(fix=True, after=0)

    assert (report["findings"], report["in_flight"]) == ([], 1)
    assert [key["id"] for key in platform.api_keys()] == [key_id]


def test_an_old_key_left_by_a_rotation_is_an_orphan(admin, platform, consumer, reconcile, fail_next):
    # The rotation's last step (removing the old key) fails; the rotation itself stands.
    fail_next("apigateway", "DeleteApiKey", admin.service, times=10)
    admin.call("POST", f"/consumers/{consumer['consumer']['id']}/rotate")

    report = reconcile(fix=True)

    assert (kinds(report), report["findings"][0]["api_key_id"]) == (
        [("orphan_key", True)],
        consumer["consumer"]["api_key_id"],
    )
    assert orphans_and_phantoms(platform) == ([], [])


def test_an_active_consumer_whose_api_key_is_gone_is_revoked_by_fix(platform, consumer, reconcile, authorize):
    platform.apigateway.delete_api_key(apiKey=consumer["consumer"]["api_key_id"])

    report = reconcile(fix=True)

    assert kinds(report) == [("missing_key", True)]
    [item] = platform.items()
    assert (item["pk"], item["status"]) == (f"consumer#{consumer['consumer']['id']}", "revoked")
    assert authorize(consumer["api_key"]) == "Deny"


def test_an_active_consumer_without_its_key_item_is_revoked_by_fix(platform, consumer, reconcile):
    platform.dynamodb.delete_item(
        TableName=platform.consumers_table, Key={"pk": {"S": f"key#{sha256(consumer['api_key'])}"}}
    )

    report = reconcile(fix=True)

    assert kinds(report) == [("missing_key_item", True)]
    assert [item["status"] for item in platform.items()] == ["revoked"]


def test_a_key_item_no_consumer_holds_is_deleted_by_fix(platform, reconcile, authorize):
    # The validator reads only key items: this one would let its key in.
    key = "k" * 40
    platform.dynamodb.put_item(
        TableName=platform.consumers_table,
        Item={
            "pk": {"S": f"key#{sha256(key)}"},
            "type": {"S": "key"},
            "key_hash": {"S": sha256(key)},
            "consumer_id": {"S": "c-0123456789abcdef0123456789abcdef"},
            "plan": {"S": "basic"},
            "status": {"S": "active"},
            "api_key_id": {"S": "gone"},
            "created_at": {"N": "1795521600"},
        },
    )
    assert authorize(key) == "Allow"

    report = reconcile(fix=True)

    assert kinds(report) == [("dangling_key_item", True)]
    assert (platform.items(), authorize(key)) == ([], "Deny")


@pytest.mark.parametrize("how", ["relinked", "re-enabled"])
def test_a_revoked_consumer_whose_key_is_live_again_is_retired_by_fix(admin, platform, consumer, reconcile, how):
    key_id = consumer["consumer"]["api_key_id"]
    admin.call("DELETE", f"/consumers/{consumer['consumer']['id']}")
    if how == "relinked":
        platform.apigateway.create_usage_plan_key(
            usagePlanId=platform.usage_plans["basic"], keyId=key_id, keyType="API_KEY"
        )
    else:
        platform.apigateway.update_api_key(
            apiKey=key_id, patchOperations=[{"op": "replace", "path": "/enabled", "value": "true"}]
        )

    report = reconcile(fix=True)

    assert kinds(report) == [("revoked_key_live", True)]
    [api_key] = platform.api_keys()
    assert (api_key["enabled"], platform.plan_key_ids("basic")) == (False, [])


@pytest.mark.parametrize(
    ("damage", "kind"),
    [("unlink", "unlinked_key"), ("disable", "disabled_key")],
)
def test_an_active_consumer_whose_key_was_unlinked_or_disabled_is_reported_not_fixed(
    platform, consumer, reconcile, damage, kind
):
    # What an operator does by hand to stop a consumer at once: the reconciler must not undo it.
    key_id = consumer["consumer"]["api_key_id"]
    if damage == "unlink":
        platform.apigateway.delete_usage_plan_key(usagePlanId=platform.usage_plans["basic"], keyId=key_id)
    else:
        platform.apigateway.update_api_key(
            apiKey=key_id, patchOperations=[{"op": "replace", "path": "/enabled", "value": "false"}]
        )

    report = reconcile(fix=True)

    assert (kinds(report), report["left"]) == ([(kind, False)], 1)


def test_the_leftover_of_a_rotation_with_an_unknown_outcome_is_removed(
    faults, admin, platform, consumer, reconcile, authorize
):
    faults.lose_response("apigateway", "CreateApiKey", read_back=("apigateway", "GetApiKeys"))
    assert admin.call("POST", f"/consumers/{consumer['consumer']['id']}/rotate")[0] == 503

    report = reconcile(fix=True)

    assert kinds(report) == [("orphan_key", True)]
    assert orphans_and_phantoms(platform) == ([], [])
    assert authorize(consumer["api_key"]) == "Allow"


def test_a_fix_that_fails_is_reported_with_its_error(platform, consumer, reconcile):
    stray_key(platform)

    def throttled(**kwargs):
        raise ClientError({"Error": {"Code": "TooManyRequestsException", "Message": "slow down"}}, "DeleteApiKey")

    platform.apigateway.meta.events.register("before-call.api-gateway.DeleteApiKey", throttled)

    report = reconcile(fix=True)

    assert [(f["kind"], f["fixed"], f["error"]) for f in report["findings"]] == [
        ("orphan_key", False, "TooManyRequestsException")
    ]
    assert report["left"] == 1


def test_the_scheduled_function_reports_without_fixing_and_audits_fixes(
    monkeypatch, load_function, load_event, platform, consumer, lambda_context
):
    stray_key(platform)
    module = load_function("onboarding", "reconciler")
    monkeypatch.setattr(module, "GRACE_SECONDS", 0)

    scheduled = module.lambda_handler(load_event("reconciler_scheduled.json"), lambda_context)
    invoked = module.lambda_handler(load_event("reconciler_fix.json"), lambda_context)

    assert (scheduled["fix"], kinds(scheduled), invoked["fix"], kinds(invoked)) == (
        False,
        [("orphan_key", False)],
        True,
        [("orphan_key", True)],
    )
    [audit] = [item for item in platform.audit_items() if item["action"].startswith("reconcile:")]
    assert (audit["action"], audit["caller"], audit["outcome"]) == ("reconcile:orphan_key", "reconciler", "done")
