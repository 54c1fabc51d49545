"""Every registry rule, registered once, by scope (cfn-lint style): a rule is a function of a context
that yields `Finding`s. `validate` runs them all, so a new rule is one function and one line here.

- service: one service in one environment (its overrides applied), `ServiceContext`;
- environment: the environment's own settings, `EnvironmentContext`;
- cross-service: the environment's services together (the route table included), `EnvironmentContext`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

from template_gen import naming
from template_gen.registry import (
    alb_tls_rules,
    cache_rules,
    cross_checks,
    deploy_rules,
    egress_rules,
    encryption_rules,
    escape_hatch_rules,
    hardening_rules,
    quota_rules,
    route_cross_checks,
    route_rules,
    rules,
    runtime_rules,
    traffic_rules,
    workload_rules,
)
from template_gen.registry.context import ServiceContext
from template_gen.registry.models import EcsService, LambdaService
from template_gen.registry.rules import Finding

Scope = Literal["service", "environment", "cross-service"]


@dataclass(frozen=True)
class Rule:
    name: str  # unique, kebab-case
    scope: Scope
    check: Callable[[Any], Iterator[Finding]]


def _ecs(ctx: ServiceContext) -> Iterator[Finding]:
    if isinstance(ctx.model, EcsService):
        yield from rules.ecs_rules(ctx.model)


def _alb_patterns(ctx: ServiceContext) -> Iterator[Finding]:
    model = ctx.model
    if isinstance(model, EcsService) and ctx.entry.alb_patterns():
        yield from runtime_rules.alb_rules(model, ctx.entry.alb_patterns())


def _lambda(ctx: ServiceContext) -> Iterator[Finding]:
    if isinstance(ctx.model, LambdaService):
        code_dir = ctx.model.code or naming.code_dir_for(ctx.entry.name)
        yield from rules.lambda_rules(ctx.model, ctx.entry.name, ctx.project_dir, code_dir)


def _lambda_events(ctx: ServiceContext) -> Iterator[Finding]:
    if isinstance(ctx.model, LambdaService):
        timeout = ctx.model.timeout_seconds or ctx.env.lambda_.timeout_seconds
        yield from runtime_rules.event_rules(ctx.model, timeout)


RULES: tuple[Rule, ...] = (
    # one service
    Rule("secrets", "service", lambda ctx: runtime_rules.secret_rules(ctx.model)),
    Rule("iam-statements", "service", lambda ctx: runtime_rules.iam_rules(ctx.model)),
    Rule("workload", "service", lambda ctx: workload_rules.service_rules(ctx.model, ctx.entry.name, ctx.env)),
    Rule("ecs-service", "service", _ecs),
    Rule("alb-patterns", "service", _alb_patterns),
    Rule("lambda-service", "service", _lambda),
    Rule("lambda-events", "service", _lambda_events),
    Rule("alb-targets", "service", quota_rules.alb_targets),
    Rule("arm64-not-on-fargate-spot", "service", deploy_rules.ecs_deploy_rules),
    Rule("api-routes", "service", route_rules.route_rules),
    Rule("unique-route-methods", "service", route_rules.unique_methods),
    Rule("alb-reaches-routes", "service", route_rules.alb_reaches_routes),
    Rule("container-memory", "service", hardening_rules.container_memory),
    Rule("route-cache", "service", cache_rules.route_cache),
    # the environment's settings
    Rule("network", "environment", lambda ctx: rules.network_rules(ctx.env)),
    Rule("api-settings", "environment", lambda ctx: rules.api_settings_rules(ctx.env, ctx.region)),
    Rule("registry-patch-stage", "environment", escape_hatch_rules.registry_patches_take_their_stack_from_the_key),
    Rule("alb-tls", "environment", alb_tls_rules.alb_tls),
    Rule("kms-key-region", "environment", encryption_rules.key_in_the_environments_region),
    Rule("log-bucket-settings", "environment", encryption_rules.log_bucket_settings_need_the_bucket),
    Rule("vpc-endpoints", "environment", egress_rules.endpoint_settings),
    # services together
    Rule("platform-function-code", "cross-service", cross_checks.platform_function_code),
    Rule("authorizer-needs-validator", "cross-service", cross_checks.authorizer_needs_validator),
    Rule("unique-priorities", "cross-service", cross_checks.unique_priorities),
    Rule("no-overlapping-alb-paths", "cross-service", cross_checks.no_overlapping_alb_paths),
    Rule("unique-base-paths", "cross-service", cross_checks.unique_base_paths),
    Rule("one-api-key-source", "cross-service", cross_checks.one_api_key_source),
    Rule("admin-path-is-reserved", "cross-service", cross_checks.admin_path_is_reserved),
    Rule("keys-need-a-usage-plan", "cross-service", cross_checks.keys_need_a_usage_plan),
    Rule("registry-quotas", "cross-service", quota_rules.quota_rules),
    Rule("calls", "cross-service", traffic_rules.calls),
    Rule("security-group-quotas", "cross-service", traffic_rules.security_group_quotas),
    Rule("first-deploy-settings", "cross-service", deploy_rules.environment_deploy_rules),
    Rule("no-nested-routes", "cross-service", route_cross_checks.no_nested_routes),
    Rule("authorizers-per-api", "cross-service", route_cross_checks.authorizer_quota),
    Rule("jwt-authorizer-code", "cross-service", route_cross_checks.jwt_authorizer_code),
    Rule("restricted-egress", "cross-service", egress_rules.restricted_egress),
)


def of_scope(scope: Scope) -> list[Rule]:
    return [rule for rule in RULES if rule.scope == scope]
