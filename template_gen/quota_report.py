"""Usage of every quota by one environment: per template, per load balancer, per REST API, per security
group, per CloudFormation operation. Printed by `synth` and included in `synth --format json`."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING

from template_gen import quotas, route_table
from template_gen.layout.capacity import max_targets
from template_gen.quotas import Usage
from template_gen.spec import EnvironmentSpec

if TYPE_CHECKING:
    from template_gen.pipeline import RenderedStack


def usage(env: EnvironmentSpec, stacks: Sequence[RenderedStack], created: int | None = None) -> list[Usage]:
    """`created`: resources this synth's deployment creates, when it is a wave on top of earlier ones."""
    out: list[Usage] = [use for stack in stacks for use in stack.usage()]
    total = sum(s.resources for s in stacks) if created is None else created
    scope = "all stacks" if created is None else "this wave"
    out.append(Usage(quotas.CFN_NESTED_OPERATION, scope, total, quotas.CFN_NESTED_OPERATION.limit))
    behind_alb = [s for s in env.ecs_services if s.behind_alb]
    per_alb = Counter(env.placement.alb_of(s.name) for s in behind_alb)
    targets: Counter[int] = Counter()
    for svc in behind_alb:
        targets[env.placement.alb_of(svc.name)] += max_targets(svc.max_tasks, svc.deployment.maximum_percent)
    for index in range(1, env.placement.alb_count + 1):
        services = per_alb.get(index, 0)
        out.append(
            Usage(quotas.ALB_RULES, f"ALB {index}", services + quotas.PLATFORM_ALB_RULES, quotas.ALB_RULES.limit)
        )
        out.append(Usage(quotas.ALB_TARGET_GROUPS, f"ALB {index}", services, quotas.ALB_TARGET_GROUPS.limit))
        out.append(Usage(quotas.ALB_TARGETS, f"ALB {index}", targets.get(index, 0), quotas.ALB_TARGETS.limit))
    for which in route_table.apis(env.routes):
        routes = route_table.on_api(env.routes, which)
        limit = env.api_resources_quota
        out.append(Usage(quotas.API_RESOURCES, f"{which} API", route_table.api_resource_count(routes, which), limit))
        authorizers = route_table.authorizer_count(routes, which)
        out.append(Usage(quotas.API_AUTHORIZERS, f"{which} API", authorizers, quotas.API_AUTHORIZERS.limit))
    # Each service's own group admits the ALB (when behind it) and each declared caller.
    inbound: Counter[str] = Counter({s.name: int(s.behind_alb) for s in env.ecs_services})
    for caller in env.services:
        for callee in dict.fromkeys(caller.calls):
            if callee in inbound and callee != caller.name:
                inbound[callee] += 1
    for name, rules in sorted(inbound.items()):
        out.append(Usage(quotas.SG_INBOUND_RULES, f"security group of {name}", rules, quotas.SG_INBOUND_RULES.limit))
    out.append(Usage(quotas.VPC_LINKS, "this environment", 1, quotas.VPC_LINKS.limit))
    return out


def highest(uses: Sequence[Usage]) -> list[Usage]:
    """The most used scope of each quota, in the order quotas are listed."""
    best: dict[str, Usage] = {}
    for use in uses:
        if use.quota.key not in best or use.share > best[use.quota.key].share:
            best[use.quota.key] = use
    return [best[q.key] for q in quotas.ALL if q.key in best]
