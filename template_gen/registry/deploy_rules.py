"""Rules for settings that pass cfn-lint but fail when an account deploys them: checked once, up front,
like every other rule (see docs/deploying.md, "What can fail on a first deploy")."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from template_gen import aws_data
from template_gen.registry.context import EnvironmentContext, ServiceContext
from template_gen.registry.entries import ServiceEntry
from template_gen.registry.models import EcsService, NetworkCreate
from template_gen.registry.registry_models import Environment, Registry
from template_gen.registry.rules import Finding


def ecs_deploy_rules(ctx: ServiceContext) -> Iterator[Finding]:
    """ECS runs no ARM64 Linux task on Fargate Spot: the service never reaches a steady state."""
    service = ctx.model
    if isinstance(service, EcsService) and service.platform == "arm64":
        for index, item in enumerate(service.capacity_provider_strategy):
            if item.provider == "FARGATE_SPOT":
                yield Finding(
                    ("capacity_provider_strategy", index, "provider"),
                    "FARGATE_SPOT does not run ARM64 tasks (platform: arm64)",
                    hint="use FARGATE for an arm64 service, or platform: x86_64 to run on Fargate Spot",
                    related=(("platform",),),
                )


def environment_deploy_rules(ctx: EnvironmentContext) -> Iterator[Finding]:
    """Deploy-time failures of the environment's settings (private DNS, throttles, Region, CloudWatch role)."""
    assert ctx.registry is not None  # validate passes it to every cross-service rule
    registry, env_name, entries = ctx.registry, ctx.env_name, ctx.services
    env = registry.environments[env_name]
    yield from _execute_api_private_dns(env, entries)
    yield from _stage_throttle(env)
    yield from _powertools_region(env, registry.region_of(env_name))
    if _has_api_stage(env, entries):
        yield from _cloudwatch_role_source(registry, env_name)


def _has_api_stage(env: Environment, entries: Sequence[ServiceEntry]) -> bool:
    exposed = any(getattr(e.model.api, "exposure", "none") != "none" for e in entries)
    return exposed or env.platform_functions.onboarding.enabled


def _execute_api_private_dns(env: Environment, entries: Sequence[ServiceEntry]) -> Iterator[Finding]:
    """Creating an interface endpoint with private DNS fails ("conflicting DNS domain") when the VPC
    already has an execute-api endpoint with private DNS; only a VPC the stack creates is known to be empty."""
    net, endpoint = env.network, env.network.execute_api_endpoint
    if isinstance(net, NetworkCreate) or endpoint.endpoint_id or not endpoint.private_dns:
        return
    private = any(getattr(e.model.api, "exposure", "none") in ("private", "both") for e in entries)
    private = private or (env.platform_functions.onboarding.enabled and env.api.admin.exposure == "private")
    if endpoint.create == "always" or (endpoint.create == "auto" and private):
        yield Finding(
            ("network", "execute_api_endpoint"),
            f"creates an execute-api endpoint with private DNS in a VPC the environment does not own "
            f"(mode: {net.mode}); the create fails if the VPC already has one",
            hint="give the existing endpoint as endpoint_id, or set private_dns: false (the private API's URL "
            "uses the endpoint-specific hostname either way)",
        )


def _stage_throttle(env: Environment) -> Iterator[Finding]:
    """The stage's method throttling applies to every caller before any usage plan: below a plan's limits,
    that plan's consumers get 429s before they reach what they were sold."""
    stage = env.api.throttle
    for index, plan in enumerate(env.api.usage_plans):
        if plan.throttle is None:
            continue
        for field in ("rate_limit", "burst_limit"):
            mine, theirs = getattr(stage, field), getattr(plan.throttle, field)
            if mine < theirs:
                yield Finding(
                    ("api", "throttle", field),
                    f"{_number(mine)} is below usage plan '{plan.name}' ({_number(theirs)}); its consumers would "
                    "be throttled below their plan",
                    hint=f"raise api.throttle.{field} to at least {_number(theirs)}, or lower the plan's",
                    related=(("api", "usage_plans", index, "throttle", field),),
                )


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _powertools_region(env: Environment, region: str) -> Iterator[Finding]:
    powertools = env.lambda_.powertools
    if powertools.source != "layer" or powertools.layer_version is not None:
        return  # bundled, or a pinned layer ARN: no SSM parameter is read
    if region not in aws_data.POWERTOOLS_LAYER_REGIONS:
        yield Finding(
            ("lambda", "powertools"),
            f"the official Powertools layer and its public SSM parameter are not published in {region}",
            hint="set lambda.powertools.source: bundle, or pin lambda.powertools.layer_version if the layer "
            "exists in that Region (the pinned layer ARN is used instead of the SSM parameter)",
        )


def _cloudwatch_role_source(registry: Registry, env_name: str) -> Iterator[Finding]:
    """API Gateway writes access and execution logs only when the account's API Gateway settings name a
    CloudWatch role; without one, the stage fails its first deploy ("CloudWatch Logs role ARN must be set
    in account settings to enable logging"). A known account with no source for the role is refused."""
    env = registry.environments[env_name]
    if env.api.cloudwatch_role or env.account_id is None:
        return  # created here, declared existing, or an account the registry cannot tell apart
    region = registry.region_of(env_name)
    for name, other in registry.environments.items():
        same_account = other.account_id is None or other.account_id == env.account_id
        same_region = registry.region_of(name) == region
        if name != env_name and other.api.cloudwatch_role is True and same_account and same_region:
            return
    yield Finding(
        ("api", "cloudwatch_role"),
        f"the stage writes API Gateway logs, and nothing gives account {env.account_id} in {region} the "
        "CloudWatch role they need",
        hint="set api.cloudwatch_role: true here (once per account and Region), or cloudwatch_role: existing "
        "if the account's API Gateway settings already name a role",
    )
