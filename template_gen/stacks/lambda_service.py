"""One `kind: lambda` service: its function (through `lambda_function`), its secrets and extra
permissions, and its event sources as SAM events: schedules, a platform-created SQS queue with a
dead-letter queue, EventBridge rules. Queue and rule names and ARNs are exported."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from awacs import sqs as sqs_actions
from awacs.aws import Statement
from troposphere import GetAtt, Ref, Sub, sqs

from template_gen import naming
from template_gen.spec import EnvironmentSpec, LambdaServiceSpec
from template_gen.stacks import async_failures, encryption, iam, queues, secrets
from template_gen.stacks.common import StackBuilder
from template_gen.stacks.lambda_function import FunctionResources, FunctionSpec


def build(
    b: StackBuilder,
    env: EnvironmentSpec,
    svc: LambdaServiceSpec,
    base: FunctionSpec,
    make_function: Callable[[FunctionSpec], FunctionResources],
) -> FunctionResources:
    """`base` carries what every Lambda service gets (code, handler, platform variables, layers)."""
    statements: list[Statement] = [*base.statements]
    statements += secrets.read_statements([ref for _, ref in svc.secrets], "ReadSecret")
    statements += iam.from_registry(svc.iam)
    variables = dict(base.environment)
    for name, ref in svc.secrets:
        variables.update(secrets.lambda_variables(name, ref))
    events: dict[str, Any] = {}
    for name, event in svc.events:
        key = naming.camel(name)
        state = "ENABLED" if event.enabled else "DISABLED"
        if event.schedule is not None:
            rule = naming.event_rule_name(env.platform, env.name, svc.name, name)
            events[key] = {"Type": "Schedule", "Properties": {"Schedule": event.schedule, "Name": rule, "State": state}}
            _rule_outputs(b, env, svc, name, rule, "default")
        elif event.sqs is not None:
            queue = _queues(b, env, svc, name, event.sqs)
            statements.append(
                iam.allow(
                    [
                        sqs_actions.ReceiveMessage,
                        sqs_actions.DeleteMessage,
                        sqs_actions.ChangeMessageVisibility,
                        sqs_actions.GetQueueAttributes,
                    ],
                    [GetAtt(queue, "Arn")],
                    f"Consume{key}",
                )
            )
            statements += encryption.queue_consume_statements(env, f"Consume{key}Key")
            events[key] = {
                "Type": "SQS",
                "Properties": {
                    "Queue": GetAtt(queue, "Arn"),
                    "BatchSize": event.sqs.batch_size,
                    "Enabled": event.enabled,
                    # With Powertools' batch utility only failed messages return to the queue.
                    "FunctionResponseTypes": ["ReportBatchItemFailures"],
                },
            }
        elif event.eventbridge is not None and event.enabled:
            # A disabled EventBridge event has no rule at all (SAM's State is not accepted here by cfn-lint).
            rule = naming.event_rule_name(env.platform, env.name, svc.name, name)
            events[key] = {
                "Type": "EventBridgeRule",
                "Properties": {
                    "Pattern": event.eventbridge.pattern,
                    "EventBusName": event.eventbridge.bus,
                    "RuleName": rule,
                },
            }
            _rule_outputs(b, env, svc, name, rule, event.eventbridge.bus)
    failures = async_failures.failed_events_queue(b, env, svc, events)
    if failures is not None:
        statements += failures[1]
    spec = FunctionSpec(
        **{
            **base.__dict__,
            "failure_queue_arn": failures[0] if failures else None,
            "statements": statements,
            "environment": variables,
            "events": events,
            "architecture": svc.architecture,
            "reserved_concurrency": svc.reserved_concurrency,
        },
    )
    return make_function(spec)


def _queues(b: StackBuilder, env: EnvironmentSpec, svc: LambdaServiceSpec, name: str, options: Any) -> sqs.Queue:
    key = f"{svc.logical}{naming.camel(name)}"
    # AWS recommends six times the function timeout, so a message is not handed out twice.
    visibility = options.visibility_timeout_seconds or 6 * svc.timeout_seconds
    queue, dead_letters = queues.with_dead_letters(b, env, key, svc.tags, visibility, options)
    for suffix, resource, what in (("Queue", queue, "queue"), ("DeadLetterQueue", dead_letters, "dead-letter queue")):
        for attribute, value, label in (
            ("Url", Ref(resource), "URL"),
            ("Arn", GetAtt(resource, "Arn"), "ARN"),
            ("Name", GetAtt(resource, "QueueName"), "name"),
        ):
            doc = f"{svc.name}/{name}: {what} {label}"
            _export(b, env, svc, f"{key}{suffix}{attribute}", value, doc, f"{name}-{suffix}-{attribute}")
    return queue


def _rule_outputs(
    b: StackBuilder, env: EnvironmentSpec, svc: LambdaServiceSpec, name: str, rule: str, bus: str
) -> None:
    key = f"{svc.logical}{naming.camel(name)}"
    bus_name = bus.rsplit("event-bus/", 1)[-1]
    path = rule if bus_name == "default" else f"{bus_name}/{rule}"
    arn = Sub("arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:rule/" + path)
    _export(b, env, svc, f"{key}RuleName", rule, f"{svc.name}/{name}: EventBridge rule name", f"{name}-rule-name")
    _export(b, env, svc, f"{key}RuleArn", arn, f"{svc.name}/{name}: EventBridge rule ARN", f"{name}-rule-arn")


def _export(
    b: StackBuilder, env: EnvironmentSpec, svc: LambdaServiceSpec, output: str, value: Any, doc: str, suffix: str
) -> None:
    """An output exported as `<platform>-<environment>-<service>-<suffix>` (lower case)."""
    b.output(output, value, doc, export=naming.export_name(env.platform, env.name, f"{svc.name}-{suffix.lower()}"))
