"""The parts of a REST API that are not routes: the API itself (public or private), its authorizer, its
gateway responses, and, in the stage stack, the deployment and stage."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from awacs import execute_api
from awacs.aws import Allow, Condition, Deny, Policy, Principal, Statement, StringEquals, StringNotEquals
from troposphere import GetAtt, Ref, Sub, awslambda, encode_to_dict
from troposphere import apigateway as apigw

from template_gen import naming
from template_gen.route_table import RouteEntry
from template_gen.spec import EnvironmentSpec
from template_gen.stacks import iam, stage_cache
from template_gen.stacks.common import StackBuilder, log_group

ACCESS_LOG_FORMAT = json.dumps(
    {
        "requestId": "$context.requestId",
        "ip": "$context.identity.sourceIp",
        "caller": "$context.identity.userArn",  # the IAM caller of an AWS_IAM method (the admin API)
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


@dataclass
class ApiCore:
    """What the route stacks and the stage stack need to know about one REST API."""

    which: str  # public | private
    prefix: str  # Public | Private: logical IDs and parameter names
    has_authorizer: bool
    keyed: bool  # some method needs an API key, so usage plans include this API's stage
    hashed: list[Any] = field(default_factory=list)  # definitions a deployment must be re-created for
    token_authorizers: tuple[str, ...] = ()  # cognito/jwt authorizers (api.authorizers) the routes use
    throttles: tuple[tuple[str, str, float, int], ...] = ()  # (resource path, method, rate, burst)
    cache_size: str | None = None  # the stage's cache cluster (api.cache), in GB
    cached: tuple[tuple[str, str, int], ...] = ()  # (resource path, method, TTL) of the cached methods
    uncached: tuple[tuple[str, str], ...] = ()  # (resource path, method) cached before and not now
    had_cluster: bool = False  # a stage cache before (placement file), whether or not it has one now


def method_throttles(routes: Iterable[RouteEntry]) -> tuple[tuple[str, str, float, int], ...]:
    """Stage method settings for the routes that set their own throttling (each path and method)."""
    out = {}
    for route in routes:
        if route.throttle is None:
            continue
        for path in route.paths:
            for verb in route.methods:
                out[(path, "*" if verb == "ANY" else verb)] = route.throttle
    return tuple((path, verb, rate, burst) for (path, verb), (rate, burst) in sorted(out.items()))


def authorizer_permission(title: str, function: Any, api: str, authorizer: str) -> awslambda.Permission:
    """API Gateway may invoke `function` as authorizer `authorizer` of REST API `api` (logical IDs), and only
    as that."""
    return awslambda.Permission(
        title,
        FunctionName=function,
        Action="lambda:InvokeFunction",
        Principal="apigateway.amazonaws.com",
        SourceArn=Sub(
            f"arn:${{AWS::Partition}}:execute-api:${{AWS::Region}}:${{AWS::AccountId}}:${{{api}}}/authorizers/${{{authorizer}}}"
        ),
    )


def lambda_uri(function_arn: Any) -> Sub:
    return Sub(
        "arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${FunctionArn}/invocations",
        FunctionArn=function_arn,
    )


def build_core(
    b: StackBuilder, env: EnvironmentSpec, core: ApiCore, endpoint_id: Any, validator_arn: Any
) -> apigw.RestApi:
    """The REST API, its authorizer and its gateway responses; outputs for the other API stacks."""
    p = core.prefix
    props: dict[str, Any] = {
        "Name": naming.function_name(env.platform, env.name, core.which),
        "Description": f"{env.platform} {env.name}: {core.which} API",
        "ApiKeySourceType": "AUTHORIZER" if core.has_authorizer else "HEADER",
    }
    binary = getattr(env.api.binary_media_types, core.which)
    if binary:
        # Bodies of these types pass as bytes (images, downloads) instead of being mangled as UTF-8 text.
        # CloudFormation wants '/' escaped as '~1' here (image/png -> image~1png), or the type never matches.
        # A change only reaches callers with a new deployment: the RestApi is part of the deployment's hash.
        props["BinaryMediaTypes"] = [media.replace("/", "~1") for media in binary]
    if core.which == "private":
        props["EndpointConfiguration"] = apigw.EndpointConfiguration(Types=["PRIVATE"], VpcEndpointIds=[endpoint_id])
        # RestApi.Policy is typed as a plain mapping: write it with awacs, then encode it.
        props["Policy"] = encode_to_dict(_private_policy(endpoint_id))
    else:
        props["EndpointConfiguration"] = apigw.EndpointConfiguration(Types=["REGIONAL"])
    api = b.add(apigw.RestApi(f"{p}Api", **props))
    core.hashed.append(api.to_dict())
    b.output(f"{p}ApiId", Ref(api), f"{core.which} REST API id")
    b.output(f"{p}ApiRootResourceId", GetAtt(api, "RootResourceId"), f"{core.which} REST API root resource")
    if core.has_authorizer:
        authorizer = b.add(
            apigw.Authorizer(
                f"{p}ApiAuthorizer",
                RestApiId=Ref(api),
                Name="api-key-validator",
                Type="REQUEST",
                AuthorizerUri=lambda_uri(validator_arn),
                IdentitySource="method.request.header.x-api-key",
                AuthorizerResultTtlInSeconds=env.api.authorizer_cache_ttl,
            )
        )
        b.add(authorizer_permission(f"{p}ApiAuthorizerPermission", validator_arn, f"{p}Api", f"{p}ApiAuthorizer"))
        core.hashed.append(authorizer.to_dict())
        b.output(f"{p}ApiAuthorizerId", Ref(authorizer), f"{core.which} API: API key validator authorizer")
    cors = env.api.cors
    if cors is not None:
        headers = {"gatewayresponse.header.Access-Control-Allow-Headers": "'" + ",".join(cors.allow_headers) + "'"}
        # A gateway response cannot test the request's Origin, so it names an origin only when there is one
        # (or "*"); echoing the request's Origin would allow every site (docs/security.md).
        if len(cors.allow_origins) == 1:
            headers["gatewayresponse.header.Access-Control-Allow-Origin"] = f"'{cors.allow_origins[0]}'"
        for kind in ("4XX", "5XX"):
            response = b.add(
                apigw.GatewayResponse(
                    f"{p}ApiDefault{kind}",
                    RestApiId=Ref(api),
                    ResponseType=f"DEFAULT_{kind}",
                    ResponseParameters=headers,
                )
            )
            core.hashed.append(response.to_dict())
    return api


def access_log_group(which: str) -> tuple[str, str]:
    """The name of an API's access log group, after `/<platform>/<environment>/` (`naming.log_group_name`)."""
    return ("apigateway", which)


