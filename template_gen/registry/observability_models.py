"""Models of the observability settings: alarm thresholds (environment-wide in `registry.yaml`, per service
in `service.yaml`) and where notifications go.

Every threshold a service sets is optional: unset, it inherits the environment's value, which in turn
defaults to the value here. Per-environment values of a service go in its `environments:` block, like
every other field.
"""

import re
from typing import Annotated

from pydantic import AfterValidator, Field

from template_gen.registry.types import Model, Range

Percent = Annotated[float, Field(gt=0, le=100)]
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
_HTTPS = re.compile(r"^https://[^\s/$.?#][^\s]*$")


def _email(value: str) -> str:
    if not _EMAIL.match(value) or len(value) > 254:
        raise ValueError(f"'{value}' is not an email address")
    return value


def _https(value: str) -> str:
    if not _HTTPS.match(value) or len(value) > 2048:
        raise ValueError(f"'{value}' is not an https:// URL")
    return value


Email = Annotated[str, AfterValidator(_email)]
HttpsUrl = Annotated[str, AfterValidator(_https)]


class EcsThresholds(Model):
    """Alarm thresholds of a container service (unset: the environment's, then the default)."""

    target_5xx_percent: Percent | None = Field(
        None, description="Target 5xx responses as a share of requests at the ALB, over 5 minutes (default 5)."
    )
    unhealthy_hosts: Annotated[int, Range(1, 1000)] | None = Field(
        None, description="Unhealthy targets in the service's target group, for 2 minutes (default 1)."
    )
    p99_response_ms: Annotated[int, Range(10, 600000)] | None = Field(
        None, description="p99 target response time at the ALB, over 5 minutes (default 2000 ms)."
    )
    below_desired_minutes: Annotated[int, Range(1, 1440)] | None = Field(
        None,
        description="Running tasks below the desired count for this many minutes (default 10; needs Container "
        "Insights).",
    )
    cpu_percent: Percent | None = Field(None, description="Average CPU for 10 minutes (default 85).")
    memory_percent: Percent | None = Field(None, description="Average memory for 10 minutes (default 85).")
    service_connect_5xx: Annotated[int, Range(1, 1000000)] | None = Field(
        None, description="Service Connect 5xx responses in 5 minutes, where Service Connect is on (default 10)."
    )


class LambdaThresholds(Model):
    """Alarm thresholds of a function (unset: the environment's, then the default)."""

    errors: Annotated[int, Range(1, 1000000)] | None = Field(None, description="Errors in 5 minutes (default 1).")
    throttles: Annotated[int, Range(1, 1000000)] | None = Field(
        None, description="Throttled invocations in 5 minutes (default 1)."
    )
    duration_percent_of_timeout: Percent | None = Field(
        None, description="p99 duration as a share of the function's timeout, over 5 minutes (default 80)."
    )


class ApiThresholds(Model):
    """Alarm thresholds of each REST API."""

    error_5xx_percent: Percent = Field(1, description="5xx responses as a share of requests over 5 minutes.")
    error_4xx_band: Annotated[int, Range(1, 10)] = Field(
        3, description="A 4xx spike: 4xx count above this many standard deviations of its anomaly band."
    )
    p99_latency_ms: Annotated[int, Range(10, 29000)] = Field(3000, description="p99 latency over 5 minutes.")
    authorizer_errors: Annotated[int, Range(1, 1000000)] = Field(
        1, description="API key validator failures (function errors and key lookup errors) in 5 minutes."
    )


class LoadBalancerThresholds(Model):
    rejected_connections: Annotated[int, Range(1, 1000000)] = Field(
        1, description="ALB rejected connections (it reached its connection limit) in 5 minutes."
    )


class AlarmDefaults(Model):
    ecs: EcsThresholds = EcsThresholds()
    lambda_: LambdaThresholds = Field(LambdaThresholds(), alias="lambda")
    api: ApiThresholds = ApiThresholds()
    load_balancer: LoadBalancerThresholds = LoadBalancerThresholds()


class Notifications(Model):
    """Who hears about alarms: subscriptions to the environment's alarm topic (alarm and OK)."""

    email: list[Email] = Field(default_factory=list, description="Addresses (each confirms the subscription).")
    https: list[HttpsUrl] = Field(
        default_factory=list, description="HTTPS endpoints (chat or paging webhooks; each confirms it)."
    )


class ObservabilitySettings(Model):
    notifications: Notifications = Notifications()
    alarms: AlarmDefaults = Field(AlarmDefaults(), description="Environment-wide alarm thresholds.")


class EcsServiceAlarms(EcsThresholds):
    enabled: bool = Field(True, description="false: no alarms for this service (and no rollback on alarm).")
    rollback: bool = Field(
        True, description="Roll a deployment back when the service's 5xx or unhealthy-host alarm goes off."
    )


class LambdaServiceAlarms(LambdaThresholds):
    enabled: bool = Field(True, description="false: no alarms for this function.")
