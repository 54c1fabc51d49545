"""What each service costs in the stack it lands in, and the placement plan built from those costs.

The numbers mirror what the builders add (`stacks/ecs_service.py`, `stacks/lambda_service.py`,
`stacks/routes.py`); `tests/functional/scale/test_scale.py` checks them against rendered templates.
"""

from __future__ import annotations

from collections import defaultdict

from template_gen.placement import UNBOUNDED, Placement, place
from template_gen.quotas import APIS_BY_EXPOSURE, SERVICES_PER_ALB, SHARD_CAPACITY, Cost, api_resource_paths
from template_gen.spec import EcsServiceSpec, EnvironmentSpec, LambdaServiceSpec, ServiceSpec


def compute_cost(svc: ServiceSpec) -> Cost:
    if isinstance(svc, EcsServiceSpec):
        resources, outputs = 7, 1  # log group, target group, rule, two roles, task definition, service
        if svc.image_repository is None:
            resources, outputs = resources + 1, outputs + 1  # ECR repository
        scaling = svc.autoscaling
        if scaling is not None and svc.image_tag is not None:
            targets = (scaling.cpu_target, scaling.memory_target, scaling.requests_per_target)
            resources += 1 + sum(t is not None for t in targets)
        return Cost(resources, outputs)
    assert isinstance(svc, LambdaServiceSpec)
    resources, outputs = 3, 1  # log group, role, function
    for _, event in svc.events:
        if event.schedule is not None or (event.eventbridge is not None and event.enabled):
            resources, outputs = resources + 2, outputs + 2  # rule and permission; name and ARN
        elif event.sqs is not None:
            resources, outputs = resources + 3, outputs + 6  # queue, dead-letter queue, mapping; URL/ARN/name x2
    return Cost(resources, outputs)


def shared_compute_cost(env: EnvironmentSpec) -> Cost:
    """What the first compute shard holds besides services."""
    resources, outputs = 1, 2  # cluster: name, ARN
    if any(s.exec for s in env.ecs_services):
        resources, outputs = resources + 1, outputs + 1
    if env.validator_enabled or env.onboarding_enabled:
        resources, outputs = resources + 1, outputs + 2  # consumers table
    if env.validator_enabled:
        resources, outputs = resources + 3, outputs + 1
    if env.onboarding_enabled:
        resources, outputs = resources + 4, outputs + 1  # with the idempotency table
    if env.lambda_services:
        resources, outputs = resources + 1, outputs + 1  # catalog layer
    return Cost(resources, outputs, 20)


def _methods_per_route(env: EnvironmentSpec) -> int:
    """ANY (and OPTIONS with CORS) on `/base` and on `/base/{proxy+}`."""
    return 4 if env.api.cors is not None else 2


def route_group(base_path: str) -> str:
    return base_path.strip("/").split("/")[0]


def route_groups(env: EnvironmentSpec) -> dict[str, Cost]:
    """API routes grouped by first path segment (a group shares parent resources, so it stays together)."""
    bases: dict[tuple[str, str], list[str]] = defaultdict(list)
    cost: dict[str, Cost] = defaultdict(Cost)
    methods = _methods_per_route(env)
    for svc in env.services:
        apis = APIS_BY_EXPOSURE[svc.api.exposure]
        if not apis:
            continue
        base = str(svc.api.base_path)
        group = route_group(base)
        lambda_ = int(isinstance(svc, LambdaServiceSpec))  # its invoke permission; its function ARN parameter
        for which in apis:
            bases[(which, group)].append(base)
            cost[group] += Cost(methods + lambda_, 0, lambda_)
    if env.onboarding_enabled:
        group = route_group(env.api.admin.base_path)
        bases[(env.api.admin.exposure, group)].append(env.api.admin.base_path)
        cost[group] += Cost(methods + 1, 0, 1)
    for (_, group), paths in bases.items():
        cost[group] += Cost(len(api_resource_paths(paths)))
    return dict(cost)


def plan(env: EnvironmentSpec, previous: Placement) -> Placement:
    compute = place(
        ((s.name, compute_cost(s)) for s in env.services),
        previous.compute,
        SHARD_CAPACITY,
        {1: shared_compute_cost(env)},
    )
    albs = place(
        ((s.name, Cost(1)) for s in env.ecs_services), previous.albs, Cost(SERVICES_PER_ALB, UNBOUNDED, UNBOUNDED)
    )
    groups = route_groups(env)
    previous_routes = dict(previous.routes)
    if env.onboarding_enabled:  # the admin API is never moved out of api.yaml
        previous_routes[route_group(env.api.admin.base_path)] = 1
    routes = place(groups.items(), previous_routes, SHARD_CAPACITY, {1: Cost(12, 12, 20)})
    return Placement(compute, albs, routes)


# --------------------------------------------------------------------------------------------------
# Deploying in waves: one CloudFormation operation creates at most 2,500 resources across a root stack
# and its nested stacks. A first deployment of a large environment goes in waves of compute shards.
# --------------------------------------------------------------------------------------------------

WAVE_BUDGET = 2_400  # of the 2,500 per operation: room for estimate slack (checked after rendering)
BASE_FOOTPRINT = 120  # network, API core and stage stacks, root: what every first wave creates


def footprint(svc: ServiceSpec, env: EnvironmentSpec) -> int:
    """Resources a service adds across all stacks: its compute resources and its API routes."""
    route = 2 + _methods_per_route(env) + int(isinstance(svc, LambdaServiceSpec))  # resources, methods, permission
    return compute_cost(svc).resources + route * len(APIS_BY_EXPOSURE[svc.api.exposure])


def waves(env: EnvironmentSpec) -> list[list[int]]:
    """Compute shards per wave, in order; every wave stays under the per-operation resource limit."""
    per_shard: dict[int, int] = defaultdict(int)
    for svc in env.services:
        per_shard[env.placement.compute_shard_of(svc.name)] += footprint(svc, env)
    used = BASE_FOOTPRINT + shared_compute_cost(env).resources
    plan: list[list[int]] = [[]]
    for shard in sorted({1, *per_shard}):
        if plan[-1] and used + per_shard[shard] > WAVE_BUDGET:
            plan.append([])
            used = 0
        plan[-1].append(shard)
        used += per_shard[shard]
    return plan
