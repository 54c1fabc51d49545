"""Rules about one service's workload shape: internal and gRPC services, workers and their queue, the
extra containers and volumes of a task, extra security groups, and Lambda services in the VPC."""

from __future__ import annotations

from collections.abc import Iterator

from template_gen.quotas import SG_PER_NETWORK_INTERFACE
from template_gen.registry.models import ContainerService, EcsService, Environment, LambdaService, WorkerService
from template_gen.registry.rules import Finding, scaling_bounds
from template_gen.registry.service_models import ServiceBase

XRAY_CONTAINER = "xray-daemon"  # the name the compute stage gives the X-Ray sidecar


def service_rules(service: ServiceBase, name: str, env: Environment) -> Iterator[Finding]:
    yield from _security_group_rules(service)
    if isinstance(service, ContainerService):
        yield from _container_rules(service, name)
    if isinstance(service, EcsService):
        yield from _protocol_rules(service, env)
    if isinstance(service, WorkerService):
        yield from _worker_rules(service, env)
    if isinstance(service, LambdaService) and service.security_groups and not service.vpc:
        yield Finding(("security_groups",), "applies only to a function in the VPC; set vpc: true", related=(("vpc",),))


def _security_group_rules(service: ServiceBase) -> Iterator[Finding]:
    groups = service.security_groups
    for index, group in enumerate(groups):
        if group in groups[:index]:
            yield Finding(("security_groups", index), f"'{group}' is listed twice")
    total = 1 + len(set(groups))
    limit = SG_PER_NETWORK_INTERFACE.limit
    if total > limit:
        yield Finding(
            ("security_groups",),
            f"quota exceeded: {SG_PER_NETWORK_INTERFACE.name} is {limit}; the service's would have {total} (its own "
            f"group and {total - 1} listed here)",
            hint=f"list at most {limit - 1}; a database or cache can admit the service's own group instead "
            "(docs/service-to-service.md)",
        )


def _protocol_rules(service: EcsService, env: Environment) -> Iterator[Finding]:
    protocol = service.protocol
    if protocol != "http":
        label = "gRPC" if protocol == "grpc" else "HTTP/2"
        if service.api.exposure != "none":
            yield Finding(
                ("api", "exposure"),
                f"a {label} service cannot be on an API: an API Gateway REST API proxies HTTP/1.1 requests and "
                f"cannot carry {label}",
                hint="keep it internal (api.exposure: none) and call it through Service Connect, or put an HTTP "
                "service in front of it",
                related=(("protocol",),),
            )
        if service.alb is not None:
            yield Finding(
                ("alb",),
                f"a {label} service cannot have a rule on the internal ALB: its listener speaks HTTP/1.1 (ALB "
                f"{label} targets need an HTTPS listener)",
                hint="remove alb; callers reach the service through Service Connect",
                related=(("protocol",),),
            )
    if service.alb is None and not env.service_connect.enabled:
        yield Finding(
            ("alb",),
            "the service has no ALB rule and Service Connect is off in this environment, so nothing can reach it",
            hint="enable service_connect in the environment, or give the service an alb rule",
        )
    scaling = service.autoscaling
    if service.alb is None and scaling is not None and scaling.requests_per_target is not None:
        yield Finding(
            ("autoscaling", "requests_per_target"),
            "counts ALB requests, and the service has no ALB rule",
            hint="scale an internal service on cpu_target or memory_target",
            related=(("alb",),),
        )


