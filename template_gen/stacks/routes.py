"""API routes: `/base` and `/base/{proxy+}` with ANY (and CORS preflights), proxied through the VPC link
to the service's ALB or to its Lambda. Used for the routes in api.yaml and in every api-routes-N.yaml.

In a route stack the API, its root resource and its authorizer are parameters named like the resources
in api.yaml (`PublicApi`, ...), so references render the same in every stack.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from troposphere import GetAtt, Ref, Sub, awslambda
from troposphere import apigateway as apigw

from template_gen import naming, route_ids
from template_gen.encode import plain
from template_gen.route_table import RouteCacheEntry, proxy_path
from template_gen.spec import EnvironmentSpec
from template_gen.stacks import stage_cache
from template_gen.stacks.common import StackBuilder
from template_gen.stacks.rest_api import ApiCore, lambda_uri


@dataclass(frozen=True)
class Route:
    """Requests to `base_path` (and below, with `proxy`), sent to one backend."""

    name: str  # service name, or "admin"
    logical: str
    base_path: str
    auth: str  # api_key | authorizer | iam | none | cognito | jwt
    backend: str  # vpc_link | lambda
    timeout_ms: int = 29000
    alb: int = 1  # the ALB of a vpc_link route
    function_arn: Any = None  # a Lambda route: Ref to its function ARN parameter
    methods: tuple[str, ...] = ("ANY",)
    proxy: bool = True
    short_form: bool = True  # the service's `api.base_path` (not one of its `api.routes`)
    authorizer: str | None = None  # auth cognito | jwt: the authorizer's name
    scopes: tuple[str, ...] = ()
    cache: RouteCacheEntry | None = None  # a cached GET route


@dataclass(frozen=True)
class Backends:
    """Parameters the integrations point at."""

    vpc_link_id: Any = None
    hosts: Any = None  # ALB index -> host (the NLB, or that ALB with alb-direct)
    ports: Any = None  # ALB index -> port on the host
    targets: Any = None  # ALB index -> ALB ARN, the integration target of a VPC link v2 (alb-direct)
    scheme: str = "http"  # https with TLS to the ALBs (security.alb_certificate_arn)


_DEFAULT_PORTS = {"http": 80, "https": 443}


# API Gateway's control plane allows 5 CreateResource calls per second per account (fixed quota), and route
# stacks with hundreds of Resources and Methods created at once fail with 429 Too Many Requests or
# ConflictException, then fail their rollback (aws-cdk#15573, #22229). So a stack creates them in batches:
# every object waits, through DependsOn, for the whole previous batch.
API_OBJECT_BATCH = 5


class Batches:
    """The creation order of a stack's API Gateway objects, in batches of `API_OBJECT_BATCH`."""

    def __init__(self, size: int = API_OBJECT_BATCH):
        self.size = size
        self.previous: list[str] = []
        self.current: list[str] = []
        self.count = 0  # batches started

    def place(self, resource: Any, references: set[str]) -> None:
        """Make `resource` wait for the previous batch (except what it references already: cfn-lint W3005)."""
        if len(self.current) == self.size or not self.current:
            if self.current:
                self.previous = self.current
            self.current = []
            self.count += 1
        waits = [title for title in self.previous if title not in references]
        if waits:
            resource.DependsOn = waits
        self.current.append(resource.title)


def token_authorizer_id(prefix: str, name: str) -> str:
    """Logical ID of a cognito or jwt authorizer (and of its parameter in a route stack)."""
    return f"{prefix}{naming.camel(name)}TokenAuthorizer"


