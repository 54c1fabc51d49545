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
from troposphere import GetAtt, Join, Ref, Region, ecr, ecs, logs
from troposphere import applicationautoscaling as aas
from troposphere import elasticloadbalancingv2 as elbv2

from template_gen import naming
from template_gen.spec import EcsServiceSpec, EnvironmentSpec
from template_gen.stacks import common, iam, secrets
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
    task_security_group: Any
    assign_public_ip: Any
    listeners: Mapping[int, Any]  # ALB index -> its listener ARN
    alb_full_names: Mapping[int, Any]  # ALB index -> its full name (request-count scaling)
    xray_image: str
    exec_log_group_arn: Any = None  # the cluster's ECS Exec session log group, when a service uses exec


@dataclass(frozen=True)
class ServiceResources:
    service: ecs.Service
    target_group: elbv2.TargetGroup
    listener_rule: elbv2.ListenerRule
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
    if svc.image_repository is None:
        repository = b.add(
            ecr.Repository(
                f"{lid}Repository",
                RepositoryName=naming.ecr_repository_name(env.platform, env.name, svc.name),
                ImageScanningConfiguration=ecr.ImageScanningConfiguration(ScanOnPush=svc.ecr.scan_on_push),
                ImageTagMutability="IMMUTABLE" if svc.ecr.immutable_tags else "MUTABLE",
                LifecyclePolicy=ecr.LifecyclePolicy(LifecyclePolicyText=_lifecycle_policy(svc.ecr.keep_images)),
                EncryptionConfiguration=ecr.EncryptionConfiguration(EncryptionType="AES256"),
                # Images outlive the stack: deleting the stack must not delete what was published.
                DeletionPolicy="Retain",
                UpdateReplacePolicy="Retain",
            ),
            tags,
        )
        b.output(f"{lid}RepositoryUri", GetAtt(repository, "RepositoryUri"), f"{svc.name}: ECR repository URI")
        image: Any = Join("", [GetAtt(repository, "RepositoryUri"), ":", svc.image_tag or NO_IMAGE_TAG])
    else:
        image = f"{svc.image_repository}:{svc.image_tag or NO_IMAGE_TAG}"

    log_group = common.log_group(b, env, f"{lid}LogGroup", ("ecs", svc.name), svc.log_retention_days, tags)

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
    rule = b.add(
        elbv2.ListenerRule(
            f"{lid}ListenerRule",
            ListenerArn=shared.listeners[alb],
            Priority=svc.priority,
            Conditions=_rule_conditions(svc),
            Actions=[elbv2.ListenerRuleAction(Type="forward", TargetGroupArn=Ref(target_group))],
        )
    )

    execution_statements = [
        iam.allow([logs_actions.CreateLogStream, logs_actions.PutLogEvents], [GetAtt(log_group, "Arn")], "WriteLogs"),
    ]
    if repository is not None:
        # GetAuthorizationToken has no resource-level permissions; pulling is limited to this repository.
        execution_statements += [
            iam.allow([ecr_actions.GetAuthorizationToken], ["*"], "EcrLogin"),
            iam.allow(
                [
                    ecr_actions.BatchCheckLayerAvailability,
                    ecr_actions.GetDownloadUrlForLayer,
                    ecr_actions.BatchGetImage,
                ],
                [GetAtt(repository, "Arn")],
                "PullOwnImages",
            ),
        ]
    execution_statements += secrets.read_statements([ref for _, ref in svc.secrets], "ReadSecret")
    execution_role = b.add(
        iam.role(f"{lid}ExecutionRole", "ecs-tasks.amazonaws.com", execution_statements,
                 f"{svc.name}: pull its image and write its logs"),
        tags,
    )  # fmt: skip
    task_statements = [iam.allow(iam.XRAY_WRITE, ["*"], "WriteTraces")] if svc.xray else []
    if svc.exec:
        task_statements += _exec_statements(shared)
    task_statements += iam.from_registry(svc.iam)
    task_role = b.add(
        iam.role(f"{lid}TaskRole", "ecs-tasks.amazonaws.com", task_statements, f"{svc.name}: application role"),
        tags,
    )

    task_definition = b.add(_task_definition(env, svc, image, log_group, execution_role, task_role, shared), tags)
    service = b.add(_service(svc, task_definition, target_group, rule, shared), tags)
    b.output(f"{lid}ServiceName", GetAtt(service, "Name"), f"{svc.name}: ECS service name")
    if svc.autoscaling is not None and svc.image_tag is not None:
        _autoscaling(b, svc, service, target_group, shared.alb_full_names[alb], shared.cluster)
    return ServiceResources(service, target_group, rule, task_definition, repository)


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


def _rule_conditions(svc: EcsServiceSpec) -> list[elbv2.Condition]:
    conditions = [
        elbv2.Condition(Field="path-pattern", PathPatternConfig=elbv2.PathPatternConfig(Values=list(svc.path_patterns)))
    ]
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
) -> ecs.TaskDefinition:
    variables = dict(svc.environment)
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
        "PortMappings": [ecs.PortMapping(ContainerPort=svc.port, Protocol="tcp")],
        "LogConfiguration": log_config(svc.name),
    }
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
        app["HealthCheck"] = ecs.HealthCheck(
            Command=list(check.command),
            Interval=check.interval_seconds,
            Timeout=check.timeout_seconds,
            Retries=check.retries,
            StartPeriod=check.start_period_seconds,
        )
    containers = [ecs.ContainerDefinition(**app)]
    if svc.xray:
        containers.append(
            ecs.ContainerDefinition(
                Name=XRAY_CONTAINER,
                Image=shared.xray_image,
                Essential=False,
                Cpu=32,
                MemoryReservation=256,
                PortMappings=[ecs.PortMapping(ContainerPort=2000, Protocol="udp")],
                LogConfiguration=log_config(XRAY_CONTAINER),
                # Hardened by default (docs/security.md): nothing to write, no root needed.
                ReadonlyRootFilesystem=True,
                User=XRAY_USER,
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
    )


def _service(
    svc: EcsServiceSpec,
    task_definition: ecs.TaskDefinition,
    target_group: elbv2.TargetGroup,
    rule: elbv2.ListenerRule,
    shared: EcsShared,
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
                SecurityGroups=[shared.task_security_group],
                AssignPublicIp=shared.assign_public_ip,
            )
        ),
        "LoadBalancers": [
            ecs.LoadBalancer(ContainerName=svc.name, ContainerPort=svc.port, TargetGroupArn=Ref(target_group))
        ],
        "HealthCheckGracePeriodSeconds": svc.health_check.grace_period_seconds,
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
        # The target group must be attached to the ALB (through the rule) before a service can use it.
        "DependsOn": [rule.title],
    }
    if svc.image_tag is None:
        props["DesiredCount"] = 0  # nothing to run until an image is published
    elif svc.autoscaling is None:
        props["DesiredCount"] = svc.desired_count
    # Autoscaled: DesiredCount is left out, so a deploy never resets the count autoscaling chose; the
    # scalable target's MinCapacity sets the floor (see docs/compute.md).
    return ecs.Service(f"{svc.logical}Service", **props)


def _autoscaling(
    b: StackBuilder,
    svc: EcsServiceSpec,
    service: ecs.Service,
    target_group: elbv2.TargetGroup,
    alb_full_name: Any,
    cluster: Any,
) -> None:
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
        (
            "Requests",
            "ALBRequestCountPerTarget",
            scaling.requests_per_target,
            Join("/", [alb_full_name, GetAtt(target_group, "TargetGroupFullName")]),
        ),
    ]
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
