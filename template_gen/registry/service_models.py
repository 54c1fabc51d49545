"""Models of `services/<name>/service.yaml`: container (`kind: ecs`) and Lambda (`kind: lambda`) services."""

from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from template_gen.registry.container_models import (
    Capability,
    ContainerHealthCheck,
    InitContainer,
    SecurityGroupId,
    ServiceConnectOptions,
    ServiceName,
    Sidecar,
    Volume,
    WorkerHealthCheck,
    WorkerQueue,
)
from template_gen.registry.egress_models import ServiceEgress
from template_gen.registry.escape_hatch_models import ExtraResources, PatchOp
from template_gen.registry.observability_models import EcsServiceAlarms, LambdaServiceAlarms
from template_gen.registry.route_models import ApiRoute
from template_gen.registry.route_models import Auth as Auth  # re-exported: Auth lives with the route models
from template_gen.registry.types import LogRetention, Model, Range, Tags

Exposure = Literal["public", "private", "both", "none"]

# The REST APIs a service's routes go on, by its `api.exposure`.
APIS_BY_EXPOSURE: dict[str, tuple[str, ...]] = {
    "public": ("public",),
    "private": ("private",),
    "both": ("public", "private"),
    "none": (),
}


class Api(Model):
    exposure: Exposure = Field("public", description="Which REST API(s) carry the routes.")
    routes: list[ApiRoute] = Field(
        default_factory=list,
        description="Routes besides base_path (several paths, the root '/', per-method auth and throttling).",
    )
    base_path: str | None = Field(
        None,
        validate_default=True,
        description="API base path, e.g. /quoting; routes /base and /base/{proxy+}. Required unless exposure is "
        "none or api.routes is set (a Lambda driven only by events, or a container reached through explicit "
        "ALB path patterns).",
    )
    auth: Auth = Field(
        "api_key",
        description="api_key: API Gateway API keys; authorizer: the platform's API key validator; "
        "iam: SigV4; none: open (explicitly public); cognito: a Cognito user pool token; jwt: a token of any "
        "OIDC issuer (api.authorizers in registry.yaml).",
    )
    timeout_ms: Annotated[int, Range(50, 29000)] = Field(29000, description="Integration timeout.")

    @field_validator("base_path")
    @classmethod
    def _needed_when_exposed(cls, value: str | None, info: ValidationInfo) -> str | None:
        exposure = info.data.get("exposure")
        if value is None and exposure not in (None, "none") and not info.data.get("routes"):
            raise PydanticCustomError("missing", f"required field is missing (exposure is {exposure})")
        return value


class HealthCheck(Model):
    path: str = Field("/health", description="Target group health check path.")
    interval_seconds: Annotated[int, Range(5, 300)] = 30
    timeout_seconds: Annotated[int, Range(2, 120)] = 5
    healthy_threshold: Annotated[int, Range(2, 10)] = 3
    unhealthy_threshold: Annotated[int, Range(2, 10)] = 3
    matcher: str = Field("200-399", pattern=r"^\d{3}(-\d{3})?(,\d{3}(-\d{3})?)*$")
    grace_period_seconds: Annotated[int, Range(0, 2147483647)] = Field(60, description="ECS health check grace period.")
    container: ContainerHealthCheck | None = Field(None, description="Container health check in the task definition.")


class HttpHeaderCondition(Model):
    name: str = Field(pattern=r"^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,40}$", description="Header name, e.g. X-Version.")
    values: list[str] = Field(min_length=1, description="Header values (* and ? wildcards).")


class AlbCondition(Model):
    """An extra listener-rule condition; a request must match every condition of the rule."""

    host_header: list[str] | None = Field(None, min_length=1, description="Host names (* and ? wildcards).")
    http_header: HttpHeaderCondition | None = None


class Alb(Model):
    priority: Annotated[int, Range(1, 49999)] = Field(
        description="Listener rule priority, unique per environment (50000 is the platform's health rule)."
    )
    path_patterns: list[str] | None = Field(
        None, description="ALB path patterns; default [<base_path>, <base_path>/*]."
    )
    conditions: list[AlbCondition] = Field(
        default_factory=list,
        description="Extra rule conditions (host or HTTP header). A rule holds at most 5 condition values in all.",
    )


class Stickiness(Model):
    enabled: bool = True
    duration_seconds: Annotated[int, Range(1, 604800)] = Field(86400, description="Load balancer cookie lifetime.")


