"""Plain frozen specs: what the stack builders consume.

Built from a `ValidRegistry` (known good) and the resolved network. Every default is resolved here, so
builders never see `None` meaning "inherit" and never look back at the registry.
"""

from __future__ import annotations

import dataclasses
import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from template_gen import container_spec, naming, route_table
from template_gen.errors import LookupFailed
from template_gen.escape_hatches.spec import EscapeHatches, of_environment
from template_gen.layout.placement import Placement
from template_gen.lookup import ResolvedVpc
from template_gen.observability_spec import ObservabilitySpec, observability_spec
from template_gen.registry import rules, versions
from template_gen.registry.container_models import InitContainer, Sidecar, Volume, WorkerQueue
from template_gen.registry.egress_models import INTERFACE_ENDPOINTS, EgressAllow, VpcEndpoints
from template_gen.registry.models import (
    AdminApi,
    AlbCondition,
    Api,
    Autoscaling,
    CapacityProvider,
    Cors,
    CustomDomain,
    Deployment,
    Ecr,
    EcsService,
    HealthCheck,
    IamStatement,
    LambdaEvent,
    LambdaService,
    NetworkCreate,
    NetworkExisting,
    SecretRef,
    TargetGroupOptions,
    Throttle,
    UsagePlan,
    WorkerService,
)
from template_gen.registry.route_models import ApiCache, BinaryMediaTypes, CognitoAuthorizer, JwtAuthorizer
from template_gen.registry.security_models import SecuritySettings
from template_gen.registry.validate import EnvironmentEntry, ServiceEntry, ValidRegistry
from template_gen.route_table import RouteEntry

Pairs = tuple[tuple[str, str], ...]


def _pairs(mapping: Mapping[str, str]) -> Pairs:
    return tuple(sorted(mapping.items()))


@dataclass(frozen=True)
class NetworkSpec:
    mode: str  # create | existing | lookup | default
    ingress: str  # nlb-alb | alb-direct
    vpc_cidr: str
    # mode create
    az_count: int = 0
    nat_per_az: bool = False
    public_subnet_cidrs: tuple[str, ...] = ()
    private_subnet_cidrs: tuple[str, ...] = ()
    # other modes
    vpc_id: str = ""
    lb_subnet_ids: tuple[str, ...] = ()
    task_subnet_ids: tuple[str, ...] = ()
    assign_public_ip: bool = False
    # every mode
    flow_logs: bool = True
    flow_logs_traffic: str = "ALL"
    flow_logs_retention: int = 30
    alb_idle_timeout: int = 60
    alb_access_logs: bool = True
    access_log_expiration_days: int = 90
    execute_api_endpoint: str = "none"  # create | existing | none
    execute_api_endpoint_id: str = ""
    execute_api_private_dns: bool = True
    container_ports: tuple[int, ...] = ()
    nat: bool = True  # mode create: NAT gateways (nat_gateways is not none)
    # VPC endpoints (network.endpoints): interface endpoint services (`com.amazonaws.<region>.<suffix>`)
    interface_endpoints: tuple[str, ...] = ()
    s3_gateway_endpoint: bool = False
    endpoint_private_dns: bool = True
    endpoint_route_table_ids: tuple[str, ...] = ()  # for the S3 gateway endpoint outside mode create
    s3_prefix_list_id: str = ""
    existing_endpoint_group: str = ""  # the group of endpoints the VPC already has

    @property
    def creates_vpc(self) -> bool:
        return self.mode == "create"


