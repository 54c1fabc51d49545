"""East-west traffic: who may call whom (`calls:`), and the security-group quotas that the per-service
groups and their rules must respect. Cycles (a calls b, b calls a) are allowed: each direction is one
rule on the callee's group."""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Iterator, Mapping, Sequence

from template_gen.quotas import PLATFORM_SECURITY_GROUPS, SG_INBOUND_RULES, SG_PER_VPC
from template_gen.registry.context import EnvironmentContext
from template_gen.registry.entries import ServiceEntry
from template_gen.registry.loader import REGISTRY_FILE
from template_gen.registry.models import ContainerService, EcsService, LambdaService, WorkerService
from template_gen.registry.pydantic_errors import did_you_mean
from template_gen.registry.rules import Finding


def has_security_group(entry: ServiceEntry) -> bool:
    """Every container service has its own group; a Lambda service only when it runs in the VPC."""
    model = entry.model
    return isinstance(model, ContainerService) or (isinstance(model, LambdaService) and model.vpc)


def calls(ctx: EnvironmentContext) -> Iterator[Finding]:
    """Every callee exists, is enabled and can be called. A call to a service whose file is invalid is not
    reported again (that file's own problems say what is wrong with it)."""
    defined, env_name = ctx.defined_services, ctx.env_name
    enabled = {e.name: e for e in ctx.services}
    for entry in ctx.services:
        model = entry.model
        if isinstance(model, LambdaService) and model.calls and not model.vpc:
            yield Finding(
                ("calls",),
                "a Lambda service calls other services only from inside the VPC; set vpc: true",
                related=(("vpc",),),
                service=entry,
            )
        for index, callee in enumerate(model.calls):
            if callee not in defined and callee in ctx.service_folders:
                continue
            finding = _callee_problem(entry, index, callee, enabled, defined, env_name)
            if finding is not None:
                yield dataclasses.replace(finding, service=entry)


def _callee_problem(
    entry: ServiceEntry,
    index: int,
    callee: str,
    enabled: Mapping[str, ServiceEntry],
    defined: Collection[str],
    env_name: str,
) -> Finding | None:
    where = ("calls", index)
    if callee == entry.name:
        return Finding(where, "a service cannot call itself", hint="calls inside a service need no rule")
    if callee in entry.model.calls[:index]:
        return Finding(where, f"'{callee}' is listed twice")
    if callee not in defined:
        return Finding(
            where,
            f"'{callee}' is not a service (no services/{callee}/service.yaml)",
            hint=did_you_mean(callee, defined),
        )
    if callee not in enabled:
        return Finding(
            where,
            f"'{callee}' is not enabled in environment '{env_name}'",
            hint=f"enable it under environments.{env_name}.services in {REGISTRY_FILE}, or drop the call in this "
            f"environment (environments.{env_name}.calls)",
        )
    target = enabled[callee].model
    if isinstance(target, WorkerService):
        return Finding(where, f"'{callee}' is a worker: it has no port to call", hint="send it work through its queue")
    if isinstance(target, LambdaService):
        return Finding(
            where,
            f"'{callee}' is a Lambda service: call it through its API route or invoke it, not over the VPC",
        )
    return None


def callers_of(entries: Sequence[ServiceEntry]) -> dict[str, list[str]]:
    """Callee -> the services that call it (those with a security group), by name."""
    enabled = {e.name: e for e in entries}
    callers: dict[str, list[str]] = {}
    for entry in entries:
        if not has_security_group(entry):
            continue
        for callee in dict.fromkeys(entry.model.calls):
            target = enabled.get(callee)
            if target is not None and callee != entry.name and isinstance(target.model, EcsService):
                callers.setdefault(callee, []).append(entry.name)
    return callers


def security_group_quotas(ctx: EnvironmentContext) -> Iterator[Finding]:
    """Inbound rules per service group (its callers and the ALB), and groups per VPC."""
    entries, env_name = ctx.services, ctx.env_name
    where = ("services",)
    enabled = {e.name: e for e in entries}
    for callee, callers in sorted(callers_of(entries).items()):
        model = enabled[callee].model
        behind_alb = isinstance(model, EcsService) and model.alb is not None
        rules = len(callers) + int(behind_alb)
        if rules > SG_INBOUND_RULES.limit:
            source = f"the ALB and {len(callers)} callers" if behind_alb else f"{len(callers)} callers"
            yield Finding(
                where,
                f"quota exceeded: {SG_INBOUND_RULES.name} is {SG_INBOUND_RULES.limit}; the security group of "
                f"'{callee}' would have {rules} ({source})",
                hint="fewer services can call it directly; put a queue or an aggregating service in between",
            )
    endpoints = any(name != "s3" for name in ctx.env.network.endpoints.services)  # the VPC endpoints' group
    groups = sum(1 for e in entries if has_security_group(e)) + PLATFORM_SECURITY_GROUPS + int(endpoints)
    if groups > SG_PER_VPC.limit:
        yield Finding(
            where,
            f"quota exceeded: {SG_PER_VPC.name} is {SG_PER_VPC.limit:,}; environment '{env_name}' would create "
            f"{groups:,} (one per container service and per Lambda service in the VPC, and the platform's)",
            hint="the quota is adjustable in Service Quotas; or split the services over two environments",
        )