class RouteBuilder:
    def __init__(
        self,
        b: StackBuilder,
        env: EnvironmentSpec,
        core: ApiCore,
        root_resource: Any,
        backends: Backends,
        batches: Batches | None = None,
    ):
        self.b, self.env, self.core, self.backends = b, env, core, backends
        self.batches = batches or Batches()  # shared by every API of the stack: the quota is per account
        self.prefix = core.prefix
        self.api = Ref(f"{core.prefix}Api")
        self.root = root_resource
        self.resources: dict[str, tuple[str, Any]] = {}  # path -> (logical ID fragment, Ref to its resource)
        self.fragments: set[str] = set()
        self.methods: set[tuple[str, str]] = set()  # (path, verb)
        self.permissions: set[str] = set()

    def add(self, route: Route) -> None:
        paths = (route.base_path, proxy_path(route.base_path)) if route.proxy else (route.base_path,)
        for path in paths:
            fragment, resource = self._resource(path)
            for verb in route.methods:
                self._method(path, fragment, resource, verb, self._proxy_method(route, path != route.base_path))
            if self.env.api.cors is not None and "OPTIONS" not in route.methods:
                self._method(path, fragment, resource, "OPTIONS", self._preflight())
        if route.backend == "lambda":
            # The short form keeps its historical ID; a route of `api.routes` is named by its path.
            title = f"{self.prefix}{route.logical}Permission"
            if not route.short_form:
                title = f"{self.prefix}{route.logical}Via{self._resource(route.base_path)[0]}Permission"
            if title in self.permissions:
                return
            self.permissions.add(title)
            self.b.add(
                awslambda.Permission(
                    title,
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

    def _resource(self, path: str) -> tuple[str, Any]:
        """The resource for `path`, creating missing parents once (nested paths share them)."""
        if path in self.resources:
            return self.resources[path]
        fragment = self.env.placement.resource_fragment(self.core.which, path)
        if fragment is None:  # not laid out (a cost probe): unique in this stack, as route_ids would do
            fragment = route_ids.plain(path)
            if fragment in self.fragments:
                fragment = route_ids.hashed(path)
        self.fragments.add(fragment)
        if path == "/":
            self.resources[path] = (fragment, self.root)
            return self.resources[path]
        parent_path, _, part = path.rpartition("/")
        parent = self.root if not parent_path else self._resource(parent_path)[1]
        resource = apigw.Resource(
            f"{self.prefix}{fragment}Resource", RestApiId=self.api, ParentId=parent, PathPart=part
        )
        self.batches.place(resource, {parent.data["Ref"]} if isinstance(parent, Ref) else set())
        self.b.add(resource)
        self.resources[path] = (fragment, Ref(resource))
        self.core.hashed.append(plain(resource))
        return self.resources[path]

    def _method(self, path: str, fragment: str, resource: Any, verb: str, props: dict[str, Any]) -> None:
        if (path, verb) in self.methods:  # a CORS preflight shared by two routes of one path
            return
        self.methods.add((path, verb))
        title = f"{self.prefix}{fragment}{verb.capitalize()}Method"
        method = apigw.Method(title, RestApiId=self.api, ResourceId=resource, HttpMethod=verb, **props)
        self.batches.place(method, {resource.data["Ref"]} if isinstance(resource, Ref) else set())
        method = self.b.add(method)
        self.core.hashed.append(plain(method))  # what to_dict() gives, in one pass (encode.py)

    def _proxy_method(self, route: Route, proxy: bool) -> dict[str, Any]:
        kind = {"authorizer": "CUSTOM", "jwt": "CUSTOM", "iam": "AWS_IAM", "cognito": "COGNITO_USER_POOLS"}
        props: dict[str, Any] = {
            "AuthorizationType": kind.get(route.auth, "NONE"),
            "ApiKeyRequired": route.auth in ("api_key", "authorizer"),
        }
        if route.auth == "authorizer":
            props["AuthorizerId"] = Ref(f"{self.prefix}ApiAuthorizer")
        elif route.auth in ("cognito", "jwt"):
            assert route.authorizer is not None  # resolved by the route table
            props["AuthorizerId"] = Ref(token_authorizer_id(self.prefix, route.authorizer))
            if route.scopes:
                props["AuthorizationScopes"] = list(route.scopes)
        if proxy:
            props["RequestParameters"] = {"method.request.path.proxy": True}
        cached: dict[str, Any] = {}
        keys = stage_cache.key_parameters(self.env.api, route, proxy) if route.cache is not None else []
        if keys:  # every cache key parameter is a request parameter of the method too
            props["RequestParameters"] = {key: key == stage_cache.PROXY_PATH for key in keys}
            cached["CacheKeyParameters"] = keys
        if route.backend == "lambda":
            props["Integration"] = apigw.Integration(
                Type="AWS_PROXY",
                IntegrationHttpMethod="POST",
                Uri=lambda_uri(route.function_arn),
                TimeoutInMillis=route.timeout_ms,
                # Binary request bodies (the API's binary media types) reach the function base64-encoded.
                ContentHandling="CONVERT_TO_TEXT",
                **cached,
            )
            return props
        # HTTP proxy through the VPC link: the path is passed through, identity is mapped into headers
        # (overwriting anything the client sent under those names).
        path = route.base_path
        if proxy:
            path = ("" if path == "/" else path) + "/{proxy}"
        parameters = {
            "integration.request.header.X-Request-Id": "context.requestId",
            "integration.request.header.X-Consumer-Id": (
                "context.authorizer.consumer_id" if route.auth == "authorizer" else "'anonymous'"
            ),
        }
        if route.auth == "authorizer":
            parameters["integration.request.header.X-Consumer-Plan"] = "context.authorizer.plan"
        elif route.auth == "jwt":  # the token's subject, from the authorizer's context
            parameters["integration.request.header.X-Jwt-Subject"] = "context.authorizer.sub"
        if not self.env.security.forward_api_key:  # a REST proxy cannot drop a header: overwrite the secret
            parameters["integration.request.header.x-api-key"] = "'redacted'"
        if proxy:
            parameters["integration.request.path.proxy"] = "method.request.path.proxy"
        scheme, port, host = self.backends.scheme, self.backends.ports[route.alb], self.backends.hosts[route.alb]
        uri = f"{scheme}://${{IntegrationHost}}" + ("" if port == _DEFAULT_PORTS[scheme] else f":{port}") + path
        integration: dict[str, Any] = {
            "Type": "HTTP_PROXY",
            "IntegrationHttpMethod": "ANY",
            "ConnectionType": "VPC_LINK",
            "ConnectionId": self.backends.vpc_link_id,
            # A host name known at synth (TLS to the ALBs) is written as is; a load balancer's DNS name is a Sub.
            "Uri": uri.replace("${IntegrationHost}", host) if isinstance(host, str) else Sub(uri, IntegrationHost=host),
            "RequestParameters": parameters,
            "TimeoutInMillis": route.timeout_ms,
            "PassthroughBehavior": "WHEN_NO_MATCH",
            **cached,
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
