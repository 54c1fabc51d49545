"""root_cause: the first failed resource of the deepest stack that failed, not the stacks that failed
because of it nor the resources CloudFormation cancelled; what each stack rolled back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from template_gen.ops.events import Event, root_cause

T0 = datetime(2026, 1, 5, 9, 41, tzinfo=UTC)
STACK = "AWS::CloudFormation::Stack"


def ev(stack: str, seconds: int, logical: str, kind: str, status: str, reason: str = "", own: bool = False) -> Event:
    depth = 0 if not stack else stack.count("/") + 1
    return Event(
        stack,
        depth,
        f"{stack}-{logical}-{seconds}",
        T0 + timedelta(seconds=seconds),
        logical,
        kind,
        status,
        reason,
        "",
        own,
    )


def test_the_deepest_failure_wins_over_earlier_shallower_ones_and_cancellations() -> None:
    events = [
        ev("", 0, "acme-dev", STACK, "UPDATE_IN_PROGRESS", "User Initiated", own=True),
        ev("", 5, "Bucket", "AWS::S3::Bucket", "UPDATE_FAILED", "Access Denied"),
        ev(
            "ApiStack/Routes2",
            9,
            "QuotingResource",
            "AWS::ApiGateway::Resource",
            "CREATE_FAILED",
            "Too Many Requests (429)",
        ),
        ev(
            "ApiStack/Routes2",
            8,
            "PricingResource",
            "AWS::ApiGateway::Resource",
            "CREATE_FAILED",
            "Resource creation cancelled",
        ),
        ev("ApiStack", 10, "Routes2", STACK, "CREATE_FAILED", "Embedded stack arn:... was not successfully created"),
        ev(
            "ApiStack",
            11,
            "ApiStack",
            STACK,
            "UPDATE_ROLLBACK_IN_PROGRESS",
            "The following resource(s) failed",
            own=True,
        ),
        ev("ApiStack", 20, "Routes2", STACK, "DELETE_COMPLETE"),
        ev("ApiStack", 21, "ApiStack", STACK, "UPDATE_ROLLBACK_COMPLETE", own=True),
    ]
    cause = root_cause(events)
    assert cause.failed is not None
    assert (cause.failed.where, cause.failed.reason) == ("ApiStack/Routes2/QuotingResource", "Too Many Requests (429)")
    assert cause.lines() == [
        "root cause: ApiStack/Routes2/QuotingResource (AWS::ApiGateway::Resource) CREATE_FAILED: Too Many Requests (429)",
        "rolled back ApiStack: Routes2 DELETE_COMPLETE",
    ]


def test_a_failure_of_the_stack_itself_leaves_no_resource_to_blame() -> None:
    events = [
        ev("", 0, "acme-dev", STACK, "UPDATE_IN_PROGRESS", "User Initiated", own=True),
        ev("", 1, "acme-dev", STACK, "UPDATE_ROLLBACK_IN_PROGRESS", "Parameters: [VpcId] must have values", own=True),
        ev("", 2, "acme-dev", STACK, "UPDATE_ROLLBACK_COMPLETE", own=True),
    ]
    assert root_cause(events).lines() == ["rolled back the root stack: nothing to undo"]
