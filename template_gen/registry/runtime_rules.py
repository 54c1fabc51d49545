"""Rules for the runtime options of a service: secrets, extra IAM statements, extra listener-rule
conditions, target-group options and Lambda event sources."""

from __future__ import annotations

import re
from collections.abc import Iterator

from template_gen.quotas import ALB_CONDITION_VALUES
from template_gen.registry.rules import Finding
from template_gen.registry.schedules import check_schedule
from template_gen.registry.service_models import EcsService, LambdaService, ServiceBase

_ACTION = re.compile(r"^[a-z0-9-]+:[A-Za-z0-9*?]+$")
_SSM_NAME = re.compile(r"^(/?[A-Za-z0-9_.-]+)+$")
_SSM_ARN = re.compile(r"^arn:aws[a-z-]*:ssm:[a-z0-9-]+:\d{12}:parameter/.+$")
_SECRET_NAME = re.compile(r"^[A-Za-z0-9/_+=.@-]{1,512}$")
_SECRET_ARN = re.compile(r"^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+$")


def secret_rules(service: ServiceBase) -> Iterator[Finding]:
    for name, ref in sorted(service.secrets.items()):
        path = ("secrets", name)
        sources = [s for s in ("ssm", "secrets_manager") if getattr(ref, s) is not None]
        if len(sources) != 1:
            yield Finding(
                path,
                "needs exactly one source: ssm or secrets_manager" + (" (both are set)" if sources else ""),
                hint="e.g. {ssm: /acme/quoting/api-token} or {secrets_manager: acme/db, key: password}",
            )
            continue
        if ref.ssm is not None and not (_SSM_NAME.match(ref.ssm) or _SSM_ARN.match(ref.ssm)):
            yield Finding((*path, "ssm"), f"'{ref.ssm}' is not an SSM parameter name or ARN")
        if ref.secrets_manager is not None and not (
            _SECRET_NAME.match(ref.secrets_manager) or _SECRET_ARN.match(ref.secrets_manager)
        ):
            yield Finding((*path, "secrets_manager"), f"'{ref.secrets_manager}' is not a secret name or ARN")
        if ref.key is not None and ref.ssm is not None:
            yield Finding((*path, "key"), "applies to secrets_manager only (an SSM parameter has no JSON keys)")
        if name in service.environment:
            yield Finding(path, "is also set under environment; a variable has one source", related=(("environment",),))


def iam_rules(service: ServiceBase) -> Iterator[Finding]:
    for index, statement in enumerate(service.iam):
        for a, action in enumerate(statement.actions):
            where = ("iam", index, "actions", a)
            if action == "*" or action.endswith(":*"):
                yield Finding(where, f"'{action}' grants every action; list the actions the service needs")
            elif not _ACTION.match(action):
                yield Finding(where, f"'{action}' is not an IAM action (service:Action, e.g. s3:GetObject)")
        for r, resource in enumerate(statement.resources):
            if resource == "*" and not statement.acknowledge_wildcard_resource:
                yield Finding(
                    ("iam", index, "resources", r),
                    "'*' applies the actions to every resource",
                    hint="name the resources' ARNs, or set acknowledge_wildcard_resource: true for actions "
                    "that have no resource-level permissions",
                )


def alb_rules(service: EcsService, patterns: tuple[str, ...]) -> Iterator[Finding]:
    if service.alb is None:  # an internal service: no rule, no target group
        return
    hosts = headers = 0
    for index, condition in enumerate(service.alb.conditions):
        if (condition.host_header is None) == (condition.http_header is None):
            yield Finding(("alb", "conditions", index), "needs exactly one of host_header or http_header")
            continue
        hosts += len(condition.host_header or [])
        headers += len(condition.http_header.values) if condition.http_header else 0
    total = len(patterns) + hosts + headers  # the one count of the rule's size (path patterns included)
    if total > ALB_CONDITION_VALUES.limit:
        yield Finding(
            ("alb", "conditions") if service.alb.conditions else ("alb", "path_patterns"),
            f"the listener rule would have {total} condition values (path patterns {len(patterns)}, host headers "
            f"{hosts}, HTTP header values {headers}); an ALB rule allows at most {ALB_CONDITION_VALUES.limit}",
            hint=""
            if service.alb.path_patterns is not None or not service.api.routes
            else "the default patterns are two per route (the path and below it): list fewer, broader patterns "
            "in alb.path_patterns, such as '/api/v1/*'",
            related=(("alb", "path_patterns"),),
        )
    slow_start = service.target_group.slow_start_seconds
    if 0 < slow_start < 30:
        yield Finding(("target_group", "slow_start_seconds"), f"{slow_start} must be 0 (off) or 30..900")


def event_rules(service: LambdaService, timeout_seconds: int) -> Iterator[Finding]:
    if not service.events and service.api.exposure == "none":
        yield Finding(
            ("events",),
            "the function has no API route and no events, so nothing would invoke it",
            hint="add api: {base_path: ...} or an event (schedule, sqs, eventbridge)",
            related=(("api",),),
        )
    for name, event in sorted(service.events.items()):
        path = ("events", name)
        sources = [s for s in ("schedule", "sqs", "eventbridge") if getattr(event, s) is not None]
        if len(sources) != 1:
            yield Finding(path, "needs exactly one of schedule, sqs or eventbridge")
            continue
        if event.schedule is not None:
            problem = check_schedule(event.schedule)
            if problem:
                yield Finding((*path, "schedule"), problem)
        visibility = event.sqs.visibility_timeout_seconds if event.sqs is not None else None
        if visibility is not None and visibility < timeout_seconds:
            yield Finding(
                (*path, "sqs", "visibility_timeout_seconds"),
                f"{visibility}s is shorter than the function's timeout ({timeout_seconds}s); "
                "Lambda refuses such a queue",
                related=(("timeout_seconds",),),
            )
        if event.eventbridge is not None and not event.eventbridge.pattern:
            yield Finding((*path, "eventbridge", "pattern"), "must not be empty")
