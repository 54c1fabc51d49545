"""AWS quotas the generator respects, in one place.

`registry_problems` checks what can be known from the registry (resources per REST API, rules per security
group). `template_usage` measures rendered templates (resources, parameters, outputs, bytes) for the
pipeline to check. Both run before anything is written, so a registry that would fail in AWS is refused
with the quota named.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from template_gen.errors import Problem

if TYPE_CHECKING:
    from template_gen.registry.models import Environment
    from template_gen.registry.validate import ServiceEntry


@dataclass(frozen=True)
class Quota:
    key: str
    name: str
    limit: int
    scope: str


CFN_RESOURCES = Quota("cfn_resources", "resources per CloudFormation template", 500, "template")
CFN_PARAMETERS = Quota("cfn_parameters", "parameters per CloudFormation template", 200, "template")
CFN_OUTPUTS = Quota("cfn_outputs", "outputs per CloudFormation template", 200, "template")
CFN_BYTES = Quota("cfn_bytes", "bytes per CloudFormation template (uploaded to S3)", 1_000_000, "template")
CFN_NESTED_OPERATION = Quota("cfn_nested_operation", "resources per nested-stack operation", 2_500, "environment")
ALB_RULES = Quota("alb_rules", "listener rules per Application Load Balancer", 100, "load balancer")
ALB_TARGET_GROUPS = Quota("alb_target_groups", "target groups per Application Load Balancer", 100, "load balancer")
ALB_CONDITION_VALUES = Quota("alb_condition_values", "condition values per ALB rule", 5, "rule")
API_RESOURCES = Quota("api_resources", "resources per REST API", 300, "API")
API_AUTHORIZERS = Quota("api_authorizers", "authorizers per REST API", 10, "API")
VPC_LINKS = Quota("vpc_links", "VPC links per Region", 20, "Region")
SG_INBOUND_RULES = Quota("sg_inbound_rules", "inbound rules per security group", 60, "security group")

ALL = (
    CFN_RESOURCES,
    CFN_PARAMETERS,
    CFN_OUTPUTS,
    CFN_BYTES,
    CFN_NESTED_OPERATION,
    ALB_RULES,
    ALB_TARGET_GROUPS,
    ALB_CONDITION_VALUES,
    API_RESOURCES,
    API_AUTHORIZERS,
    VPC_LINKS,
    SG_INBOUND_RULES,
)

# Listener rules the platform itself uses on every ALB (the load balancer health rule).
PLATFORM_ALB_RULES = 1

# The REST APIs a service's routes go on, by its `api.exposure`.
APIS_BY_EXPOSURE: dict[str, tuple[str, ...]] = {
    "public": ("public",),
    "private": ("private",),
    "both": ("public", "private"),
    "none": (),
}


def api_resource_paths(base_paths: Iterable[str]) -> set[str]:
    """Every REST API resource the routes need: each base path, its parents, and `{proxy+}` below it."""
    resources: set[str] = set()
    for base in base_paths:
        parts = base.strip("/").split("/")
        for depth in range(1, len(parts) + 1):
            resources.add("/" + "/".join(parts[:depth]))
        resources.add(base + "/{proxy+}")
    return resources


def registry_problems(env: Environment, services: Sequence[ServiceEntry], env_name: str) -> Iterator[Problem]:
    from template_gen.registry.models import EcsService

    file = "services/registry.yaml"
    where = f"environments.{env_name}.services"
    ecs = [s for s in services if isinstance(s.model, EcsService)]
    ports = {s.model.port for s in ecs}  # type: ignore[union-attr]
    # API Gateway resources per REST API: every base path, its parents and its {proxy+}.
    for which in ("public", "private"):
        bases = [str(s.model.api.base_path) for s in services if which in APIS_BY_EXPOSURE[s.model.api.exposure]]
        if env.platform_functions.onboarding.enabled and env.api.admin.exposure == which:
            bases.append(env.api.admin.base_path)
        count = len(api_resource_paths(bases))
        limit = env.quotas.api_resources_per_api
        if count > limit:
            yield Problem(
                file,
                where,
                f"quota exceeded: {API_RESOURCES.name} is {limit}; the {which} API would have {count}",
                hint="the quota is adjustable: once AWS raised it for the account, declare it with "
                "quotas.api_resources_per_api; or expose fewer services on this API",
            )
    if len(ports) > SG_INBOUND_RULES.limit:
        yield Problem(
            file,
            where,
            f"quota exceeded: {SG_INBOUND_RULES.name} is {SG_INBOUND_RULES.limit}; the task security group "
            f"needs one rule per distinct container port ({len(ports)})",
            hint="use fewer distinct container ports (most services can listen on 8080)",
        )


@dataclass(frozen=True)
class Usage:
    quota: Quota
    scope: str  # which template, load balancer, API...
    used: int
    limit: int  # the quota's limit, or the raised one the registry declares

    @property
    def share(self) -> float:
        return self.used / self.limit

    @property
    def exceeded(self) -> bool:
        return self.used > self.limit

    def to_json(self) -> dict[str, Any]:
        return {"quota": self.quota.key, "name": self.quota.name, "scope": self.scope, "used": self.used,
                "limit": self.limit}  # fmt: skip


def template_usage(stack: str, resources: int, parameters: int, outputs: int, size: int) -> list[Usage]:
    return [
        Usage(quota, stack, used, quota.limit)
        for quota, used in (
            (CFN_RESOURCES, resources),
            (CFN_PARAMETERS, parameters),
            (CFN_OUTPUTS, outputs),
            (CFN_BYTES, size),
        )
    ]


def exceeded_message(usage: Usage) -> str:
    return f"quota exceeded: {usage.quota.name} is {usage.limit:,}; {usage.scope} would have {usage.used:,}"


# --------------------------------------------------------------------------------------------------
# What one service costs where it lands: resources (as CloudFormation counts them after the SAM
# transform) and outputs. The planner fills shards with these; a test checks them against rendered
# templates, so they cannot drift from the builders.
# --------------------------------------------------------------------------------------------------

# Fill a shard to this share of a quota: headroom for a service that grows after it was placed.
SHARD_RESOURCES = 400
SHARD_OUTPUTS = 180
SHARD_PARAMETERS = 180
SERVICES_PER_ALB = ALB_RULES.limit - PLATFORM_ALB_RULES - 4  # 95: room for a few hand-added rules

# SAM event sources expand into these many resources (rule + permission; queue mapping).
SAM_EVENT_RESOURCES = {"Schedule": 2, "EventBridgeRule": 2, "SQS": 1}


@dataclass(frozen=True)
class Cost:
    resources: int = 0
    outputs: int = 0
    parameters: int = 0

    def __add__(self, other: Cost) -> Cost:
        return Cost(self.resources + other.resources, self.outputs + other.outputs, self.parameters + other.parameters)

    def fits(self, capacity: Cost) -> bool:
        return (
            self.resources <= capacity.resources
            and self.outputs <= capacity.outputs
            and self.parameters <= capacity.parameters
        )


SHARD_CAPACITY = Cost(SHARD_RESOURCES, SHARD_OUTPUTS, SHARD_PARAMETERS)


def transformed_resource_count(template: dict[str, object]) -> int:
    """Resources after the SAM transform: a function's event sources become resources of their own."""
    resources = template.get("Resources", {})
    assert isinstance(resources, dict)
    count = len(resources)
    for resource in resources.values():
        if resource.get("Type") == "AWS::Serverless::Function":
            for event in resource.get("Properties", {}).get("Events", {}).values():
                count += SAM_EVENT_RESOURCES.get(event.get("Type"), 1)
            count += "EventInvokeConfig" in resource.get("Properties", {})  # an AWS::Lambda::EventInvokeConfig
    return count
