"""What only the first observability stack holds: the encrypted alarm topic, the API, authorizer and load
balancer alarms with the gateway, authorizer, target-health and network widgets, and the saved queries."""

from __future__ import annotations

import functools
import hashlib
from typing import TYPE_CHECKING, Any

from awacs import kms as kms_actions
from awacs import sns as sns_actions
from awacs.aws import Allow, Condition, Principal, Statement, StringEquals
from troposphere import AccountId, GetAtt, Ref, Select, Split, Sub, kms, logs, sns

from template_gen import naming
from template_gen.quotas import QUERY_LOG_GROUPS
from template_gen.stacks import iam
from template_gen.stacks.alarms import Metric
from template_gen.stacks.dashboards import QUESTIONS, log_widget, metric_widget
from template_gen.stacks.rest_api import access_log_group

if TYPE_CHECKING:
    from template_gen.stacks.observability import ObservabilityStage

ALB, GATEWAY = "AWS/ApplicationELB", "AWS/ApiGateway"


def alarm_topic(obs: ObservabilityStage) -> Any:
    b, env = obs.b, obs.env
    # Alarms cannot publish to a topic encrypted with the AWS managed key aws/sns (KMS AccessDenied,
    # aws/aws-cdk#11121): the topic's own key lets CloudWatch use it.
    key = b.add(
        kms.Key(
            "AlarmTopicKey",
            Description=f"{env.stack_name}: encrypts the alarm topic",
            EnableKeyRotation=True,
            PendingWindowInDays=7,
            KeyPolicy=iam.policy(
                Statement(
                    Sid="AccountAdministers",
                    Effect=Allow,
                    Principal=Principal("AWS", Sub("arn:${AWS::Partition}:iam::${AWS::AccountId}:root")),
                    Action=[kms_actions.Action("*")],
                    Resource=["*"],
                ),
                Statement(
                    Sid="CloudWatchPublishes",
                    Effect=Allow,
                    Principal=Principal("Service", "cloudwatch.amazonaws.com"),
                    Action=[kms_actions.Decrypt, kms_actions.Action("GenerateDataKey*")],
                    Resource=["*"],
                ),
            ),
        )
    )
    topic = b.add(
        sns.Topic(
            "AlarmTopic",
            DisplayName=f"{env.stack_name} alarms",
            KmsMasterKeyId=GetAtt(key, "Arn"),
        )
    )
    b.add(
        sns.TopicPolicy(
            "AlarmTopicPolicy",
            Topics=[Ref(topic)],
            PolicyDocument=iam.policy(
                Statement(
                    Sid="CloudWatchAlarmsOfThisAccount",
                    Effect=Allow,
                    Principal=Principal("Service", "cloudwatch.amazonaws.com"),
                    Action=[sns_actions.Publish],
                    Resource=[Ref(topic)],
                    Condition=Condition(StringEquals("aws:SourceAccount", AccountId)),
                )
            ),
        )
    )
    endpoints = [("email", e) for e in env.observability.emails]
    endpoints += [("https", u) for u in env.observability.https_endpoints]
    for protocol, endpoint in endpoints:
        # Keyed by the endpoint, not its position: adding a subscriber never replaces (and re-confirms) another.
        digest = hashlib.sha256(f"{protocol}:{endpoint}".encode()).hexdigest()[:10]
        b.add(
            sns.SubscriptionResource(
                f"AlarmSubscription{digest}", TopicArn=Ref(topic), Protocol=protocol, Endpoint=endpoint
            )
        )
    b.output("AlarmTopicArn", Ref(topic), "SNS topic of the environment's alarms (alarm and OK)")
    return Ref(topic)


