"""API stage: the public (regional) and private REST APIs with routes from service metadata, usage plans,
the consumer admin route, an optional custom domain and the account-level CloudWatch role."""

from __future__ import annotations

from typing import Any

from awacs import logs as logs_actions
from troposphere import GetAtt, Join, Ref, Sub, apigateway, route53, ssm

from template_gen import naming
from template_gen.spec import EcsServiceSpec, EnvironmentSpec
from template_gen.stacks import iam
from template_gen.stacks.common import StackBuilder, Stage, StageOutput
from template_gen.stacks.rest_api import Backends, BuiltApi, RestApiBuilder, Route

APIS = {"public": ("public",), "private": ("private",), "both": ("public", "private"), "none": ()}


class ApiStage:
    def __init__(self, env: EnvironmentSpec):
        self.env = env
        self.b = StackBuilder(f"{env.platform} {env.name}: api stage", env.tags)

    def routes(self) -> dict[str, list[Route]]:
        """Routes per API, from service metadata (and the admin route when onboarding is on)."""
        env = self.env
        routes: dict[str, list[Route]] = {"public": [], "private": []}
        for svc in env.services:
            for which in APIS[svc.api.exposure]:
                backend = "vpc_link" if isinstance(svc, EcsServiceSpec) else "lambda"
                routes[which].append(
                    Route(svc.name, svc.logical, str(svc.api.base_path), svc.api.auth, backend, svc.api.timeout_ms)
                )
        if env.onboarding_enabled:
            admin = env.api.admin
            routes[admin.exposure].append(Route("admin", "Admin", admin.base_path, "iam", "lambda"))
        return {k: sorted(v, key=lambda r: r.base_path) for k, v in routes.items() if v}

    def build(self) -> Stage | None:
        routes = self.routes()
        if not routes:
            return None
        backends = self._parameters(routes)
        built = []
        for which, api_routes in routes.items():
            bound = [self._bind(r) for r in api_routes]
            built.append(RestApiBuilder(self.b, self.env, which, bound, backends).build())
        if self.env.api.cloudwatch_role:
            self._account_role([api.stage for api in built])
        self._usage_plans([api for api in built if api.keyed])
        for api in built:
            self._outputs(api)
        if self.env.api.custom_domain is not None and "public" in routes:
            self._custom_domain(next(api for api in built if api.which == "public"))
        stage = Stage("api", "ApiStack", "api.yaml", self.b)
        stage.root_outputs = [
            (f"{naming.camel(a.which)}ApiUrl", f"{naming.camel(a.which)}ApiUrl", f"Invoke URL of the {a.which} API")
            for a in built
        ]
        if "CustomDomainUrl" in self.b.template.outputs:
            stage.root_outputs.append(("CustomDomainUrl", "CustomDomainUrl", "Public API on its custom domain"))
        return stage

    # ------------------------------------------------------------------ parameters
    def _parameters(self, routes: dict[str, list[Route]]) -> Backends:
        b, env = self.b, self.env
        all_routes = [r for rs in routes.values() for r in rs]
        backends: dict[str, Any] = {}
        if any(r.backend == "vpc_link" for r in all_routes):
            backends["vpc_link_id"] = Ref(
                b.parameter(
                    "VpcLinkId",
                    StageOutput("network", "VpcLinkId"),
                    description="VPC link to the internal load balancer",
                )
            )
            if env.network.ingress == "alb-direct":
                backends["host"] = Ref(
                    b.parameter("AlbDnsName", StageOutput("network", "AlbDnsName"), description="Internal ALB DNS name")
                )
                backends["integration_target"] = Ref(
                    b.parameter(
                        "AlbArn", StageOutput("network", "AlbArn"), description="Internal ALB (integration target)"
                    )
                )
            else:
                backends["host"] = Ref(
                    b.parameter("NlbDnsName", StageOutput("network", "NlbDnsName"), description="Internal NLB DNS name")
                )
        if "private" in routes:
            backends["endpoint_id"] = Ref(
                b.parameter(
                    "ExecuteApiEndpointId",
                    StageOutput("network", "ExecuteApiEndpointId"),
                    description="execute-api VPC endpoint of the private API",
                )
            )
        if any(r.auth == "authorizer" for r in all_routes):
            backends["validator_arn"] = Ref(
                b.parameter(
                    "ApiKeyValidatorFunctionArn",
                    StageOutput("compute", "ApiKeyValidatorFunctionArn"),
                    description="API key validator (authorizer)",
                )
            )
        return Backends(**backends)

    def _function_arn(self, output: str, description: str) -> Ref:
        if output not in self.b.template.parameters:
            self.b.parameter(output, StageOutput("compute", output), description=description)
        return Ref(output)

    def _bind(self, route: Route) -> Route:
        """A Lambda route with its function ARN parameter."""
        if route.backend != "lambda":
            return route
        if route.name == "admin":
            arn = self._function_arn("OnboardingFunctionArn", "Consumer admin (onboarding) function")
        else:
            arn = self._function_arn(f"{route.logical}FunctionArn", f"{route.name}: function")
        return Route(route.name, route.logical, route.base_path, route.auth, route.backend, route.timeout_ms, arn)

    # ------------------------------------------------------------------ plans, roles, domain
    def _usage_plans(self, keyed: list[BuiltApi]) -> None:
        b, env = self.b, self.env
        if not keyed and not env.onboarding_enabled:
            return
        plan_ids: list[tuple[str, Any]] = []
        for plan in env.api.usage_plans:
            props: dict[str, Any] = {
                "UsagePlanName": naming.function_name(env.platform, env.name, plan.name),
                "Description": plan.description or f"{plan.name} plan",
            }
            if keyed:
                props["ApiStages"] = [apigateway.ApiStage(ApiId=Ref(api.api), Stage=Ref(api.stage)) for api in keyed]
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

    def _account_role(self, stages: list[apigateway.Stage]) -> None:
        log_groups = Sub("arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:*")
        actions = [
            logs_actions.CreateLogGroup,
            logs_actions.CreateLogStream,
            logs_actions.DescribeLogGroups,
            logs_actions.DescribeLogStreams,
            logs_actions.PutLogEvents,
            logs_actions.GetLogEvents,
            logs_actions.FilterLogEvents,
        ]
        role = self.b.add(
            iam.role(
                "ApiGatewayCloudWatchRole",
                "apigateway.amazonaws.com",
                [iam.allow(actions, [log_groups], "PushLogs")],
                "API Gateway account setting: write execution and access logs",
            )
        )
        account = self.b.add(apigateway.Account("ApiGatewayAccount", CloudWatchRoleArn=GetAtt(role, "Arn")))
        for stage in stages:
            stage.DependsOn = [account.title]  # stage logging fails until the account has the role

    def _custom_domain(self, public: BuiltApi) -> None:
        b, domain = self.b, self.env.api.custom_domain
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
        mapping: dict[str, Any] = {
            "DomainName": Ref(resource),
            "RestApiId": Ref(public.api),
            "Stage": Ref(public.stage),
        }
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

    def _outputs(self, api: BuiltApi) -> None:
        name, stage = naming.camel(api.which), self.env.api.stage_name
        self.b.output(f"{name}ApiId", Ref(api.api), f"{api.which} REST API id")
        if api.which == "public":
            url = Sub(f"https://${{{api.api.title}}}.execute-api.${{AWS::Region}}.${{AWS::URLSuffix}}/{stage}")
        else:  # the endpoint-specific hostname works with or without private DNS
            url = Sub(
                f"https://${{{api.api.title}}}-${{ExecuteApiEndpointId}}.execute-api.${{AWS::Region}}"
                f".${{AWS::URLSuffix}}/{stage}"
            )
        self.b.output(f"{name}ApiUrl", url, f"Invoke URL of the {api.which} API")


def build(env: EnvironmentSpec) -> Stage | None:
    return ApiStage(env).build()
