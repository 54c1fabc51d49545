"""Deploying in waves: one CloudFormation operation creates at most 2,500 resources across a root stack
and its nested stacks. A first deployment of a large environment goes in waves of compute shards, each
wave adding the services of its shards (and their routes) to what the earlier waves created."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from template_gen.quotas import CFN_NESTED_OPERATION
from template_gen.route_table import ADMIN, RouteEntry
from template_gen.spec import EnvironmentSpec

if TYPE_CHECKING:
    from template_gen.layout.costs import Costs

WAVE_BUDGET = CFN_NESTED_OPERATION.limit - 100  # room for estimate slack (checked after rendering)


def plan(env: EnvironmentSpec, costs: Costs, groups: Mapping[str, Sequence[RouteEntry]]) -> tuple[tuple[int, ...], ...]:
    """Compute shards per wave, in order; every wave stays under the per-operation resource limit.

    A service's footprint is its compute cost plus the cost of its own routes as a group of their own (an
    over-estimate when services share parent path resources). The first wave also creates everything
    that is not a service: the network, the API core and stage, the first shard's shared resources."""
    per_shard: dict[int, int] = defaultdict(int)
    by_service: dict[str, list[RouteEntry]] = defaultdict(list)
    for members in groups.values():
        for route in members:
            by_service[route.name].append(route)
    for svc in env.services:
        footprint = costs.service(svc).resources
        if by_service.get(svc.name):
            footprint += costs.route_group(by_service[svc.name]).resources
        per_shard[env.placement.compute_shard_of(svc.name)] += footprint
    used = base_footprint(env, costs, by_service.get(ADMIN, []))
    waves: list[list[int]] = [[]]
    for shard in sorted({1, *per_shard}):
        if waves[-1] and used + per_shard[shard] > WAVE_BUDGET:
            waves.append([])
            used = 0
        waves[-1].append(shard)
        used += per_shard[shard]
    return tuple(tuple(w) for w in waves)


def base_footprint(env: EnvironmentSpec, costs: Costs, admin: Sequence[RouteEntry]) -> int:
    """Resources the first wave creates besides services: the network, the first compute shard's shared
    resources, the API core and stage stacks with the admin route, and the root's nested stacks."""
    total = costs.network(env).resources + costs.shared_compute().resources
    if env.routes:
        total += costs.api_core().resources + costs.api_stage().resources
    if admin:
        total += costs.route_group(admin).resources
    stacks = len(env.placement.compute_shards) + len(env.placement.route_shards) + 2  # network, api stage
    return total + stacks
