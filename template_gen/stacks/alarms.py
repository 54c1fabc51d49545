"""CloudWatch alarms: one helper that every alarm of the observability stage goes through (so every alarm
has its alarm and OK actions), and the runbook: each alarm's meaning and the first thing to check, which
becomes the alarm's description and the table in docs/observability.md."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from troposphere import cloudwatch

from template_gen.stacks.common import StackBuilder


@dataclass(frozen=True)
class Metric:
    namespace: str
    name: str
    dimensions: Sequence[tuple[str, Any]]
    stat: str  # Sum, Average, Minimum, Maximum, or a percentile such as p99

    def dims(self) -> list[cloudwatch.MetricDimension]:
        return [cloudwatch.MetricDimension(Name=n, Value=v) for n, v in self.dimensions]


@dataclass(frozen=True)
class Runbook:
    title: str
    meaning: str
    first_check: str


# Every alarm the stage creates, by key (the alarm name ends with the key).
RUNBOOK: dict[str, Runbook] = {
    "target-5xx": Runbook(
        "Service 5xx rate",
        "The service's targets answer 5xx to more than the threshold share of requests at the ALB; it also rolls "
        "a running deployment back.",
        "The service's log group (saved query errors-by-service) and its last deployment's events.",
    ),
    "unhealthy-hosts": Runbook(
        "Unhealthy targets",
        "Targets of the service fail the ALB health check; it also rolls a running deployment back.",
        "The health check path answers 2xx/3xx on the container port; ECS service events name the failing tasks.",
    ),
    "p99-response": Runbook(
        "Service p99 response time",
        "The slowest 1% of requests at the ALB take longer than the threshold.",
        "The service's CPU and memory widgets, then its traces and downstream calls.",
    ),
    "below-desired": Runbook(
        "Tasks below desired",
        "Fewer tasks run than desired for the whole window (Container Insights metrics).",
        "Stopped tasks' reasons (`aws ecs describe-tasks`): image pull, essential container exit, capacity.",
    ),
    "cpu-high": Runbook(
        "Service CPU high",
        "Average CPU of the service's tasks is above the threshold.",
        "Whether autoscaling is at its maximum; raise cpu or the maximum task count.",
    ),
    "memory-high": Runbook(
        "Service memory high",
        "Average memory of the service's tasks is above the threshold (tasks are killed at 100%).",
        "Stopped tasks with OutOfMemoryError; raise memory or look for a leak.",
    ),
    "service-connect-5xx": Runbook(
        "Service Connect 5xx",
        "Callers reaching the service through Service Connect get 5xx responses.",
        "The service's logs, then the Service Connect proxy's logs of the callers.",
    ),
    "errors": Runbook(
        "Function errors",
        "The function raised, timed out or ran out of memory.",
        "The function's log group (saved query errors-by-service); a timeout shows as `Task timed out`.",
    ),
    "throttles": Runbook(
        "Function throttles",
        "Invocations were refused for lack of concurrency.",
        "Reserved concurrency of the function and the account's concurrency in the Region.",
    ),
    "duration-near-timeout": Runbook(
        "Function near its timeout",
        "p99 duration is above the threshold share of the function's timeout.",
        "Slow downstream calls in the traces; raise the timeout or memory.",
    ),
    "api-5xx": Runbook(
        "API 5xx rate",
        "The REST API answers 5xx to more than the threshold share of requests.",
        "The routing widgets: which service answers 5xx; an integration timeout is a 504 with no 5xx at the ALB.",
    ),
    "api-4xx-spike": Runbook(
        "API 4xx spike",
        "The API's 4xx count is above its anomaly band (a client or a consumer misbehaves, or routes changed).",
        "Saved query denied-consumers, and slowest-routes for the paths involved.",
    ),
    "api-p99-latency": Runbook(
        "API p99 latency",
        "The slowest 1% of requests through the API take longer than the threshold.",
        "Saved query slowest-routes; integration latency close to the total means the backend is slow.",
    ),
    "authorizer-errors": Runbook(
        "Authorizer errors",
        "The API key validator failed (function errors or consumer-table lookup errors); callers are denied.",
        "The validator's log group: lookup errors name the DynamoDB error.",
    ),
    "nlb-healthy-hosts": Runbook(
        "NLB sees no healthy ALB",
        "The NLB's target group has no healthy ALB: nothing reaches the services.",
        "The ALB's platform health rule (/_platform/health) and the ALB's security group.",
    ),
    "alb-rejected-connections": Runbook(
        "ALB rejected connections",
        "The ALB refused connections because it reached its connection limit.",
        "Request volume on the gateway widgets; a client opening connections without reuse.",
    ),
}


def alarm(
    b: StackBuilder,
    logical: str,
    name: str,
    key: str,
    topic: Any,
    threshold: float,
    comparison: str,
    *,
    metric: Metric | None = None,
    math: tuple[str, Mapping[str, Metric]] | None = None,
    band: tuple[int, Metric] | None = None,
    period: int = 60,
    periods: int = 5,
    datapoints: int | None = None,
    missing: str = "notBreaching",
) -> cloudwatch.Alarm:
    """One alarm on a metric, a metric-math expression or an anomaly band, notifying `topic` of ALARM and OK."""
    props: dict[str, Any] = {
        "AlarmName": name,
        "AlarmDescription": f"{RUNBOOK[key].meaning} First check: {RUNBOOK[key].first_check}",
        "AlarmActions": [topic],
        "OKActions": [topic],
        "ComparisonOperator": comparison,
        "EvaluationPeriods": periods,
        "DatapointsToAlarm": datapoints or periods,
        "TreatMissingData": missing,
    }
    if metric is not None:
        props.update(Namespace=metric.namespace, MetricName=metric.name, Dimensions=metric.dims(), Period=period)
        stat_key = "ExtendedStatistic" if metric.stat.startswith("p") else "Statistic"
        props[stat_key] = metric.stat
        props["Threshold"] = threshold
    elif math is not None:
        expression, inputs = math
        queries = [_query(qid, m, period) for qid, m in sorted(inputs.items())]
        queries.append(cloudwatch.MetricDataQuery(Id="result", Expression=expression, Label=key, ReturnData=True))
        props.update(Metrics=queries, Threshold=threshold)
    else:
        assert band is not None
        width, watched = band
        props.update(
            Metrics=[
                _query("m1", watched, period, returned=True),
                cloudwatch.MetricDataQuery(Id="band", Expression=f"ANOMALY_DETECTION_BAND(m1, {width})", Label=key),
            ],
            ThresholdMetricId="band",
        )
    return b.add(cloudwatch.Alarm(logical, **props))


def _query(qid: str, metric: Metric, period: int, returned: bool = False) -> cloudwatch.MetricDataQuery:
    stat = cloudwatch.MetricStat(
        Metric=cloudwatch.Metric(Namespace=metric.namespace, MetricName=metric.name, Dimensions=metric.dims()),
        Period=period,
        Stat=metric.stat,
    )
    return cloudwatch.MetricDataQuery(Id=qid, MetricStat=stat, ReturnData=returned)
