"""Models of what a container service's task holds besides its app container (sidecars, init containers,
volumes, Linux settings), of the traffic it takes part in (`calls`, Service Connect, extra security
groups), and of the `kind: worker` parts (its queue, queue-depth scaling)."""

from typing import Annotated, Literal

from pydantic import Field

from template_gen.registry.types import Model, Range

ServiceName = Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]*$")]
SecurityGroupId = Annotated[str, Field(pattern=r"^sg-[0-9a-f]{8,17}$")]
ContainerName = Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]{0,62}$")]
EnvName = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]
# Linux capabilities a task may drop (Fargate allows adding only SYS_PTRACE; dropping any of these).
Capability = Literal[
    "ALL", "AUDIT_CONTROL", "AUDIT_WRITE", "BLOCK_SUSPEND", "CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER",
    "FSETID", "IPC_LOCK", "IPC_OWNER", "KILL", "LEASE", "LINUX_IMMUTABLE", "MAC_ADMIN", "MAC_OVERRIDE", "MKNOD",
    "NET_ADMIN", "NET_BIND_SERVICE", "NET_BROADCAST", "NET_RAW", "SETFCAP", "SETGID", "SETPCAP", "SETUID",
    "SYS_ADMIN", "SYS_BOOT", "SYS_CHROOT", "SYS_MODULE", "SYS_NICE", "SYS_PACCT", "SYS_PTRACE", "SYS_RAWIO",
    "SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "SYSLOG", "WAKE_ALARM",
]  # fmt: skip


class ContainerHealthCheck(Model):
    command: list[str] = Field(
        min_length=2, description='e.g. ["CMD-SHELL", "curl -fs http://localhost:8080/health || exit 1"]'
    )
    interval_seconds: Annotated[int, Range(5, 300)] = 30
    timeout_seconds: Annotated[int, Range(2, 120)] = 5
    retries: Annotated[int, Range(1, 10)] = 3
    start_period_seconds: Annotated[int, Range(0, 300)] = 0


class Sidecar(Model):
    """An extra container that runs beside the app for the life of the task (proxy, agent, cache)."""

    name: ContainerName
    image: str = Field(min_length=1, description="Full image reference, e.g. public.ecr.aws/org/agent:1.2.")
    port: Annotated[int, Range(1, 65535)] | None = Field(None, description="A port it listens on (not the app's).")
    essential: bool = Field(False, description="Stop the task when this container stops.")
    environment: dict[EnvName, str] = Field(default_factory=dict)
    command: list[str] | None = Field(None, min_length=1)
    cpu: Annotated[int, Range(0, 16384)] = Field(0, description="CPU units reserved from the task's.")
    memory_reservation: Annotated[int, Range(6, 122880)] | None = Field(None, description="Soft memory limit, MiB.")
    health_check: ContainerHealthCheck | None = None
    mounts: dict[str, str] = Field(default_factory=dict, description="Volume name -> path in this container.")
    readonly_root_filesystem: bool = Field(False, description="Mount this container's root filesystem read-only.")
    user: str | None = Field(
        None, pattern=r"^[A-Za-z0-9_.-]+(:[A-Za-z0-9_.-]+)?$", description="User (and group) it runs as."
    )
    memory_limit_mib: Annotated[int, Range(6, 122880)] | None = Field(
        None, description="Hard memory limit, MiB: ECS stops the container above it."
    )


class InitContainer(Model):
    """A container that runs to the end before the app starts (migrations, config rendering)."""

    name: ContainerName
    image: str = Field(min_length=1)
    command: list[str] | None = Field(None, min_length=1)
    environment: dict[EnvName, str] = Field(default_factory=dict)
    condition: Literal["SUCCESS", "COMPLETE"] = Field(
        "SUCCESS", description="SUCCESS: the app starts only if it exits 0; COMPLETE: whatever its exit code."
    )
    mounts: dict[str, str] = Field(default_factory=dict, description="Volume name -> path in this container.")
    readonly_root_filesystem: bool = Field(False, description="Mount this container's root filesystem read-only.")
    user: str | None = Field(
        None, pattern=r"^[A-Za-z0-9_.-]+(:[A-Za-z0-9_.-]+)?$", description="User (and group) it runs as."
    )
    memory_limit_mib: Annotated[int, Range(6, 122880)] | None = Field(
        None, description="Hard memory limit, MiB: ECS stops the container above it."
    )


class EfsVolume(Model):
    file_system_id: str = Field(pattern=r"^fs-[0-9a-f]{8,40}$")
    access_point_id: str | None = Field(
        None, pattern=r"^fsap-[0-9a-f]{8,40}$", description="Mount through this access point (its own root and user)."
    )
    root_directory: str | None = Field(None, description="Directory to mount (without an access point).")
    iam: bool = Field(True, description="Authorize the mount with the task role (elasticfilesystem:Client*).")


class Volume(Model):
    """A task volume mounted into the app container: ephemeral task storage, or an EFS file system."""

    name: ContainerName
    path: str = Field(description="Mount path in the app container.")
    read_only: bool = False
    efs: EfsVolume | None = Field(None, description="Unset: ephemeral storage that lives as long as the task.")


class ServiceConnectOptions(Model):
    dns_name: str | None = Field(
        None,
        pattern=r"^[a-z0-9]([a-z0-9.-]{0,62}[a-z0-9])?$",
        description="Name callers use (http://<dns_name>:<port>); default: the service name.",
    )


class WorkerQueue(Model):
    """The queue a worker consumes: one the platform creates (with a dead-letter queue), or an existing one."""

    arn: str | None = Field(
        None,
        pattern=r"^arn:aws[a-z-]*:sqs:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,80}(\.fifo)?$",
        description="Consume this existing queue instead of creating one.",
    )
    visibility_timeout_seconds: Annotated[int, Range(0, 43200)] = 300
    max_receive_count: Annotated[int, Range(1, 1000)] = Field(5, description="Receives before a message is dead.")
    retention_days: Annotated[int, Range(1, 14)] = 4
    fifo: bool = False


class WorkerHealthCheck(Model):
    container: ContainerHealthCheck | None = Field(None, description="Container health check of the worker.")


__all__ = [
    "Capability",
    "ContainerHealthCheck",
    "ContainerName",
    "EfsVolume",
    "InitContainer",
    "SecurityGroupId",
    "ServiceConnectOptions",
    "ServiceName",
    "Sidecar",
    "Volume",
    "WorkerHealthCheck",
    "WorkerQueue",
]