class TargetGroupOptions(Model):
    deregistration_delay_seconds: Annotated[int, Range(0, 3600)] = Field(
        30, description="How long a draining task keeps its in-flight requests."
    )
    slow_start_seconds: Annotated[int, Range(0, 900)] = Field(
        0, description="Ramp-up time for new tasks (0: off; 30 to 900 when on)."
    )
    stickiness: Stickiness | None = Field(None, description="Sticky sessions (load balancer cookie).")


class SecretRef(Model):
    """Where an environment variable's value comes from: one of ssm or secrets_manager."""

    ssm: str | None = Field(None, description="SSM parameter name (/path/name) or ARN.")
    secrets_manager: str | None = Field(None, description="Secrets Manager secret name or ARN.")
    key: str | None = Field(None, description="JSON key inside the secret (secrets_manager only).")
    kms_key_arn: str | None = Field(
        None,
        pattern=r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/[A-Za-z0-9-]+$",
        description="Customer-managed KMS key that encrypts it (kms:Decrypt is granted on exactly this key).",
    )


class IamStatement(Model):
    """An extra Allow statement for the service's own role."""

    sid: str | None = Field(None, pattern=r"^[A-Za-z0-9]+$")
    actions: list[str] = Field(min_length=1, description='e.g. ["s3:GetObject"]; never "*" or "service:*".')
    resources: list[str] = Field(min_length=1, description='ARNs; "*" only with acknowledge_wildcard_resource.')
    acknowledge_wildcard_resource: bool = Field(
        False, description='Allow "*" as a resource (for actions without resource-level permissions).'
    )


class Autoscaling(Model):
    min: Annotated[int, Range(0, 5000)] = 1
    max: Annotated[int, Range(1, 5000)]
    cpu_target: Annotated[int, Range(10, 95)] | None = Field(None, description="Average CPU %.")
    memory_target: Annotated[int, Range(10, 95)] | None = Field(None, description="Average memory %.")
    requests_per_target: Annotated[int, Range(1, 100000)] | None = Field(
        None, description="ALB requests per target per minute."
    )
    scale_in_cooldown_seconds: Annotated[int, Range(0, 3600)] = 300
    scale_out_cooldown_seconds: Annotated[int, Range(0, 3600)] = 60


class Image(Model):
    tag: str | None = Field(
        None,
        pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$",
        description="Image tag to run. Unset: the service is created with zero tasks until an image exists.",
    )
    repository: str | None = Field(
        None,
        description="External image repository URI (without tag) instead of the service's ECR repository.",
    )


class Ecr(Model):
    scan_on_push: bool = True
    keep_images: Annotated[int, Range(1, 1000)] = Field(30, description="Lifecycle policy: keep the newest N images.")
    immutable_tags: bool = Field(
        True, description="Refuse to push a tag twice, so a deployed tag always names the same image."
    )


class CapacityProvider(Model):
    provider: Literal["FARGATE", "FARGATE_SPOT"]
    weight: Annotated[int, Range(0, 1000)] = 1
    base: Annotated[int, Range(0, 100000)] = 0


class Deployment(Model):
    minimum_healthy_percent: Annotated[int, Range(0, 100)] = 100
    maximum_percent: Annotated[int, Range(100, 200)] = 200
    circuit_breaker: bool = Field(True, description="Roll back a deployment whose tasks never get healthy.")


EnvName = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]
EnvVars = dict[EnvName, str]


class ServiceBase(Model):
    name: str | None = Field(None, description="Defaults to the folder name; must match it.")
    description: str = ""
    owner: str | None = Field(None, description="Owning team, added as the `owner` tag.")
    tags: Tags = Field(default_factory=dict)
    environment: EnvVars = Field(default_factory=dict, description="Environment variables.")
    secrets: dict[EnvName, SecretRef] = Field(
        default_factory=dict,
        description="Environment variables from SSM Parameter Store or Secrets Manager (read access is granted "
        "on exactly these).",
    )
    iam: list[IamStatement] = Field(default_factory=list, description="Extra permissions for the service's role.")
    log_retention_days: LogRetention | None = Field(None, description="Defaults to the environment's.")
    environments: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="Per-environment overrides, merged over this file."
    )
    calls: list[ServiceName] = Field(
        default_factory=list,
        description="Services this one calls (east-west): each callee's security group admits this service on "
        "its port. Set per environment under environments.<env>.calls.",
    )
    security_groups: list[SecurityGroupId] = Field(
        default_factory=list,
        description="Existing security groups to attach as well (e.g. one a database admits); a network "
        "interface takes at most 5 groups, the service's own included.",
    )

    # Fields a kind does not take, with the reason given when a file sets them (see pydantic_errors).
    refused_fields: ClassVar[dict[str, str]] = {}
    overrides: list[PatchOp] = Field(
        default_factory=list,
        description="Escape hatch: patches on the generated resources, applied after building (docs/overrides.md).",
    )
    extra_resources: ExtraResources = Field(
        default_factory=dict,
        description="Escape hatch: raw CloudFormation resources, in the stack that holds the service "
        "(docs/overrides.md).",
    )


