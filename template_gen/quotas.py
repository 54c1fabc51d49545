"""AWS quotas the generator respects, in one place.

`registry/quota_rules.py` checks what can be known from the registry (resources per REST API, rules per
security group). `template_usage` measures rendered templates (resources, parameters, outputs, bytes) for
the pipeline to check. Both run before anything is written, so a registry that would fail in AWS is
refused with the quota named.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


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
ALB_TARGETS = Quota("alb_targets", "targets per Application Load Balancer", 1_000, "load balancer")
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
    ALB_TARGETS,
    ALB_CONDITION_VALUES,
    API_RESOURCES,
    API_AUTHORIZERS,
    VPC_LINKS,
    SG_INBOUND_RULES,
)

# Listener rules the platform itself uses on every ALB (the load balancer health rule).
PLATFORM_ALB_RULES = 1


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


# SAM event sources expand into these many resources (rule + permission; queue mapping).
SAM_EVENT_RESOURCES = {"Schedule": 2, "EventBridgeRule": 2, "SQS": 1}


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


# CloudWatch dashboards (global per account: names carry the Region and the environment).
DASHBOARD_WIDGETS = Quota("cw_dashboard_widgets", "widgets per CloudWatch dashboard", 500, "dashboard")
DASHBOARD_METRICS = Quota("cw_dashboard_metrics", "metrics per CloudWatch dashboard", 2_500, "dashboard")
# A dashboard page is cut well below the template's 1,000,000 bytes, so several pages fit one template.
DASHBOARD_BODY_BUDGET = 100_000
# Logs Insights reads at most 50 log groups per query; saved queries name at most that many.
QUERY_LOG_GROUPS = 50
# Security groups (per-service groups and the east-west rules between them).
SG_PER_NETWORK_INTERFACE = Quota(
    "sg_per_network_interface", "security groups per network interface", 5, "network interface"
)
SG_PER_VPC = Quota("sg_per_vpc", "security groups per VPC", 2_500, "VPC")
# Outbound rules of a group with restricted egress: a quota of its own, of the same size as the inbound one.
SG_OUTBOUND_RULES = Quota("sg_outbound_rules", "outbound rules per security group", 60, "security group")
# Groups the network stage may create besides the services' own: the ALB's, the NLB's or the VPC link's, and
# the execute-api endpoint's.
PLATFORM_SECURITY_GROUPS = 3
