"""A `kind: worker` service's queue: one the platform creates (with a dead-letter queue, names and ARNs
exported for producers), or an existing one named by ARN; the permissions to consume it; and scaling on
the backlog per running task."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from awacs import sqs as sqs_actions
from awacs.aws import Statement
from troposphere import GetAtt, Ref
from troposphere import applicationautoscaling as aas

from template_gen import naming
from template_gen.spec import EcsServiceSpec, EnvironmentSpec
from template_gen.stacks import encryption, iam, queues
from template_gen.stacks.common import StackBuilder


@dataclass(frozen=True)
class WorkerQueue:
    arn: Any
    url: Any
    name: Any
    key_statements: list[Statement] = field(default_factory=list)  # the environment's key, on a queue it creates

    def variables(self) -> dict[str, Any]:
        return {"QUEUE_URL": self.url, "QUEUE_ARN": self.arn}

    def consume(self) -> list[Statement]:
        actions = [
            sqs_actions.ReceiveMessage,
            sqs_actions.DeleteMessage,
            sqs_actions.ChangeMessageVisibility,
            sqs_actions.GetQueueAttributes,
        ]
        return [iam.allow(actions, [self.arn], "ConsumeQueue"), *self.key_statements]


def queue(b: StackBuilder, env: EnvironmentSpec, svc: EcsServiceSpec) -> WorkerQueue | None:
    options = svc.queue
    if options is None:
        return None
    if options.arn is not None:
        _, _, _, region, account, name = options.arn.split(":", 5)
        return WorkerQueue(options.arn, f"https://sqs.{region}.amazonaws.com/{account}/{name}", name)
    lid = svc.logical
    main, dead_letters = queues.with_dead_letters(b, env, lid, svc.tags, options.visibility_timeout_seconds, options)
    for suffix, resource, what in (("Queue", main, "queue"), ("DeadLetterQueue", dead_letters, "dead-letter queue")):
        for attribute, value, label in (("Url", Ref(resource), "URL"), ("Arn", GetAtt(resource, "Arn"), "ARN")):
            export = naming.export_name(env.platform, env.name, f"{svc.name}-{suffix}-{attribute}".lower())
            b.output(f"{lid}{suffix}{attribute}", value, f"{svc.name}: {what} {label}", export=export)
    key = encryption.queue_consume_statements(env, "ConsumeQueueKey")
    return WorkerQueue(GetAtt(main, "Arn"), Ref(main), GetAtt(main, "QueueName"), key)


def backlog_scaling(
    b: StackBuilder, svc: EcsServiceSpec, target: Any, work: WorkerQueue, cluster: Any, service: Any
) -> None:
    """Target tracking on visible messages per running task (AWS's recommended SQS scaling metric)."""
    scaling, per_task = svc.autoscaling, svc.messages_per_task
    if scaling is None or per_task is None:
        return

    def stat(query: str, namespace: str, metric: str, dimensions: dict[str, Any]) -> Any:
        return aas.TargetTrackingMetricDataQuery(
            Id=query,
            ReturnData=False,
            MetricStat=aas.TargetTrackingMetricStat(
                Stat="Average",
                Metric=aas.TargetTrackingMetric(
                    Namespace=namespace,
                    MetricName=metric,
                    Dimensions=[aas.TargetTrackingMetricDimension(Name=k, Value=v) for k, v in dimensions.items()],
                ),
            ),
        )

    metrics = [
        stat("visible", "AWS/SQS", "ApproximateNumberOfMessagesVisible", {"QueueName": work.name}),
        # Published by Container Insights (validation requires it for this policy).
        stat("tasks", "ECS/ContainerInsights", "RunningTaskCount", {"ClusterName": cluster, "ServiceName": service}),
        aas.TargetTrackingMetricDataQuery(
            Id="backlog", Expression="visible / tasks", Label="Visible messages per running task", ReturnData=True
        ),
    ]
    b.add(
        aas.ScalingPolicy(
            f"{svc.logical}BacklogScaling",
            PolicyName=f"{svc.name}-backlog",
            PolicyType="TargetTrackingScaling",
            ScalingTargetId=Ref(target),
            TargetTrackingScalingPolicyConfiguration=aas.TargetTrackingScalingPolicyConfiguration(
                TargetValue=float(per_task),
                CustomizedMetricSpecification=aas.CustomizedMetricSpecification(Metrics=metrics),
                ScaleInCooldown=scaling.scale_in_cooldown_seconds,
                ScaleOutCooldown=scaling.scale_out_cooldown_seconds,
            ),
        )
    )