def gateway(obs: ObservabilityStage) -> None:
    env = obs.env
    limits = env.observability.api
    core = obs.by_key["api"].template.resources if "api" in obs.by_key else {}
    for prefix in ("Public", "Private"):
        api = core.get(f"{prefix}Api")  # the REST APIs live in the first API stack
        if api is not None:
            which, api_name = prefix.lower(), api.properties["Name"]  # metrics are per API name and stage
            dims = [("ApiName", api_name), ("Stage", env.api.stage_name)]
            flat = ["ApiName", api_name, "Stage", env.api.stage_name]
            obs.sections[QUESTIONS[0]].widgets += [
                metric_widget(
                    f"{which} API: requests, 4xx, 5xx",
                    [[GATEWAY, m, *flat] for m in ("Count", "4XXError", "5XXError")],
                ),
                metric_widget(
                    f"{which} API: latency p99",
                    [[GATEWAY, "Latency", *flat], [GATEWAY, "IntegrationLatency", *flat]],
                    stat="p99",
                ),
            ]
            add = functools.partial(obs.alarm, prefix, f"{which}-api")
            add(
                "api-5xx",
                limits.error_5xx_percent / 100,
                ">",
                periods=5,
                datapoints=3,
                metric=Metric(GATEWAY, "5XXError", dims, "Average"),
            )  # Average of 5XXError: the share of requests
            add(
                "api-4xx-spike",
                0,
                "band",
                period=300,
                periods=3,
                datapoints=2,
                band=(limits.error_4xx_band, Metric(GATEWAY, "4XXError", dims, "Sum")),
            )
            add(
                "api-p99-latency",
                limits.p99_latency_ms,
                ">",
                periods=5,
                datapoints=3,
                metric=Metric(GATEWAY, "Latency", dims, "p99"),
            )
    if "ApiKeyValidatorFunctionArn" not in obs.by_key["compute"].template.outputs:
        return
    arn = Ref(obs.param("ApiKeyValidatorFunctionArn", "compute", "API key validator"))
    fn = [("FunctionName", Select(6, Split(":", arn)))]
    custom = [("service", "api-key-validator")]  # Powertools metrics: namespace = platform, service dimension
    literal = naming.function_name(env.platform, env.name, "api-key-validator")
    obs.sections[QUESTIONS[1]].widgets += [
        metric_widget(
            "API key validator: invocations and errors",
            [
                ["AWS/Lambda", "Invocations", "FunctionName", literal],
                ["AWS/Lambda", "Errors", "FunctionName", literal],
                [env.platform, "LookupErrors", "service", "api-key-validator"],
            ],
            right=[1, 2],
        ),
        metric_widget(
            "API key validator: allowed and denied",
            [[env.platform, m, "service", "api-key-validator"] for m in ("Allowed", "Denied")],
        ),
    ]
    errors, lookups = Metric("AWS/Lambda", "Errors", fn, "Sum"), Metric(env.platform, "LookupErrors", custom, "Sum")
    obs.alarm(
        "Authorizer",
        "authorizer",
        "authorizer-errors",
        limits.authorizer_errors,
        ">=",
        period=300,
        periods=1,
        math=("FILL(errors, 0) + FILL(lookups, 0)", {"errors": errors, "lookups": lookups}),
    )


