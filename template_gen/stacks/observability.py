"""Observability stage: alarms, the environment's alarm topic, dashboards and saved Logs Insights queries.

Sharded like compute: observability-N.yaml holds the alarms and dashboard page(s) of compute shard N's
services, so placement follows compute placement. The first also holds the encrypted alarm topic, the
API, authorizer, load balancer and platform-function alarms, the gateway and network sections of the
dashboard and the saved queries. Everything it watches crosses in as parameters from the stages before it;
the ECS services of the compute stage name their rollback alarms (`naming.alarm_name`) before they exist.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

from troposphere import Ref, Select, Split, Sub, cloudwatch

from template_gen import naming
from template_gen.observability_spec import TARGET_5XX_ALARM, UNHEALTHY_HOSTS_ALARM, EcsAlarms, LambdaAlarms
from template_gen.spec import EcsServiceSpec, EnvironmentSpec, LambdaServiceSpec
from template_gen.stacks import dashboards
from template_gen.stacks import observability_shared as shared
from template_gen.stacks.alarms import Metric, alarm
from template_gen.stacks.common import StackBuilder, Stage, StageOutput
from template_gen.stacks.compute import shard_stage
from template_gen.stacks.dashboards import QUESTIONS, Section, metric_widget

ALB, INSIGHTS, LAMBDA = "AWS/ApplicationELB", "ECS/ContainerInsights", "AWS/Lambda"
COMPARISONS = {
    ">": "GreaterThanThreshold",
    ">=": "GreaterThanOrEqualToThreshold",
    "<": "LessThanThreshold",
    "band": "GreaterThanUpperThreshold",
}
PLATFORM_FUNCTIONS = (
    ("api-key-validator", "ApiKeyValidator"),
    ("onboarding", "Onboarding"),
    ("reconciler", "Reconciler"),
)


def stage_names(shard: int) -> tuple[str, str, str]:
    """(stage key, logical ID, file): observability / ObservabilityStack / observability.yaml, then -2, ..."""
    if shard == 1:
        return "observability", "ObservabilityStack", "observability.yaml"
    return f"observability-{shard}", f"ObservabilityStack{shard}", f"observability-{shard}.yaml"


def service_connect_name(service: Any) -> str | None:
    """The discovery name of an ECS service with Service Connect on (its inbound metrics' dimension), read
    from the rendered service; None when the service (or this version of the generator) has none."""

    def get(obj: Any, key: str) -> Any:  # a troposphere property object or a plain mapping
        return (obj if isinstance(obj, dict) else obj.properties).get(key)

    config = get(service, "ServiceConnectConfiguration")
    if config is None or get(config, "Enabled") is not True:
        return None
    for item in get(config, "Services") or ():
        name = get(item, "DiscoveryName") or get(item, "PortName")
        if isinstance(name, str):
            return name
    return None


class ObservabilityStage:
    def __init__(self, env: EnvironmentSpec, stages: Sequence[Stage], shard: int):
        self.env, self.shard = env, shard
        self.by_key = {stage.key: stage for stage in stages}
        self.compute_key = shard_stage(shard)[0]
        self.compute = self.by_key[self.compute_key].template
        self.services = [s for s in env.services if env.placement.compute_shard_of(s.name) == shard]
        title = "observability stage" if shard == 1 else f"observability stage, shard {shard}"
        self.b = StackBuilder(f"{env.platform} {env.name}: {title}", env.tags)
        self.sections = {question: Section(question) for question in QUESTIONS}
        self.log_groups: list[str] = []  # the shard's function and service log groups, for errors-by-service

    def build(self) -> Stage:
        env = self.env
        self.topic = shared.alarm_topic(self) if self.shard == 1 else Ref(self.param("AlarmTopicArn", "observability"))
        ecs_services = [s for s in self.services if isinstance(s, EcsServiceSpec)]
        if ecs_services:
            self.cluster = Ref(self.param("ClusterName", "compute", "ECS cluster of the environment"))
        for svc in ecs_services:
            self._ecs_service(svc)
        if self.shard == 1:
            shared.gateway(self)
            self._platform_functions()
            shared.load_balancers(self)
        for fn in self.services:
            if isinstance(fn, LambdaServiceSpec):
                self._function(fn.name, fn.logical, env.observability.lambda_alarms(fn.name), self.compute_key)
        self._dashboards()
        shared.saved_queries(self)
        stage = Stage(*stage_names(self.shard), self.b)
        if self.shard == 1:
            stage.root_outputs = [
                ("AlarmTopicArn", "AlarmTopicArn", "SNS topic of the environment's alarms"),
                ("DashboardUrl", "DashboardUrl", "CloudWatch dashboard of the environment"),
            ]
            if "api" in self.by_key:  # the saved queries name the access log groups the API stage creates
                stage.depends_on = ["api-stage"]
        return stage

    # ------------------------------------------------------------------ inputs
    def param(self, name: str, stage: str, doc: str = "") -> str:
        """The parameter `name`, fed by the output of the same name of `stage` (added once)."""
        if name not in self.b.template.parameters:
            self.b.parameter(name, StageOutput(stage, name), description=doc or name)
        return name

    def sub(self, name: str, stage: str, doc: str = "") -> str:
        """A parameter as a `${Name}` placeholder in a dashboard body."""
        return "${" + self.param(name, stage, doc) + "}"

    def alarm_name(self, *parts: str) -> str:
        return naming.alarm_name(self.env.platform, self.env.name, *parts)

    def alarm(self, prefix: str, subject: str, key: str, threshold: float, comparison: str, **kwargs: Any) -> None:
        """Alarm `key` of `subject` (logical ID `<prefix><Key>Alarm`), notifying the environment's topic."""
        logical = f"{prefix}{naming.camel(key)}Alarm"
        alarm(
            self.b,
            logical,
            self.alarm_name(subject, key),
            key,
            self.topic,
            threshold,
            COMPARISONS[comparison],
            **kwargs,
        )

    # ------------------------------------------------------------------ ECS services
    def _ecs_service(self, svc: EcsServiceSpec) -> None:
        env, lid = self.env, svc.logical
        alb = naming.alb_id(env.placement.alb_of(svc.name))
        service = Ref(self.param(f"{lid}ServiceName", self.compute_key, f"{svc.name}: ECS service name"))
        has_target_group = f"{lid}TargetGroupFullName" in self.compute.outputs
        self.log_groups.append(naming.log_group_name(env.platform, env.name, "ecs", svc.name))
        ecs_dims = [("ClusterName", self.cluster), ("ServiceName", service)]
        insights = env.container_insights != "disabled"
        widgets = self.sections
        if has_target_group:
            tg = Ref(self.param(f"{lid}TargetGroupFullName", self.compute_key, f"{svc.name}: target group"))
            lb = Ref(self.param(f"{alb}FullName", "network", f"Full name of {alb}"))
            tg_dims = [("TargetGroup", tg), ("LoadBalancer", lb)]
            sub_dims = [
                "TargetGroup",
                self.sub(f"{lid}TargetGroupFullName", self.compute_key),
                "LoadBalancer",
                self.sub(f"{alb}FullName", "network"),
            ]
            widgets[QUESTIONS[2]].widgets.append(
                metric_widget(
                    f"{svc.name}: requests and 5xx at the ALB",
                    [[ALB, "RequestCount", *sub_dims], [ALB, "HTTPCode_Target_5XX_Count", *sub_dims]],
                    right=[1],
                )
            )
            widgets[QUESTIONS[3]].widgets.append(
                metric_widget(
                    f"{svc.name}: target health",
                    [[ALB, "HealthyHostCount", *sub_dims], [ALB, "UnHealthyHostCount", *sub_dims]],
                    stat="Maximum",
                )
            )
        sub_ecs = [
            "ClusterName",
            self.sub("ClusterName", "compute"),
            "ServiceName",
            self.sub(f"{lid}ServiceName", self.compute_key),
        ]
        rows: list[list[Any]] = [["AWS/ECS", "CPUUtilization", *sub_ecs], ["AWS/ECS", "MemoryUtilization", *sub_ecs]]
        if insights:
            rows.append(["ECS/ContainerInsights", "RunningTaskCount", *sub_ecs])
        widgets[QUESTIONS[4]].widgets.append(
            metric_widget(
                f"{svc.name}: CPU, memory, running tasks", rows, stat="Average", right=[2] if insights else []
            )
        )
        limits = env.observability.ecs_alarms(svc.name)
        if limits is not None:
            self._ecs_alarms(svc, limits, ecs_dims, tg_dims if has_target_group else None, insights)

    def _ecs_alarms(
        self, svc: EcsServiceSpec, limits: EcsAlarms, ecs_dims: list[Any], tg_dims: list[Any] | None, insights: bool
    ) -> None:
        add = functools.partial(self.alarm, svc.logical, svc.name)
        if tg_dims is not None:
            errors, requests = (Metric(ALB, m, tg_dims, "Sum") for m in ("HTTPCode_Target_5XX_Count", "RequestCount"))
            add(
                TARGET_5XX_ALARM,
                limits.target_5xx_percent,
                ">",
                periods=5,
                datapoints=3,
                math=("100 * FILL(errors, 0) / requests", {"errors": errors, "requests": requests}),
            )
            add(
                UNHEALTHY_HOSTS_ALARM,
                limits.unhealthy_hosts,
                ">=",
                periods=2,
                metric=Metric(ALB, "UnHealthyHostCount", tg_dims, "Maximum"),
            )
            add(
                "p99-response",
                limits.p99_response_ms / 1000,
                ">",
                periods=5,
                datapoints=3,
                metric=Metric(ALB, "TargetResponseTime", tg_dims, "p99"),
            )
        if insights:
            desired, running = (
                Metric(INSIGHTS, m, ecs_dims, "Average") for m in ("DesiredTaskCount", "RunningTaskCount")
            )
            add(
                "below-desired",
                0,
                ">",
                periods=limits.below_desired_minutes,
                math=("desired - running", {"desired": desired, "running": running}),
            )
        add(
            "cpu-high",
            limits.cpu_percent,
            ">",
            periods=10,
            metric=Metric("AWS/ECS", "CPUUtilization", ecs_dims, "Average"),
        )
        add(
            "memory-high",
            limits.memory_percent,
            ">",
            periods=10,
            metric=Metric("AWS/ECS", "MemoryUtilization", ecs_dims, "Average"),
        )
        discovery = service_connect_name(self.compute.resources[f"{svc.logical}Service"])
        if discovery is not None:
            sc_dims = [*ecs_dims, ("DiscoveryName", discovery)]
            add(
                "service-connect-5xx",
                limits.service_connect_5xx,
                ">=",
                period=300,
                periods=1,
                metric=Metric("AWS/ECS", "HTTPCode_Target_5XX_Count", sc_dims, "Sum"),
            )

    # ------------------------------------------------------------------ functions
    def _function(self, name: str, logical: str, limits: LambdaAlarms | None, stage: str) -> None:
        env = self.env
        arn = self.param(f"{logical}FunctionArn", stage, f"{name}: function ARN")
        function_name = Select(6, Split(":", Ref(arn)))  # arn:aws:lambda:region:account:function:NAME
        self.log_groups.append(naming.log_group_name(env.platform, env.name, "lambda", name))
        literal = naming.function_name(env.platform, env.name, name)  # the dashboard shows it by name
        flat = ["FunctionName", literal]
        self.sections[QUESTIONS[4]].widgets.append(
            metric_widget(
                f"{name}: invocations, errors, throttles, p99 duration",
                [[LAMBDA, m, *flat] for m in ("Invocations", "Errors", "Throttles")]
                + [[LAMBDA, "Duration", *flat, {"stat": "p99"}]],
                right=[3],
            )
        )
        if limits is None:
            return
        timeout = self.by_key[stage].template.resources[f"{logical}Function"].properties["Timeout"]
        add, dims = functools.partial(self.alarm, logical, name), [("FunctionName", function_name)]
        add("errors", limits.errors, ">=", period=300, periods=1, metric=Metric(LAMBDA, "Errors", dims, "Sum"))
        add("throttles", limits.throttles, ">=", period=300, periods=1, metric=Metric(LAMBDA, "Throttles", dims, "Sum"))
        near = round(timeout * 1000 * limits.duration_percent_of_timeout / 100)  # milliseconds
        add("duration-near-timeout", near, ">", period=300, periods=1, metric=Metric(LAMBDA, "Duration", dims, "p99"))

    def _platform_functions(self) -> None:
        """The platform's own functions in the first compute shard, those it has: the key validator,
        onboarding and its reconciler, and a JWT authorizer per `auth: jwt` authorizer in use."""
        jwt = [(f"jwt-{name}", naming.logical_id("jwt-authorizer", name)) for name, _ in self.env.api.jwt_authorizers]
        for name, logical in (*PLATFORM_FUNCTIONS, *jwt):
            if f"{logical}FunctionArn" in self.by_key["compute"].template.outputs:
                self._function(name, logical, self.env.observability.platform_lambda, "compute")

    # ------------------------------------------------------------------ dashboards
    def _dashboards(self) -> None:
        env = self.env
        sections = [s for s in self.sections.values() if s.widgets]
        title = f"{env.platform} {env.name} ({env.region})" + (f", shard {self.shard}" if self.shard > 1 else "")
        for page, widgets in enumerate(dashboards.paginate(title, sections), start=1):
            name = naming.dashboard_name(env.platform, env.name, env.region, self.shard, page)
            logical = "Dashboard" if page == 1 else f"Dashboard{page}"
            self.b.add(cloudwatch.Dashboard(logical, DashboardName=name, DashboardBody=Sub(dashboards.body(widgets))))
            if self.shard == 1 and page == 1:
                console = "https://${AWS::Region}.console.aws.amazon.com/cloudwatch/home?region=${AWS::Region}"
                self.b.output("DashboardUrl", Sub(f"{console}#dashboards:name={name}"), "CloudWatch dashboard")


def builders(env: EnvironmentSpec, stages: Sequence[Stage]) -> list[Callable[[], Stage]]:
    """The builders of the observability stacks, one per compute shard, after the stages they watch:
    nothing reads these stacks, so each may be built apart (in a worker process of `synth --jobs`)."""
    return [builder(env, stages, shard) for shard in env.placement.compute_shards]


def builder(env: EnvironmentSpec, stages: Sequence[Stage], shard: int) -> Callable[[], Stage]:
    """The builder of shard `shard`'s observability stack. The first watches the environment's shared parts
    (network, API, platform functions) and needs every stage before it; a later one reads only its compute
    shard, so it may be built before the API stacks are."""
    return functools.partial(_build, env, stages, shard)


def _build(env: EnvironmentSpec, stages: Sequence[Stage], shard: int) -> Stage:
    return ObservabilityStage(env, stages, shard).build()