def _worker_rules(service: WorkerService, env: Environment) -> Iterator[Finding]:
    queue, scaling = service.queue, service.autoscaling
    if queue is not None and queue.arn is not None:
        for field in ("visibility_timeout_seconds", "max_receive_count", "retention_days", "fifo"):
            if field in queue.model_fields_set:
                yield Finding(
                    ("queue", field),
                    "applies to a queue the platform creates, not to an existing one (queue.arn)",
                    related=(("queue", "arn"),),
                )
    if scaling is None:
        return
    yield from scaling_bounds(scaling, service.desired_count, ("cpu_target", "memory_target", "messages_per_task"))
    if scaling.messages_per_task is not None:
        if queue is None:
            yield Finding(
                ("autoscaling", "messages_per_task"),
                "needs the worker's queue: set queue: {} (a queue of its own) or queue.arn",
                related=(("queue",),),
            )
        if scaling.min < 1:
            yield Finding(
                ("autoscaling", "min"),
                "must be at least 1 with messages_per_task: the backlog per task is not defined with no task running",
                related=(("autoscaling", "messages_per_task"),),
            )
        if env.ecs.container_insights == "disabled":
            yield Finding(
                ("autoscaling", "messages_per_task"),
                "divides the backlog by the running task count, which Container Insights publishes; "
                "ecs.container_insights is disabled in this environment",
                hint="enable Container Insights, or scale on cpu_target or memory_target",
            )


def _container_rules(service: ContainerService, name: str) -> Iterator[Finding]:
    port = service.port if isinstance(service, EcsService) else None
    volumes = {v.name for v in service.volumes}
    taken = {name: "the app container"}
    if service.xray:
        taken[XRAY_CONTAINER] = "the X-Ray sidecar"
    ports: dict[int, str] = {}
    for index, sidecar in enumerate(service.sidecars):
        where = ("sidecars", index)
        yield from _name_rule(where, sidecar.name, taken, f"sidecar '{sidecar.name}'")
        if sidecar.port is not None:
            if sidecar.port == port:
                yield Finding(
                    (*where, "port"),
                    f"{port} is the service's own port; a sidecar listens on another one",
                    related=(("port",),),
                )
            elif sidecar.port in ports:
                yield Finding((*where, "port"), f"{sidecar.port} is already the port of {ports[sidecar.port]}")
            ports.setdefault(sidecar.port, f"sidecar '{sidecar.name}'")
        yield from _mount_rules(where, sidecar.mounts, volumes)
    for index, init in enumerate(service.init_containers):
        where = ("init_containers", index)
        yield from _name_rule(where, init.name, taken, f"init container '{init.name}'")
        yield from _mount_rules(where, init.mounts, volumes)
    seen: set[str] = set()
    for index, volume in enumerate(service.volumes):
        where = ("volumes", index)
        if volume.name in seen:
            yield Finding((*where, "name"), f"'{volume.name}' is defined twice")
        seen.add(volume.name)
        if not volume.path.startswith("/"):
            yield Finding((*where, "path"), f"'{volume.path}' must be an absolute path")
        efs = volume.efs
        if efs is not None and efs.access_point_id is not None and efs.root_directory not in (None, "/"):
            yield Finding(
                (*where, "efs", "root_directory"),
                "cannot be set with access_point_id: the access point sets the root directory",
            )
    if service.repository_credentials is not None and service.image.repository is None:
        yield Finding(
            ("repository_credentials",),
            "applies to an external image (image.repository); the service's own ECR repository needs no credentials",
            related=(("image", "repository"),),
        )


def _name_rule(where: tuple[str | int, ...], name: str, taken: dict[str, str], what: str) -> Iterator[Finding]:
    if name in taken:
        yield Finding((*where, "name"), f"'{name}' is already the name of {taken[name]}")
    taken.setdefault(name, what)


def _mount_rules(where: tuple[str | int, ...], mounts: dict[str, str], volumes: set[str]) -> Iterator[Finding]:
    for volume, path in sorted(mounts.items()):
        if volume not in volumes:
            defined = ", ".join(sorted(volumes)) or "none"
            yield Finding((*where, "mounts", volume), f"no volume named '{volume}' (defined under volumes: {defined})")
        elif not path.startswith("/"):
            yield Finding((*where, "mounts", volume), f"'{path}' must be an absolute path")
