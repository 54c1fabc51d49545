"""Pydantic models of `services/registry.yaml` and `services/<name>/service.yaml`.

The models check structure, types and ranges only. Rules that involve several fields or several files
(Fargate CPU/memory pairs, duplicate priorities, overlapping paths, quotas) live in `validate.py`,
which reports them with the file and field path they belong to.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, core_schema

LOG_RETENTION_DAYS = (
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
    3653,
)


@dataclass(frozen=True)
class Range:
    """`Annotated[int, Range(1, 65535)]`: one clear message for both bounds, and both in the JSON Schema."""

    lo: int
    hi: int

    def _check(self, value: int) -> int:
        if not self.lo <= value <= self.hi:
            raise ValueError(f"{value} is outside the allowed range {self.lo}..{self.hi}")
        return value

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        return core_schema.no_info_after_validator_function(self._check, handler(source))

    def __get_pydantic_json_schema__(self, schema: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        json_schema = handler(schema)
        json_schema.update(minimum=self.lo, maximum=self.hi)
        return json_schema


def _retention(value: int) -> int:
    if value not in LOG_RETENTION_DAYS:
        allowed = ", ".join(str(v) for v in LOG_RETENTION_DAYS)
        raise ValueError(f"{value} is not a CloudWatch Logs retention period (allowed: {allowed})")
    return value


LogRetention = Annotated[int, AfterValidator(_retention), Field(json_schema_extra={"enum": list(LOG_RETENTION_DAYS)})]
Tags = dict[Annotated[str, Field(min_length=1, max_length=128)], Annotated[str, Field(max_length=256)]]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


# --------------------------------------------------------------------------------------------------
# registry.yaml
# --------------------------------------------------------------------------------------------------


class FlowLogs(Model):
    enabled: bool = Field(True, description="Send VPC flow logs to CloudWatch Logs.")
    traffic_type: Literal["ALL", "ACCEPT", "REJECT"] = "ALL"
    retention_days: LogRetention | None = Field(None, description="Defaults to the environment's retention.")


class AlbSettings(Model):
    idle_timeout_seconds: Annotated[int, Range(1, 4000)] = 60
    access_logs: bool = Field(True, description="Write ALB access logs to the platform's log bucket.")
    access_log_expiration_days: Annotated[int, Range(1, 3650)] = Field(
        90, description="Days before access log objects expire."
    )


class ExecuteApiEndpoint(Model):
    create: Literal["auto", "always", "never"] = Field(
        "auto",
        description="auto: create the execute-api interface endpoint when a service is exposed privately.",
    )
    endpoint_id: str | None = Field(
        None, pattern=r"^vpce-[0-9a-f]{8,17}$", description="Use this existing execute-api endpoint instead."
    )
    private_dns: bool = Field(
        True,
        description="Private DNS for execute-api in the VPC. Note: with it on, public APIs are not reachable "
        "by their default hostname from inside the VPC.",
    )


class NetworkBase(Model):
    ingress: Literal["nlb-alb", "alb-direct"] = Field(
        "nlb-alb",
        description="nlb-alb: API Gateway -> REST VPC link -> internal NLB -> internal ALB. "
        "alb-direct: API Gateway -> VPC link v2 -> internal ALB (no NLB hop).",
    )
    flow_logs: FlowLogs = FlowLogs()
    alb: AlbSettings = AlbSettings()
    execute_api_endpoint: ExecuteApiEndpoint = ExecuteApiEndpoint()


class NetworkCreate(NetworkBase):
    mode: Literal["create"]
    cidr: str = Field("10.0.0.0/16", description="VPC CIDR block, /16 to /24.")
    az_count: Annotated[int, Range(2, 6)] = Field(
        2, description="Availability Zones to span (the ALB needs at least two)."
    )
    nat_gateways: Literal["single", "per-az"] = Field(
        "single",
        description="single: one NAT gateway (cheaper); per-az: one per AZ (no cross-AZ dependency).",
    )
    subnet_prefix_length: Annotated[int, Range(16, 28)] | None = Field(
        None, description="Prefix length of each subnet; derived from the CIDR if unset."
    )


SubnetId = Annotated[str, Field(pattern=r"^subnet-[0-9a-f]{8,17}$")]
VpcId = Annotated[str, Field(pattern=r"^vpc-[0-9a-f]{8,17}$")]


class NetworkExisting(NetworkBase):
    mode: Literal["existing"]
    vpc_id: VpcId
    vpc_cidr: str = Field(description="The VPC's CIDR block (the ALB admits traffic from it).")
    private_subnet_ids: list[SubnetId] = Field(default_factory=list, description="One per AZ, at least two.")
    public_subnet_ids: list[SubnetId] = Field(
        default_factory=list,
        description="Used for tasks (with public IPs) only when no private subnets are given.",
    )


class NetworkLookup(NetworkBase):
    mode: Literal["lookup"]
    vpc_id: VpcId | None = None
    vpc_tags: Tags | None = Field(None, description="Find the VPC by tags instead of id.")


class NetworkDefault(NetworkBase):
    mode: Literal["default"]


Network = Annotated[NetworkCreate | NetworkExisting | NetworkLookup | NetworkDefault, Field(discriminator="mode")]


class Powertools(Model):
    source: Literal["layer", "bundle"] = Field(
        "layer",
        description="layer: the official public Powertools layer (sam build needs no matching Python). "
        "bundle: install aws-lambda-powertools into each function package.",
    )
    layer_version: Annotated[int, Range(1, 10000)] | None = Field(
        None,
        description="Pin this version of the official Powertools layer (a literal ARN). Default: the layer of "
        "the Powertools release the functions are tested with, resolved at deploy time from its public SSM "
        "parameter.",
    )


class LambdaSettings(Model):
    runtime: Literal["python3.12", "python3.13"] = "python3.13"
    architecture: Literal["x86_64", "arm64"] = "x86_64"
    memory_size: Annotated[int, Range(128, 10240)] = Field(256, description="MiB")
    timeout_seconds: Annotated[int, Range(1, 900)] = 10
    powertools: Powertools = Powertools()


class ApiKeyValidatorSettings(Model):
    enabled: bool = True
    key_cache_ttl_seconds: Annotated[int, Range(0, 3600)] = Field(
        60, description="In-memory key cache of the validator."
    )
    reserved_concurrency: Annotated[int, Range(1, 1000)] | None = None


class OnboardingSettings(Model):
    enabled: bool = True


class PlatformFunctions(Model):
    api_key_validator: ApiKeyValidatorSettings = ApiKeyValidatorSettings()
    onboarding: OnboardingSettings = OnboardingSettings()


class EcsSettings(Model):
    container_insights: Literal["enabled", "enhanced", "disabled"] = Field(
        "enabled", description="CloudWatch Container Insights on the cluster."
    )
    xray_daemon_image: str = Field(
        "public.ecr.aws/xray/aws-xray-daemon:3.x", description="Image of the X-Ray sidecar (services with xray: true)."
    )


class EnvironmentSettings(Model):
    """Settings an environment can set, and `defaults:` can set for every environment."""

    log_retention_days: LogRetention = Field(30, description="Default retention of every log group.")
    tracing: bool = Field(True, description="X-Ray tracing for Lambdas and the API stage.")
    logs_kms_key_arn: str | None = Field(
        None,
        pattern=r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/[A-Za-z0-9-]+$",
        description="Customer-managed KMS key for every log group (its policy must allow CloudWatch Logs).",
    )
    lambda_: LambdaSettings = Field(LambdaSettings(), alias="lambda")
    platform_functions: PlatformFunctions = PlatformFunctions()
    ecs: EcsSettings = EcsSettings()
    tags: Tags = Field(default_factory=dict, description="Extra tags for every resource of the environment.")


class Environment(EnvironmentSettings):
    network: Network
    services: list[str] = Field(default_factory=list, description="Services enabled in this environment.")
    region: str | None = Field(None, pattern=r"^[a-z]{2}(-gov)?-[a-z]+-\d$", description="Defaults to the registry's.")
    account_id: str | None = Field(
        None, pattern=r"^\d{12}$", description="Refuse to review/deploy with credentials of another account."
    )


class Registry(Model):
    platform: str = Field(description="Platform name: prefix of stack, function and repository names.")
    region: str = Field(pattern=r"^[a-z]{2}(-gov)?-[a-z]+-\d$", description="Default AWS Region.")
    tags: Tags = Field(default_factory=dict, description="Tags for every resource of every environment.")
    defaults: EnvironmentSettings = Field(
        EnvironmentSettings(), description="Environment settings every environment inherits."
    )
    environments: dict[str, Environment] = Field(min_length=1)


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