def deployment_and_stage(b: StackBuilder, env: EnvironmentSpec, core: ApiCore) -> apigw.Stage:
    """A deployment whose logical ID is a hash of every route, so it is re-created (and the stage moved to
    it) exactly when routes change; the stage with its logs, tracing and throttling."""
    p, api = core.prefix, env.api
    digest = hashlib.sha256(json.dumps(core.hashed, sort_keys=True, default=str).encode()).hexdigest()[:10]
    deployment = b.add(
        apigw.Deployment(f"{p}ApiDeployment{digest}", RestApiId=Ref(f"{p}Api"), Description=f"routes {digest}")
    )
    group = log_group(b, env, f"{p}ApiAccessLogGroup", access_log_group(core.which), api.access_log_retention_days)
    return b.add(
        apigw.Stage(
            f"{p}ApiStage",
            RestApiId=Ref(f"{p}Api"),
            DeploymentId=Ref(deployment),
            StageName=api.stage_name,
            TracingEnabled=env.tracing,
            AccessLogSetting=apigw.AccessLogSetting(DestinationArn=GetAtt(group, "Arn"), Format=ACCESS_LOG_FORMAT),
            MethodSettings=stage_cache.method_settings(
                api, core.cache_size, core.throttles, core.cached, core.uncached
            ),
            # The cluster takes up to 4 minutes to create; a new size deletes and re-creates it, empty.
            **stage_cache.cluster_properties(core.cache_size, core.had_cluster),
        )
    )


def _private_policy(endpoint_id: Any) -> Policy:
    """Only requests through the environment's execute-api endpoint may invoke the private API."""
    invoke = [execute_api.Invoke]
    return iam.policy(
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
    )