@dataclass(frozen=True)
class EcsServiceSpec:
    name: str
    logical: str
    file: str
    description: str
    tags: Pairs
    port: int | None  # None: a worker (nothing connects to it)
    cpu: int
    memory: int
    desired_count: int
    image_tag: str | None
    image_repository: str | None
    environment: Pairs
    log_retention_days: int
    api: Api
    priority: int | None  # None: no rule on the ALB (an internal service or a worker)
    path_patterns: tuple[str, ...]
    health_check: HealthCheck
    autoscaling: Autoscaling | None
    xray: bool
    capacity_provider_strategy: tuple[CapacityProvider, ...]
    deployment: Deployment
    ecr: Ecr
    secrets: tuple[tuple[str, SecretRef], ...] = ()
    iam: tuple[IamStatement, ...] = ()
    command: tuple[str, ...] | None = None
    entrypoint: tuple[str, ...] | None = None
    platform: str = "x86_64"
    exec: bool = False
    target_group: TargetGroupOptions = field(default_factory=TargetGroupOptions)
    alb_conditions: tuple[AlbCondition, ...] = ()
    kind: str = "ecs"  # ecs | worker
    protocol: str = "http"  # http | http2 | grpc: Service Connect's app protocol
    dns_name: str = ""  # Service Connect client alias; "" for a worker
    calls: tuple[str, ...] = ()  # enabled services it calls
    security_groups: tuple[str, ...] = ()  # existing groups attached besides its own
    sidecars: tuple[Sidecar, ...] = ()
    init_containers: tuple[InitContainer, ...] = ()
    volumes: tuple[Volume, ...] = ()
    readonly_root_filesystem: bool = False
    user: str | None = None
    drop_capabilities: tuple[str, ...] = ()
    stop_timeout_seconds: int | None = None
    repository_credentials: str | None = None
    queue: WorkerQueue | None = None  # a worker's queue
    messages_per_task: int | None = None  # a worker's queue-depth scaling target
    memory_limit_mib: int | None = None  # the app container's hard memory limit
    egress_restricted: bool = False  # egress.mode (or the environment's network.task_egress) is restricted
    egress_allow: tuple[EgressAllow, ...] = ()

    @property
    def behind_alb(self) -> bool:
        return self.priority is not None

    @property
    def max_tasks(self) -> int:
        """The most tasks the service runs: its autoscaling maximum, else its desired count."""
        return self.autoscaling.max if self.autoscaling is not None else self.desired_count


@dataclass(frozen=True)
class LambdaServiceSpec:
    name: str
    logical: str
    file: str
    description: str
    tags: Pairs
    code_dir: str
    handler: str
    memory_size: int
    timeout_seconds: int
    environment: Pairs
    log_retention_days: int
    api: Api
    architecture: str = "x86_64"
    reserved_concurrency: int | None = None
    secrets: tuple[tuple[str, SecretRef], ...] = ()
    iam: tuple[IamStatement, ...] = ()
    events: tuple[tuple[str, LambdaEvent], ...] = ()
    kind: str = "lambda"
    vpc: bool = False
    calls: tuple[str, ...] = ()
    security_groups: tuple[str, ...] = ()


ServiceSpec = EcsServiceSpec | LambdaServiceSpec


@dataclass(frozen=True)
class LambdaRuntimeSpec:
    runtime: str
    architecture: str
    memory_size: int
    timeout_seconds: int
    powertools_source: str
    powertools_layer_version: int | None  # None: resolve the tested release's layer from public SSM


@dataclass(frozen=True)
class ApiSpec:
    stage_name: str
    throttle: Throttle
    usage_plans: tuple[UsagePlan, ...]
    cors: Cors | None
    access_log_retention_days: int
    execution_logging: str
    data_trace: bool
    metrics: bool
    cloudwatch_role: bool
    authorizer_cache_ttl: int
    custom_domain: CustomDomain | None
    admin: AdminApi
    binary_media_types: BinaryMediaTypes = field(default_factory=BinaryMediaTypes)
    authorizers: tuple[tuple[str, CognitoAuthorizer | JwtAuthorizer], ...] = ()  # api.authorizers, by name
    cache: ApiCache = field(default_factory=ApiCache)  # the stage cache cluster of each API

    def authorizer(self, name: str) -> CognitoAuthorizer | JwtAuthorizer:
        return dict(self.authorizers)[name]

    @property
    def jwt_authorizers(self) -> list[tuple[str, JwtAuthorizer]]:
        return [(name, a) for name, a in self.authorizers if isinstance(a, JwtAuthorizer)]


