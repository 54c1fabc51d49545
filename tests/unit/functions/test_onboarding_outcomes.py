"""Onboarding's failure model and audit records, without AWS: `confirm` decides done / failed / unknown
from the read-back, `caller_arn` accepts only IAM principals, the audit item's layout."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError, ReadTimeoutError


@pytest.fixture()
def outcomes(load_function):
    return load_function("onboarding", "outcomes")


@pytest.fixture()
def audit(load_function):
    return load_function("onboarding", "audit")


def lost() -> None:
    raise ReadTimeoutError(endpoint_url="https://dynamodb.eu-west-1.amazonaws.com/")


def test_confirm_returns_the_write_answer_when_there_is_no_error(outcomes):
    assert outcomes.confirm("Step", lambda: "answer", lambda: pytest.fail("no read-back expected")) == "answer"


def test_confirm_returns_the_read_back_when_the_effect_is_there(outcomes):
    assert outcomes.confirm("CreateApiKey", lost, lambda: "k1") == "k1"


def test_confirm_raises_step_failed_when_the_effect_is_not_there(outcomes):
    def conflict() -> None:
        raise ClientError({"Error": {"Code": "TransactionCanceledException", "Message": "x"}}, "TransactWriteItems")

    with pytest.raises(outcomes.StepFailed) as raised:
        outcomes.confirm("TransactWriteItems", conflict, lambda: None)

    assert (str(raised.value), raised.value.code) == (
        "TransactWriteItems failed (TransactionCanceledException)",
        "TransactionCanceledException",
    )


def test_confirm_raises_step_unknown_when_the_read_back_fails_too(outcomes):
    def read_back() -> None:
        raise ClientError({"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "x"}}, "GetItem")

    with pytest.raises(outcomes.StepUnknown) as raised:
        outcomes.confirm("TransactWriteItems", lost, read_back)

    assert str(raised.value) == (
        "TransactWriteItems: outcome unknown (ReadTimeoutError, then ProvisionedThroughputExceededException reading back)"
    )
    assert outcomes.error_code(raised.value) == "ReadTimeoutError"


@pytest.mark.parametrize(
    ("arn", "expected"),
    [
        ("arn:aws:sts::123456789012:assumed-role/PlatformAdmin/alice", True),
        ("arn:aws:iam::123456789012:user/ops/bob", True),
        ("arn:aws-us-gov:sts::123456789012:assumed-role/Admin/carol", True),
        ("arn:aws:sts::12345678901:assumed-role/Admin/short-account", False),
        ("arn:aws:s3:::bucket", False),
        ("anonymous", False),
        ("", False),
        (None, False),
        (42, False),
    ],
)
def test_caller_arn_accepts_only_iam_principals(audit, arn, expected):
    event = {"requestContext": {"identity": {"userArn": arn}}}
    assert audit.caller_arn(event) == (arn if expected else None)


@pytest.mark.parametrize("event", [None, "event", {}, {"requestContext": None}, {"requestContext": {"identity": 1}}])
def test_caller_arn_of_a_malformed_event_is_none(audit, event):
    assert audit.caller_arn(event) is None


@pytest.mark.parametrize(
    ("status", "error", "outcome"),
    [(201, None, "done"), (404, "not_found", "rejected"), (502, "upstream_failure", "failed"),
     (503, "service_unavailable", "failed"), (503, "outcome_unknown", "unknown")],
)  # fmt: skip
def test_outcome_of_an_answer(audit, status, error, outcome):
    assert audit.outcome_of(status, error) == outcome


def test_an_audit_item_is_keyed_by_time_and_request_and_drops_empty_fields(audit):
    record = audit.AuditRecord("refused", None, "r-1", 1_795_521_600.25, status=403, error="forbidden")
    assert record.item() == {
        "pk": "audit#2026-11-24T12:00:00.250Z#r-1",
        "type": "audit",
        "action": "refused",
        "status": 403,
        "outcome": "rejected",
        "error": "forbidden",
        "at": "2026-11-24T12:00:00.250Z",
        "request_id": "r-1",
    }
