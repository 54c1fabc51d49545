"""The reusable module for one `kind: ecs` service. Adding a service is data: this function turns its
spec into an ECR repository, log group, target group, listener rule, roles, task definition, ECS
service and autoscaling."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from awacs import ecr as ecr_actions
from awacs import logs as logs_actions
from troposphere import GetAtt, Join, Ref, Region, Sub, ecr, ecs, logs
from troposphere import applicationautoscaling as aas
from troposphere import elasticloadbalancingv2 as elbv2

from template_gen import naming
from template_gen.layout import deploy_state
from template_gen.observability_spec import rollback_alarm_names
from template_gen.registry.hardening_rules import XRAY_MEMORY_MIB
from template_gen.spec import EcsServiceSpec, EnvironmentSpec
from template_gen.stacks import common, encryption, iam, secrets, service_connect, task_containers, worker_queue
from template_gen.stacks.common import StackBuilder

# Until a service has an image tag it runs zero tasks; its task definition names this tag, so a manual
# scale-up fails with a message that says what is missing.
NO_IMAGE_TAG = "no-image-yet"
XRAY_CONTAINER = "xray-daemon"
XRAY_USER = "1337"  # any unprivileged uid: the daemon binds UDP 2000 (above 1024) and writes no file


@dataclass(frozen=True)
class EcsShared:
    """What every service of the stage attaches to (stage parameters and the cluster)."""

    cluster: Any
    vpc_id: Any
    task_subnets: Any
    security_groups: Mapping[str, Any]  # service -> its own security group's id
    assign_public_ip: Any
    listeners: Mapping[int, Any]  # ALB index -> its listener ARN
    alb_full_names: Mapping[int, Any]  # ALB index -> its full name (request-count scaling)
    xray_image: str
    exec_log_group_arn: Any = None  # the cluster's ECS Exec session log group, when a service uses exec
    namespace_arn: Any = None  # the Service Connect namespace, when the environment uses it


@dataclass(frozen=True)
class ServiceResources:
    service: ecs.Service
    target_group: elbv2.TargetGroup | None  # None: not behind the ALB (an internal service or a worker)
    listener_rule: elbv2.ListenerRule | None
    task_definition: ecs.TaskDefinition
    repository: ecr.Repository | None


def _lifecycle_policy(keep: int) -> str:
    rules = [
        {
            "rulePriority": 1,
            "description": f"keep the newest {keep} images",
            "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": keep},
            "action": {"type": "expire"},
        }
    ]
    return json.dumps({"rules": rules}, sort_keys=True)


def ecs_service(
    b: StackBuilder, env: EnvironmentSpec, svc: EcsServiceSpec, shared: EcsShared, alb: int = 1
) -> ServiceResources:
    """`alb`: which of the environment's ALBs the service's listener rule goes on."""
    lid, tags = svc.logical, svc.tags
    repository = None
    if svc.image_repository is None and deploy_state.references_retained_repository(env, svc.name):
        # Retained when the service left the environment: creating it again would fail ("already exists").
        name = naming.ecr_repository_name(env.platform, env.name, svc.name)
        uri = Sub(f"${{AWS::AccountId}}.dkr.ecr.${{AWS::Region}}.${{AWS::URLSuffix}}/{name}")
        repository_arn: Any = Sub(f"arn:${{AWS::Partition}}:ecr:${{AWS::Region}}:${{AWS::AccountId}}:repository/{name}")
        b.output(f"{lid}RepositoryUri", uri, f"{svc.name}: ECR repository URI (retained from an earlier deployment)")
        image: Any = Join("", [uri, ":", svc.image_tag or NO_IMAGE_TAG])
    elif svc.image_repository is None:
        repository = b.add(
            ecr.Repository(
                f"{lid}Repository",
                RepositoryName=naming.ecr_repository_name(env.platform, env.name, svc.name),
                ImageScanningConfiguration=ecr.ImageScanningConfiguration(ScanOnPush=svc.ecr.scan_on_push),
                ImageTagMutability="IMMUTABLE" if svc.ecr.immutable_tags else "MUTABLE",
                LifecyclePolicy=ecr.LifecyclePolicy(LifecyclePolicyText=_lifecycle_policy(svc.ecr.keep_images)),
                EncryptionConfiguration=encryption.repository_encryption(deploy_state.repository_key(env, svc.name)),
                # Images outlive the stack: deleting the stack must not delete what was published. Except on
                # create: a failed first deploy that kept it would make the retry fail with "already exists".
                DeletionPolicy="RetainExceptOnCreate",
                UpdateReplacePolicy="Retain",
            ),
            tags,
        )
        b.output(f"{lid}RepositoryUri", GetAtt(repository, "RepositoryUri"), f"{svc.name}: ECR repository URI")
        repository_arn = GetAtt(repository, "Arn")
        image = Join("", [GetAtt(repository, "RepositoryUri"), ":", svc.image_tag or NO_IMAGE_TAG])
    else:
        repository_arn = None
        image = f"{svc.image_repository}:{svc.image_tag or NO_IMAGE_TAG}"

    log_group = common.log_group(b, env, f"{lid}LogGroup", ("ecs", svc.name), svc.log_retention_days, tags)

    target_group = rule = None
    if svc.behind_alb:
        target_group, rule = _alb_routing(b, env, svc, shared, alb)
    work = worker_queue.queue(b, env, svc)

    execution_statements = [
        iam.allow([logs_actions.CreateLogStream, logs_actions.PutLogEvents], [GetAtt(log_group, "Arn")], "WriteLogs"),
    ]
    if repository_arn is not None:
        # GetAuthorizationToken has no resource-level permissions; pulling is limited to this repository.
        execution_statements += [
            iam.allow([ecr_actions.GetAuthorizationToken], ["*"], "EcrLogin"),
            iam.allow(
                [
                    ecr_actions.BatchCheckLayerAvailability,
                    ecr_actions.GetDownloadUrlForLayer,
                    ecr_actions.BatchGetImage,
                ],
                [repository_arn],
                "PullOwnImages",
            ),
            *encryption.image_pull_statements(deploy_state.repository_key(env, svc.name)),
        ]
    execution_statements += secrets.read_statements([ref for _, ref in svc.secrets], "ReadSecret")
    execution_statements += task_containers.execution_statements(svc)
    execution_role = b.add(
        iam.role(f"{lid}ExecutionRole", "ecs-tasks.amazonaws.com", execution_statements,
                 f"{svc.name}: pull its image and write its logs"),
        tags,
    )  # fmt: skip
    task_statements = [iam.allow(iam.XRAY_WRITE, ["*"], "WriteTraces")] if svc.xray else []
    if svc.exec:
        task_statements += _exec_statements(shared)
    task_statements += task_containers.task_statements(svc)
    if work is not None:
        task_statements += work.consume()
    task_statements += iam.from_registry(svc.iam)
    task_role = b.add(
        iam.role(f"{lid}TaskRole", "ecs-tasks.amazonaws.com", task_statements, f"{svc.name}: application role"),
        tags,
    )

    variables = work.variables() if work is not None else {}
    task_definition = b.add(
        _task_definition(env, svc, image, log_group, execution_role, task_role, shared, variables), tags
    )
    first_release = deploy_state.first_release(env, svc.name, svc.image_tag)
    service = b.add(_service(svc, task_definition, target_group, rule, shared, log_group, first_release), tags)
    alarms = env.observability.ecs_alarms(svc.name)
    if alarms is not None and alarms.rollback and target_group is not None:
        # ECS takes alarm names before they exist (aws/copilot-cli#4294): the observability stage comes after this.
        service.DeploymentConfiguration.Alarms = ecs.DeploymentAlarms(
            AlarmNames=rollback_alarm_names(env.platform, env.name, svc.name), Enable=True, Rollback=True
        )
    b.output(f"{lid}ServiceName", GetAtt(service, "Name"), f"{svc.name}: ECS service name")
    if svc.autoscaling is not None and svc.image_tag is not None:
        target = _autoscaling(b, svc, service, target_group, shared.alb_full_names.get(alb), shared.cluster)
        if work is not None:
            worker_queue.backlog_scaling(b, svc, target, work, shared.cluster, GetAtt(service, "Name"))
    return ServiceResources(service, target_group, rule, task_definition, repository)


def _alb_routing(
    b: StackBuilder, env: EnvironmentSpec, svc: EcsServiceSpec, shared: EcsShared, alb: int
) -> tuple[elbv2.TargetGroup, elbv2.ListenerRule]:
    """The service's target group and its rule on the ALB's listener."""
    lid, tags = svc.logical, svc.tags
    health = svc.health_check
    target_group = b.add(
        elbv2.TargetGroup(
            f"{lid}TargetGroup",
            TargetType="ip",
            Protocol="HTTP",
            Port=svc.port,
            VpcId=shared.vpc_id,
            HealthCheckEnabled=True,
            HealthCheckProtocol="HTTP",
            HealthCheckPath=health.path,
            HealthCheckIntervalSeconds=health.interval_seconds,
            HealthCheckTimeoutSeconds=health.timeout_seconds,
            HealthyThresholdCount=health.healthy_threshold,
            UnhealthyThresholdCount=health.unhealthy_threshold,
            Matcher=elbv2.Matcher(HttpCode=health.matcher),
            TargetGroupAttributes=_target_group_attributes(svc),
        ),
        tags,
    )
    b.output(f"{lid}TargetGroupFullName", GetAtt(target_group, "TargetGroupFullName"), f"{svc.name}: target group")
    rule = b.add(
        elbv2.ListenerRule(
            f"{lid}ListenerRule",
            ListenerArn=shared.listeners[alb],
            Priority=svc.priority,
            Conditions=_rule_conditions(svc, _stage_prefix(env)),
            Actions=[elbv2.ListenerRuleAction(Type="forward", TargetGroupArn=Ref(target_group))],
            **_strip_stage(env),
        )
    )
    return target_group, rule


def _target_group_attributes(svc: EcsServiceSpec) -> list[elbv2.TargetGroupAttribute]:
    options = svc.target_group
    attributes = {"deregistration_delay.timeout_seconds": str(options.deregistration_delay_seconds)}
    if options.slow_start_seconds:
        attributes["slow_start.duration_seconds"] = str(options.slow_start_seconds)
    if options.stickiness is not None and options.stickiness.enabled:
        attributes["stickiness.enabled"] = "true"
        attributes["stickiness.type"] = "lb_cookie"
        attributes["stickiness.lb_cookie.duration_seconds"] = str(options.stickiness.duration_seconds)
    return [elbv2.TargetGroupAttribute(Key=k, Value=v) for k, v in sorted(attributes.items())]


def _stage_prefix(env: EnvironmentSpec) -> str:
    """`/<stage>` with `ingress: alb-direct`: a VPC link V2 private integration puts the stage name in front of
    the backend path (API Gateway, "Private integrations for REST APIs": `test/path` for stage `test`)."""
    return f"/{env.api.stage_name}" if env.network.ingress == "alb-direct" else ""


def _strip_stage(env: EnvironmentSpec) -> dict[str, Any]:
    """The rule's rewrite that gives the service the path it was called with, without the stage."""
    prefix = _stage_prefix(env)
    if not prefix:
        return {}
    rewrite = elbv2.RewriteConfig(Regex=f"^{prefix}(/.*)$", Replace="$1")
    config = elbv2.RewriteConfigObject(Rewrites=[rewrite])
    return {"Transforms": [elbv2.Transform(Type="url-rewrite", UrlRewriteConfig=config)]}


