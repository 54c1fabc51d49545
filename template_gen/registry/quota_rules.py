"""AWS quotas that can be checked from the registry alone, before anything is built: resources per REST
API (from the route table) and inbound rules per security group."""

from __future__ import annotations

from collections.abc import Iterator

from template_gen import route_table
from template_gen.layout.capacity import max_targets
from template_gen.quotas import ALB_TARGETS, API_RESOURCES, SG_INBOUND_RULES
from template_gen.registry.context import EnvironmentContext, ServiceContext
from template_gen.registry.models import EcsService
from template_gen.registry.rules import Finding


def quota_rules(ctx: EnvironmentContext) -> Iterator[Finding]:
    """Quotas known from the registry: resources per REST API, inbound rules per security group."""
    where = ("services",)
    # API Gateway resources per REST API: every base path, its parents and its {proxy+}.
    for which in ("public", "private"):
        count = route_table.api_resource_count(ctx.routes, which)
        limit = ctx.env.quotas.api_resources_per_api
        if count > limit:
            yield Finding(
                where,
                f"quota exceeded: {API_RESOURCES.name} is {limit}; the {which} API would have {count}",
                hint="the quota is adjustable: once AWS raised it for the account, declare it with "
                "quotas.api_resources_per_api; or expose fewer services on this API",
            )
    ports = {s.model.port for s in ctx.services if isinstance(s.model, EcsService)}
    if len(ports) > SG_INBOUND_RULES.limit:
        yield Finding(
            where,
            f"quota exceeded: {SG_INBOUND_RULES.name} is {SG_INBOUND_RULES.limit}; the task security group "
            f"needs one rule per distinct container port ({len(ports)})",
            hint="use fewer distinct container ports (most services can listen on 8080)",
        )


def alb_targets(ctx: ServiceContext) -> Iterator[Finding]:
    """One service's tasks must fit one ALB: during a deployment it registers up to
    `deployment.maximum_percent` of its most tasks (old and new side by side)."""
    model = ctx.model
    if not isinstance(model, EcsService) or model.alb is None:  # internal services have no ALB targets
        return
    most = model.autoscaling.max if model.autoscaling is not None else model.desired_count
    percent = model.deployment.maximum_percent
    targets = max_targets(most, percent)
    if targets > ALB_TARGETS.limit:
        field = ("autoscaling", "max") if model.autoscaling is not None else ("desired_count",)
        yield Finding(
            field,
            f"quota exceeded: {ALB_TARGETS.name} is {ALB_TARGETS.limit:,}; {most} tasks at "
            f"deployment.maximum_percent {percent} can register {targets:,}",
            hint="lower the task maximum or deployment.maximum_percent, or split the service",
            related=(("deployment", "maximum_percent"),),
        )
