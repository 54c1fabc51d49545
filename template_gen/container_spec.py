"""The container parts of a service's spec: what `kind: ecs` and `kind: worker` share, and what a worker
resolves to (no port, no API, no rule; its queue and its backlog target)."""

from __future__ import annotations

from typing import Any

from template_gen.registry.hardening_rules import app_memory_limit
from template_gen.registry.models import Api, Autoscaling, ContainerService, HealthCheck, WorkerService


def common_fields(model: ContainerService, image_tag: str | None, calls: tuple[str, ...]) -> dict[str, Any]:
    return dict(
        cpu=model.cpu,
        memory=model.memory,
        desired_count=model.desired_count,
        image_tag=image_tag,
        image_repository=model.image.repository,
        xray=model.xray,
        capacity_provider_strategy=tuple(model.capacity_provider_strategy),
        deployment=model.deployment,
        ecr=model.ecr,
        secrets=tuple(sorted(model.secrets.items())),
        iam=tuple(model.iam),
        command=tuple(model.command) if model.command else None,
        entrypoint=tuple(model.entrypoint) if model.entrypoint else None,
        platform=model.platform,
        exec=model.exec,
        calls=calls,
        security_groups=tuple(dict.fromkeys(model.security_groups)),
        sidecars=tuple(model.sidecars),
        init_containers=tuple(model.init_containers),
        volumes=tuple(model.volumes),
        readonly_root_filesystem=model.readonly_root_filesystem,
        user=model.user,
        drop_capabilities=tuple(dict.fromkeys(model.drop_capabilities)),
        stop_timeout_seconds=model.stop_timeout_seconds,
        repository_credentials=model.repository_credentials,
        memory_limit_mib=app_memory_limit(model),
    )


def worker_fields(model: WorkerService) -> dict[str, Any]:
    """A worker as the ECS module sees it: a container service with no port, API or rule. Its CPU and memory
    targets become an ordinary `Autoscaling`; the backlog target travels beside it."""
    scaling = model.autoscaling
    autoscaling = None
    if scaling is not None:
        autoscaling = Autoscaling(
            min=scaling.min,
            max=scaling.max,
            cpu_target=scaling.cpu_target,
            memory_target=scaling.memory_target,
            scale_in_cooldown_seconds=scaling.scale_in_cooldown_seconds,
            scale_out_cooldown_seconds=scaling.scale_out_cooldown_seconds,
        )
    return dict(
        kind="worker",
        port=None,
        api=Api(exposure="none", auth="none"),
        priority=None,
        path_patterns=(),
        health_check=HealthCheck(container=model.health_check.container),
        autoscaling=autoscaling,
        messages_per_task=scaling.messages_per_task if scaling else None,
        queue=model.queue,
    )