@dataclass(frozen=True)
class EnvironmentSpec:
    platform: str
    name: str
    region: str
    account_id: str | None
    tags: Pairs  # platform-wide tags: registry, environment, platform and environment names
    log_retention_days: int
    tracing: bool
    logs_kms_key_arn: str | None
    lambda_runtime: LambdaRuntimeSpec
    validator_enabled: bool
    validator_cache_ttl: int
    validator_reserved_concurrency: int | None
    onboarding_enabled: bool
    container_insights: str
    xray_daemon_image: str
    network: NetworkSpec
    api: ApiSpec
    api_resources_quota: int
    services: tuple[ServiceSpec, ...]
    routes: tuple[RouteEntry, ...] = ()  # every API route, from `route_table.build`
    warnings: tuple[str, ...] = field(default=())
    service_connect_namespace: str = ""  # "" when Service Connect is off
    placement: Placement = field(default_factory=Placement)  # set by the layout once services are placed
    observability: ObservabilitySpec = field(default_factory=ObservabilitySpec)
    security: SecuritySettings = field(default_factory=SecuritySettings)
    escape_hatches: EscapeHatches = field(default_factory=EscapeHatches)  # overrides:, extra_resources:

    @property
    def stack_name(self) -> str:
        return naming.stack_name(self.platform, self.name)

    @property
    def ecs_services(self) -> tuple[EcsServiceSpec, ...]:
        return tuple(s for s in self.services if isinstance(s, EcsServiceSpec))

    @property
    def lambda_services(self) -> tuple[LambdaServiceSpec, ...]:
        return tuple(s for s in self.services if isinstance(s, LambdaServiceSpec))

    def service(self, name: str) -> ServiceSpec:
        return next(s for s in self.services if s.name == name)

    def with_services(self, services: tuple[ServiceSpec, ...]) -> EnvironmentSpec:
        """The environment with only `services` (and their routes): waves, and the layout's cost probes."""
        names = {s.name for s in services}
        routes = tuple(r for r in self.routes if r.name in names or r.name == route_table.ADMIN)
        return dataclasses.replace(self, services=services, routes=routes)

    @property
    def cors_origins(self) -> str:
        """Allowed CORS origins as the comma-separated value functions and containers read."""
        return ",".join(self.api.cors.allow_origins) if self.api.cors else ""


