"""Models of `services/<name>/service.yaml`: container (`kind: ecs`) and Lambda (`kind: lambda`) services."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from template_gen.registry.types import LogRetention, Model, Range, Tags

# --------------------------------------------------------------------------------------------------
# service.yaml
# --------------------------------------------------------------------------------------------------

Auth = Literal["api_key", "authorizer", "iam", "none"]
Exposure = Literal["public", "private", "both", "none"]


class Api(Model):
    base_path: str = Field(description="API base path, e.g. /quoting; routes /base and /base/{proxy+}.")
    exposure: Exposure = Field("public", description="Which REST API(s) carry the routes.")
    auth: Auth = Field(
        "api_key",
        description="api_key: API Gateway API keys; authorizer: the platform's API key validator; "
        "iam: SigV4; none: open (explicitly public).",
    )
    timeout_ms: Annotated[int, Range(50, 29000)] = Field(29000, description="Integration timeout.")


class ContainerHealthCheck(Model):
    command: list[str] = Field(
        min_length=2, description='e.g. ["CMD-SHELL", "curl -fs http://localhost:8080/health || exit 1"]'
    )
    interval_seconds: Annotated[int, Range(5, 300)] = 30
    timeout_seconds: Annotated[int, Range(2, 120)] = 5
    retries: Annotated[int, Range(1, 10)] = 3
    start_period_seconds: Annotated[int, Range(0, 300)] = 0


class HealthCheck(Model):
    path: str = Field("/health", description="Target group health check path.")
    interval_seconds: Annotated[int, Range(5, 300)] = 30
    timeout_seconds: Annotated[int, Range(2, 120)] = 5
    healthy_threshold: Annotated[int, Range(2, 10)] = 3
    unhealthy_threshold: Annotated[int, Range(2, 10)] = 3
    matcher: str = Field("200-399", pattern=r"^\d{3}(-\d{3})?(,\d{3}(-\d{3})?)*$")
    grace_period_seconds: Annotated[int, Range(0, 2147483647)] = Field(60, description="ECS health check grace period.")
    container: ContainerHealthCheck | None = Field(None, description="Container health check in the task definition.")


class Alb(Model):
    priority: Annotated[int, Range(1, 49999)] = Field(
        description="Listener rule priority, unique per environment (50000 is the platform's health rule)."
    )
    path_patterns: list[str] | None = Field(
        None, description="ALB path patterns; default [<base_path>, <base_path>/*]."
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
    immutable_tags: bool = False


class CapacityProvider(Model):
    provider: Literal["FARGATE", "FARGATE_SPOT"]
    weight: Annotated[int, Range(0, 1000)] = 1
    base: Annotated[int, Range(0, 100000)] = 0


class Deployment(Model):
    minimum_healthy_percent: Annotated[int, Range(0, 100)] = 100
    maximum_percent: Annotated[int, Range(100, 200)] = 200
    circuit_breaker: bool = Field(True, description="Roll back a deployment whose tasks never get healthy.")


EnvVars = dict[Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")], str]


class ServiceBase(Model):
    name: str | None = Field(None, description="Defaults to the folder name; must match it.")
    description: str = ""
    owner: str | None = Field(None, description="Owning team, added as the `owner` tag.")
    tags: Tags = Field(default_factory=dict)
    environment: EnvVars = Field(default_factory=dict, description="Environment variables.")
    log_retention_days: LogRetention | None = Field(None, description="Defaults to the environment's.")
    environments: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="Per-environment overrides, merged over this file."
    )


class EcsService(ServiceBase):
    kind: Literal["ecs"]
    port: Annotated[int, Range(1, 65535)] = Field(description="Container port.")
    cpu: int = Field(256, description="Fargate CPU units: 256, 512, 1024, 2048, 4096, 8192 or 16384.")
    memory: int = Field(512, description="MiB; must be valid for the CPU.")
    desired_count: Annotated[int, Range(0, 5000)] = 1
    image: Image = Image()
    api: Api
    alb: Alb
    health_check: HealthCheck = HealthCheck()
    autoscaling: Autoscaling | None = None
    xray: bool = Field(False, description="Add the X-Ray daemon sidecar.")
    capacity_provider_strategy: list[CapacityProvider] = Field(
        default_factory=list, description="Default: FARGATE only."
    )
    deployment: Deployment = Deployment()
    ecr: Ecr = Ecr()


class LambdaService(ServiceBase):
    kind: Literal["lambda"]
    api: Api
    code: str | None = Field(None, description="Code folder, relative to the project; default functions/<name>.")
    handler: str = Field("app.lambda_handler", pattern=r"^[A-Za-z_][\w.]*\.[A-Za-z_]\w*$")
    memory_size: Annotated[int, Range(128, 10240)] | None = None
    timeout_seconds: Annotated[int, Range(1, 900)] | None = None


Service = Annotated[EcsService | LambdaService, Field(discriminator="kind")]
