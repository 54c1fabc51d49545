"""The floor for `make bench`: the same platform written by hand with raw troposphere, as one JSON template.

    python benchmarks/floor.py PROJECT_DIR OUT_FILE

It reads the registry that generate_registry.py wrote (plain YAML, no models, no validation) and adds, per
service, the resources synth adds for it: log group, roles, task definition, target group, listener rule,
ECR repository, security group and its ingress rule, ECS service (with autoscaling where asked) and its
alarms, or a function with its role, log group, queue (and dead-letter queue), permission and alarms; plus
the API resources and methods of its base path. No sharding, no quotas, no
placement, no cross-stack wiring, plain dict policies, `to_json()`: the least work that yields a
template of the same size. It prints {"resources": N, "bytes": N} so the runner can compare like with like.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import troposphere
import yaml
from troposphere import (
    GetAtt,
    Ref,
    Sub,
    Template,
    apigateway,
    awslambda,
    cloudwatch,
    ec2,
    ecr,
    ecs,
    iam,
    logs,
    sns,
    sqs,
)
from troposphere import applicationautoscaling as aas
from troposphere import elasticloadbalancingv2 as elb

ASSUME = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "{}"}, "Action": "sts:AssumeRole"}],
}


def read(path: Path) -> Any:
    return yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)


def role(t: Template, name: str, service: str, actions: list[str]) -> iam.Role:
    assume = json.loads(json.dumps(ASSUME).replace("{}", service))
    policy = iam.Policy(
        PolicyName="least-privilege",
        PolicyDocument={
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}],
        },
    )
    return t.add_resource(iam.Role(name, AssumeRolePolicyDocument=assume, Policies=[policy]))


def metric_alarm(t: Template, title: str, namespace: str, metric: str, dims: dict[str, Any], topic: Any) -> None:
    t.add_resource(
        cloudwatch.Alarm(
            title,
            Namespace=namespace,
            MetricName=metric,
            Dimensions=[cloudwatch.MetricDimension(Name=k, Value=v) for k, v in dims.items()],
            Statistic="Average",
            Period=60,
            EvaluationPeriods=5,
            Threshold=1.0,
            ComparisonOperator="GreaterThanThreshold",
            AlarmActions=[topic],
            OKActions=[topic],
        )
    )


def math_alarm(
    t: Template, title: str, namespace: str, metrics: tuple[str, str], dims: dict[str, Any], topic: Any
) -> None:
    queries = [
        cloudwatch.MetricDataQuery(
            Id=f"m{i}",
            MetricStat=cloudwatch.MetricStat(
                Metric=cloudwatch.Metric(
                    Namespace=namespace,
                    MetricName=metric,
                    Dimensions=[cloudwatch.MetricDimension(Name=k, Value=v) for k, v in dims.items()],
                ),
                Period=60,
                Stat="Sum",
            ),
            ReturnData=False,
        )
        for i, metric in enumerate(metrics)
    ]
    queries.append(cloudwatch.MetricDataQuery(Id="result", Expression="100 * m0 / m1", ReturnData=True))
    t.add_resource(
        cloudwatch.Alarm(
            title,
            Metrics=queries,
            EvaluationPeriods=5,
            Threshold=5.0,
            ComparisonOperator="GreaterThanThreshold",
            AlarmActions=[topic],
            OKActions=[topic],
        )
    )


def shared(t: Template) -> dict[str, Any]:
    vpc = t.add_resource(ec2.VPC("Vpc", CidrBlock="10.0.0.0/16", EnableDnsHostnames=True, EnableDnsSupport=True))
    subnets = [t.add_resource(ec2.Subnet(f"Subnet{i}", VpcId=Ref(vpc), CidrBlock=f"10.0.{i}.0/24")) for i in range(2)]
    sg = t.add_resource(ec2.SecurityGroup("TasksSg", GroupDescription="tasks", VpcId=Ref(vpc)))
    alb = t.add_resource(elb.LoadBalancer("Alb", Scheme="internal", Subnets=[Ref(s) for s in subnets]))
    listener = t.add_resource(
        elb.Listener(
            "Listener",
            LoadBalancerArn=Ref(alb),
            Port=80,
            Protocol="HTTP",
            DefaultActions=[
                elb.Action(Type="fixed-response", FixedResponseConfig=elb.FixedResponseConfig(StatusCode="404"))
            ],
        )
    )
    cluster = t.add_resource(ecs.Cluster("Cluster"))
    apis = {
        which: t.add_resource(apigateway.RestApi(f"{which.title()}Api", Name=f"bench-{which}"))
        for which in ("public", "private")
    }
    topic = t.add_resource(sns.Topic("AlarmTopic"))
    return {
        "vpc": vpc,
        "subnets": subnets,
        "sg": sg,
        "listener": listener,
        "cluster": cluster,
        "apis": apis,
        "topic": Ref(topic),
    }


def api_routes(t: Template, prefix: str, api: apigateway.RestApi, base_path: str, uri: Any) -> None:
    base = t.add_resource(
        apigateway.Resource(
            f"{prefix}Base", RestApiId=Ref(api), ParentId=GetAtt(api, "RootResourceId"), PathPart=base_path[1:]
        )
    )
    proxy = t.add_resource(
        apigateway.Resource(f"{prefix}Proxy", RestApiId=Ref(api), ParentId=Ref(base), PathPart="{proxy+}")
    )
    for resource, suffix in ((base, "Base"), (proxy, "Proxy")):
        t.add_resource(
            apigateway.Method(
                f"{prefix}{suffix}Any",
                RestApiId=Ref(api),
                ResourceId=Ref(resource),
                HttpMethod="ANY",
                AuthorizationType="CUSTOM",
                Integration=apigateway.Integration(Type="HTTP_PROXY", IntegrationHttpMethod="ANY", Uri=uri),
            )
        )


def ecs_service(t: Template, lid: str, name: str, svc: dict[str, Any], common: dict[str, Any]) -> None:
    log = t.add_resource(logs.LogGroup(f"{lid}Logs", LogGroupName=f"/ecs/bench/{name}", RetentionInDays=30))
    repo = t.add_resource(ecr.Repository(f"{lid}Repo", RepositoryName=f"bench/{name}"))
    task_role = role(t, f"{lid}TaskRole", "ecs-tasks.amazonaws.com", ["xray:PutTraceSegments"])
    exec_role = role(t, f"{lid}ExecRole", "ecs-tasks.amazonaws.com", ["ecr:BatchGetImage", "logs:PutLogEvents"])
    container = ecs.ContainerDefinition(
        Name=name,
        Image=Sub(f"${{{lid}Repo.RepositoryUri}}:{svc['image']['tag']}"),
        PortMappings=[ecs.PortMapping(ContainerPort=svc["port"])],
        LogConfiguration=ecs.LogConfiguration(
            LogDriver="awslogs",
            Options={"awslogs-group": Ref(log), "awslogs-region": "eu-west-1", "awslogs-stream-prefix": name},
        ),
    )
    task = t.add_resource(
        ecs.TaskDefinition(
            f"{lid}Task",
            Cpu=str(svc["cpu"]),
            Memory=str(svc["memory"]),
            NetworkMode="awsvpc",
            RequiresCompatibilities=["FARGATE"],
            TaskRoleArn=GetAtt(task_role, "Arn"),
            ExecutionRoleArn=GetAtt(exec_role, "Arn"),
            ContainerDefinitions=[container],
        )
    )
    own_sg = t.add_resource(ec2.SecurityGroup(f"{lid}Sg", GroupDescription=name, VpcId=Ref(common["vpc"])))
    t.add_resource(
        ec2.SecurityGroupIngress(
            f"{lid}FromAlb",
            GroupId=Ref(own_sg),
            IpProtocol="tcp",
            FromPort=svc["port"],
            ToPort=svc["port"],
            SourceSecurityGroupId=Ref(common["sg"]),
        )
    )
    tg = t.add_resource(
        elb.TargetGroup(
            f"{lid}Tg",
            Port=svc["port"],
            Protocol="HTTP",
            TargetType="ip",
            VpcId=Ref(common["vpc"]),
            HealthCheckPath=svc["health_check"]["path"],
        )
    )
    t.add_resource(
        elb.ListenerRule(
            f"{lid}Rule",
            ListenerArn=Ref(common["listener"]),
            Priority=svc["alb"]["priority"],
            Conditions=[
                elb.Condition(
                    Field="path-pattern",
                    PathPatternConfig=elb.PathPatternConfig(
                        Values=[svc["api"]["base_path"], f"{svc['api']['base_path']}/*"]
                    ),
                )
            ],
            Actions=[elb.ListenerRuleAction(Type="forward", TargetGroupArn=Ref(tg))],
        )
    )
    service = t.add_resource(
        ecs.Service(
            f"{lid}Service",
            Cluster=Ref(common["cluster"]),
            TaskDefinition=Ref(task),
            DesiredCount=1,
            LaunchType="FARGATE",
            NetworkConfiguration=ecs.NetworkConfiguration(
                AwsvpcConfiguration=ecs.AwsvpcConfiguration(
                    Subnets=[Ref(s) for s in common["subnets"]], SecurityGroups=[Ref(own_sg)]
                )
            ),
            LoadBalancers=[ecs.LoadBalancer(ContainerName=name, ContainerPort=svc["port"], TargetGroupArn=Ref(tg))],
            DependsOn=[f"{lid}Rule", repo.title],
        )
    )
    topic, tg_dims = common["topic"], {"TargetGroup": GetAtt(tg, "TargetGroupFullName"), "LoadBalancer": "alb"}
    ecs_dims = {"ClusterName": Ref(common["cluster"]), "ServiceName": GetAtt(service, "Name")}
    math_alarm(
        t, f"{lid}Target5xxAlarm", "AWS/ApplicationELB", ("HTTPCode_Target_5XX_Count", "RequestCount"), tg_dims, topic
    )
    metric_alarm(t, f"{lid}UnhealthyHostsAlarm", "AWS/ApplicationELB", "UnHealthyHostCount", tg_dims, topic)
    metric_alarm(t, f"{lid}P99ResponseAlarm", "AWS/ApplicationELB", "TargetResponseTime", tg_dims, topic)
    math_alarm(
        t, f"{lid}BelowDesiredAlarm", "ECS/ContainerInsights", ("DesiredTaskCount", "RunningTaskCount"), ecs_dims, topic
    )
    metric_alarm(t, f"{lid}CpuHighAlarm", "AWS/ECS", "CPUUtilization", ecs_dims, topic)
    metric_alarm(t, f"{lid}MemoryHighAlarm", "AWS/ECS", "MemoryUtilization", ecs_dims, topic)
    metric_alarm(t, f"{lid}ServiceConnect5xxAlarm", "AWS/ECS", "HTTPCode_Target_5XX_Count", ecs_dims, topic)
    scaling = svc.get("autoscaling")
    if scaling:
        target = t.add_resource(
            aas.ScalableTarget(
                f"{lid}ScalingTarget",
                MinCapacity=scaling["min"],
                MaxCapacity=scaling["max"],
                ResourceId=Sub(f"service/${{Cluster}}/${{{service.title}.Name}}"),
                ScalableDimension="ecs:service:DesiredCount",
                ServiceNamespace="ecs",
            )
        )
        t.add_resource(
            aas.ScalingPolicy(
                f"{lid}CpuScaling",
                PolicyName=f"{name}-cpu",
                PolicyType="TargetTrackingScaling",
                ScalingTargetId=Ref(target),
                TargetTrackingScalingPolicyConfiguration=aas.TargetTrackingScalingPolicyConfiguration(
                    TargetValue=float(scaling["cpu_target"]),
                    PredefinedMetricSpecification=aas.PredefinedMetricSpecification(
                        PredefinedMetricType="ECSServiceAverageCPUUtilization"
                    ),
                ),
            )
        )
    exposure = svc["api"].get("exposure", "public")
    for which in ("public", "private"):
        if exposure in (which, "both"):
            uri = f"http://internal{svc['api']['base_path']}/{{proxy}}"
            api_routes(t, f"{lid}{which.title()}", common["apis"][which], svc["api"]["base_path"], uri)


def lambda_service(t: Template, lid: str, name: str, svc: dict[str, Any], common: dict[str, Any]) -> None:
    fn_role = role(t, f"{lid}Role", "lambda.amazonaws.com", ["logs:PutLogEvents", "sqs:ReceiveMessage"])
    fn = t.add_resource(
        awslambda.Function(
            f"{lid}Function",
            Runtime="python3.12",
            Handler="app.lambda_handler",
            Role=GetAtt(fn_role, "Arn"),
            Code=awslambda.Code(S3Bucket="artifacts", S3Key=f"{name}.zip"),
            MemorySize=256,
            Timeout=15,
        )
    )
    t.add_resource(logs.LogGroup(f"{lid}Logs", LogGroupName=Sub(f"/aws/lambda/${{{fn.title}}}"), RetentionInDays=30))
    for metric in ("Errors", "Throttles", "Duration"):
        metric_alarm(t, f"{lid}{metric}Alarm", "AWS/Lambda", metric, {"FunctionName": Ref(fn)}, common["topic"])
    for event in (svc.get("events") or {}).values():
        if "sqs" in event:
            dead = t.add_resource(sqs.Queue(f"{lid}DeadLetters"))
            queue = t.add_resource(
                sqs.Queue(
                    f"{lid}Queue",
                    RedrivePolicy=sqs.RedrivePolicy(deadLetterTargetArn=GetAtt(dead, "Arn"), maxReceiveCount=5),
                )
            )
            t.add_resource(
                awslambda.EventSourceMapping(
                    f"{lid}Source", EventSourceArn=GetAtt(queue, "Arn"), FunctionName=Ref(fn), BatchSize=10
                )
            )
    if "api" in svc:
        t.add_resource(
            awslambda.Permission(
                f"{lid}ApiPermission",
                Action="lambda:InvokeFunction",
                FunctionName=Ref(fn),
                Principal="apigateway.amazonaws.com",
            )
        )
        uri = Sub(f"arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/${{{fn.title}.Arn}}/invocations")
        api_routes(t, f"{lid}Public", common["apis"]["public"], svc["api"]["base_path"], uri)


def main(project: Path, out: Path) -> None:
    # One template for the whole platform: never deployable above 500 resources, but the least work.
    troposphere.MAX_RESOURCES = 1_000_000
    registry = read(project / "services" / "registry.yaml")
    t = Template(Description="bench: the floor (one template, raw troposphere)")
    common = shared(t)
    for name in registry["environments"]["prod"]["services"]:
        svc = read(project / "services" / name / "service.yaml")
        lid = "".join(part.title() for part in name.split("-"))
        (ecs_service if svc["kind"] == "ecs" else lambda_service)(t, lid, name, svc, common)
    text = t.to_json()
    out.write_text(text, encoding="utf-8")
    print(json.dumps({"resources": len(t.resources), "bytes": len(text.encode("utf-8"))}))


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
