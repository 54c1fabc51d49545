"""API stage: the public (regional) and private REST APIs, their routes from service metadata, and the
stage stack (deployments, stages, usage plans, custom domain).

Stacks, in order: api.yaml (the APIs, authorizers, gateway responses and the first route shard),
api-routes-N.yaml (more routes when one template cannot hold them), api-stage.yaml (everything that
must come after every route: deployments and stages, usage plans, the domain).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

from troposphere import Ref

from template_gen import naming
from template_gen.layout import deploy_state
from template_gen.route_table import ADMIN, on_api, route_group
from template_gen.spec import EnvironmentSpec
from template_gen.stacks import api_stage, ingress_tls, resolved, stage_cache, token_authorizers
from template_gen.stacks.common import StackBuilder, Stage, StageOutput
from template_gen.stacks.compute import shard_stage
from template_gen.stacks.rest_api import ApiCore, build_core, method_throttles
from template_gen.stacks.routes import Backends, Batches, Route, RouteBuilder, root_resource, token_authorizer_id


def route_stage(shard: int) -> tuple[str, str, str]:
    """(stage key, logical ID, file) of an API route shard: api / ApiStack / api.yaml, then api-routes-N."""
    if shard == 1:
        return "api", "ApiStack", "api.yaml"
    return f"api-routes-{shard}", f"ApiRoutes{shard}Stack", f"api-routes-{shard}.yaml"


class ApiStages:
    def __init__(self, env: EnvironmentSpec):
        self.env = env
        self.routes = self._routes()
        self.cores = {
            which: ApiCore(
                which,
                naming.camel(which),
                any(r.auth == "authorizer" for r in api_routes),
                any(r.auth in ("api_key", "authorizer") for r in api_routes),
                token_authorizers=tuple(sorted({r.authorizer for r in api_routes if r.authorizer is not None})),
                throttles=method_throttles(on_api(env.routes, which)),
                cache_size=stage_cache.cluster_size(env.api, which),
                cached=stage_cache.cached_methods(on_api(env.routes, which)),
                uncached=deploy_state.formerly_cached(env, which),
                had_cluster=which in env.placement.stage_caches,
            )
            for which, api_routes in self.routes.items()
        }

    def _routes(self) -> dict[str, list[Route]]:
        """The route table per API, bound to what the builders need (logical names, the ALB)."""
        env = self.env
        routes: dict[str, list[Route]] = {"public": [], "private": []}
        for entry in env.routes:
            admin = entry.name == ADMIN
            routes[entry.api].append(
                Route(
                    entry.name,
                    "Admin" if admin else naming.logical_id(entry.name),
                    entry.base_path,
                    entry.auth,
                    entry.backend,
                    entry.timeout_ms,
                    1 if admin else env.placement.alb_of(entry.name),
                    methods=entry.methods,
                    proxy=entry.proxy,
                    short_form=entry.index is None,
                    authorizer=entry.authorizer,
                    scopes=entry.scopes,
                    cache=entry.cache,
                )
            )
        return {which: api_routes for which, api_routes in routes.items() if api_routes}

    def route_stacks(self) -> list[Stage]:
        """api.yaml and the api-routes-N.yaml after it, one after another (none when nothing is exposed)."""
        if not self.routes:
            return []
        shards = sorted({1, *(self.env.placement.route_shard_of(r.group) for r in self.env.routes)})
        stages: list[Stage] = []
        for shard in shards:
            stages.append(self.route_stack(shard))
            if len(stages) > 1:
                # One route stack at a time: parallel stacks would share API Gateway's per-account write quota
                # and fail with 429s (see routes.API_OBJECT_BATCH).
                stages[-1].depends_on = [stages[-2].key]
        return stages

    def stage_stacks(self, route_stacks: Sequence[Stage], values: Mapping[str, resolved.StackValues]) -> list[Stage]:
        """api-stage.yaml, after `route_stacks`. `values` holds what every stack their parameters come from
        (network, compute, the route stacks themselves) resolves to (resolved.stack_values)."""
        if not route_stacks:
            return []
        # The stage serves a snapshot: re-deploy when a value the routes are built from changes, not only
        # when the routes' definitions do (resolved.py).
        inputs = resolved.digest(route_stacks, values)
        for core in self.cores.values():
            core.hashed.append({"resolved parameter values": inputs})
        return [api_stage.build(self.env, list(self.cores.values()), [s.key for s in route_stacks])]

    def route_stack(self, shard: int) -> Stage:
        """api.yaml (the APIs and the first route shard) or api-routes-N.yaml."""
        env = self.env
        cores = self.cores
        shard_routes: dict[str, list[Route]] = {}
        for which, api_routes in self.routes.items():
            mine = [r for r in api_routes if env.placement.route_shard_of(route_group(r.base_path)) == shard]
            if mine:
                shard_routes[which] = mine
        title = "api stage" if shard == 1 else f"api stage, routes shard {shard}"
        b = StackBuilder(f"{env.platform} {env.name}: {title}", env.tags)
        key, logical, file_name = route_stage(shard)
        if shard == 1:
            endpoint = None
            if "private" in cores:
                endpoint = Ref(
                    b.parameter(
                        "ExecuteApiEndpointId",
                        StageOutput("network", "ExecuteApiEndpointId"),
                        description="execute-api VPC endpoint of the private API",
                    )
                )
            validator = None
            if any(c.has_authorizer for c in cores.values()):
                validator = Ref(
                    b.parameter(
                        "ApiKeyValidatorFunctionArn",
                        StageOutput("compute", "ApiKeyValidatorFunctionArn"),
                        description="API key validator (authorizer)",
                    )
                )
            for core in cores.values():
                build_core(b, env, core, endpoint, validator)
                token_authorizers.build(b, env, core)
        else:
            for which, api_routes in shard_routes.items():
                core = cores[which]
                p = core.prefix
                b.parameter(f"{p}Api", StageOutput("api", f"{p}ApiId"), description=f"{which} REST API")
                b.parameter(
                    f"{p}ApiRootResourceId",
                    StageOutput("api", f"{p}ApiRootResourceId"),
                    description=f"{which} REST API root resource",
                )
                if any(r.auth == "authorizer" for r in api_routes):
                    b.parameter(
                        f"{p}ApiAuthorizer",
                        StageOutput("api", f"{p}ApiAuthorizerId"),
                        description=f"{which} API authorizer",
                    )
                for name in sorted({r.authorizer for r in api_routes if r.authorizer is not None}):
                    b.parameter(
                        token_authorizer_id(p, name),
                        StageOutput("api", f"{token_authorizer_id(p, name)}Id"),
                        description=f"{which} API: token authorizer '{name}'",
                    )
        backends = self._backends(b, [r for rs in shard_routes.values() for r in rs])
        batches = Batches()
        for which, api_routes in shard_routes.items():
            root = root_resource(cores[which].prefix, shard == 1)
            builder = RouteBuilder(b, env, cores[which], root, backends, batches)
            for route in api_routes:
                builder.add(self._bind(b, route))
        return Stage(key, logical, file_name, b)

    def _backends(self, b: StackBuilder, routes: list[Route]) -> Backends:
        env = self.env
        albs = sorted({r.alb for r in routes if r.backend == "vpc_link"})
        if not albs:
            return Backends()
        link = Ref(
            b.parameter(
                "VpcLinkId", StageOutput("network", "VpcLinkId"), description="VPC link to the internal load balancers"
            )
        )
        # With TLS to the ALBs every integration names the certificate's host (the Host header, and the name API
        # Gateway checks the certificate against); the VPC link, not that name, decides where the connection goes.
        tls_host = ingress_tls.integration_host(env)
        scheme = "https" if tls_host else "http"
        if env.network.ingress == "alb-direct":
            hosts, targets = {}, {}
            for index in albs:
                alb = naming.alb_id(index)
                hosts[index] = tls_host or Ref(
                    b.parameter(
                        f"{alb}DnsName", StageOutput("network", f"{alb}DnsName"), description=f"DNS name of ALB {index}"
                    )
                )
                targets[index] = Ref(
                    b.parameter(
                        f"{alb}Arn",
                        StageOutput("network", f"{alb}Arn"),
                        description=f"ALB {index} (integration target)",
                    )
                )
            return Backends(link, hosts, dict.fromkeys(albs, ingress_tls.alb_port(env)), targets, scheme)
        nlb = tls_host or Ref(
            b.parameter("NlbDnsName", StageOutput("network", "NlbDnsName"), description="Internal NLB DNS name")
        )
        ports = {index: ingress_tls.nlb_port(index, env) for index in albs}
        return Backends(link, dict.fromkeys(albs, nlb), ports, scheme=scheme)

    def _bind(self, b: StackBuilder, route: Route) -> Route:
        """A Lambda route with its function ARN parameter, from the compute shard that holds the function."""
        if route.backend != "lambda":
            return route
        if route.name == ADMIN:
            output, stage, doc = "OnboardingFunctionArn", "compute", "Consumer admin (onboarding) function"
        else:
            output = f"{route.logical}FunctionArn"
            stage = shard_stage(self.env.placement.compute_shard_of(route.name))[0]
            doc = f"{route.name}: function"
        if output not in b.template.parameters:
            b.parameter(output, StageOutput(stage, output), description=doc)
        return dataclasses.replace(route, function_arn=Ref(output))