def _rule_conditions(svc: EcsServiceSpec, prefix: str = "") -> list[elbv2.Condition]:
    patterns = [prefix + pattern for pattern in svc.path_patterns]
    conditions = [elbv2.Condition(Field="path-pattern", PathPatternConfig=elbv2.PathPatternConfig(Values=patterns))]
    for extra in svc.alb_conditions:
        if extra.host_header is not None:
            config = elbv2.HostHeaderConfig(Values=list(extra.host_header))
            conditions.append(elbv2.Condition(Field="host-header", HostHeaderConfig=config))
        elif extra.http_header is not None:
            header = elbv2.HttpHeaderConfig(
                HttpHeaderName=extra.http_header.name, Values=list(extra.http_header.values)
            )
            conditions.append(elbv2.Condition(Field="http-header", HttpHeaderConfig=header))
    return conditions


def _exec_statements(shared: EcsShared) -> list[Any]:
    """ECS Exec: the agent's channels, and writing session logs to the cluster's exec log group."""
    assert shared.exec_log_group_arn is not None
    return [
        iam.allow(iam.SSM_MESSAGES, ["*"], "ExecChannels"),
        iam.allow(
            [logs_actions.CreateLogStream, logs_actions.DescribeLogStreams, logs_actions.PutLogEvents],
            [shared.exec_log_group_arn],
            "ExecSessionLogs",
        ),
        iam.allow(
            [logs_actions.DescribeLogGroups],
            [iam.any_log_group()],
            "ExecFindLogGroup",
        ),
    ]


