"""onboarding: the audit trail, the refusal of callers without IAM identity, the authorizer cache
flush on revoke and rotate, and renewing an expired consumer."""

from __future__ import annotations

import json

import pytest
from admin_support import AUTHORIZER_STAGES, answer_flushes

ADMIN_ARN = "arn:aws:sts::123456789012:assumed-role/PlatformAdmin/platform-admin"
STAGES = [f"{stage['rest_api_id']}/{stage['stage']}" for stage in AUTHORIZER_STAGES]


def audit_lines(caplog) -> list[dict]:
    """The `audit` field of every "audit" log line (Powertools puts `extra` keys on the record)."""
    return [record.audit for record in caplog.records if record.getMessage() == "audit"]


# -- the audit trail ------------------------------------------------------------------------------


def test_every_admin_action_leaves_an_audit_item_and_a_log_line(admin, platform, clock, caplog):
    _, created = admin.create()
    consumer_id = created["consumer"]["id"]
    for method, path in (
        ("GET", f"/consumers/{consumer_id}"),
        ("POST", f"/consumers/{consumer_id}/rotate"),
        ("DELETE", f"/consumers/{consumer_id}"),
        ("GET", "/consumers/c-00000000000000000000000000000000"),
    ):
        clock.advance(1)
        admin.call(method, path)

    expected = [
        ("create", consumer_id, 201, "done", None),
        ("show", consumer_id, 200, "done", None),
        ("rotate", consumer_id, 200, "done", None),
        ("revoke", consumer_id, 200, "done", None),
        ("show", "c-00000000000000000000000000000000", 404, "rejected", "not_found"),
    ]
    logged = audit_lines(caplog)
    assert [(a["action"], a["consumer_id"], a["status"], a["outcome"], a["error"]) for a in logged] == expected
    assert [a["at"] for a in logged] == [f"2026-11-24T12:00:0{second}.000Z" for second in range(5)]
    assert {(a["caller"], a["request_id"]) for a in logged} == {(ADMIN_ARN, "c6af9ac6-7b61-11e6-9a41-93e8deadbeef")}
    items = platform.audit_items()
    assert [(i["action"], i.get("consumer_id"), i["status"], i["outcome"]) for i in items] == [
        (action, consumer, status, outcome) for action, consumer, status, outcome, _ in expected
    ]
    assert items[0] == {
        "pk": "audit#2026-11-24T12:00:00.000Z#c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
        "type": "audit",
        "action": "create",
        "caller": ADMIN_ARN,
        "consumer_id": consumer_id,
        "status": 201,
        "outcome": "done",
        "at": "2026-11-24T12:00:00.000Z",
        "request_id": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
    }
    assert items[-1]["error"] == "not_found"


def test_audit_items_are_one_per_request(admin, platform, clock):
    _, created = admin.create()
    clock.advance(1)
    event = admin.event("GET", f"/consumers/{created['consumer']['id']}")
    event["requestContext"]["requestId"] = "0b3c8f3e-5a55-4b8a-9d3c-2f6f7f0e1a2b"
    admin.app.lambda_handler(event, admin.context)

    assert [(item["pk"], item["action"], item["outcome"]) for item in platform.audit_items()] == [
        ("audit#2026-11-24T12:00:00.000Z#c6af9ac6-7b61-11e6-9a41-93e8deadbeef", "create", "done"),
        ("audit#2026-11-24T12:00:01.000Z#0b3c8f3e-5a55-4b8a-9d3c-2f6f7f0e1a2b", "show", "done"),
    ]


def test_an_unknown_outcome_is_audited_as_unknown(faults, admin, caplog):
    faults.lose_response("dynamodb", "TransactWriteItems", read_back=("dynamodb", "GetItem"))
    admin.create()
    [line] = audit_lines(caplog)
    assert (line["action"], line["status"], line["outcome"], line["error"]) == (
        "create",
        503,
        "unknown",
        "outcome_unknown",
    )


@pytest.mark.parametrize(
    "identity",
    [
        {"userArn": None, "caller": None, "user": None, "accessKey": None},
        {"userArn": "anonymous"},
        {},
    ],
    ids=["null userArn", "not an ARN", "no identity fields"],
)
def test_a_request_without_an_iam_caller_is_refused_with_403(admin, platform, caplog, identity):
    event = admin.event("POST", "/consumers", admin.body)
    event["requestContext"]["identity"] = identity

    response = admin.app.lambda_handler(event, admin.context)

    assert (response["statusCode"], json.loads(response["body"])) == (
        403,
        {
            "error": "forbidden",
            "message": "requestContext.identity.userArn: no IAM caller; the admin API needs SigV4 (IAM) authentication",
        },
    )
    assert (platform.api_keys(), platform.items()) == ([], [])
    [line] = audit_lines(caplog)
    assert (line["action"], line["caller"], line["status"], line["outcome"]) == ("refused", None, 403, "rejected")


