"""Models of `services/registry.yaml`: platform, defaults, environments (network, APIs, functions)."""

from typing import Annotated, Literal

from pydantic import Field

from template_gen.registry import versions
from template_gen.registry.egress_models import VpcEndpoints
from template_gen.registry.escape_hatch_models import ExtraResources, PatchOp, StageKey
from template_gen.registry.observability_models import ObservabilitySettings
from template_gen.registry.route_models import AnyAuthorizer, ApiCache, AuthorizerName, BinaryMediaTypes
from template_gen.registry.security_models import SecuritySettings
from template_gen.registry.types import LogRetention, Model, Range, Tags

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
    endpoints: VpcEndpoints = Field(
        VpcEndpoints(), description="VPC endpoints for AWS services (docs/security.md, task egress allow-lists)."
    )
    task_egress: Literal["open", "restricted"] = Field(
        "open",
        description="Outbound traffic of every container service (a service's egress.mode overrides it). open: any "
        "destination. restricted: only the VPC endpoints, S3, the services it calls and its egress.allow list.",
    )


class NetworkCreate(NetworkBase):
    mode: Literal["create"]
    cidr: str = Field("10.0.0.0/16", description="VPC CIDR block, /16 to /24.")
    az_count: Annotated[int, Range(2, 6)] = Field(
        2, description="Availability Zones to span (the ALB needs at least two)."
    )
    nat_gateways: Literal["single", "per-az", "none"] = Field(
        "single",
        description="single: one NAT gateway (cheaper); per-az: one per AZ (no cross-AZ dependency); none: no "
        "internet route from the private subnets (every container service restricted, no Lambda in the VPC).",
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


class ServiceConnectSettings(Model):
    enabled: bool = Field(
        True,
        description="ECS Service Connect: a Cloud Map namespace for the environment, and every container service "
        "in it (callers reach a service at http://<service>:<port>).",
    )
    namespace: str | None = Field(
        None,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9.-]{0,62}$",
        description="Cloud Map namespace name; default <platform>-<environment> (unique per account and Region).",
    )


class Throttle(Model):
    rate_limit: float = Field(ge=0, le=1_000_000, description="Steady-state requests per second.")
    burst_limit: Annotated[int, Range(0, 1_000_000)] = Field(description="Maximum concurrent burst.")


class Quota(Model):
    limit: Annotated[int, Range(1, 2_000_000_000)] = Field(description="Requests per period.")
    period: Literal["DAY", "WEEK", "MONTH"] = "DAY"


class UsagePlan(Model):
    name: str = Field(pattern=r"^[a-z][a-z0-9-]{0,31}$", description="Plan name consumers are onboarded with.")
    description: str = ""
    throttle: Throttle | None = None
    quota: Quota | None = None


