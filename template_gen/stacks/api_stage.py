"""The stage stack of the API stage (api-stage.yaml): what must come after every route. A deployment per
API and its stage, the usage plans and their ids for onboarding, the custom domain, and the optional
account-level CloudWatch role."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from awacs import logs as logs_actions
from troposphere import GetAtt, Join, Ref, Sub, apigateway, route53, ssm

from template_gen import naming
from template_gen.spec import EnvironmentSpec
from template_gen.stacks import consumer_upkeep, iam, web_acl
from template_gen.stacks.common import StackBuilder, Stage, StageOutput
from template_gen.stacks.rest_api import ApiCore, deployment_and_stage


def build(env: EnvironmentSpec, cores: Sequence[ApiCore], route_stacks: Sequence[str]) -> Stage:
    b = StackBuilder(f"{env.platform} {env.name}: api stage, deployment and stage", env.tags)
    for core in cores:
        b.parameter(
            f"{core.prefix}Api", StageOutput("api", f"{core.prefix}ApiId"), description=f"{core.which} REST API"
        )
    stages = {core.which: deployment_and_stage(b, env, core) for core in cores}
    if env.api.cloudwatch_role:
        _account_role(b, list(stages.values()))
    _usage_plans(b, env, [(core, stages[core.which]) for core in cores if core.keyed])
    if env.onboarding_enabled:  # the stages onboarding flushes after a revoke or rotate
        consumer_upkeep.authorizer_stages(b, env, [(c.prefix, stages[c.which]) for c in cores if c.has_authorizer])
    for core in cores:
        _url(b, env, core)
    if env.api.custom_domain is not None and "public" in stages:
        _custom_domain(b, env, stages["public"])
    if (env.security.waf_web_acl_arn or env.security.baseline_web_acl) and "public" in stages:
        web_acl.associate(b, env, stages["public"])
    stage = Stage("api-stage", "ApiStageStack", "api-stage.yaml", b)
    # A deployment snapshots the API as it is: it must be made after every route stack.
    stage.depends_on = list(route_stacks)
    stage.root_outputs = [
        (f"{core.prefix}ApiUrl", f"{core.prefix}ApiUrl", f"Invoke URL of the {core.which} API") for core in cores
    ]
    if "CustomDomainUrl" in b.template.outputs:
        stage.root_outputs.append(("CustomDomainUrl", "CustomDomainUrl", "Public API on its custom domain"))
    return stage


def _usage_plans(b: StackBuilder, env: EnvironmentSpec, keyed: list[tuple[ApiCore, apigateway.Stage]]) -> None:
    if not keyed and not env.onboarding_enabled:
        return
    plan_ids: list[tuple[str, Any]] = []
    for plan in env.api.usage_plans:
        props: dict[str, Any] = {
            "UsagePlanName": naming.function_name(env.platform, env.name, plan.name),
            "Description": plan.description or f"{plan.name} plan",
        }
        if keyed:
            props["ApiStages"] = [
                apigateway.ApiStage(ApiId=Ref(f"{core.prefix}Api"), Stage=Ref(stage)) for core, stage in keyed
            ]
        if plan.throttle:
            props["Throttle"] = apigateway.ThrottleSettings(
                RateLimit=plan.throttle.rate_limit, BurstLimit=plan.throttle.burst_limit
            )
        if plan.quota:
            props["Quota"] = apigateway.QuotaSettings(Limit=plan.quota.limit, Period=plan.quota.period)
        resource = b.add(apigateway.UsagePlan(f"UsagePlan{naming.camel(plan.name)}", **props))
        plan_ids.append((plan.name, Ref(resource)))
        b.output(f"UsagePlan{naming.camel(plan.name)}Id", Ref(resource), f"Usage plan '{plan.name}'")
    # Onboarding reads {plan name: usage plan id} from here (the plans are created after its stage).
    parts: list[Any] = ["{"]
    for index, (name, ref) in enumerate(plan_ids):
        parts += [("," if index else "") + f'"{name}":"', ref, '"']
    parts.append("}")
    name = naming.ssm_parameter_name(env.platform, env.name, "usage-plans")
    b.add(
        ssm.Parameter(
            "UsagePlansParameter",
            Name=name,
            Type="String",
            Value=Join("", parts),
            Description="Usage plans consumers can be onboarded into (name -> id)",
        )
    )
    b.output("UsagePlansParameterName", name, "SSM parameter with the usage plan ids")


def _account_role(b: StackBuilder, stages: list[apigateway.Stage]) -> None:
    actions = [
        logs_actions.CreateLogGroup,
        logs_actions.CreateLogStream,
        logs_actions.DescribeLogGroups,
        logs_actions.DescribeLogStreams,
        logs_actions.PutLogEvents,
        logs_actions.GetLogEvents,
        logs_actions.FilterLogEvents,
    ]
    # The trust policy is the one API Gateway documents (no aws:SourceAccount condition: the docs name none
    # for this role, and a condition the service does not send would break logging for the whole account).
    role = iam.role(
        "ApiGatewayCloudWatchRole",
        "apigateway.amazonaws.com",
        [iam.allow(actions, [iam.any_log_group()], "PushLogs")],
        "API Gateway account setting: write execution and access logs",
        source_account=False,
    )
    # Both outlive the stack (as CDK does since 2.38): the setting is account- and Region-wide, so deleting
    # this environment must not break logging for every other API of the account.
    role.DeletionPolicy = role.UpdateReplacePolicy = "Retain"
    b.add(role)
    account = b.add(
        apigateway.Account(
            "ApiGatewayAccount",
            CloudWatchRoleArn=GetAtt(role, "Arn"),
            DeletionPolicy="Retain",
            UpdateReplacePolicy="Retain",
        )
    )
    for stage in stages:
        stage.DependsOn = [account.title]  # stage logging fails until the account has the role


def _custom_domain(b: StackBuilder, env: EnvironmentSpec, public_stage: apigateway.Stage) -> None:
    domain = env.api.custom_domain
    assert domain is not None
    props: dict[str, Any] = {
        "DomainName": domain.domain_name,
        "SecurityPolicy": "TLS_1_2",
        "EndpointConfiguration": apigateway.EndpointConfiguration(Types=[domain.endpoint_type]),
    }
    if domain.endpoint_type == "EDGE":
        props["CertificateArn"] = domain.certificate_arn
    else:
        props["RegionalCertificateArn"] = domain.certificate_arn
    resource = b.add(apigateway.DomainName("CustomDomain", **props))
    mapping: dict[str, Any] = {"DomainName": Ref(resource), "RestApiId": Ref("PublicApi"), "Stage": Ref(public_stage)}
    if domain.base_path:
        mapping["BasePath"] = domain.base_path
    b.add(apigateway.BasePathMapping("CustomDomainMapping", **mapping))
    edge = domain.endpoint_type == "EDGE"
    target = GetAtt(resource, "DistributionDomainName" if edge else "RegionalDomainName")
    zone = GetAtt(resource, "DistributionHostedZoneId" if edge else "RegionalHostedZoneId")
    if domain.hosted_zone_id:
        b.add(
            route53.RecordSetType(
                "CustomDomainRecord",
                HostedZoneId=domain.hosted_zone_id,
                Name=domain.domain_name,
                Type="A",
                AliasTarget=route53.AliasTarget(DNSName=target, HostedZoneId=zone),
            )
        )
    path = f"/{domain.base_path}" if domain.base_path else ""
    b.output("CustomDomainUrl", f"https://{domain.domain_name}{path}", "Public API on its custom domain")
    b.output("CustomDomainTarget", target, "DNS target (alias) for the custom domain")


def _url(b: StackBuilder, env: EnvironmentSpec, core: ApiCore) -> None:
    stage_name = env.api.stage_name
    b.output(f"{core.prefix}ApiId", Ref(f"{core.prefix}Api"), f"{core.which} REST API id")
    if core.which == "public":
        url = Sub(f"https://${{PublicApi}}.execute-api.${{AWS::Region}}.${{AWS::URLSuffix}}/{stage_name}")
    else:  # the endpoint-specific hostname works with or without private DNS
        if "ExecuteApiEndpointId" not in b.template.parameters:
            b.parameter(
                "ExecuteApiEndpointId",
                StageOutput("network", "ExecuteApiEndpointId"),
                description="execute-api VPC endpoint of the private API",
            )
        url = Sub(
            f"https://${{PrivateApi}}-${{ExecuteApiEndpointId}}.execute-api.${{AWS::Region}}"
            f".${{AWS::URLSuffix}}/{stage_name}"
        )
    b.output(f"{core.prefix}ApiUrl", url, f"Invoke URL of the {core.which} API")
