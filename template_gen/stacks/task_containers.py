"""What a task holds besides the app's image and port: sidecars, init containers, volumes (ephemeral or
EFS), the app container's Linux settings, and the permissions these need (EFS mounts, the private
registry's credentials)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from awacs import aws
from awacs.aws import Action
from troposphere import Sub, ecs

from template_gen.registry.container_models import ContainerHealthCheck
from template_gen.spec import EcsServiceSpec
from template_gen.stacks import iam

LogConfig = Callable[[str], ecs.LogConfiguration]


def _environment(variables: Mapping[str, str]) -> list[ecs.Environment]:
    return [ecs.Environment(Name=k, Value=v) for k, v in sorted(variables.items())]


def _mounts(mounts: Mapping[str, str], read_only: Mapping[str, bool] | None = None) -> list[ecs.MountPoint]:
    """`read_only`: per volume, for the app container; sidecars and init containers mount read-write."""
    read_only = read_only or {}
    return [
        ecs.MountPoint(SourceVolume=name, ContainerPath=path, ReadOnly=read_only.get(name, False))
        for name, path in sorted(mounts.items())
    ]


def health_check(check: ContainerHealthCheck) -> ecs.HealthCheck:
    """A container's health check (the app's or a sidecar's), as the task definition takes it."""
    return ecs.HealthCheck(
        Command=list(check.command),
        Interval=check.interval_seconds,
        Timeout=check.timeout_seconds,
        Retries=check.retries,
        StartPeriod=check.start_period_seconds,
    )


def hardening(readonly: bool, user: str | None, memory_limit_mib: int | None) -> dict[str, Any]:
    """A container's read-only root filesystem, user and hard memory limit, when set (docs/security.md)."""
    props: dict[str, Any] = {}
    if readonly:
        props["ReadonlyRootFilesystem"] = True
    if user:
        props["User"] = user
    if memory_limit_mib is not None:
        props["Memory"] = memory_limit_mib
    return props


def app_properties(svc: EcsServiceSpec) -> dict[str, Any]:
    """Extra properties of the app container."""
    props: dict[str, Any] = {}
    read_only = {v.name: v.read_only for v in svc.volumes}
    if svc.volumes:
        props["MountPoints"] = _mounts({v.name: v.path for v in svc.volumes}, read_only)
    if svc.init_containers:
        props["DependsOn"] = [
            ecs.ContainerDependency(ContainerName=c.name, Condition=c.condition) for c in svc.init_containers
        ]
    props.update(hardening(svc.readonly_root_filesystem, svc.user, svc.memory_limit_mib))
    if svc.drop_capabilities:
        props["LinuxParameters"] = ecs.LinuxParameters(
            Capabilities=ecs.KernelCapabilities(Drop=list(svc.drop_capabilities))
        )
    if svc.stop_timeout_seconds is not None:
        props["StopTimeout"] = svc.stop_timeout_seconds
    if svc.repository_credentials:
        props["RepositoryCredentials"] = ecs.RepositoryCredentials(CredentialsParameter=svc.repository_credentials)
    return props


def extra_containers(svc: EcsServiceSpec, log_config: LogConfig) -> list[ecs.ContainerDefinition]:
    containers = []
    for init in svc.init_containers:
        props: dict[str, Any] = {
            "Name": init.name,
            "Image": init.image,
            "Essential": False,  # it exits before the app starts
            "LogConfiguration": log_config(init.name),
        }
        if init.command:
            props["Command"] = list(init.command)
        if init.environment:
            props["Environment"] = _environment(init.environment)
        if init.mounts:
            props["MountPoints"] = _mounts(init.mounts)
        props.update(hardening(init.readonly_root_filesystem, init.user, init.memory_limit_mib))
        containers.append(ecs.ContainerDefinition(**props))
    for sidecar in svc.sidecars:
        props = {
            "Name": sidecar.name,
            "Image": sidecar.image,
            "Essential": sidecar.essential,
            "Cpu": sidecar.cpu,
            "LogConfiguration": log_config(sidecar.name),
        }
        if sidecar.port is not None:
            props["PortMappings"] = [ecs.PortMapping(ContainerPort=sidecar.port, Protocol="tcp")]
        if sidecar.memory_reservation is not None:
            props["MemoryReservation"] = sidecar.memory_reservation
        if sidecar.command:
            props["Command"] = list(sidecar.command)
        if sidecar.environment:
            props["Environment"] = _environment(sidecar.environment)
        if sidecar.mounts:
            props["MountPoints"] = _mounts(sidecar.mounts)
        props.update(hardening(sidecar.readonly_root_filesystem, sidecar.user, sidecar.memory_limit_mib))
        if sidecar.health_check is not None:
            props["HealthCheck"] = health_check(sidecar.health_check)
        containers.append(ecs.ContainerDefinition(**props))
    return containers


def volumes(svc: EcsServiceSpec) -> list[ecs.Volume]:
    out = []
    for volume in svc.volumes:
        if volume.efs is None:
            out.append(ecs.Volume(Name=volume.name))  # Fargate task storage: lives as long as the task
            continue
        efs = volume.efs
        config: dict[str, Any] = {"FilesystemId": efs.file_system_id, "TransitEncryption": "ENABLED"}
        if efs.access_point_id or efs.iam:
            config["AuthorizationConfig"] = ecs.AuthorizationConfig(
                IAM="ENABLED" if efs.iam else "DISABLED",
                **({"AccessPointId": efs.access_point_id} if efs.access_point_id else {}),
            )
        if efs.root_directory and not efs.access_point_id:
            config["RootDirectory"] = efs.root_directory
        out.append(ecs.Volume(Name=volume.name, EFSVolumeConfiguration=ecs.EFSVolumeConfiguration(**config)))
    return out


def task_statements(svc: EcsServiceSpec) -> list[aws.Statement]:
    """EFS volumes mounted with IAM authorization: mount (and write, unless read-only) on exactly them."""
    statements = []
    mounted = [(volume, volume.efs) for volume in svc.volumes if volume.efs is not None and volume.efs.iam]
    for index, (volume, efs) in enumerate(mounted):
        actions = [Action("elasticfilesystem", "ClientMount")]
        if not volume.read_only:
            actions.append(Action("elasticfilesystem", "ClientWrite"))
        arn = Sub(
            "arn:${AWS::Partition}:elasticfilesystem:${AWS::Region}:${AWS::AccountId}:file-system/" + efs.file_system_id
        )
        statements.append(iam.allow(actions, [arn], f"MountVolume{index + 1}"))
    return statements


def execution_statements(svc: EcsServiceSpec) -> list[aws.Statement]:
    """Pulling from a private registry: read exactly the secret that holds its credentials."""
    if not svc.repository_credentials:
        return []
    return [
        iam.allow([Action("secretsmanager", "GetSecretValue")], [svc.repository_credentials], "ReadRegistryCredentials")
    ]
