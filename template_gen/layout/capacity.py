"""What one stack and one load balancer may hold: the placement fills shards to these, with headroom."""

from __future__ import annotations

from dataclasses import dataclass

from template_gen.quotas import ALB_RULES, PLATFORM_ALB_RULES

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

    def __add__(self, other: Cost) -> Cost:
        return Cost(self.resources + other.resources, self.outputs + other.outputs, self.parameters + other.parameters)

    def __sub__(self, other: Cost) -> Cost:
        return Cost(self.resources - other.resources, self.outputs - other.outputs, self.parameters - other.parameters)

    def fits(self, capacity: Cost) -> bool:
        return (
            self.resources <= capacity.resources
            and self.outputs <= capacity.outputs
            and self.parameters <= capacity.parameters
        )


SHARD_CAPACITY = Cost(SHARD_RESOURCES, SHARD_OUTPUTS, SHARD_PARAMETERS)
ALB_CAPACITY = Cost(SERVICES_PER_ALB, UNBOUNDED, UNBOUNDED)
