"""Deploying in waves: one CloudFormation operation creates at most 2,500 resources across a root stack
and its nested stacks. A first deployment of a large environment goes in waves of compute shards, each
wave adding the services of its shards (and their routes) to what the earlier waves created.

Waves are also sized by API Gateway objects (Resources and Methods): CreateResource is limited to 5
requests per second per account, a fixed quota, and stacks that create hundreds of them at once fail
with 429 Too Many Requests and then fail to roll back (aws-cdk issues 15573 and 22229)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from template_gen.layout.capacity import UNBOUNDED, Cost
from template_gen.quotas import CFN_NESTED_OPERATION
from template_gen.route_table import ADMIN, RouteEntry
from template_gen.spec import EnvironmentSpec

if TYPE_CHECKING:
    from template_gen.layout.costs import Costs

WAVE_BUDGET = CFN_NESTED_OPERATION.limit - 100  # room for estimate slack (checked after rendering)
API_OBJECTS_PER_WAVE = 1_000  # a few minutes of API Gateway control-plane writes per operation


def plan(env: EnvironmentSpec, costs: Costs, groups: Mapping[str, Sequence[RouteEntry]]) -> tuple[tuple[int, ...], ...]:
    """Compute shards per wave, in order; every wave stays under the per-operation resource limit.

    A service's footprint is its compute cost plus the cost of its own routes as a group of their own (an
    over-estimate when services share parent path resources). The first wave also creates everything
    that is not a service: the network, the API core and stage, the first shard's shared resources."""
    per_shard: dict[int, Cost] = defaultdict(Cost)
    by_service: dict[str, list[RouteEntry]] = defaultdict(list)
    for members in groups.values():
        for route in members:
            by_service[route.name].append(route)
    for svc in env.services:
        footprint = costs.service(svc).total
        if by_service.get(svc.name):
            footprint += costs.route_group(by_service[svc.name])
        per_shard[env.placement.compute_shard_of(svc.name)] += footprint
    budget = Cost(WAVE_BUDGET, UNBOUNDED, UNBOUNDED, API_OBJECTS_PER_WAVE)
    used = base_footprint(env, costs, by_service.get(ADMIN, []))
    waves: list[list[int]] = [[]]
    for shard in sorted({1, *per_shard}):
        if waves[-1] and not (used + per_shard[shard]).fits(budget):
            waves.append([])
            used = Cost()
        waves[-1].append(shard)
        used += per_shard[shard]
    return tuple(tuple(w) for w in waves)


def base_footprint(env: EnvironmentSpec, costs: Costs, admin: Sequence[RouteEntry]) -> Cost:
    """What the first wave creates besides services: the network, the first compute shard's shared
    resources, the API core and stage stacks with the admin route, and the root's nested stacks."""
    total = costs.network(env) + costs.shared_compute().total
    if env.routes:
        total += costs.api_core() + costs.api_stage()
    if admin:
        total += costs.route_group(admin)
    # the root's nested stacks: network, api stage, and per shard a compute and an observability stack
    stacks = 2 * len(env.placement.compute_shards) + len(env.placement.route_shards) + 2
    return total + Cost(stacks)
