"""API routes: `/base` and `/base/{proxy+}` with ANY (and CORS preflights), proxied through the VPC link
to the service's ALB or to its Lambda. Used for the routes in api.yaml and in every api-routes-N.yaml.

In a route stack the API, its root resource and its authorizer are parameters named like the resources
in api.yaml (`PublicApi`, ...), so references render the same in every stack.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from troposphere import GetAtt, Ref, Sub, awslambda
from troposphere import apigateway as apigw

from template_gen import naming
from template_gen.spec import EnvironmentSpec
from template_gen.stacks.common import StackBuilder
from template_gen.stacks.rest_api import ApiCore, lambda_uri


@dataclass(frozen=True)
class Route:
    """Requests to `base_path` and below, sent to one backend."""

    name: str  # service name, or "admin"
    logical: str
    base_path: str
    auth: str  # api_key | authorizer | iam | none
    backend: str  # vpc_link | lambda
    timeout_ms: int = 29000
    alb: int = 1  # the ALB of a vpc_link route
    function_arn: Any = None  # a Lambda route: Ref to its function ARN parameter


@dataclass(frozen=True)
class Backends:
    """Parameters the integrations point at."""

    vpc_link_id: Any = None
    hosts: Any = None  # ALB index -> host (the NLB, or that ALB with alb-direct)
    ports: Any = None  # ALB index -> port on the host
    targets: Any = None  # ALB index -> ALB ARN, the integration target of a VPC link v2 (alb-direct)


def _ref_name(path: str) -> str:
    return naming.camel(*(("proxy" if part == "{proxy+}" else part) for part in path.strip("/").split("/")))


class RouteBuilder:
    def __init__(
        self,
        b: StackBuilder,
        env: EnvironmentSpec,
        core: ApiCore,
        root_resource: Any,
        backends: Backends,
    ):
        self.b, self.env, self.core, self.backends = b, env, core, backends
        self.prefix = core.prefix
        self.api = Ref(f"{core.prefix}Api")
        self.root = root_resource
        self.resources: dict[str, apigw.Resource] = {}  # by path
        self.titles: set[str] = set()

    def add(self, route: Route) -> None:
        for path, proxy in ((route.base_path, False), (route.base_path + "/{proxy+}", True)):
            resource = self._resource(path)
            self._method(resource, "ANY", self._proxy_method(route, proxy))
            if self.env.api.cors is not None:
                self._method(resource, "OPTIONS", self._preflight())
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

    def _resource(self, path: str) -> apigw.Resource:
        """The resource for `path`, creating missing parents once (nested base paths share them)."""
        if path in self.resources:
            return self.resources[path]
        parent_path, _, part = path.rpartition("/")
        parent = self.root if not parent_path else Ref(self._resource(parent_path))
        title = f"{self.prefix}{_ref_name(path)}Resource"
        if title in self.titles:
            title = f"{self.prefix}{_ref_name(path)}{hashlib.sha256(path.encode()).hexdigest()[:6]}Resource"
        resource = self.b.add(apigw.Resource(title, RestApiId=self.api, ParentId=parent, PathPart=part))
        self.resources[path] = resource
        self.titles.add(title)
        self.core.hashed.append(resource.to_dict())
        return resource

    def _method(self, resource: apigw.Resource, verb: str, props: dict[str, Any]) -> None:
        title = resource.title.removesuffix("Resource") + verb.capitalize() + "Method"
        method = self.b.add(apigw.Method(title, RestApiId=self.api, ResourceId=Ref(resource), HttpMethod=verb, **props))
        self.core.hashed.append(method.to_dict())

    def _proxy_method(self, route: Route, proxy: bool) -> dict[str, Any]:
        props: dict[str, Any] = {
            "AuthorizationType": {"authorizer": "CUSTOM", "iam": "AWS_IAM"}.get(route.auth, "NONE"),
            "ApiKeyRequired": route.auth in ("api_key", "authorizer"),
        }
        if route.auth == "authorizer":
            props["AuthorizerId"] = Ref(f"{self.prefix}ApiAuthorizer")
        if proxy:
            props["RequestParameters"] = {"method.request.path.proxy": True}
        if route.backend == "lambda":
            props["Integration"] = apigw.Integration(
                Type="AWS_PROXY",
                IntegrationHttpMethod="POST",
                Uri=lambda_uri(route.function_arn),
                TimeoutInMillis=route.timeout_ms,
            )
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
        if not self.env.security.forward_api_key:  # a REST proxy cannot drop a header: overwrite the secret
            parameters["integration.request.header.x-api-key"] = "'redacted'"
        if proxy:
            parameters["integration.request.path.proxy"] = "method.request.path.proxy"
        port = self.backends.ports[route.alb]
        host = "http://${IntegrationHost}" + ("" if port == 80 else f":{port}")
        integration: dict[str, Any] = {
            "Type": "HTTP_PROXY",
            "IntegrationHttpMethod": "ANY",
            "ConnectionType": "VPC_LINK",
            "ConnectionId": self.backends.vpc_link_id,
            "Uri": Sub(host + path, IntegrationHost=self.backends.hosts[route.alb]),
            "RequestParameters": parameters,
            "TimeoutInMillis": route.timeout_ms,
            "PassthroughBehavior": "WHEN_NO_MATCH",
        }
        if self.backends.targets is not None:
            integration["IntegrationTarget"] = self.backends.targets[route.alb]
        props["Integration"] = apigw.Integration(**integration)
        return props

    def _preflight(self) -> dict[str, Any]:
        cors = self.env.api.cors
        assert cors is not None
        headers = {
            "Access-Control-Allow-Headers": "'" + ",".join(cors.allow_headers) + "'",
            "Access-Control-Allow-Methods": "'" + ",".join(cors.allow_methods) + "'",
            "Access-Control-Max-Age": f"'{cors.max_age_seconds}'",
        }
        if cors.allow_credentials:
            headers["Access-Control-Allow-Credentials"] = "'true'"
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
        response: dict[str, Any] = {
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
                RequestTemplates={"application/json": '{"statusCode": 200}'},
                IntegrationResponses=[apigw.IntegrationResponse(**response)],
            ),
            "MethodResponses": [
                apigw.MethodResponse(
                    StatusCode="200",
                    ResponseParameters={f"method.response.header.{k}": False for k in sorted(set(names))},
                )
            ],
        }


def root_resource(prefix: str, in_core: bool) -> Any:
    """The API's root resource: an attribute of the API in api.yaml, a parameter in a route stack."""
    return GetAtt(f"{prefix}Api", "RootResourceId") if in_core else Ref(f"{prefix}ApiRootResourceId")