def _task_definition(
    env: EnvironmentSpec,
    svc: EcsServiceSpec,
    image: Any,
    log_group: logs.LogGroup,
    execution_role: Any,
    task_role: Any,
    shared: EcsShared,
    platform_variables: Mapping[str, Any],
) -> ecs.TaskDefinition:
    variables: dict[str, Any] = {**dict(svc.environment), **platform_variables}
    if env.cors_origins:  # so the service can answer browsers with the same origins the API allows
        variables.setdefault("CORS_ALLOW_ORIGINS", env.cors_origins)
    if svc.xray:
        variables.setdefault("AWS_XRAY_DAEMON_ADDRESS", "127.0.0.1:2000")

    def log_config(prefix: str) -> ecs.LogConfiguration:
        options = {"awslogs-group": Ref(log_group), "awslogs-region": Region, "awslogs-stream-prefix": prefix}
        return ecs.LogConfiguration(LogDriver="awslogs", Options=options)

    app: dict[str, Any] = {
        "Name": svc.name,
        "Image": image,
        "Essential": True,
        "LogConfiguration": log_config(svc.name),
        **task_containers.app_properties(svc),
    }
    if svc.port is not None:
        app["PortMappings"] = [service_connect.port_mapping(svc, svc.port)]
    if variables:
        app["Environment"] = [ecs.Environment(Name=k, Value=v) for k, v in sorted(variables.items())]
    check = svc.health_check.container
    if svc.secrets:
        app["Secrets"] = [ecs.Secret(Name=name, ValueFrom=secrets.ecs_value_from(ref)) for name, ref in svc.secrets]
    if svc.command:
        app["Command"] = list(svc.command)
    if svc.entrypoint:
        app["EntryPoint"] = list(svc.entrypoint)
    if check is not None:
        app["HealthCheck"] = task_containers.health_check(check)
    containers = [ecs.ContainerDefinition(**app), *task_containers.extra_containers(svc, log_config)]
    if svc.xray:
        containers.append(
            ecs.ContainerDefinition(
                Name=XRAY_CONTAINER,
                Image=shared.xray_image,
                Essential=False,
                Cpu=32,
                MemoryReservation=XRAY_MEMORY_MIB,
                PortMappings=[ecs.PortMapping(ContainerPort=2000, Protocol="udp")],
                LogConfiguration=log_config(XRAY_CONTAINER),
                # Hardened by default (docs/security.md): nothing to write, no root needed.
                ReadonlyRootFilesystem=True,
                User=XRAY_USER,
                # A hard limit only with the app's, so that the default task definition does not change.
                **({"Memory": XRAY_MEMORY_MIB} if svc.memory_limit_mib is not None else {}),
            )
        )
    return ecs.TaskDefinition(
        f"{svc.logical}TaskDefinition",
        Family=naming.task_family(env.platform, env.name, svc.name),
        Cpu=str(svc.cpu),
        Memory=str(svc.memory),
        NetworkMode="awsvpc",
        RequiresCompatibilities=["FARGATE"],
        RuntimePlatform=ecs.RuntimePlatform(
            CpuArchitecture="ARM64" if svc.platform == "arm64" else "X86_64", OperatingSystemFamily="LINUX"
        ),
        ExecutionRoleArn=GetAtt(execution_role, "Arn"),
        TaskRoleArn=GetAtt(task_role, "Arn"),
        ContainerDefinitions=containers,
        **({"Volumes": task_containers.volumes(svc)} if svc.volumes else {}),
    )


