"""Usage of every quota by one environment: per template, per load balancer, per REST API, per security
group, per CloudFormation operation. Printed by `synth` and included in `synth --format json`."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from template_gen import quotas
from template_gen.quotas import Quota, api_resource_paths
from template_gen.spec import EnvironmentSpec

if TYPE_CHECKING:
    from template_gen.pipeline import RenderedStack

APIS = {"public": ("public",), "private": ("private",), "both": ("public", "private"), "none": ()}


@dataclass(frozen=True)
class QuotaUse:
    quota: Quota
    scope: str  # which template, load balancer, API...
    used: int
    limit: int

    @property
    def share(self) -> float:
        return self.used / self.limit

    def to_json(self) -> dict[str, Any]:
        return {"quota": self.quota.key, "name": self.quota.name, "scope": self.scope, "used": self.used,
                "limit": self.limit}  # fmt: skip


def usage(env: EnvironmentSpec, stacks: Sequence[RenderedStack], created: int | None = None) -> list[QuotaUse]:
    """`created`: resources this synth's deployment creates, when it is a wave on top of earlier ones."""
    out: list[QuotaUse] = []
    for stack in stacks:
        out += [
            QuotaUse(quotas.CFN_RESOURCES, stack.file_name, stack.resources, quotas.CFN_RESOURCES.limit),
            QuotaUse(quotas.CFN_PARAMETERS, stack.file_name, stack.parameters, quotas.CFN_PARAMETERS.limit),
            QuotaUse(quotas.CFN_OUTPUTS, stack.file_name, stack.outputs, quotas.CFN_OUTPUTS.limit),
            QuotaUse(quotas.CFN_BYTES, stack.file_name, stack.size, quotas.CFN_BYTES.limit),
        ]
    total = sum(s.resources for s in stacks) if created is None else created
    scope = "all stacks" if created is None else "this wave"
    out.append(QuotaUse(quotas.CFN_NESTED_OPERATION, scope, total, quotas.CFN_NESTED_OPERATION.limit))
    per_alb = Counter(env.placement.albs.get(s.name, 1) for s in env.ecs_services)
    for index in range(1, env.placement.alb_count + 1):
        services = per_alb.get(index, 0)
        out.append(
            QuotaUse(quotas.ALB_RULES, f"ALB {index}", services + quotas.PLATFORM_ALB_RULES, quotas.ALB_RULES.limit)
        )
        out.append(QuotaUse(quotas.ALB_TARGET_GROUPS, f"ALB {index}", services, quotas.ALB_TARGET_GROUPS.limit))
    for which in ("public", "private"):
        bases = [str(s.api.base_path) for s in env.services if which in APIS[s.api.exposure]]
        if env.onboarding_enabled and env.api.admin.exposure == which:
            bases.append(env.api.admin.base_path)
        if not bases:
            continue
        limit = env.api_resources_quota
        out.append(QuotaUse(quotas.API_RESOURCES, f"{which} API", len(api_resource_paths(bases)), limit))
        authorizers = int(any(s.api.auth == "authorizer" for s in env.services if which in APIS[s.api.exposure]))
        out.append(QuotaUse(quotas.API_AUTHORIZERS, f"{which} API", authorizers, quotas.API_AUTHORIZERS.limit))
    ports = len(env.network.container_ports)
    out.append(QuotaUse(quotas.SG_INBOUND_RULES, "task security group", ports, quotas.SG_INBOUND_RULES.limit))
    out.append(QuotaUse(quotas.VPC_LINKS, "this environment", 1, quotas.VPC_LINKS.limit))
    return out


def highest(uses: Sequence[QuotaUse]) -> list[QuotaUse]:
    """The most used scope of each quota, in the order quotas are listed."""
    best: dict[str, QuotaUse] = {}
    for use in uses:
        if use.quota.key not in best or use.share > best[use.quota.key].share:
            best[use.quota.key] = use
    return [best[q.key] for q in quotas.ALL if q.key in best]
