"""The observability settings of an environment, resolved: every alarm threshold a builder needs, with
service values over environment values over the defaults below. Plain frozen data, like `spec.py`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from template_gen import naming
from template_gen.registry.models import EcsService, LambdaService, WorkerService
from template_gen.registry.observability_models import (
    ApiThresholds,
    EcsThresholds,
    LambdaThresholds,
    LoadBalancerThresholds,
    ObservabilitySettings,
)

# Defaults of the thresholds a service or environment may leave unset (docs/observability.md lists them).
ECS_DEFAULTS: dict[str, Any] = {
    "target_5xx_percent": 5.0,
    "unhealthy_hosts": 1,
    "p99_response_ms": 2000,
    "below_desired_minutes": 10,
    "cpu_percent": 85.0,
    "memory_percent": 85.0,
    "service_connect_5xx": 10,
}
LAMBDA_DEFAULTS: dict[str, Any] = {"errors": 1, "throttles": 1, "duration_percent_of_timeout": 80.0}


@dataclass(frozen=True)
class EcsAlarms:
    target_5xx_percent: float
    unhealthy_hosts: int
    p99_response_ms: int
    below_desired_minutes: int
    cpu_percent: float
    memory_percent: float
    service_connect_5xx: int
    rollback: bool = True


@dataclass(frozen=True)
class LambdaAlarms:
    errors: int
    throttles: int
    duration_percent_of_timeout: float


@dataclass(frozen=True)
class ObservabilitySpec:
    emails: tuple[str, ...] = ()
    https_endpoints: tuple[str, ...] = ()
    api: ApiThresholds = field(default_factory=ApiThresholds)
    load_balancer: LoadBalancerThresholds = field(default_factory=LoadBalancerThresholds)
    platform_lambda: LambdaAlarms = field(default_factory=lambda: LambdaAlarms(**LAMBDA_DEFAULTS))
    ecs: dict[str, EcsAlarms] = field(default_factory=dict)  # only services whose alarms are on
    lambdas: dict[str, LambdaAlarms] = field(default_factory=dict)  # only services whose alarms are on

    def ecs_alarms(self, service: str) -> EcsAlarms | None:
        """The service's thresholds, or None when its alarms are turned off."""
        return self.ecs.get(service)

    def lambda_alarms(self, service: str) -> LambdaAlarms | None:
        return self.lambdas.get(service)


def _merge(defaults: dict[str, Any], *layers: EcsThresholds | LambdaThresholds) -> dict[str, Any]:
    values = dict(defaults)
    for layer in layers:
        values.update({key: value for key in defaults if (value := getattr(layer, key)) is not None})
    return values


def observability_spec(
    settings: ObservabilitySettings, services: dict[str, EcsService | WorkerService | LambdaService]
) -> ObservabilitySpec:
    """`services`: the environment's services by name, with their per-environment overrides applied. A
    worker takes the environment's container thresholds (it has no alarm settings of its own, and no
    target-group alarms: it serves no requests)."""
    alarms = settings.alarms
    ecs: dict[str, EcsAlarms] = {}
    lambdas: dict[str, LambdaAlarms] = {}
    for name, model in sorted(services.items()):
        if isinstance(model, WorkerService):
            ecs[name] = EcsAlarms(**_merge(ECS_DEFAULTS, alarms.ecs), rollback=False)
            continue
        if not model.alarms.enabled:
            continue
        if isinstance(model, EcsService):
            ecs[name] = EcsAlarms(**_merge(ECS_DEFAULTS, alarms.ecs, model.alarms), rollback=model.alarms.rollback)
        else:
            lambdas[name] = LambdaAlarms(**_merge(LAMBDA_DEFAULTS, alarms.lambda_, model.alarms))
    return ObservabilitySpec(
        emails=tuple(settings.notifications.email),
        https_endpoints=tuple(settings.notifications.https),
        api=alarms.api,
        load_balancer=alarms.load_balancer,
        platform_lambda=LambdaAlarms(**_merge(LAMBDA_DEFAULTS, alarms.lambda_)),
        ecs=ecs,
        lambdas=lambdas,
    )


# The alarms that roll an ECS deployment back (their names are known before they exist; see ecs_service.py).
TARGET_5XX_ALARM = "target-5xx"
UNHEALTHY_HOSTS_ALARM = "unhealthy-hosts"


def rollback_alarm_names(platform: str, environment: str, service: str) -> list[str]:
    return [naming.alarm_name(platform, environment, service, a) for a in (TARGET_5XX_ALARM, UNHEALTHY_HOSTS_ALARM)]