def _service(
    svc: EcsServiceSpec,
    task_definition: ecs.TaskDefinition,
    target_group: elbv2.TargetGroup | None,
    rule: elbv2.ListenerRule | None,
    shared: EcsShared,
    log_group: logs.LogGroup,
    first_release: bool = False,
) -> ecs.Service:
    strategy = svc.capacity_provider_strategy
    props: dict[str, Any] = {
        "Cluster": shared.cluster,
        "TaskDefinition": Ref(task_definition),
        "CapacityProviderStrategy": [
            ecs.CapacityProviderStrategyItem(CapacityProvider=c.provider, Weight=c.weight, Base=c.base)
            for c in strategy
        ]
        or [ecs.CapacityProviderStrategyItem(CapacityProvider="FARGATE", Weight=1, Base=0)],
        "NetworkConfiguration": ecs.NetworkConfiguration(
            AwsvpcConfiguration=ecs.AwsvpcConfiguration(
                Subnets=shared.task_subnets,
                SecurityGroups=[shared.security_groups[svc.name], *svc.security_groups],
                AssignPublicIp=shared.assign_public_ip,
            )
        ),
        "DeploymentConfiguration": ecs.DeploymentConfiguration(
            MinimumHealthyPercent=svc.deployment.minimum_healthy_percent,
            MaximumPercent=svc.deployment.maximum_percent,
            DeploymentCircuitBreaker=ecs.DeploymentCircuitBreaker(
                Enable=svc.deployment.circuit_breaker, Rollback=svc.deployment.circuit_breaker
            ),
        ),
        "EnableExecuteCommand": svc.exec,
        "PropagateTags": "SERVICE",
        "EnableECSManagedTags": True,
        "PlatformVersion": "LATEST",
    }
    if target_group is not None and rule is not None:
        props["LoadBalancers"] = [
            ecs.LoadBalancer(ContainerName=svc.name, ContainerPort=svc.port, TargetGroupArn=Ref(target_group))
        ]
        props["HealthCheckGracePeriodSeconds"] = svc.health_check.grace_period_seconds
        # The target group must be attached to the ALB (through the rule) before a service can use it.
        props["DependsOn"] = [rule.title]
    if shared.namespace_arn is not None:
        proxy_logs = ecs.LogConfiguration(
            LogDriver="awslogs",
            Options={
                "awslogs-group": Ref(log_group),
                "awslogs-region": Region,
                "awslogs-stream-prefix": service_connect.PROXY_LOG_PREFIX,
            },
        )
        props["ServiceConnectConfiguration"] = service_connect.configuration(svc, shared.namespace_arn, proxy_logs)
    if svc.image_tag is None:
        props["DesiredCount"] = 0  # nothing to run until an image is published
    elif svc.autoscaling is None:
        props["DesiredCount"] = svc.desired_count
    elif first_release:
        # From 0 tasks to the autoscaling floor inside this deployment (under the circuit breaker), not after
        # CloudFormation reported success, when the scalable target raises it. Later releases leave it out.
        props["DesiredCount"] = svc.autoscaling.min
    # Autoscaled: DesiredCount is left out, so a deploy never resets the count autoscaling chose; the
    # scalable target's MinCapacity sets the floor (see docs/compute.md).
    return ecs.Service(f"{svc.logical}Service", **props)


