"""What one stack and one load balancer may hold: the placement fills shards to these, with headroom."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from template_gen.quotas import ALB_RULES, ALB_TARGETS, PLATFORM_ALB_RULES

# Fill a shard to this share of a quota: headroom for a service that grows after it was placed.
SHARD_RESOURCES = 400
SHARD_OUTPUTS = 180
SHARD_PARAMETERS = 180
SERVICES_PER_ALB = ALB_RULES.limit - PLATFORM_ALB_RULES - 4  # 95: room for a few hand-added rules
UNBOUNDED = 10**9


@dataclass(frozen=True)
class Cost:
    """What something adds to a template: resources (as CloudFormation counts them after the SAM
    transform), outputs and parameters."""

    resources: int = 0
    outputs: int = 0
    parameters: int = 0
    api_objects: int = 0  # API Gateway Resources and Methods among the resources (control-plane writes)

    def __add__(self, other: Cost) -> Cost:
        return Cost(*(a + b for a, b in zip(self._values(), other._values(), strict=True)))

    def __sub__(self, other: Cost) -> Cost:
        return Cost(*(a - b for a, b in zip(self._values(), other._values(), strict=True)))

    def _values(self) -> tuple[int, int, int, int]:
        return (self.resources, self.outputs, self.parameters, self.api_objects)

    def fits(self, capacity: Cost) -> bool:
        return all(a <= b for a, b in zip(self._values(), capacity._values(), strict=True))


SHARD_CAPACITY = Cost(SHARD_RESOURCES, SHARD_OUTPUTS, SHARD_PARAMETERS, UNBOUNDED)


@dataclass(frozen=True)
class ShardLoad:
    """What a service puts in its compute shard's two stacks: compute-N.yaml and the observability-N.yaml
    that watches it. Both must fit."""

    compute: Cost = field(default_factory=Cost)
    observability: Cost = field(default_factory=Cost)

    def __add__(self, other: ShardLoad) -> ShardLoad:
        return ShardLoad(self.compute + other.compute, self.observability + other.observability)

    def __sub__(self, other: ShardLoad) -> ShardLoad:
        return ShardLoad(self.compute - other.compute, self.observability - other.observability)

    def fits(self, capacity: ShardLoad) -> bool:
        return self.compute.fits(capacity.compute) and self.observability.fits(capacity.observability)

    @property
    def total(self) -> Cost:
        """Both stacks together: what a deployment creates."""
        return self.compute + self.observability


SHARD_LOAD_CAPACITY = ShardLoad(SHARD_CAPACITY, SHARD_CAPACITY)


@dataclass(frozen=True)
class AlbLoad:
    """What services put on one ALB: listener rules (one each) and targets (tasks, at their most)."""

    rules: int = 0
    targets: int = 0

    def __add__(self, other: AlbLoad) -> AlbLoad:
        return AlbLoad(self.rules + other.rules, self.targets + other.targets)

    def fits(self, capacity: AlbLoad) -> bool:
        return self.rules <= capacity.rules and self.targets <= capacity.targets


ALB_CAPACITY = AlbLoad(SERVICES_PER_ALB, ALB_TARGETS.limit)


def max_targets(max_tasks: int, maximum_percent: int) -> int:
    """Targets a service can register at once: its most tasks, and during a deployment up to
    `maximum_percent` of them, old and new side by side."""
    return math.ceil(max_tasks * maximum_percent / 100)