def test_a_cors_preflight_needs_no_caller_and_is_not_audited(admin, platform, caplog):
    event = admin.event("OPTIONS", "/consumers")
    event["requestContext"]["identity"] = {}
    event["headers"]["Origin"] = "https://portal.acme.example"

    response = admin.app.lambda_handler(event, admin.context)

    assert (response["statusCode"], audit_lines(caplog), platform.audit_items()) == (204, [], [])


# -- revocation within seconds: the authorizer caches are flushed ----------------------------------


def test_revoke_flushes_every_authorizer_stage(admin):
    _, created = admin.create()
    assert admin.flushed == []  # creating gives no one access that a cache could be holding back

    admin.call("DELETE", f"/consumers/{created['consumer']['id']}")

    assert admin.flushed == STAGES


def test_a_revoke_whose_api_gateway_clean_up_fails_still_flushes(admin, fail_next, authorize):
    # The table denies the key; without the API Gateway key check, only the caches stand in the way.
    _, created = admin.create()
    fail_next("apigateway", "UpdateApiKey", admin.service, code="TooManyRequestsException", times=10)

    status, payload, _ = admin.call("DELETE", f"/consumers/{created['consumer']['id']}")

    assert (status, payload["message"], admin.flushed) == (
        502,
        "consumer revoked, but disabling its API key failed (TooManyRequestsException); retry the DELETE",
        STAGES,
    )
    assert authorize(created["api_key"]) == "Deny"


def test_rotate_flushes_every_authorizer_stage(admin):
    _, created = admin.create()
    admin.call("POST", f"/consumers/{created['consumer']['id']}/rotate")
    assert admin.flushed == STAGES


def test_a_failed_flush_does_not_change_the_answer(admin, load_function, platform, lambda_context, clock, authorize):
    # GIVEN API Gateway fails the flush of the first stage
    app = load_function("onboarding")
    app.set_service(app.ConsumerService(app.Settings.from_env(), clock=clock))
    flushed: list[str] = []
    answer_flushes(app.get_service().clients.get("apigateway"), flushed, fail={STAGES[0]})
    created = json.loads(app.lambda_handler(admin.event("POST", "/consumers", admin.body), lambda_context)["body"])

    # WHEN the consumer is revoked
    response = app.lambda_handler(admin.event("DELETE", f"/consumers/{created['consumer']['id']}"), lambda_context)

    # THEN the revocation stands (the table denies, API Gateway refuses the disabled key); both stages were tried
    assert (response["statusCode"], json.loads(response["body"])["consumer"]["status"]) == (200, "revoked")
    assert flushed == STAGES
    assert authorize(created["api_key"]) == "Deny"


def test_nothing_is_flushed_when_no_api_has_the_validator(
    monkeypatch, admin, load_function, platform, lambda_context, clock
):
    monkeypatch.delenv("AUTHORIZER_STAGES_PARAMETER")
    app = load_function("onboarding")
    app.set_service(app.ConsumerService(app.Settings.from_env(), clock=clock))
    flushed: list[str] = []
    answer_flushes(app.get_service().clients.get("apigateway"), flushed)
    created = json.loads(app.lambda_handler(admin.event("POST", "/consumers", admin.body), lambda_context)["body"])

    response = app.lambda_handler(admin.event("DELETE", f"/consumers/{created['consumer']['id']}"), lambda_context)

    assert (response["statusCode"], flushed) == (200, [])


# -- expiry: rotating an expired consumer ---------------------------------------------------------


def test_rotating_an_expired_consumer_is_a_conflict(admin, platform, clock):
    _, created = admin.create(admin.body | {"expires_at": "2030-01-31T00:00:00Z"})
    clock.now = 1896048000 + 1  # a second after expiry

    status, payload, _ = admin.call("POST", f"/consumers/{created['consumer']['id']}/rotate")

    assert (status, payload) == (
        409,
        {
            "error": "conflict",
            "message": f"id: consumer {created['consumer']['id']} expired at 2030-01-31T00:00:00Z; "
            "rotate with a new expires_at to renew it",
            "fields": ["id"],
        },
    )
    assert [key["id"] for key in platform.api_keys()] == [created["consumer"]["api_key_id"]]


def test_rotating_with_a_new_expiry_renews_an_expired_consumer(admin, platform, clock, authorize):
    _, created = admin.create(admin.body | {"expires_at": "2030-01-31T00:00:00Z"})
    clock.now = 1896048000 + 1

    status, payload, _ = admin.call(
        "POST", f"/consumers/{created['consumer']['id']}/rotate", {"expires_at": "2031-01-31T00:00:00Z"}
    )

    assert (status, payload["consumer"]["expires_at"], payload["consumer"]["status"]) == (
        200,
        "2031-01-31T00:00:00Z",
        "active",
    )
    [key_item] = [item for item in platform.items() if item["type"] == "key"]
    assert key_item["expires_at"] == 1927584000