def _autoscaling(
    b: StackBuilder,
    svc: EcsServiceSpec,
    service: ecs.Service,
    target_group: elbv2.TargetGroup | None,
    alb_full_name: Any,
    cluster: Any,
) -> aas.ScalableTarget:
    scaling = svc.autoscaling
    assert scaling is not None
    target = b.add(
        aas.ScalableTarget(
            f"{svc.logical}ScalableTarget",
            ServiceNamespace="ecs",
            ScalableDimension="ecs:service:DesiredCount",
            ResourceId=Join("/", ["service", cluster, GetAtt(service, "Name")]),
            MinCapacity=scaling.min,
            MaxCapacity=scaling.max,
        )
    )
    metrics: list[tuple[str, str, int | None, Any]] = [
        ("Cpu", "ECSServiceAverageCPUUtilization", scaling.cpu_target, None),
        ("Memory", "ECSServiceAverageMemoryUtilization", scaling.memory_target, None),
    ]
    if target_group is not None:  # request counting needs the ALB (validation refuses it otherwise)
        metrics.append(
            (
                "Requests",
                "ALBRequestCountPerTarget",
                scaling.requests_per_target,
                Join("/", [alb_full_name, GetAtt(target_group, "TargetGroupFullName")]),
            )
        )
    for name, metric, value, label in metrics:
        if value is None:
            continue
        spec = aas.PredefinedMetricSpecification(PredefinedMetricType=metric)
        if label is not None:
            spec.ResourceLabel = label
        b.add(
            aas.ScalingPolicy(
                f"{svc.logical}{name}Scaling",
                PolicyName=f"{svc.name}-{name.lower()}",
                PolicyType="TargetTrackingScaling",
                ScalingTargetId=Ref(target),
                TargetTrackingScalingPolicyConfiguration=aas.TargetTrackingScalingPolicyConfiguration(
                    TargetValue=float(value),
                    PredefinedMetricSpecification=spec,
                    ScaleInCooldown=scaling.scale_in_cooldown_seconds,
                    ScaleOutCooldown=scaling.scale_out_cooldown_seconds,
                ),
            )
        )
    return target