def subnet_cidrs(cidr: str, az_count: int, prefix: int | None) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Split the VPC CIDR into equal subnets: the first `az_count` public, the next `az_count` private."""
    vpc = ipaddress.IPv4Network(cidr)
    new_prefix = prefix or rules.subnet_prefix(vpc.prefixlen, 2 * az_count)
    subnets = [str(s) for s in vpc.subnets(new_prefix=new_prefix)][: 2 * az_count]
    return tuple(subnets[:az_count]), tuple(subnets[az_count:])


def network_spec(entry: EnvironmentEntry, resolved: ResolvedVpc | None) -> tuple[NetworkSpec, tuple[str, ...]]:
    env = entry.model
    net = env.network
    behind_alb = [s.model for s in entry.services if isinstance(s.model, EcsService) and s.model.alb is not None]
    # A service route on the private API (`api.exposure`, or one of its `api.routes`), from the route table.
    private_exposed = any(r.api == "private" and r.name != route_table.ADMIN for r in routes_of(entry))
    endpoint = net.execute_api_endpoint
    if endpoint.endpoint_id:
        endpoint_mode = "existing"
    elif endpoint.create == "always" or (endpoint.create == "auto" and private_exposed):
        endpoint_mode = "create"
    else:
        endpoint_mode = "none"
    common: dict[str, Any] = dict(
        ingress=net.ingress,
        flow_logs=net.flow_logs.enabled,
        flow_logs_traffic=net.flow_logs.traffic_type,
        flow_logs_retention=net.flow_logs.retention_days or env.log_retention_days,
        alb_idle_timeout=net.alb.idle_timeout_seconds,
        alb_access_logs=net.alb.access_logs,
        access_log_expiration_days=net.alb.access_log_expiration_days,
        execute_api_endpoint=endpoint_mode,
        execute_api_endpoint_id=endpoint.endpoint_id or "",
        execute_api_private_dns=endpoint.private_dns,
        container_ports=tuple(sorted({s.port for s in behind_alb})),
        **_endpoint_fields(net.endpoints),
    )
    warnings: list[str] = []
    if isinstance(net, NetworkCreate):
        public, private = subnet_cidrs(net.cidr, net.az_count, net.subnet_prefix_length)
        spec = NetworkSpec(
            mode="create",
            vpc_cidr=net.cidr,
            az_count=net.az_count,
            nat_per_az=net.nat_gateways == "per-az",
            nat=net.nat_gateways != "none",
            public_subnet_cidrs=public,
            private_subnet_cidrs=private,
            **common,
        )
    elif isinstance(net, NetworkExisting):
        subnets = tuple(net.private_subnet_ids or net.public_subnet_ids)
        public_ip = not net.private_subnet_ids
        if public_ip:
            warnings.append(
                f"environment '{entry.name}': no private subnets given; load balancers and tasks use the public "
                "subnets and tasks get public IPs"
            )
        spec = NetworkSpec(
            mode="existing",
            vpc_cidr=net.vpc_cidr,
            vpc_id=net.vpc_id,
            lb_subnet_ids=subnets,
            task_subnet_ids=subnets,
            assign_public_ip=public_ip,
            **common,
        )
    else:
        if resolved is None:  # resolve_spec looks lookup/default networks up before building the spec
            raise LookupFailed(f"environment '{entry.name}': the {net.mode} network was not looked up")
        lb, tasks, public_ip, warning = resolved.choose()
        if warning:
            warnings.append(f"environment '{entry.name}': {warning}")
        spec = NetworkSpec(
            mode=net.mode,
            vpc_cidr=resolved.cidr,
            vpc_id=resolved.vpc_id,
            lb_subnet_ids=lb,
            task_subnet_ids=tasks,
            assign_public_ip=public_ip,
            **common,
        )
    if spec.interface_endpoints and spec.endpoint_private_dns and not spec.creates_vpc:
        # A VPC takes one private-DNS endpoint per service; only a VPC the stack creates is known to have none.
        services = ", ".join(spec.interface_endpoints)
        warnings.append(
            f"environment '{entry.name}': creates VPC endpoints with private DNS ({services}) "
            f"in VPC {spec.vpc_id}, which it does not create: if the VPC has one for the same service, the deploy "
            'fails with "private-dns-enabled cannot be set because there is already a conflicting DNS domain"; '
            f"check with aws ec2 describe-vpc-endpoints --filters Name=vpc-id,Values={spec.vpc_id}, and list only "
            "the services it lacks (network.endpoints.security_group_id names the group of the others)"
        )
    return spec, tuple(warnings)


def _endpoint_fields(endpoints: VpcEndpoints) -> dict[str, Any]:
    chosen = set(endpoints.services)
    return dict(
        interface_endpoints=tuple(
            s for name, suffixes in INTERFACE_ENDPOINTS.items() if name in chosen for s in suffixes
        ),
        s3_gateway_endpoint="s3" in chosen,
        endpoint_private_dns=endpoints.private_dns,
        endpoint_route_table_ids=tuple(endpoints.route_table_ids),
        s3_prefix_list_id=endpoints.s3_prefix_list_id or "",
        existing_endpoint_group=endpoints.security_group_id or "",
    )


def _service_tags(entry: ServiceEntry) -> Pairs:
    tags = {"service": entry.name, **entry.model.tags}
    if entry.model.owner:
        tags["owner"] = entry.model.owner
    return _pairs(tags)


def service_spec(entry: ServiceEntry, env: EnvironmentEntry, image_tags: Mapping[str, str]) -> ServiceSpec:
    model = entry.model
    retention = model.log_retention_days or env.model.log_retention_days
    enabled = {s.name for s in env.services}
    calls = tuple(c for c in dict.fromkeys(model.calls) if c in enabled)
    if isinstance(model, EcsService | WorkerService):
        common = container_spec.common_fields(model, image_tags.get(entry.name, model.image.tag), calls)
        common.update(
            name=entry.name,
            logical=naming.logical_id(entry.name),
            file=entry.file,
            description=model.description,
            tags=_service_tags(entry),
            environment=_pairs(model.environment),
            log_retention_days=retention,
            egress_restricted=(model.egress.mode or env.model.network.task_egress) == "restricted",
            egress_allow=tuple(model.egress.allow),
        )
        if isinstance(model, WorkerService):
            return EcsServiceSpec(**common, **container_spec.worker_fields(model))
        return EcsServiceSpec(
            **common,
            port=model.port,
            api=model.api,
            priority=model.alb.priority if model.alb else None,
            path_patterns=entry.alb_patterns(),
            health_check=model.health_check,
            autoscaling=model.autoscaling,
            target_group=model.target_group,
            alb_conditions=tuple(model.alb.conditions) if model.alb else (),
            protocol=model.protocol,
            dns_name=model.service_connect.dns_name or entry.name,
        )
    runtime = env.model.lambda_
    return LambdaServiceSpec(
        name=entry.name,
        logical=naming.logical_id(entry.name),
        file=entry.file,
        description=model.description,
        tags=_service_tags(entry),
        code_dir=model.code or naming.code_dir_for(entry.name),
        handler=model.handler,
        memory_size=model.memory_size or runtime.memory_size,
        timeout_seconds=model.timeout_seconds or runtime.timeout_seconds,
        environment=_pairs(model.environment),
        log_retention_days=retention,
        api=model.api,
        architecture=model.architecture or runtime.architecture,
        reserved_concurrency=model.reserved_concurrency,
        secrets=tuple(sorted(model.secrets.items())),
        iam=tuple(model.iam),
        events=tuple(sorted(model.events.items())),
        vpc=model.vpc,
        calls=calls,
        security_groups=tuple(dict.fromkeys(model.security_groups)),
    )


def _cloudwatch_role_warnings(valid: ValidRegistry, env_name: str) -> tuple[str, ...]:
    """API Gateway's CloudWatch role is one setting per account and Region: two environments that both
    create it may overwrite each other (deleting one breaks logging in the other)."""
    mine = valid.environments[env_name].model
    if mine.api.cloudwatch_role is not True:
        return ()
    region = valid.registry.region_of(env_name)
    others = []
    for name, other in valid.registry.environments.items():
        role = other.api.cloudwatch_role is True  # environments are validated with `defaults:` merged under them
        same_region = valid.registry.region_of(name) == region
        distinct_accounts = mine.account_id and other.account_id and mine.account_id != other.account_id
        if name != env_name and role and same_region and not distinct_accounts:
            others.append(name)
    if not others:
        return ()
    return (
        f"environment '{env_name}' sets api.cloudwatch_role, and so does {', '.join(sorted(others))} in the same "
        f"Region; the role is account-wide, so if they share an account set it in only one of them (or give each "
        "environment its account_id so this can be checked)",
    )


def _custom_domain_warnings(entry: EnvironmentEntry) -> tuple[str, ...]:
    """The custom domain maps to the public API's stage: without a public route there is nothing to map."""
    env = entry.model
    if env.api.custom_domain is None:
        return ()
    if "public" in route_table.apis(routes_of(entry)):
        return ()
    return (
        f"environment '{entry.name}' sets api.custom_domain ({env.api.custom_domain.domain_name}), but nothing is on "
        "the public API, so no domain is created; expose a service publicly or remove the setting",
    )


