"""One REST API (public or private): resources from base paths, proxy integrations, auth, CORS, the
authorizer, a deployment that changes whenever the routes change, and the stage."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from awacs import execute_api
from awacs.aws import Allow, Condition, Deny, Policy, Principal, Statement, StringEquals, StringNotEquals
from troposphere import GetAtt, Ref, Sub, awslambda, encode_to_dict, logs
from troposphere import apigateway as apigw

from template_gen import naming
from template_gen.spec import EnvironmentSpec
from template_gen.stacks.common import StackBuilder

ACCESS_LOG_FORMAT = json.dumps(
    {
        "requestId": "$context.requestId",
        "ip": "$context.identity.sourceIp",
        "requestTime": "$context.requestTime",
        "httpMethod": "$context.httpMethod",
        "resourcePath": "$context.resourcePath",
        "path": "$context.path",
        "status": "$context.status",
        "protocol": "$context.protocol",
        "responseLength": "$context.responseLength",
        "latency": "$context.responseLatency",
        "integrationLatency": "$context.integrationLatency",
        "apiKeyId": "$context.identity.apiKeyId",
        "consumerId": "$context.authorizer.consumer_id",
        "error": "$context.error.message",
    },
    separators=(",", ":"),
)


@dataclass(frozen=True)
class Route:
    """Requests to `base_path` and below, sent to one backend."""

    name: str  # service name, or "admin"
    logical: str
    base_path: str
    auth: str  # api_key | authorizer | iam | none
    backend: str  # vpc_link | lambda
    timeout_ms: int = 29000
    function_arn: Any = None  # lambda backend: a Ref to the function ARN parameter


@dataclass(frozen=True)
class Backends:
    """Stage parameters the integrations point at."""

    vpc_link_id: Any = None
    host: Any = None  # NLB (nlb-alb) or ALB (alb-direct) DNS name
    integration_target: Any = None  # ALB ARN with a VPC link v2 (alb-direct)
    endpoint_id: Any = None  # execute-api VPC endpoint (private API)
    validator_arn: Any = None


@dataclass
class BuiltApi:
    which: str
    api: apigw.RestApi
    stage: apigw.Stage
    keyed: bool  # some method needs an API key, so usage plans must include this stage


def _ref_name(path: str) -> str:
    return naming.camel(*(("proxy" if part == "{proxy+}" else part) for part in path.strip("/").split("/")))


class RestApiBuilder:
    def __init__(self, b: StackBuilder, env: EnvironmentSpec, which: str, routes: list[Route], backends: Backends):
        self.b, self.env, self.which, self.routes, self.backends = b, env, which, routes, backends
        self.prefix = naming.camel(which)  # Public | Private
        self.resources: dict[str, apigw.Resource] = {}
        self.methods: list[apigw.Method] = []
        self.hashed: list[Any] = []  # everything a deployment must be re-created for

    def build(self) -> BuiltApi:
        self._api()
        self.authorizer = self._authorizer() if any(r.auth == "authorizer" for r in self.routes) else None
        for route in self.routes:
            self._route(route)
        if self.env.api.cors is not None:
            self._gateway_responses()
        stage = self._deployment_and_stage()
        keyed = any(r.auth in ("api_key", "authorizer") for r in self.routes)
        return BuiltApi(self.which, self.api, stage, keyed)

    # ------------------------------------------------------------------ API
    def _api(self) -> None:
        env, p = self.env, self.prefix
        props: dict[str, Any] = {
            "Name": naming.function_name(env.platform, env.name, self.which),
            "Description": f"{env.platform} {env.name}: {self.which} API",
            "ApiKeySourceType": "AUTHORIZER" if any(r.auth == "authorizer" for r in self.routes) else "HEADER",
        }
        if self.which == "private":
            props["EndpointConfiguration"] = apigw.EndpointConfiguration(
                Types=["PRIVATE"], VpcEndpointIds=[self.backends.endpoint_id]
            )
            # RestApi.Policy is typed as a plain mapping: write it with awacs, then encode it.
            props["Policy"] = encode_to_dict(_private_policy(self.backends.endpoint_id))
        else:
            props["EndpointConfiguration"] = apigw.EndpointConfiguration(Types=["REGIONAL"])
        self.api = self.b.add(apigw.RestApi(f"{p}Api", **props))
        self.hashed.append(self.api.to_dict())

    def _authorizer(self) -> apigw.Authorizer:
        p = self.prefix
        authorizer = self.b.add(
            apigw.Authorizer(
                f"{p}ApiAuthorizer",
                RestApiId=Ref(self.api),
                Name="api-key-validator",
                Type="REQUEST",
                AuthorizerUri=_lambda_uri(self.backends.validator_arn),
                IdentitySource="method.request.header.x-api-key",
                AuthorizerResultTtlInSeconds=self.env.api.authorizer_cache_ttl,
            )
        )
        self.b.add(
            awslambda.Permission(
                f"{p}ApiAuthorizerPermission",
                FunctionName=self.backends.validator_arn,
                Action="lambda:InvokeFunction",
                Principal="apigateway.amazonaws.com",
                SourceArn=Sub(
                    "arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:"
                    f"${{{p}Api}}/authorizers/${{{p}ApiAuthorizer}}"
                ),
            )
        )
        self.hashed.append(authorizer.to_dict())
        return authorizer

    # ------------------------------------------------------------------ routes
    def _resource(self, path: str) -> apigw.Resource:
        """The resource for `path`, creating missing parents once (nested base paths share them)."""
        if path in self.resources:
            return self.resources[path]
        parent_path, _, part = path.rpartition("/")
        parent = GetAtt(self.api, "RootResourceId") if not parent_path else Ref(self._resource(parent_path))
        title = f"{self.prefix}{_ref_name(path)}Resource"
        if any(r.title == title for r in self.resources.values()):
            title = f"{self.prefix}{_ref_name(path)}{hashlib.sha256(path.encode()).hexdigest()[:6]}Resource"
        resource = self.b.add(apigw.Resource(title, RestApiId=Ref(self.api), ParentId=parent, PathPart=part))
        self.resources[path] = resource
        self.hashed.append(resource.to_dict())
        return resource

    def _route(self, route: Route) -> None:
        for path, proxy in ((route.base_path, False), (route.base_path + "/{proxy+}", True)):
            resource = self._resource(path)
            self._add_method(resource, "ANY", self._proxy_method(route, resource, proxy))
            if self.env.api.cors is not None:
                self._add_method(resource, "OPTIONS", self._preflight(resource))
        if route.backend == "lambda":
            self.b.add(
                awslambda.Permission(
                    f"{self.prefix}{route.logical}Permission",
                    FunctionName=route.function_arn,
                    Action="lambda:InvokeFunction",
                    Principal="apigateway.amazonaws.com",
                    # Only this API's stage, only this route's paths.
                    SourceArn=Sub(
                        "arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:"
                        f"${{{self.prefix}Api}}/{self.env.api.stage_name}/*/{route.base_path.lstrip('/')}*"
                    ),
                )
            )

    def _add_method(self, resource: apigw.Resource, verb: str, props: dict[str, Any]) -> None:
        title = resource.title.removesuffix("Resource") + verb.capitalize() + "Method"
        method = self.b.add(
            apigw.Method(title, RestApiId=Ref(self.api), ResourceId=Ref(resource), HttpMethod=verb, **props)
        )
        self.methods.append(method)
        self.hashed.append(method.to_dict())

    def _proxy_method(self, route: Route, resource: apigw.Resource, proxy: bool) -> dict[str, Any]:
        props: dict[str, Any] = {
            "AuthorizationType": {"authorizer": "CUSTOM", "iam": "AWS_IAM"}.get(route.auth, "NONE"),
            "ApiKeyRequired": route.auth in ("api_key", "authorizer"),
        }
        if route.auth == "authorizer":
            assert self.authorizer is not None
            props["AuthorizerId"] = Ref(self.authorizer)
        if proxy:
            props["RequestParameters"] = {"method.request.path.proxy": True}
        if route.backend == "lambda":
            props["Integration"] = apigw.Integration(
                Type="AWS_PROXY", IntegrationHttpMethod="POST", Uri=_lambda_uri(route.function_arn),
                TimeoutInMillis=route.timeout_ms,
            )  # fmt: skip
            return props
        # HTTP proxy through the VPC link: the path is passed through, identity is mapped into headers
        # (overwriting anything the client sent under those names).
        path = route.base_path + ("/{proxy}" if proxy else "")
        parameters = {
            "integration.request.header.X-Request-Id": "context.requestId",
            "integration.request.header.X-Consumer-Id": (
                "context.authorizer.consumer_id" if route.auth == "authorizer" else "'anonymous'"
            ),
        }
        if route.auth == "authorizer":
            parameters["integration.request.header.X-Consumer-Plan"] = "context.authorizer.plan"
        if proxy:
            parameters["integration.request.path.proxy"] = "method.request.path.proxy"
        integration: dict[str, Any] = {
            "Type": "HTTP_PROXY",
            "IntegrationHttpMethod": "ANY",
            "ConnectionType": "VPC_LINK",
            "ConnectionId": self.backends.vpc_link_id,
            "Uri": Sub("http://${IntegrationHost}" + path, IntegrationHost=self.backends.host),
            "RequestParameters": parameters,
            "TimeoutInMillis": route.timeout_ms,
            "PassthroughBehavior": "WHEN_NO_MATCH",
        }
        if self.backends.integration_target is not None:
            integration["IntegrationTarget"] = self.backends.integration_target
        props["Integration"] = apigw.Integration(**integration)
        return props

    def _preflight(self, resource: apigw.Resource) -> dict[str, Any]:
        cors = self.env.api.cors
        assert cors is not None
        headers = {
            "Access-Control-Allow-Headers": "'" + ",".join(cors.allow_headers) + "'",
            "Access-Control-Allow-Methods": "'" + ",".join(cors.allow_methods) + "'",
            "Access-Control-Max-Age": f"'{cors.max_age_seconds}'",
        }
        if cors.allow_credentials:
            headers["Access-Control-Allow-Credentials"] = "'true'"
        template = '{"statusCode": 200}'
        response_templates: dict[str, str] = {}
        if len(cors.allow_origins) == 1:
            headers["Access-Control-Allow-Origin"] = f"'{cors.allow_origins[0]}'"
        else:
            # Several origins: echo the request's Origin only when it is one of them.
            condition = " || ".join(f'$origin == "{o}"' for o in cors.allow_origins)
            response_templates["application/json"] = (
                '#set($origin = $input.params("Origin"))\n'
                f"#if({condition})\n"
                "#set($context.responseOverride.header.Access-Control-Allow-Origin = $origin)\n"
                "#end\n"
            )
        response = {
            "StatusCode": "200",
            "ResponseParameters": {f"method.response.header.{k}": v for k, v in headers.items()},
        }
        if response_templates:
            response["ResponseTemplates"] = response_templates
        names = [*headers, "Access-Control-Allow-Origin"]
        return {
            "AuthorizationType": "NONE",
            "ApiKeyRequired": False,
            "Integration": apigw.Integration(
                Type="MOCK",
                RequestTemplates={"application/json": template},
                IntegrationResponses=[apigw.IntegrationResponse(**response)],
            ),
            "MethodResponses": [
                apigw.MethodResponse(
                    StatusCode="200",
                    ResponseParameters={f"method.response.header.{k}": False for k in sorted(set(names))},
                )
            ],
        }

    def _gateway_responses(self) -> None:
        cors = self.env.api.cors
        assert cors is not None
        origin = f"'{cors.allow_origins[0]}'" if len(cors.allow_origins) == 1 else "method.request.header.origin"
        for kind in ("4XX", "5XX"):
            response = self.b.add(
                apigw.GatewayResponse(
                    f"{self.prefix}ApiDefault{kind}",
                    RestApiId=Ref(self.api),
                    ResponseType=f"DEFAULT_{kind}",
                    ResponseParameters={
                        "gatewayresponse.header.Access-Control-Allow-Origin": origin,
                        "gatewayresponse.header.Access-Control-Allow-Headers": "'" + ",".join(cors.allow_headers) + "'",
                    },
                )
            )
            self.hashed.append(response.to_dict())

    # ------------------------------------------------------------------ deployment and stage
    def _deployment_and_stage(self) -> apigw.Stage:
        env, p = self.env, self.prefix
        # A deployment is a snapshot: a new logical ID whenever routes change makes CloudFormation create a
        # fresh one (the stage otherwise keeps serving the old routes). Same input, same hash.
        digest = hashlib.sha256(json.dumps(self.hashed, sort_keys=True, default=str).encode()).hexdigest()[:10]
        deployment = self.b.add(
            apigw.Deployment(
                f"{p}ApiDeployment{digest}",
                RestApiId=Ref(self.api),
                Description=f"routes {digest}",
                DependsOn=sorted(m.title for m in self.methods),
            )
        )
        group_props: dict[str, Any] = {
            "LogGroupName": naming.log_group_name(env.platform, env.name, "apigateway", self.which),
            "RetentionInDays": env.api.access_log_retention_days,
        }
        if env.logs_kms_key_arn:
            group_props["KmsKeyId"] = env.logs_kms_key_arn
        log_group = self.b.add(logs.LogGroup(f"{p}ApiAccessLogGroup", **group_props))
        api = env.api
        stage = self.b.add(
            apigw.Stage(
                f"{p}ApiStage",
                RestApiId=Ref(self.api),
                DeploymentId=Ref(deployment),
                StageName=api.stage_name,
                TracingEnabled=env.tracing,
                AccessLogSetting=apigw.AccessLogSetting(
                    DestinationArn=GetAtt(log_group, "Arn"), Format=ACCESS_LOG_FORMAT
                ),
                MethodSettings=[
                    apigw.MethodSetting(
                        ResourcePath="/*",
                        HttpMethod="*",
                        LoggingLevel=api.execution_logging,
                        DataTraceEnabled=api.data_trace,
                        MetricsEnabled=api.metrics,
                        ThrottlingRateLimit=api.throttle.rate_limit,
                        ThrottlingBurstLimit=api.throttle.burst_limit,
                    )
                ],
            )
        )
        return stage


def _lambda_uri(function_arn: Any) -> Sub:
    return Sub(
        "arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${FunctionArn}/invocations",
        FunctionArn=function_arn,
    )


def _private_policy(endpoint_id: Any) -> Policy:
    """Only requests through the environment's execute-api endpoint may invoke the private API."""
    invoke = [execute_api.Invoke]
    return Policy(
        Version="2012-10-17",
        Statement=[
            Statement(
                Effect=Allow,
                Principal=Principal("*"),
                Action=invoke,
                Resource=["execute-api:/*"],
                Condition=Condition(StringEquals("aws:SourceVpce", endpoint_id)),
            ),
            Statement(
                Effect=Deny,
                Principal=Principal("*"),
                Action=invoke,
                Resource=["execute-api:/*"],
                Condition=Condition(StringNotEquals("aws:SourceVpce", endpoint_id)),
            ),
        ],
    )