def load_balancers(obs: ObservabilityStage) -> None:
    env = obs.env
    network = obs.by_key["network"].template.outputs
    nlb = "NlbFullName" in network
    for index in range(1, env.placement.alb_count + 1):
        alb = naming.alb_id(index)
        lb = Ref(obs.param(f"{alb}FullName", "network", f"Full name of {alb}"))
        obs.alarm(
            alb,
            alb.lower(),
            "alb-rejected-connections",
            env.observability.load_balancer.rejected_connections,
            ">=",
            period=300,
            periods=1,
            metric=Metric(ALB, "RejectedConnectionCount", [("LoadBalancer", lb)], "Sum"),
        )
        if not nlb:
            continue
        tg_name = f"NlbTo{alb}TargetGroupFullName"
        dims = [
            ("TargetGroup", Ref(obs.param(tg_name, "network", f"NLB target group of {alb}"))),
            ("LoadBalancer", Ref(obs.param("NlbFullName", "network", "Internal NLB"))),
        ]
        obs.alarm(
            f"NlbTo{alb}",
            alb.lower(),
            "nlb-healthy-hosts",
            1,
            "<",
            periods=2,
            missing="breaching",
            metric=Metric("AWS/NetworkELB", "HealthyHostCount", dims, "Minimum"),
        )
        obs.sections[QUESTIONS[3]].widgets.insert(
            index - 1,
            metric_widget(
                f"NLB to {alb}: healthy ALB",
                [
                    [
                        "AWS/NetworkELB",
                        "HealthyHostCount",
                        "TargetGroup",
                        obs.sub(tg_name, "network"),
                        "LoadBalancer",
                        obs.sub("NlbFullName", "network"),
                    ]
                ],
                stat="Minimum",
            ),
        )
    net = obs.sections[QUESTIONS[5]].widgets
    if nlb:
        flat = ["LoadBalancer", obs.sub("NlbFullName", "network")]
        net.append(
            metric_widget(
                "NLB flows",
                [["AWS/NetworkELB", m, *flat] for m in ("ActiveFlowCount", "NewFlowCount", "TCP_Target_Reset_Count")],
            )
        )
    if "FlowLogGroupName" in network:
        net.append(
            log_widget(
                "VPC flow logs: rejected flows",
                obs.sub("FlowLogGroupName", "network"),
                'filter action = "REJECT" | stats count(*) as rejected by srcAddr, dstAddr, dstPort'
                " | sort rejected desc | limit 20",
            )
        )


def saved_queries(obs: ObservabilityStage) -> None:
    env, b = obs.env, obs.b
    errors = (
        'fields @timestamp, @log, @message | filter level = "ERROR" or @message like /(?i)(error|exception|'
        "task timed out)/ | stats count(*) as errors by @log | sort errors desc"
    )
    groups = sorted(obs.log_groups)
    for index in range(0, len(groups), QUERY_LOG_GROUPS):
        part = index // QUERY_LOG_GROUPS + 1
        suffix = "" if obs.shard == 1 and part == 1 else f"-{obs.shard}-{part}"
        b.add(
            logs.QueryDefinition(
                f"ErrorsByServiceQuery{'' if not suffix else naming.camel(suffix)}",
                Name=naming.query_name(env.platform, env.name, f"errors-by-service{suffix}"),
                QueryString=errors,
                LogGroupNames=groups[index : index + QUERY_LOG_GROUPS],
            )
        )
    if obs.shard != 1:
        return
    # The APIs' access log groups, which the API stage creates: named here, so this stack needs only the APIs
    # in api.yaml (the API stage waits for the deployment digest, which waits for every compute shard).
    core = obs.by_key["api"].template.resources if "api" in obs.by_key else {}
    access = [
        naming.log_group_name(env.platform, env.name, *access_log_group(prefix.lower()))
        for prefix in ("Public", "Private")
        if f"{prefix}Api" in core
    ]
    if access:
        b.add(
            logs.QueryDefinition(
                "SlowestRoutesQuery",
                Name=naming.query_name(env.platform, env.name, "slowest-routes"),
                LogGroupNames=access,
                QueryString=(
                    "fields @timestamp, httpMethod, resourcePath, status, latency, integrationLatency | stats"
                    " pct(latency, 99) as p99, avg(latency) as average, count(*) as requests"
                    " by httpMethod, resourcePath"
                    " | sort p99 desc | limit 25"
                ),
            )
        )
    if "ApiKeyValidatorFunctionArn" in obs.by_key["compute"].template.outputs:
        group = naming.log_group_name(env.platform, env.name, "lambda", "api-key-validator")
        b.add(
            logs.QueryDefinition(
                "DeniedConsumersQuery",
                Name=naming.query_name(env.platform, env.name, "denied-consumers"),
                LogGroupNames=[group],
                QueryString=(
                    'fields @timestamp, consumer_id, reason, key_fingerprint | filter decision = "deny"'
                    " | stats count(*) as denials by consumer_id, reason, key_fingerprint | sort denials desc"
                ),
            )
        )