def _web_acl_warnings(entry: EnvironmentEntry) -> tuple[str, ...]:
    """A production environment with a public API and no web ACL is served without WAF (docs/security.md)."""
    env = entry.model
    if not env.security.production or env.security.waf_web_acl_arn or env.security.baseline_web_acl:
        return ()
    if "public" not in route_table.apis(routes_of(entry)):
        return ()
    return (
        f"environment '{entry.name}' is a production environment (security.production) with a public API but no web "
        "ACL (security.waf_web_acl_arn or security.baseline_web_acl): the public stage is served without AWS WAF",
    )


def environment_spec(
    valid: ValidRegistry,
    env_name: str,
    resolved: ResolvedVpc | None = None,
    image_tags: Mapping[str, str] | None = None,
) -> EnvironmentSpec:
    entry = valid.environments[env_name]
    env = entry.model
    registry = valid.registry
    network, warnings = network_spec(entry, resolved)
    warnings += _cloudwatch_role_warnings(valid, env_name)
    warnings += _custom_domain_warnings(entry) + _web_acl_warnings(entry)
    vpc_functions = sorted(s.name for s in entry.services if isinstance(s.model, LambdaService) and s.model.vpc)
    if network.assign_public_ip and vpc_functions:
        warnings += (
            f"environment '{env_name}': {', '.join(vpc_functions)} run in the VPC's public subnets (there are no "
            "private ones), where a function gets no public IP: they reach the services they call, but not the "
            "internet or AWS APIs without VPC endpoints",
        )
    warnings += tuple(filter(None, [versions.warning(valid.registry.version)]))
    tags = {**registry.tags, **env.tags, "platform": registry.platform, "environment": env_name}
    runtime = env.lambda_
    functions = env.platform_functions
    return EnvironmentSpec(
        platform=registry.platform,
        name=env_name,
        region=registry.region_of(env_name),
        account_id=env.account_id,
        tags=_pairs(tags),
        log_retention_days=env.log_retention_days,
        tracing=env.tracing,
        logs_kms_key_arn=env.logs_kms_key_arn,
        lambda_runtime=LambdaRuntimeSpec(
            runtime=runtime.runtime,
            architecture=runtime.architecture,
            memory_size=runtime.memory_size,
            timeout_seconds=runtime.timeout_seconds,
            powertools_source=runtime.powertools.source,
            powertools_layer_version=runtime.powertools.layer_version,
        ),
        validator_enabled=functions.api_key_validator.enabled,
        validator_cache_ttl=functions.api_key_validator.key_cache_ttl_seconds,
        validator_reserved_concurrency=functions.api_key_validator.reserved_concurrency,
        onboarding_enabled=functions.onboarding.enabled,
        container_insights=env.ecs.container_insights,
        xray_daemon_image=env.ecs.xray_daemon_image,
        network=network,
        security=env.security,
        api=ApiSpec(
            stage_name=env.api.stage_name or env_name,
            throttle=env.api.throttle,
            usage_plans=tuple(env.api.usage_plans),
            cors=env.api.cors,
            access_log_retention_days=env.api.access_log_retention_days or env.log_retention_days,
            execution_logging=env.api.execution_logging,
            data_trace=env.api.data_trace,
            metrics=env.api.metrics,
            cloudwatch_role=env.api.cloudwatch_role is True,
            authorizer_cache_ttl=env.api.authorizer_cache_ttl_seconds,
            custom_domain=env.api.custom_domain,
            admin=env.api.admin,
            binary_media_types=env.api.binary_media_types,
            authorizers=tuple(sorted(env.api.authorizers.items())),
            cache=env.api.cache,
        ),
        api_resources_quota=env.quotas.api_resources_per_api,
        services=tuple(service_spec(s, entry, image_tags or {}) for s in entry.services),
        routes=routes_of(entry),
        warnings=warnings,
        observability=observability_spec(
            env.observability,
            {
                s.name: s.model
                for s in entry.services
                if isinstance(s.model, EcsService | WorkerService | LambdaService)
            },
        ),
        # No namespace without a container service to join it.
        service_connect_namespace=(env.service_connect.namespace or f"{registry.platform}-{env_name}")
        if env.service_connect.enabled and any(isinstance(s.model, EcsService | WorkerService) for s in entry.services)
        else "",
        escape_hatches=of_environment(entry),
    )


def routes_of(entry: EnvironmentEntry) -> tuple[RouteEntry, ...]:
    return route_table.for_environment(entry.model, entry.services)