class ContainerService(ServiceBase):
    """What every container service has, whether it serves requests (`kind: ecs`) or not (`kind: worker`)."""

    cpu: int = Field(256, description="Fargate CPU units: 256, 512, 1024, 2048, 4096, 8192 or 16384.")
    memory: int = Field(512, description="MiB; must be valid for the CPU.")
    desired_count: Annotated[int, Range(0, 5000)] = 1
    image: Image = Image()
    xray: bool = Field(False, description="Add the X-Ray daemon sidecar.")
    capacity_provider_strategy: list[CapacityProvider] = Field(
        default_factory=list, description="Default: FARGATE only."
    )
    deployment: Deployment = Deployment()
    ecr: Ecr = Ecr()
    command: list[str] | None = Field(None, min_length=1, description="Override the image's CMD.")
    entrypoint: list[str] | None = Field(None, min_length=1, description="Override the image's ENTRYPOINT.")
    platform: Literal["x86_64", "arm64"] = Field("x86_64", description="CPU architecture (arm64: Graviton).")
    exec: bool = Field(False, description="ECS Exec (aws ecs execute-command), with its session logs.")
    sidecars: list[Sidecar] = Field(default_factory=list, description="Extra containers beside the app.")
    init_containers: list[InitContainer] = Field(
        default_factory=list, description="Containers that run to the end before the app starts."
    )
    volumes: list[Volume] = Field(default_factory=list, description="Task volumes (ephemeral or EFS).")
    readonly_root_filesystem: bool = Field(False, description="Mount the app container's root filesystem read-only.")
    user: str | None = Field(
        None, pattern=r"^[A-Za-z0-9_.-]+(:[A-Za-z0-9_.-]+)?$", description="User (and group) the app runs as."
    )
    drop_capabilities: list[Capability] = Field(
        default_factory=list, description='Linux capabilities to drop from the app container, e.g. ["ALL"].'
    )
    stop_timeout_seconds: Annotated[int, Range(2, 120)] | None = Field(
        None, description="Time between SIGTERM and SIGKILL (Fargate default 30)."
    )
    repository_credentials: str | None = Field(
        None,
        pattern=r"^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+$",
        description="Secrets Manager secret with the username and password of a private registry "
        "(image.repository only).",
    )
    memory_limit_mib: Annotated[int, Range(6, 122880)] | Literal["task"] | None = Field(
        None,
        description="Hard memory limit of the app container, MiB: ECS stops the container above it. With the "
        "other containers' reservations it must fit in the task's memory; task: all of the task's memory the "
        "other containers do not reserve. Also gives the X-Ray sidecar a 256 MiB hard limit.",
    )
    egress: ServiceEgress = Field(
        ServiceEgress(), description="Outbound traffic: open, or restricted to an allow list (docs/security.md)."
    )


class EcsService(ContainerService):
    kind: Literal["ecs"]
    port: Annotated[int, Range(1, 65535)] = Field(description="Container port.")
    protocol: Literal["http", "http2", "grpc"] = Field(
        "http",
        description="Application protocol (Service Connect's appProtocol). http2 and grpc services are internal: "
        "reached through Service Connect, checked by the container health check.",
    )
    api: Api = Field(
        default_factory=lambda: Api(exposure="none", auth="none"),
        description="API routes; exposure none (the default) keeps the service off the APIs.",
    )
    alb: Alb | None = Field(
        None,
        description="Listener rule on the internal ALB. Unset (with no API exposure): an internal service "
        "reached only through Service Connect.",
    )
    health_check: HealthCheck = HealthCheck()
    autoscaling: Autoscaling | None = None
    service_connect: ServiceConnectOptions = ServiceConnectOptions()
    target_group: TargetGroupOptions = TargetGroupOptions()
    alarms: EcsServiceAlarms = Field(EcsServiceAlarms(), description="Alarm thresholds, or enabled: false.")


