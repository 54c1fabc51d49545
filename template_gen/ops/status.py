"""`template-gen status`: how a deployed environment is doing, read from CloudFormation, ECS, ELB and
CloudWatch: the root stack's status, each container service's task counts, last deployment and its
rollout, target health (with the reasons of unhealthy targets) and the image tag it runs, and the errors
of each Lambda function over the last hour."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from template_gen.errors import AwsError
from template_gen.naming import logical_id
from template_gen.ops import resources
from template_gen.ops.resources import PLATFORM_FUNCTIONS, Deployed, Environment, cluster_of
from template_gen.registry.service_models import ContainerService
from template_gen.review import aws

WINDOW = timedelta(hours=1)
Clock = Callable[[], datetime]


@dataclass(frozen=True)
class Target:
    id: str
    port: int | None
    state: str
    reason: str
    description: str


@dataclass(frozen=True)
class EcsStatus:
    name: str
    kind: str
    service_arn: str | None
    running: int | None = None
    desired: int | None = None
    pending: int | None = None
    rollout: str | None = None  # the primary deployment's rolloutState
    rollout_reason: str = ""
    deployment_updated: str | None = None
    task_definition: str | None = None
    image_tag: str | None = None
    targets: dict[str, int] | None = None  # by state; None without a target group
    unhealthy: list[Target] = field(default_factory=list)


@dataclass(frozen=True)
class LambdaStatus:
    name: str
    kind: str
    function: str
    errors: int
    invocations: int


@dataclass(frozen=True)
class Status:
    environment: str
    stack_name: str
    region: str
    stack_status: str
    stack_reason: str
    updated: str | None
    services: list[EcsStatus | LambdaStatus]
    functions: list[LambdaStatus]  # the platform's own functions
    window_minutes: int = int(WINDOW.total_seconds() // 60)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _call(what: str, call: Callable[[], Any]) -> Any:
    try:
        return call()
    except (BotoCoreError, ClientError) as exc:
        raise AwsError(f"could not read {what}: {exc}") from exc


def do_status(
    env: Environment,
    only: str | None = None,
    client_factory: aws.ClientFactory | None = None,
    now: Clock = lambda: datetime.now(UTC),
) -> Status:
    entries = env.services(only)
    target = env.target
    factory = client_factory or aws.client_factory(target.profile)
    aws.check_account(factory("sts", target.region), target)
    deployed = resources.read(factory("cloudformation", target.region), target)
    # Workers are ECS services too (no target group): only Lambda services are read from CloudWatch.
    containers = {e.name: e.model.kind for e in entries if isinstance(e.model, ContainerService)}
    ecs = _ecs(factory, target.region, deployed, containers) if containers else {}
    functions = [(e.name, "lambda", env.function_name(e.name)) for e in entries if e.model.kind == "lambda"]
    platform = [] if only else [(n, "platform", env.function_name(n)) for n in PLATFORM_FUNCTIONS]
    platform = [p for p in platform if logical_id(p[0]) + "Function" in deployed.resources]
    lambdas = _lambdas(factory("cloudwatch", target.region), [*functions, *platform], now())
    services: list[EcsStatus | LambdaStatus] = [ecs[e.name] if e.name in ecs else lambdas[e.name] for e in entries]
    return Status(
        env.name,
        target.stack_name,
        target.region,
        deployed.status,
        deployed.reason,
        deployed.updated.isoformat() if deployed.updated else None,
        services,
        [lambdas[name] for name, _, _ in platform],
    )


def _ecs(factory: aws.ClientFactory, region: str, deployed: Deployed, names: Mapping[str, str]) -> dict[str, EcsStatus]:
    """The status of each container service, by name; `names` maps each to its kind (ecs or worker)."""
    ecs, elb = factory("ecs", region), factory("elbv2", region)
    arns = {name: deployed.physical(f"{logical_id(name)}Service") for name in names}
    by_cluster: dict[str, list[str]] = {}
    for arn in arns.values():
        if arn:
            by_cluster.setdefault(cluster_of(arn), []).append(arn)
    described: dict[str, dict[str, Any]] = {}
    for cluster, cluster_arns in by_cluster.items():
        for i in range(0, len(cluster_arns), 10):  # DescribeServices takes at most 10 services
            batch = cluster_arns[i : i + 10]
            try:
                found = ecs.describe_services(cluster=cluster, services=batch)
            except (BotoCoreError, ClientError) as exc:
                raise AwsError(f"could not read the ECS services of cluster {cluster}: {exc}") from exc
            described.update({s["serviceArn"]: s for s in found.get("services", [])})
    out = {}
    for name in names:
        arn = arns[name]
        service = described.get(arn or "")
        if service is None:
            out[name] = EcsStatus(name, names[name], arn)
            continue
        primary: dict[str, Any] = next((d for d in service.get("deployments", []) if d.get("status") == "PRIMARY"), {})
        task_definition = primary.get("taskDefinition") or service.get("taskDefinition")
        tg = deployed.physical(f"{logical_id(name)}TargetGroup")
        counts, unhealthy = _targets(elb, tg) if tg else (None, [])
        updated = primary.get("updatedAt")
        out[name] = EcsStatus(
            name,
            names[name],
            arn,
            running=service.get("runningCount"),
            desired=service.get("desiredCount"),
            pending=service.get("pendingCount"),
            rollout=primary.get("rolloutState"),
            rollout_reason=str(primary.get("rolloutStateReason") or ""),
            deployment_updated=updated.isoformat() if updated else None,
            task_definition=task_definition,
            image_tag=_image_tag(ecs, task_definition, name) if task_definition else None,
            targets=counts,
            unhealthy=unhealthy,
        )
    return out


def _image_tag(ecs: Any, task_definition: str, container: str) -> str | None:
    found = _call(
        f"task definition {task_definition}", lambda: ecs.describe_task_definition(taskDefinition=task_definition)
    )
    for definition in found["taskDefinition"].get("containerDefinitions", []):
        if definition.get("name") == container:
            image = str(definition.get("image", ""))
            name, _, digest = image.partition("@")
            if digest:
                return digest
            last = name.rsplit("/", 1)[-1]
            return last.partition(":")[2] or "latest"
    return None


def _targets(elb: Any, target_group: str) -> tuple[dict[str, int], list[Target]]:
    found = _call(f"the targets of {target_group}", lambda: elb.describe_target_health(TargetGroupArn=target_group))
    counts: Counter[str] = Counter()
    unhealthy = []
    for item in found.get("TargetHealthDescriptions", []):
        health = item.get("TargetHealth", {})
        state = str(health.get("State", "unknown"))
        counts[state] += 1
        if state != "healthy":
            target = item.get("Target", {})
            unhealthy.append(
                Target(
                    str(target.get("Id", "")),
                    target.get("Port"),
                    state,
                    str(health.get("Reason", "")),
                    str(health.get("Description", "")),
                )
            )
    return dict(sorted(counts.items())), unhealthy


def _lambdas(cloudwatch: Any, functions: list[tuple[str, str, str]], now: datetime) -> dict[str, LambdaStatus]:
    if not functions:
        return {}
    queries = []
    for i, (_, _, function) in enumerate(functions):
        for key, metric in (("e", "Errors"), ("i", "Invocations")):
            queries.append(
                {
                    "Id": f"{key}{i}",
                    "MetricStat": {
                        "Metric": {
                            "Namespace": "AWS/Lambda",
                            "MetricName": metric,
                            "Dimensions": [{"Name": "FunctionName", "Value": function}],
                        },
                        "Period": int(WINDOW.total_seconds()),
                        "Stat": "Sum",
                    },
                }
            )
    found = _call(
        "the Lambda metrics",
        lambda: cloudwatch.get_metric_data(MetricDataQueries=queries, StartTime=now - WINDOW, EndTime=now),
    )
    sums = {r["Id"]: int(sum(r.get("Values", []))) for r in found.get("MetricDataResults", [])}
    return {
        name: LambdaStatus(name, kind, function, sums.get(f"e{i}", 0), sums.get(f"i{i}", 0))
        for i, (name, kind, function) in enumerate(functions)
    }
