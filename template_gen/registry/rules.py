"""Rules about one service or one environment, beyond what the models' types can say.

Each rule yields `Finding`s with the field path it concerns and any other paths it depends on, so that
the validator can attribute a problem to the environment override that caused it.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from template_gen.registry import paths
from template_gen.registry.models import (
    EcsService,
    Environment,
    LambdaService,
    NetworkCreate,
    NetworkExisting,
    NetworkLookup,
)

Path_ = tuple[str | int, ...]


@dataclass(frozen=True)
class Finding:
    """A problem at `path`. A service rule's path is inside the service file; an environment rule's path is
    inside `environments.<env>` of the registry, unless it names the `service` (a ServiceEntry) it blames."""

    path: Path_
    message: str
    hint: str = ""
    related: tuple[Path_, ...] = ()
    service: Any = None


# Fargate task sizes: CPU units -> allowed memory (MiB).
FARGATE_MEMORY: dict[int, tuple[int, ...]] = {
    256: (512, 1024, 2048),
    512: tuple(range(1024, 4096 + 1, 1024)),
    1024: tuple(range(2048, 8192 + 1, 1024)),
    2048: tuple(range(4096, 16384 + 1, 1024)),
    4096: tuple(range(8192, 30720 + 1, 1024)),
    8192: tuple(range(16384, 61440 + 1, 4096)),
    16384: tuple(range(32768, 122880 + 1, 8192)),
}

LAMBDA_RESERVED_ENV = frozenset(
    {
        "_HANDLER",
        "_X_AMZN_TRACE_ID",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "AWS_EXECUTION_ENV",
        "AWS_LAMBDA_FUNCTION_NAME",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
        "AWS_LAMBDA_FUNCTION_VERSION",
        "AWS_LAMBDA_INITIALIZATION_TYPE",
        "AWS_LAMBDA_LOG_GROUP_NAME",
        "AWS_LAMBDA_LOG_STREAM_NAME",
        "AWS_ACCESS_KEY",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_LAMBDA_RUNTIME_API",
        "LAMBDA_TASK_ROOT",
        "LAMBDA_RUNTIME_DIR",
    }
)
# Set by the platform on every Lambda service; a service cannot redefine them.
PLATFORM_ENV = frozenset(
    {
        "PLATFORM_NAME",
        "ENVIRONMENT_NAME",
        "SERVICE_BASE_PATH",
        "SERVICE_CATALOG_PATH",
        "SERVICE_CONNECT_NAMESPACE",
        "POWERTOOLS_SERVICE_NAME",
        "POWERTOOLS_METRICS_NAMESPACE",
    }
)


def _describe_memory(options: tuple[int, ...]) -> str:
    if len(options) <= 4:
        return ", ".join(str(m) for m in options)
    step = options[1] - options[0]
    return f"{options[0]} to {options[-1]} in steps of {step}"


def fargate_size(cpu: int, memory: int) -> Iterator[Finding]:
    if cpu not in FARGATE_MEMORY:
        allowed = ", ".join(str(c) for c in FARGATE_MEMORY)
        yield Finding(("cpu",), f"{cpu} is not a Fargate CPU value (allowed: {allowed})")
        return
    options = FARGATE_MEMORY[cpu]
    if memory not in options:
        yield Finding(
            ("memory",),
            f"{memory} MiB is not valid with cpu {cpu}; Fargate allows {_describe_memory(options)} MiB "
            f"for {cpu} CPU units",
            related=(("cpu",),),
        )


def base_path_rules(service: EcsService | LambdaService) -> Iterator[Finding]:
    api = service.api
    if api.base_path is None:  # allowed only with exposure: none (the model checks)
        return
    problem = paths.check_base_path(api.base_path)
    if problem:
        yield Finding(("api", "base_path"), problem)


def ecs_rules(service: EcsService) -> Iterator[Finding]:
    yield from fargate_size(service.cpu, service.memory)
    yield from base_path_rules(service)
    if service.alb is None:
        if service.api.exposure != "none" and service.protocol == "http":
            yield Finding(
                ("alb",),
                f"required field is missing (exposure is {service.api.exposure}: API routes reach the service through "
                "its rule on the internal ALB)",
                hint="set alb.priority, or api.exposure: none for a service reached only through Service Connect",
                related=(("api", "exposure"),),
            )
    elif service.api.base_path is None and service.alb.path_patterns is None and not service.api.routes:
        # so exposure is none (the model checks)
        yield Finding(
            ("alb", "path_patterns"),
            "required field is missing (the ALB rule needs path patterns when there is no api.base_path)",
            related=(("api", "base_path"),),
        )
    if service.alb is not None and service.alb.path_patterns is not None:
        patterns = service.alb.path_patterns
        if not patterns:
            yield Finding(("alb", "path_patterns"), "needs at least one pattern (or remove it for the default)")
        for index, pattern in enumerate(patterns):
            problem = paths.check_alb_pattern(pattern)
            if problem:
                yield Finding(("alb", "path_patterns", index), problem)
    health = service.health_check
    if not health.path.startswith("/"):
        yield Finding(("health_check", "path"), f"'{health.path}' must start with '/'")
    if health.timeout_seconds >= health.interval_seconds:
        yield Finding(
            ("health_check", "timeout_seconds"),
            f"{health.timeout_seconds}s must be shorter than interval_seconds ({health.interval_seconds}s)",
            related=(("health_check", "interval_seconds"),),
        )
    if health.container is not None:
        if health.container.command[0] not in ("CMD", "CMD-SHELL"):
            yield Finding(
                ("health_check", "container", "command", 0),
                f"must be CMD or CMD-SHELL (got '{health.container.command[0]}')",
                hint='e.g. ["CMD-SHELL", "curl -fs http://localhost:8080/health || exit 1"]',
            )
        if health.container.timeout_seconds >= health.container.interval_seconds:
            yield Finding(
                ("health_check", "container", "timeout_seconds"),
                "must be shorter than interval_seconds",
                related=(("health_check", "container", "interval_seconds"),),
            )
    yield from _autoscaling_rules(service)
    yield from _capacity_rules(service)


def _autoscaling_rules(service: EcsService) -> Iterator[Finding]:
    if service.autoscaling is not None:
        yield from scaling_bounds(
            service.autoscaling, service.desired_count, ("cpu_target", "memory_target", "requests_per_target")
        )


def scaling_bounds(scaling: Any, desired_count: int, targets: tuple[str, ...]) -> Iterator[Finding]:
    """An `autoscaling` block of a container service or worker: min..max holds desired_count, and at least
    one of its `targets` is set."""
    if scaling.min > scaling.max:
        yield Finding(
            ("autoscaling", "min"),
            f"{scaling.min} is greater than autoscaling.max ({scaling.max})",
            related=(("autoscaling", "max"),),
        )
    elif desired_count < scaling.min:
        yield Finding(
            ("desired_count",),
            f"{desired_count} is below autoscaling.min ({scaling.min})",
            hint="desired_count is the starting task count; set it between autoscaling.min and autoscaling.max",
            related=(("autoscaling", "min"),),
        )
    elif desired_count > scaling.max:
        yield Finding(
            ("desired_count",),
            f"{desired_count} is above autoscaling.max ({scaling.max})",
            related=(("autoscaling", "max"),),
        )
    if all(getattr(scaling, target) is None for target in targets):
        yield Finding(("autoscaling",), "sets no scaling target", hint=f"set at least one of {', '.join(targets)}")


def _capacity_rules(service: EcsService) -> Iterator[Finding]:
    strategy = service.capacity_provider_strategy
    seen: set[str] = set()
    for index, item in enumerate(strategy):
        if item.provider in seen:
            yield Finding(("capacity_provider_strategy", index, "provider"), f"{item.provider} is listed twice")
        seen.add(item.provider)
    if sum(1 for item in strategy if item.base > 0) > 1:
        yield Finding(("capacity_provider_strategy",), "only one capacity provider can have a base greater than 0")
    if strategy and all(item.weight == 0 for item in strategy):
        yield Finding(("capacity_provider_strategy",), "at least one capacity provider needs a weight above 0")


def lambda_rules(service: LambdaService, name: str, project_dir: Path, code_dir: str) -> Iterator[Finding]:
    yield from base_path_rules(service)
    for key in sorted(service.environment):
        if key in LAMBDA_RESERVED_ENV or key.startswith("AWS_LAMBDA_"):
            yield Finding(("environment", key), "is reserved by AWS Lambda and cannot be set")
        elif key in PLATFORM_ENV:
            yield Finding(("environment", key), "is set by the platform and cannot be overridden")
    folder = project_dir / code_dir
    module = service.handler.rsplit(".", 1)[0].replace(".", "/") + ".py"
    if not folder.is_dir():
        yield Finding(
            ("code",),
            f"code folder {code_dir} does not exist",
            hint=f"create {code_dir}/{module} or set `code:` to the function's folder",
        )
    elif not (folder / module).is_file():
        yield Finding(("handler",), f"'{service.handler}' needs {code_dir}/{module}, which does not exist")


def network_rules(env: Environment) -> Iterator[Finding]:
    net = env.network
    if isinstance(net, NetworkCreate):
        try:
            vpc = ipaddress.IPv4Network(net.cidr)
        except ValueError as exc:
            yield Finding(("network", "cidr"), f"'{net.cidr}' is not a valid IPv4 network ({exc})")
            return
        if not 16 <= vpc.prefixlen <= 24:
            yield Finding(("network", "cidr"), f"/{vpc.prefixlen} is outside the supported VPC sizes /16 to /24")
            return
        needed = 2 * net.az_count
        prefix = net.subnet_prefix_length or subnet_prefix(vpc.prefixlen, needed)
        if prefix < vpc.prefixlen or 2 ** (prefix - vpc.prefixlen) < needed or prefix > 28:
            yield Finding(
                ("network", "subnet_prefix_length"),
                f"{needed} subnets of /{prefix} do not fit in {net.cidr}",
                related=(("network", "cidr"), ("network", "az_count")),
            )
    elif isinstance(net, NetworkExisting):
        try:
            ipaddress.IPv4Network(net.vpc_cidr)
        except ValueError as exc:
            yield Finding(("network", "vpc_cidr"), f"'{net.vpc_cidr}' is not a valid IPv4 network ({exc})")
        for field in ("private_subnet_ids", "public_subnet_ids"):
            ids = getattr(net, field)
            if len(set(ids)) != len(ids):
                yield Finding(("network", field), "lists a subnet more than once")
        usable = net.private_subnet_ids or net.public_subnet_ids
        if len(usable) < 2:
            field = "private_subnet_ids" if net.private_subnet_ids or not net.public_subnet_ids else "public_subnet_ids"
            yield Finding(
                ("network", field),
                "needs at least two subnets in different Availability Zones (load balancers require two)",
            )
    elif isinstance(net, NetworkLookup) and (net.vpc_id is None) == (net.vpc_tags is None):
        yield Finding(("network",), "lookup needs exactly one of vpc_id or vpc_tags", hint="or use mode: default")


_ORIGIN = re.compile(r"^https?://[A-Za-z0-9.-]+(:\d{1,5})?$")
_CERT_REGION = re.compile(r"^arn:aws[a-z-]*:acm:([a-z0-9-]+):")


def api_settings_rules(env: Environment, region: str) -> Iterator[Finding]:
    api = env.api
    if api.cors is not None:
        origins = api.cors.allow_origins
        for index, origin in enumerate(origins):
            if origin == "*":
                if len(origins) > 1:
                    yield Finding(("api", "cors", "allow_origins", index), "'*' cannot be combined with other origins")
                elif api.cors.allow_credentials:
                    yield Finding(
                        ("api", "cors", "allow_origins", index),
                        "'*' cannot be used with allow_credentials: true (browsers reject it)",
                        hint="list the origins that may send credentials",
                        related=(("api", "cors", "allow_credentials"),),
                    )
            elif not _ORIGIN.match(origin):
                yield Finding(
                    ("api", "cors", "allow_origins", index),
                    f"'{origin}' is not a valid origin",
                    hint="an origin is a scheme and host with an optional port, e.g. https://app.example.com, "
                    "without a path or trailing slash",
                )
    domain = api.custom_domain
    if domain is not None:
        match = _CERT_REGION.match(domain.certificate_arn)
        cert_region = match.group(1) if match else ""
        needed = "us-east-1" if domain.endpoint_type == "EDGE" else region
        if cert_region != needed:
            why = "an EDGE custom domain (CloudFront)" if domain.endpoint_type == "EDGE" else "a REGIONAL custom domain"
            yield Finding(
                ("api", "custom_domain", "certificate_arn"),
                f"{why} needs its ACM certificate in {needed}; this one is in {cert_region}",
                related=(("api", "custom_domain", "endpoint_type"),),
            )
    seen: set[str] = set()
    for index, plan in enumerate(api.usage_plans):
        if plan.name in seen:
            yield Finding(("api", "usage_plans", index, "name"), f"usage plan '{plan.name}' is defined twice")
        seen.add(plan.name)
    problem = paths.check_base_path(api.admin.base_path)
    if problem:
        yield Finding(("api", "admin", "base_path"), problem)


def subnet_prefix(vpc_prefix: int, count: int) -> int:
    """The largest equal subnets that give `count` subnets out of the VPC."""
    bits = max(1, (count - 1).bit_length())
    return vpc_prefix + bits