class WorkerAutoscaling(Model):
    min: Annotated[int, Range(0, 5000)] = 1
    max: Annotated[int, Range(1, 5000)]
    cpu_target: Annotated[int, Range(10, 95)] | None = Field(None, description="Average CPU %.")
    memory_target: Annotated[int, Range(10, 95)] | None = Field(None, description="Average memory %.")
    messages_per_task: Annotated[int, Range(1, 100000)] | None = Field(
        None, description="Visible messages in the queue per running task (the backlog each task may hold)."
    )
    scale_in_cooldown_seconds: Annotated[int, Range(0, 3600)] = 300
    scale_out_cooldown_seconds: Annotated[int, Range(0, 3600)] = 60


_NOT_ON_A_WORKER = "reach it through a queue, or make it kind: ecs"


class WorkerService(ContainerService):
    """A container service that serves no requests: no port, no load balancer, no API."""

    kind: Literal["worker"]
    queue: WorkerQueue | None = Field(None, description="The SQS queue it consumes (its own, or an existing one).")
    autoscaling: WorkerAutoscaling | None = None
    health_check: WorkerHealthCheck = WorkerHealthCheck()

    @property
    def api(self) -> Api:
        """A worker is on no API: code that reads every service's exposure needs no special case for it."""
        return Api(exposure="none", auth="none")

    refused_fields: ClassVar[dict[str, str]] = {
        "port": f"a worker has no port: nothing connects to it ({_NOT_ON_A_WORKER})",
        "api": f"a worker is not on an API: it serves no requests ({_NOT_ON_A_WORKER})",
        "alb": f"a worker has no load balancer rule: it serves no requests ({_NOT_ON_A_WORKER})",
        "protocol": f"a worker has no protocol: nothing connects to it ({_NOT_ON_A_WORKER})",
        "service_connect": "a worker is not reachable through Service Connect (it still calls others through it)",
        "target_group": "a worker has no target group: it is not behind the load balancer",
    }


class SqsEvent(Model):
    batch_size: Annotated[int, Range(1, 10000)] = 10
    visibility_timeout_seconds: Annotated[int, Range(0, 43200)] | None = Field(
        None, description="Default: six times the function timeout (AWS's recommendation)."
    )
    max_receive_count: Annotated[int, Range(1, 1000)] = Field(
        5, description="Receives before a message goes to the DLQ."
    )
    retention_days: Annotated[int, Range(1, 14)] = 4
    fifo: bool = False


class EventBridgeEvent(Model):
    pattern: dict[str, Any] = Field(description="EventBridge event pattern.")
    bus: str = Field("default", description="Event bus name or ARN.")


class LambdaEvent(Model):
    """One event source: exactly one of schedule, sqs, eventbridge."""

    schedule: str | None = Field(None, description="rate(5 minutes) or cron(0 2 * * ? *).")
    sqs: SqsEvent | None = Field(None, description="A queue the platform creates, with a dead-letter queue.")
    eventbridge: EventBridgeEvent | None = None
    enabled: bool = True


class LambdaService(ServiceBase):
    kind: Literal["lambda"]
    api: Api = Field(
        default_factory=lambda: Api(exposure="none", auth="none"),
        description="API route; a function may have events instead of a route, or both.",
    )
    events: dict[Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]{0,31}$")], LambdaEvent] = Field(
        default_factory=dict, description="Event sources by name: schedule, SQS queue, EventBridge rule."
    )
    code: str | None = Field(
        None, description="Code folder, relative to the project; default functions/<name with _ for ->."
    )
    handler: str = Field("app.lambda_handler", pattern=r"^[A-Za-z_][\w.]*\.[A-Za-z_]\w*$")
    memory_size: Annotated[int, Range(128, 10240)] | None = None
    timeout_seconds: Annotated[int, Range(1, 900)] | None = None
    reserved_concurrency: Annotated[int, Range(0, 10000)] | None = Field(
        None, description="Reserved concurrency (0 stops the function)."
    )
    architecture: Literal["x86_64", "arm64"] | None = Field(None, description="Default: the environment's.")
    alarms: LambdaServiceAlarms = Field(LambdaServiceAlarms(), description="Alarm thresholds, or enabled: false.")
    vpc: bool = Field(
        False,
        description="Run in the environment's VPC (task subnets, its own security group), so the function can "
        "call the services it lists under calls.",
    )


Service = Annotated[EcsService | WorkerService | LambdaService, Field(discriminator="kind")]