class Cors(Model):
    allow_origins: list[str] = Field(min_length=1, description='["*"] or origins such as "https://app.example.com".')
    allow_headers: list[str] = Field(
        default_factory=lambda: ["Content-Type", "Authorization", "X-Api-Key", "X-Amz-Date", "X-Amz-Security-Token"]
    )
    allow_methods: list[str] = Field(default_factory=lambda: ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
    max_age_seconds: Annotated[int, Range(0, 86400)] = 600
    allow_credentials: bool = False


class CustomDomain(Model):
    domain_name: str = Field(max_length=253, pattern=r"^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
    certificate_arn: str = Field(
        pattern=r"^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate/[A-Za-z0-9-]+$",
        description="ACM certificate: in us-east-1 for EDGE, in the environment's Region for REGIONAL.",
    )
    endpoint_type: Literal["EDGE", "REGIONAL"] = Field("EDGE", description="EDGE: TLS at CloudFront's edge.")
    base_path: str = Field("", pattern=r"^[A-Za-z0-9._-]*$", description="Base path mapping; empty maps the root.")
    hosted_zone_id: str | None = Field(
        None, pattern=r"^Z[A-Z0-9]{1,31}$", description="Create an alias record in this Route 53 hosted zone."
    )


class AdminApi(Model):
    base_path: str = Field("/admin", description="Where the onboarding (consumer admin) API is mounted.")
    exposure: Literal["public", "private"] = "public"


class ApiSettings(Model):
    stage_name: str | None = Field(
        None, pattern=r"^[A-Za-z0-9_]{1,64}$", description="Stage of both APIs; defaults to the environment name."
    )
    throttle: Throttle = Field(
        Throttle(rate_limit=100, burst_limit=200), description="Default method throttling of the stage."
    )
    usage_plans: list[UsagePlan] = Field(
        default_factory=lambda: [
            UsagePlan(
                name="standard",
                description="Default plan",
                throttle=Throttle(rate_limit=50, burst_limit=100),
                quota=Quota(limit=100_000, period="DAY"),
            )
        ],
        description="Usage plans consumers are onboarded into (throttle, burst, quota).",
    )
    cors: Cors | None = Field(None, description="CORS for browsers; unset: no CORS headers.")
    access_log_retention_days: LogRetention | None = Field(None, description="Defaults to the environment's.")
    execution_logging: Literal["OFF", "ERROR", "INFO"] = Field(
        "ERROR", description="Execution logs (needs the account-level CloudWatch role, see cloudwatch_role)."
    )
    data_trace: bool = Field(False, description="Log full requests and responses (never in production).")
    metrics: bool = True
    cloudwatch_role: Literal[True, False, "existing"] = Field(
        False,
        description="true: create the account-level role API Gateway needs for logging (account- and "
        "Region-wide: set it in one environment per account and Region; kept when the stack is deleted). "
        "existing: the account's API Gateway settings already name a role. false: another environment of the "
        "same account and Region creates it.",
    )
    authorizer_cache_ttl_seconds: Annotated[int, Range(0, 3600)] = Field(
        300, description="How long API Gateway caches the API key validator's answer per key."
    )
    custom_domain: CustomDomain | None = None
    admin: AdminApi = AdminApi()
    binary_media_types: BinaryMediaTypes = Field(
        BinaryMediaTypes(), description="Media types each API passes as bytes (images, downloads), per API."
    )
    authorizers: dict[AuthorizerName, AnyAuthorizer] = Field(
        default_factory=dict,
        description="Token authorizers routes name (auth: cognito or jwt): a Cognito user pool authorizer, "
        "or a Lambda authorizer that checks any OIDC issuer's JWTs.",
    )
    cache: ApiCache = Field(
        ApiCache(),
        description="Stage cache clusters, per API (off by default). Only routes with api.routes[].cache use one.",
    )


class QuotaSettings(Model):
    """Adjustable AWS quotas that your account has raised (Service Quotas); the generator plans with these."""

    api_resources_per_api: Annotated[int, Range(300, 100000)] = Field(
        300, description="API Gateway resources per REST API (default 300; adjustable)."
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
    service_connect: ServiceConnectSettings = ServiceConnectSettings()
    api: ApiSettings = ApiSettings()
    quotas: QuotaSettings = QuotaSettings()
    observability: ObservabilitySettings = Field(
        ObservabilitySettings(), description="Alarm thresholds and alarm notifications (see docs/observability.md)."
    )
    security: SecuritySettings = SecuritySettings()
    tags: Tags = Field(default_factory=dict, description="Extra tags for every resource of the environment.")


class Environment(EnvironmentSettings):
    network: Network
    services: list[str] = Field(default_factory=list, description="Services enabled in this environment.")
    region: str | None = Field(None, pattern=r"^[a-z]{2}(-gov)?-[a-z]+-\d$", description="Defaults to the registry's.")
    account_id: str | None = Field(
        None, pattern=r"^\d{12}$", description="Refuse to review/deploy with credentials of another account."
    )
    overrides: dict[StageKey, list[PatchOp]] = Field(
        default_factory=dict,
        description="Escape hatch: patches on the generated resources, by stack (network, compute, api, ...), "
        "applied after building (docs/overrides.md).",
    )
    extra_resources: dict[StageKey, ExtraResources] = Field(
        default_factory=dict,
        description="Escape hatch: raw CloudFormation resources, by stack (docs/overrides.md).",
    )


class Registry(Model):
    version: Annotated[int, Range(versions.OLDEST, versions.CURRENT)] = Field(
        versions.OLDEST,
        description=f"Registry format version (current: {versions.CURRENT}). Missing: version {versions.OLDEST}, "
        "read with a warning; `template-gen migrate` upgrades it.",
    )
    platform: str = Field(description="Platform name: prefix of stack, function and repository names.")
    region: str = Field(pattern=r"^[a-z]{2}(-gov)?-[a-z]+-\d$", description="Default AWS Region.")
    tags: Tags = Field(default_factory=dict, description="Tags for every resource of every environment.")
    defaults: EnvironmentSettings = Field(
        EnvironmentSettings(), description="Environment settings every environment inherits."
    )
    environments: dict[str, Environment] = Field(min_length=1)

    def region_of(self, env_name: str) -> str:
        """The environment's Region: its own, else the registry's."""
        return self.environments[env_name].region or self.region
