"""Where a Lambda service's asynchronous invocations go when they fail. Schedules and EventBridge rules
invoke a function asynchronously: without a retry policy, a dead-letter queue and an on-failure
destination, an event that fails (or that EventBridge cannot deliver) is dropped without a trace.

One encrypted queue per function receives both: events EventBridge could not deliver (the rule target's
dead-letter config) and invocations that failed after Lambda's retries (the function's on-failure
destination and dead-letter queue)."""

from __future__ import annotations

from typing import Any

from awacs import sqs as sqs_actions
from awacs.aws import Allow, ArnLike, Condition, Policy, Principal, Statement
from troposphere import GetAtt, Ref, Sub, serverless, sqs

from template_gen.spec import EnvironmentSpec, LambdaServiceSpec
from template_gen.stacks import encryption, iam
from template_gen.stacks.common import StackBuilder

ASYNC_EVENT_TYPES = ("Schedule", "EventBridgeRule")
RULE_RETRY = {"MaximumRetryAttempts": 3, "MaximumEventAgeInSeconds": 3600}  # EventBridge -> Lambda delivery
LAMBDA_RETRIES = 2  # Lambda's own retries of a failed asynchronous invocation (its maximum)
RETENTION_SECONDS = 14 * 86400


def failed_events_queue(
    b: StackBuilder, env: EnvironmentSpec, svc: LambdaServiceSpec, events: dict[str, Any]
) -> tuple[Any, list[Statement]] | None:
    """Give the asynchronous events in `events` a retry policy and dead-letter queue (edited in place).
    Returns the queue's ARN and the statements the function's role needs, or None with no such event."""
    async_events = [e for e in events.values() if e["Type"] in ASYNC_EVENT_TYPES]
    if not async_events:
        return None
    queue = b.add(
        sqs.Queue(
            f"{svc.logical}FailedEventsQueue",
            MessageRetentionPeriod=RETENTION_SECONDS,
            # With the environment's key, EventBridge can deliver here only if the key policy admits it
            # (docs/security.md); otherwise the rule's InvocationsFailedToBeSentToDlq counts the lost events.
            **encryption.queue_properties(env),
        ),
        svc.tags,
    )
    arn = GetAtt(queue, "Arn")
    for event in async_events:
        event["Properties"]["RetryPolicy"] = dict(RULE_RETRY)
        event["Properties"]["DeadLetterConfig"] = {"Arn": arn}
    # The queue policy lets EventBridge deliver what it could not hand to Lambda (SAM adds none for an Arn).
    b.add(
        sqs.QueuePolicy(
            f"{svc.logical}FailedEventsQueuePolicy",
            Queues=[Ref(queue)],
            PolicyDocument=Policy(
                Version="2012-10-17",
                Statement=[
                    Statement(
                        Sid="EventBridgeDeadLetters",
                        Effect=Allow,
                        Principal=Principal("Service", "events.amazonaws.com"),
                        Action=[sqs_actions.SendMessage],
                        Resource=[arn],
                        Condition=Condition(
                            ArnLike(
                                "aws:SourceArn",
                                Sub("arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:rule/*"),
                            )
                        ),
                    )
                ],
            ),
        )
    )
    # Lambda sends failed invocations (destination and dead-letter queue) with the function's role.
    statements = [iam.allow([sqs_actions.SendMessage], [arn], "SendFailedEvents")]
    return arn, statements + encryption.queue_send_statements(env, "SendFailedEventsKey")


def function_properties(queue_arn: Any) -> dict[str, Any]:
    """The function's side: Lambda retries, then sends the failed invocation to the queue."""
    return {
        "DeadLetterQueue": serverless.DeadLetterQueue(Type="SQS", TargetArn=queue_arn),
        "EventInvokeConfig": serverless.EventInvokeConfiguration(
            MaximumRetryAttempts=LAMBDA_RETRIES,
            DestinationConfig=serverless.DestinationConfiguration(
                OnFailure=serverless.OnFailure(Type="SQS", Destination=queue_arn)
            ),
        ),
    }
