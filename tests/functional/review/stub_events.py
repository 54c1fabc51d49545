"""Recorded-style stack events of a failed update, root and nested stacks (newest first, as
DescribeStackEvents returns them): the quoting service of the compute stack fails to create, the compute
stack rolls back, and so does the root."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from stub_responses import ACCOUNT, COMPUTE_STACK, NETWORK_STACK, REGION, STACK, STACK_ID

STACK_TYPE = "AWS::CloudFormation::Stack"
COMPUTE_ID = STACK_ID.replace("acme-dev", COMPUTE_STACK)
NETWORK_ID = STACK_ID.replace("acme-dev", NETWORK_STACK)
START = datetime(2026, 1, 5, 9, 41, 0, tzinfo=UTC)
TG_ARN = f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:targetgroup/acme-dev-quoting/3f1c5a8e2b7d9c10"
SERVICE_FAILURE = (
    'Resource handler returned message: "Invalid request provided: CreateService error: The target group with '
    f'targetGroupArn {TG_ARN} does not have an associated load balancer." (RequestToken: '
    "5c1d9e7a-0b2f-4e6d-a8c3-9f1e2d3c4b5a, HandlerErrorCode: InvalidRequest)"
)
EMBEDDED = (
    f"Embedded stack {COMPUTE_ID} was not successfully updated. Currently in UPDATE_ROLLBACK_IN_PROGRESS with "
    "reason: The following resource(s) failed to create: [QuotingService]."
)


def event(
    stack_id: str,
    seconds: int,
    logical_id: str,
    resource_type: str,
    status: str,
    reason: str | None = None,
    physical_id: str | None = None,
) -> dict[str, Any]:
    stack_name = stack_id.split(":stack/")[1].split("/")[0]
    found: dict[str, Any] = {
        "StackId": stack_id,
        "EventId": f"{logical_id}-{status}-{seconds}",
        "StackName": stack_name,
        "LogicalResourceId": logical_id,
        "ResourceType": resource_type,
        "Timestamp": START + timedelta(seconds=seconds),
        "ResourceStatus": status,
    }
    if physical_id is not None:
        found["PhysicalResourceId"] = physical_id
    if reason:
        found["ResourceStatusReason"] = reason
    return found


ROOT_EVENTS = [
    event(STACK_ID, 95, STACK, STACK_TYPE, "UPDATE_ROLLBACK_COMPLETE", physical_id=STACK_ID),
    event(STACK_ID, 90, "NetworkStack", STACK_TYPE, "UPDATE_COMPLETE", physical_id=NETWORK_ID),
    event(STACK_ID, 88, "ComputeStack", STACK_TYPE, "UPDATE_COMPLETE", physical_id=COMPUTE_ID),
    event(STACK_ID, 80, STACK, STACK_TYPE, "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS", physical_id=STACK_ID),
    event(STACK_ID, 60, "ComputeStack", STACK_TYPE, "UPDATE_IN_PROGRESS", physical_id=COMPUTE_ID),
    event(
        STACK_ID,
        45,
        STACK,
        STACK_TYPE,
        "UPDATE_ROLLBACK_IN_PROGRESS",
        "The following resource(s) failed to update: [ComputeStack].",
        STACK_ID,
    ),
    event(STACK_ID, 44, "ComputeStack", STACK_TYPE, "UPDATE_FAILED", EMBEDDED, COMPUTE_ID),
    event(STACK_ID, 5, "ComputeStack", STACK_TYPE, "UPDATE_IN_PROGRESS", physical_id=COMPUTE_ID),
    event(STACK_ID, 0, STACK, STACK_TYPE, "UPDATE_IN_PROGRESS", "User Initiated", STACK_ID),
    event(STACK_ID, -3600, "OldFailure", "AWS::Logs::LogGroup", "CREATE_FAILED", "from an earlier deploy", ""),
]
NETWORK_EVENTS = [
    event(NETWORK_ID, 90, NETWORK_STACK, STACK_TYPE, "UPDATE_COMPLETE", physical_id=NETWORK_ID),
    event(NETWORK_ID, -3500, NETWORK_STACK, STACK_TYPE, "UPDATE_COMPLETE", physical_id=NETWORK_ID),
]
COMPUTE_EVENTS = [
    event(COMPUTE_ID, 87, COMPUTE_STACK, STACK_TYPE, "UPDATE_ROLLBACK_COMPLETE", physical_id=COMPUTE_ID),
    event(COMPUTE_ID, 86, "QuotingService", "AWS::ECS::Service", "DELETE_COMPLETE", physical_id=""),
    event(COMPUTE_ID, 85, "QuotingListenerRule", "AWS::ElasticLoadBalancingV2::ListenerRule", "DELETE_COMPLETE"),
    event(
        COMPUTE_ID,
        70,
        COMPUTE_STACK,
        STACK_TYPE,
        "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS",
        physical_id=COMPUTE_ID,
    ),
    event(
        COMPUTE_ID,
        43,
        COMPUTE_STACK,
        STACK_TYPE,
        "UPDATE_ROLLBACK_IN_PROGRESS",
        "The following resource(s) failed to create: [QuotingService].",
        COMPUTE_ID,
    ),
    event(
        COMPUTE_ID,
        42,
        "QuotingListenerRule",
        "AWS::ElasticLoadBalancingV2::ListenerRule",
        "CREATE_FAILED",
        "Resource creation cancelled",
    ),
    event(COMPUTE_ID, 40, "QuotingService", "AWS::ECS::Service", "CREATE_FAILED", SERVICE_FAILURE, ""),
    event(COMPUTE_ID, 20, "QuotingService", "AWS::ECS::Service", "CREATE_IN_PROGRESS", physical_id=""),
    event(COMPUTE_ID, 6, COMPUTE_STACK, STACK_TYPE, "UPDATE_IN_PROGRESS", physical_id=COMPUTE_ID),
    event(COMPUTE_ID, -3000, "QuotingTaskDefinition", "AWS::ECS::TaskDefinition", "UPDATE_FAILED", "old news"),
]
REPORT = [
    f"    root cause: ComputeStack/QuotingService (AWS::ECS::Service) CREATE_FAILED: {SERVICE_FAILURE}",
    "    rolled back the root stack: ComputeStack UPDATE_COMPLETE, NetworkStack UPDATE_COMPLETE",
    "    rolled back ComputeStack: QuotingListenerRule DELETE_COMPLETE, QuotingService DELETE_COMPLETE",
]


def expect_failure_events(cfn_stub: Any) -> None:
    """The reads of one `EventLog.poll()` after the failure: root, then the nested stacks it names."""
    cfn_stub.add_response("describe_stack_events", {"StackEvents": ROOT_EVENTS}, {"StackName": STACK_ID})
    cfn_stub.add_response("describe_stack_events", {"StackEvents": NETWORK_EVENTS}, {"StackName": NETWORK_ID})
    cfn_stub.add_response("describe_stack_events", {"StackEvents": COMPUTE_EVENTS}, {"StackName": COMPUTE_ID})
